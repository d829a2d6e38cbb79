/**
 * Quick fixes on real policies (examples/github.polar, examples/document-sharing.polar), broken
 * the way people break them — a misspelt rule call or shorthand string, a declaration or block
 * left out, the top-level allow rule forgotten, `and`/`or` mixed — over the real LSP connection.
 * The fix that restores the policy must be offered (preferred where it is the obvious one), every
 * fix offered must remove its diagnostic and add none, and the fixed policy must report exactly
 * what the unbroken one does.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { CodeAction } from "vscode-languageserver";
import { analyse, applyAction, expectFixed, openPolicy, quickFixesFor } from "./quick-fix-harness.js";
import { GITHUB, SHARING, uri, type TestClient } from "./helpers.js";

const A = uri("policy.polar", "/examples");

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

/** A pattern for `literal` in which any run of blanks matches any run of blanks (the examples' layout may change). */
function loose(literal: string): RegExp {
  const parts = literal.split(/\s+/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(parts.join("\\s+"), "g");
}

/** `text` with what `from` matches replaced by `to` (it must match exactly once; `$1`… refer to groups). */
function mutate(text: string, from: string | RegExp, to: string): string {
  const pattern = typeof from === "string" ? loose(from) : new RegExp(from.source, "g");
  const matches = [...text.matchAll(pattern)];
  if (matches.length !== 1) throw new Error(`${matches.length} matches in the policy: ${String(from)}`);
  return text.replace(pattern, to);
}

interface Offered {
  readonly broken: Map<string, string>;
  readonly actions: CodeAction[];
}

/**
 * Opens `broken`, finds its published diagnostics of `code` (at least one), asks for the quick fixes
 * of each and checks every fix offered with expectFixed; returns the actions of the first one.
 */
async function fixesOf(broken: string, code: string): Promise<Offered> {
  const texts = new Map([[A, broken]]);
  const c = (client = await openPolicy(texts));
  const diagnostics = (c.latest(A)?.diagnostics ?? []).filter((d) => d.code === code);
  expect(diagnostics.length, `${code} is published`).toBeGreaterThan(0);
  let first: CodeAction[] | null = null;
  for (const d of diagnostics) {
    const actions = (await quickFixesFor(c, A, d)).filter((a) =>
      a.diagnostics?.some((x) => x.code === code && JSON.stringify(x.range) === JSON.stringify(d.range)),
    );
    expect(actions.filter((a) => a.isPreferred === true).length).toBeLessThanOrEqual(1);
    for (const action of actions) expectFixed(texts, applyAction(texts, action), code, action.title);
    first ??= actions;
  }
  return { broken: texts, actions: first ?? [] };
}

/** The action titled `title`, applied: the policy's text afterwards. */
function applied(offered: Offered, title: string): string {
  const action = offered.actions.find((a) => a.title === title);
  if (action === undefined) throw new Error(`no "${title}" among ${offered.actions.map((a) => a.title).join(" | ")}`);
  return applyAction(offered.broken, action).get(A) ?? "";
}

function preferred(offered: Offered): CodeAction | undefined {
  return offered.actions.find((a) => a.isPreferred === true);
}

describe("did you mean", () => {
  for (const [name, text, from, to, title] of [
    [
      "a misspelt rule call",
      GITHUB,
      " has_permission(actor, action, resource);",
      " has_permision(actor, action, resource);",
      "Change has_permision to has_permission",
    ],
    [
      "a misspelt call to a rule of the policy",
      SHARING,
      " is_owner(user, document);",
      " is_ownr(user, document);",
      "Change is_ownr to is_owner",
    ],
    ["a misspelt implier", GITHUB, '"push" if "writer";', '"push" if "writr";', 'Change "writr" to "writer"'],
    ["a misspelt head", GITHUB, '"delete" if "maintainer";', '"delte" if "maintainer";', 'Change "delte" to "delete"'],
    [
      "a misspelt implier in the related block",
      GITHUB,
      '"reader" if "member" on "organization";',
      '"reader" if "membr" on "organization";',
      'Change "membr" to "member"',
    ],
    [
      "a misspelt relation",
      SHARING,
      '"editor" if "editor" on "folder";',
      '"editor" if "editor" on "fodler";',
      'Change "fodler" to "folder"',
    ],
    [
      "a relation clause written with another word",
      GITHUB,
      '"maintainer" if "admin" on "organization";',
      '"maintainer" if "admin" of "organization";',
      "Change of to on",
    ],
    [
      "a misspelt relation type",
      SHARING,
      "relations = { folder: Folder };",
      "relations = { folder: Foldr };",
      "Change the type Foldr to Folder",
    ],
  ] as const) {
    it(`fixes ${name}: the preferred fix restores the policy`, async () => {
      const code = from.includes("(") ? "ValidationError::UndefinedRuleCall" : "ValidationError::ResourceBlock";
      const offered = await fixesOf(mutate(text, from, to), code);
      expect(preferred(offered)?.title).toBe(title);
      expect(applied(offered, title)).toBe(text);
    });
  }

  it("offers nothing for a call no rule is spelt like", async () => {
    const offered = await fixesOf(
      mutate(GITHUB, " has_permission(actor", " can_do_anything(actor"),
      "ValidationError::UndefinedRuleCall",
    );
    expect(offered.actions).toEqual([]);
  });

  it("suggests only rules that take as many arguments as the call passes", async () => {
    // `has_role` takes three: a two-argument call is offered nothing of that name.
    const broken = mutate(GITHUB, " has_permission(actor, action, resource);", " has_rol(actor, resource);");
    const offered = await fixesOf(broken, "ValidationError::UndefinedRuleCall");
    expect(offered.actions.map((a) => a.title)).not.toContain("Change has_rol to has_role");
    const three = await fixesOf(
      mutate(GITHUB, " has_permission(actor, action, resource);", " has_rol(actor, action, resource);"),
      "ValidationError::UndefinedRuleCall",
    );
    expect(three.actions.map((a) => a.title)).toContain("Change has_rol to has_role");
  });
});

describe("declare what a shorthand rule needs", () => {
  it("declares a permission left out of the block", async () => {
    const broken = mutate(GITHUB, '"delete", "create_issue"]', '"delete"]');
    const offered = await fixesOf(broken, "ValidationError::ResourceBlock");
    const after = applied(offered, 'Declare "create_issue" as a permission in Repository');
    expect(after).toContain('permissions = ["read", "push", "delete", "create_issue"];');
    expect(analyse(new Map([[A, after]])).codes).toEqual(analyse(new Map([[A, GITHUB]])).codes);
  });

  it("declares a relation, typed by the block that declares what the rule reaches through it", async () => {
    const broken = mutate(GITHUB, / *relations = \{ organization: Organization \};\n/, "");
    const offered = await fixesOf(broken, "ValidationError::ResourceBlock");
    const title = 'Declare relation "organization" of type Organization in Repository';
    expect(preferred(offered)?.title).toBe(title);
    const after = applied(offered, title);
    expect(after).toContain(
      '  permissions = ["read", "push", "delete", "create_issue"];\n  relations = { organization: Organization };\n',
    );
    expect(analyse(new Map([[A, after]])).codes).toEqual([]);
  });

  it("declares a role in the related block, which fixes every rule that used it", async () => {
    const broken = mutate(GITHUB, 'roles = ["member", "admin"];', 'roles = ["member"];');
    const texts = new Map([[A, broken]]);
    const c = (client = await openPolicy(texts));
    const related = (c.latest(A)?.diagnostics ?? []).find((d) => d.message.includes("not declared in related"));
    if (related === undefined) throw new Error("no #10 published");
    const actions = await quickFixesFor(c, A, related);
    const fix = actions.find((a) => a.isPreferred === true);
    expect(fix?.title).toBe('Declare "admin" as a role in Organization');
    if (fix === undefined) return;
    const after = applyAction(texts, fix).get(A) ?? "";
    expect(after).toBe(GITHUB);
    expect(analyse(new Map([[A, after]])).codes).toEqual([]);
  });

  it("declares in a block with no declarations of that kind, and in an empty block", async () => {
    const text = `allow(actor, action, resource) if has_permission(actor, action, resource);
actor User {}
resource Org {}
resource Repo {
  roles = ["reader"];
  relations = { parent: Org };
  "read" if "reader";
  "reader" if "member" on "parent";
}
has_role(_: User, _: String, _: Resource);
has_relation(_: Org, "parent", _: Repo);
`;
    const first = await fixesOf(text, "ValidationError::ResourceBlock");
    const declared = applied(first, 'Declare "read" as a permission in Repo');
    expect(declared).toContain('  roles = ["reader"];\n  relations = { parent: Org };\n  permissions = ["read"];\n');
    client?.dispose();
    const second = await fixesOf(declared, "ValidationError::ResourceBlock");
    expect(preferred(second)?.title).toBe('Declare "member" as a role in Org');
    const after = applied(second, 'Declare "member" as a role in Org');
    expect(after).toContain('resource Org {\n  roles = ["member"];\n}\n');
    expect(analyse(new Map([[A, after]])).codes).toEqual([]);
  });

  it("adds the missing block with what the rules reach through relations of its type", async () => {
    const start = SHARING.indexOf("resource Folder {");
    const end = SHARING.indexOf("}\n", start) + 2;
    const broken = SHARING.slice(0, start) + SHARING.slice(end);
    const offered = await fixesOf(broken, "ValidationError::ResourceBlock");
    const title = "Add the missing block `resource Folder {…}`";
    expect(preferred(offered)?.title).toBe(title);
    const after = applied(offered, title);
    expect(after).toContain('resource Folder {\n  roles = ["viewer", "editor"];\n}');
    expect(analyse(new Map([[A, after]])).codes).toEqual([]);
  });
});

describe("missing rules", () => {
  it("adds Oso's allow rule for a policy without one", async () => {
    const broken = mutate(
      GITHUB,
      /allow\(actor, action, resource\) if\s+has_permission\(actor, action, resource\);\n+/,
      "",
    );
    const offered = await fixesOf(broken, "ValidationWarning::MissingAllowRule");
    expect(preferred(offered)?.title).toBe("Add the allow rule that calls has_permission");
    const after = applied(offered, "Add the allow rule that calls has_permission");
    // Below the leading comments, as the warning's message asks ("to the top of your policy").
    expect(after).toBe(
      broken.replace(
        "\n\nactor User",
        "\n\nallow(actor, action, resource) if\n  has_permission(actor, action, resource);\n\nactor User",
      ),
    );
    expect(analyse(new Map([[A, after]])).codes).toEqual([]);
  });

  it("fixes both missing-rule warnings with one action", async () => {
    let broken = mutate(
      SHARING,
      /allow\(actor, action, resource\) if\s+has_permission\(actor, action, resource\);\n+/,
      "",
    );
    broken = mutate(broken, /allow\(user: User[^;]*;\n+/, "");
    expect(analyse(new Map([[A, broken]])).codes).toEqual([
      "ValidationWarning::MissingAllowRule",
      "ValidationWarning::MissingHasPermissionRule",
    ]);
    const texts = new Map([[A, broken]]);
    const c = (client = await openPolicy(texts));
    const published = c.latest(A)?.diagnostics ?? [];
    const actions = await c.connection.sendRequest<CodeAction[]>("textDocument/codeAction", {
      textDocument: { uri: A },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: published },
    });
    const fixes = actions.filter((a) => a.kind === "quickfix");
    expect(fixes).toHaveLength(1);
    expect(fixes[0]?.isPreferred).toBe(true);
    expect(fixes[0]?.diagnostics?.map((d) => d.code).sort()).toEqual([
      "ValidationWarning::MissingAllowRule",
      "ValidationWarning::MissingHasPermissionRule",
    ]);
    const [fix] = fixes;
    if (fix === undefined) throw new Error("no quick fix");
    const after = applyAction(texts, fix).get(A) ?? "";
    expect(analyse(new Map([[A, after]])).codes).toEqual([]);
  });

  it("adds the has_permission allow rule next to an allow rule that does not call it", async () => {
    const broken = mutate(
      SHARING,
      /allow\(actor, action, resource\) if\s+has_permission\(actor, action, resource\);\n+/,
      "",
    );
    const offered = await fixesOf(broken, "ValidationWarning::MissingHasPermissionRule");
    expect(preferred(offered)?.title).toBe("Add the allow rule that calls has_permission");
    const after = applied(offered, "Add the allow rule that calls has_permission");
    expect(analyse(new Map([[A, after]])).codes).toEqual([]);
  });

  it("offers an allow rule that allows nothing when no rule defines has_permission", async () => {
    const offered = await fixesOf("f(x) if x = 1;\n", "ValidationWarning::MissingAllowRule");
    expect(offered.actions.map((a) => a.title)).toEqual(["Add an allow rule that allows nothing yet"]);
    expect(preferred(offered)).toBeUndefined();
    expect(applied(offered, "Add an allow rule that allows nothing yet")).toContain(
      "allow(_actor, _action, _resource) if false;",
    );
  });
});

describe("ambiguous precedence", () => {
  it("parenthesises the inner expression, which is how Polar reads it", async () => {
    const broken = mutate(SHARING, /(document\.public = true and[^;]*);/, "$1 or user.admin = true;");
    const offered = await fixesOf(broken, "ValidationWarning::AmbiguousPrecedence");
    const action = preferred(offered);
    expect(action?.title).toMatch(/^Add parentheses: \(document\.public = true and not /);
    const after = applied(offered, action?.title ?? "");
    expect(after).toMatch(/\(document\.public = true and[^;]*\) or user\.admin = true;/);
    expect(analyse(new Map([[A, after]])).codes).toEqual([]);
  });
});
