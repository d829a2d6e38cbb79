/**
 * Folding ranges, workspace symbols, the longhand rule shown on hovering a shorthand rule and the
 * rule types generated from resource blocks shown on hovering has_relation/has_role, over
 * the protocol on examples/github.polar and examples/document-sharing.polar.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { FoldingRange, Hover, SymbolInformation } from "vscode-languageserver";
import { inProcess, uri, type TestClient, GITHUB, SHARING } from "./helpers.js";

const A = uri("github.polar");
const B = uri("sharing.polar");

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

async function started(a = GITHUB): Promise<TestClient> {
  client = inProcess();
  const c = client;
  await c.initialize();
  await c.load(() => c.open(A, a));
  return c;
}

function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`no ${needle}`);
  return text.slice(0, at).split("\n").length - 1;
}

function hoverText(h: Hover | null): string {
  const contents = h?.contents;
  return typeof contents === "object" && contents !== null && "value" in contents ? contents.value : "";
}

describe("folding ranges", () => {
  async function folds(c: TestClient): Promise<[number, number, string | undefined][]> {
    const result = await c.connection.sendRequest<FoldingRange[]>("textDocument/foldingRange", {
      textDocument: { uri: A },
    });
    return result.map((r) => [r.startLine, r.endLine, r.kind]);
  }

  it("folds the leading comment, multi-line rules and resource blocks (their closing brace visible)", async () => {
    const c = await started();
    const ranges = await folds(c);
    expect(ranges[0]).toEqual([0, 1, "comment"]);
    expect(ranges).toContainEqual([
      lineOf(GITHUB, "has_role(user: User, name: String, org: Organization)"),
      lineOf(GITHUB, "  membership.role = name;"),
      undefined,
    ]);
    // A one-line rule does not fold.
    expect(ranges.some(([start]) => start === lineOf(GITHUB, "allow(actor"))).toBe(false);
    const org = lineOf(GITHUB, "resource Organization");
    const close = lineOf(GITHUB.slice(GITHUB.indexOf("resource Organization")), "}") + org;
    expect(ranges).toContainEqual([org, close - 1, undefined]);
    // A one-line block does not fold.
    expect(ranges.some(([start]) => start === lineOf(GITHUB, "actor User {}"))).toBe(false);
  });

  it("keeps folding the rest of a file with a syntax error", async () => {
    const broken = GITHUB.replace("resource Issue {", "resource Issue {\n  roles = [;\n");
    const c = await started(broken);
    const ranges = await folds(c);
    const org = lineOf(broken, "resource Organization");
    expect(ranges.some(([start]) => start === org)).toBe(true);
    expect(ranges.some(([start]) => start === lineOf(broken, "has_role(user: User, name: String, repo"))).toBe(true);
  });
});

describe("workspace symbols", () => {
  it("finds rules, blocks and declared names across documents by the query's characters in order", async () => {
    const c = await started();
    await c.load(() => c.open(B, SHARING));
    const symbols = await c.connection.sendRequest<SymbolInformation[]>("workspace/symbol", { query: "fldr" });
    expect(symbols.map((s) => [s.name, s.containerName, s.location.uri === B])).toEqual([
      ["Folder", undefined, true],
      ["folder", "Document", true],
    ]);
    const member = await c.connection.sendRequest<SymbolInformation[]>("workspace/symbol", { query: "MEMBER" });
    expect(member.map((s) => [s.name, s.containerName])).toEqual([
      ["member", "Organization"],
      ["manage_members", "Organization"],
    ]);
    expect(member[0]?.location.range.start.line).toBe(lineOf(GITHUB, 'roles = ["member"'));
    const all = await c.connection.sendRequest<SymbolInformation[]>("workspace/symbol", { query: "" });
    expect(all.filter((s) => s.name === "has_role").map((s) => s.location.uri)).toEqual([A, A, B, B, B]);
  });
});

describe("hover: shorthand rules and generated rule types", () => {
  async function hoverAt(c: TestClient, text: string, needle: string): Promise<string> {
    const line = lineOf(text, needle);
    const character = (text.split("\n")[line] ?? "").indexOf(needle) + 2;
    return hoverText(
      await c.connection.sendRequest<Hover | null>("textDocument/hover", {
        textDocument: { uri: A },
        position: { line, character },
      }),
    );
  }

  it("shows the longhand rule Oso generates, across `on` and within the block", async () => {
    const c = await started();
    expect(await hoverAt(c, GITHUB, '"reader" if "member" on "organization"')).toContain(
      [
        'has_role(actor: Actor, "reader", repository: Repository) if',
        '  has_relation(related_organization, "organization", repository) and',
        '  has_role(actor, "member", related_organization);',
      ].join("\n"),
    );
    expect(await hoverAt(c, GITHUB, '"push" if "writer"')).toContain(
      'has_permission(actor: Actor, "push", repository: Repository) if\n  has_role(actor, "writer", repository);',
    );
  });

  it("shows the rule types generated from the resource blocks on has_relation and has_role", async () => {
    const c = await started();
    const relation = await hoverAt(c, GITHUB, 'has_relation(org: Organization, "organization"');
    expect(relation).toContain("one of these rule types");
    for (const t of [
      'type has_relation(subject: Organization, "organization", object: Repository);  # from the resource blocks',
      'type has_relation(subject: Repository, "repository", object: Issue);  # from the resource blocks',
      'type has_relation(subject: User, "author", object: Issue);  # from the resource blocks',
    ]) {
      expect(relation).toContain(t);
    }
    expect(await hoverAt(c, GITHUB, "has_role(user: User, name: String, org")).toContain(
      "type has_role(actor: Actor, role: String, resource: Resource);  # from the resource blocks",
    );
    // With a syntax error the load stops before the blocks: the declared and default types only.
    const broken = `${GITHUB}\nbroken(x) if x = ;\n`;
    client?.dispose();
    const d = await started(broken);
    expect(await hoverAt(d, broken, 'has_relation(org: Organization, "organization"')).toContain(
      "no rule type declared",
    );
  });

  it("shows it in a file with a syntax error too, from the tolerant parse", async () => {
    const broken = `${GITHUB}\nbroken(x) if x = ;\n`;
    const c = await started(broken);
    expect(await hoverAt(c, broken, '"push" if "writer"')).toContain(
      'has_permission(actor: Actor, "push", repository: Repository) if\n  has_role(actor, "writer", repository);',
    );
  });

  it("says why there is none when Oso generates no rule from it", async () => {
    const invalid = GITHUB.replace('"push" if "writer";', '"push" if "no_such_role";');
    const c = await started(invalid);
    expect(await hoverAt(c, invalid, '"push" if "no_such_role"')).toContain("once the policy's resource blocks load");
  });
});
