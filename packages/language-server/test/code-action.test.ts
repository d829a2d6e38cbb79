/**
 * The `refactor.rewrite` code action on shorthand rules, over the protocol on
 * examples/github.polar and examples/document-sharing.polar: every shorthand rule is offered, the
 * edit applied and the policy analysed again reports the same diagnostic codes, with one more
 * longhand rule and one shorthand rule fewer; it works in a file with a syntax error; a rewrite
 * that would change the diagnostics is offered disabled.
 */
import { Policy } from "@polar-ide/analyzer";
import { TextDocument } from "vscode-languageserver-textdocument";
import { describe, expect, it } from "vitest";
import type { CodeAction, Range } from "vscode-languageserver";
import { oneDocumentServer, uri, type TestClient, GITHUB, SHARING } from "./helpers.js";

const A = uri("policy.polar");

const started = oneDocumentServer(A);

function analysed(text: string): { codes: string[]; longhand: number; shorthand: number } {
  const policy = new Policy();
  policy.set(A, text);
  const a = policy.analyze();
  return {
    codes: a.diagnostics.map((d) => d.code).sort(),
    longhand: a.stats.policy_stats.longhand_rules,
    shorthand: a.stats.resource_block_stats.shorthand_rules,
  };
}

function applyEdit(text: string, action: CodeAction | undefined): string {
  const edits = action?.edit?.changes?.[A];
  if (edits === undefined) throw new Error(`no edit in ${JSON.stringify(action)}`);
  return TextDocument.applyEdits(TextDocument.create(A, "polar", 1, text), edits);
}

/** Offsets of every shorthand rule (`"x" if "y"…;` lines inside blocks). */
function shorthandLines(text: string): { line: number; character: number; source: string }[] {
  return text
    .split("\n")
    .map((source, line) => ({ line, character: source.indexOf('"') + 1, source }))
    .filter(({ source }) => /^\s+"[^"]+" if "[^"]+"( on "[^"]+")?;$/.test(source));
}

async function actionsAt(c: TestClient, range: Range, only?: string[]): Promise<CodeAction[]> {
  return c.connection.sendRequest<CodeAction[]>("textDocument/codeAction", {
    textDocument: { uri: A },
    range,
    context: { diagnostics: [], ...(only === undefined ? {} : { only }) },
  });
}

describe("rewrite a shorthand rule as its longhand rule", () => {
  for (const [name, text] of [
    ["github.polar", GITHUB],
    ["document-sharing.polar", SHARING],
  ] as const) {
    it(`keeps the diagnostics of ${name} for every shorthand rule, one more longhand rule each`, async () => {
      const c = await started(text);
      const before = analysed(text);
      const lines = shorthandLines(text);
      expect(lines.length).toBeGreaterThan(5);
      for (const { line, character, source } of lines) {
        const position = { line, character };
        const actions = await actionsAt(c, { start: position, end: position });
        expect(actions, source).toHaveLength(1);
        const action = actions[0];
        expect(action?.kind).toBe("refactor.rewrite");
        expect(action?.disabled).toBeUndefined();
        const after = applyEdit(text, action);
        // The shorthand line is gone (a line may be in two blocks), the rule is at top level.
        const count = (t: string): number => t.split("\n").filter((l) => l === source).length;
        expect(count(after)).toBe(count(text) - 1);
        const now = analysed(after);
        expect(now.codes, source).toEqual(before.codes);
        expect(now.longhand).toBe(before.longhand + 1);
        expect(now.shorthand).toBe(before.shorthand - 1);
      }
    });
  }

  it("writes the rule the hover shows, after the block", async () => {
    const c = await started(GITHUB);
    const line = GITHUB.split("\n").findIndex((l) => l.includes('"reader" if "member" on "organization"'));
    const actions = await actionsAt(c, { start: { line, character: 4 }, end: { line, character: 4 } });
    const after = applyEdit(GITHUB, actions[0]);
    const block = after.indexOf("resource Repository {");
    const close = after.indexOf("\n}", block) + 2;
    expect(after.slice(close)).toMatch(
      /^\n\nhas_role\(actor: Actor, "reader", repository: Repository\) if\n {2}has_relation\(related_organization, "organization", repository\) and\n {2}has_role\(actor, "member", related_organization\);\n/,
    );
    expect(after.slice(block, close)).not.toContain('"reader" if "member"');
  });

  it("offers nothing off shorthand rules, or when only other kinds are asked for", async () => {
    const c = await started(GITHUB);
    const line = GITHUB.split("\n").findIndex((l) => l.startsWith("has_role(user: User"));
    expect(await actionsAt(c, { start: { line, character: 2 }, end: { line, character: 2 } })).toEqual([]);
    const shorthand = shorthandLines(GITHUB)[0];
    if (shorthand === undefined) throw new Error("no shorthand");
    const at = { start: shorthand, end: shorthand };
    expect(await actionsAt(c, at, ["quickfix"])).toEqual([]);
    expect(await actionsAt(c, at, ["refactor"])).toHaveLength(1);
  });

  it("offers one action per shorthand rule a selection covers", async () => {
    const c = await started(GITHUB);
    const lines = shorthandLines(GITHUB).slice(0, 3);
    const first = lines[0];
    const last = lines.at(-1);
    if (first === undefined || last === undefined) throw new Error("no shorthand");
    const actions = await actionsAt(c, { start: { line: first.line, character: 0 }, end: last });
    expect(actions).toHaveLength(3);
  });

  it("works in a file with a syntax error", async () => {
    const broken = `${GITHUB}\nbroken(x) if x = ;\n`;
    const c = await started(broken);
    const { line, character } = shorthandLines(broken)[4] ?? { line: 0, character: 0 };
    const actions = await actionsAt(c, { start: { line, character }, end: { line, character } });
    expect(actions).toHaveLength(1);
    const after = applyEdit(broken, actions[0]);
    // With the error removed, the policy reports what it reported before, with the rule rewritten.
    const fixed = analysed(after.replace("\nbroken(x) if x = ;\n", "\n"));
    const original = analysed(GITHUB);
    expect(fixed.codes).toEqual(original.codes);
    expect(fixed.longhand).toBe(original.longhand + 1);
  });

  it("is disabled, with the reason, when the longhand rule would change the diagnostics", async () => {
    // No has_relation rule: the shorthand rule traversing "parent" makes its rule type required
    // (MissingRequiredRule); rewritten, the rule type would no longer be required.
    const text = `actor User {}
resource Org { roles = ["member"]; }
resource Repo {
  roles = ["reader"];
  relations = { parent: Org };
  "reader" if "member" on "parent";
}
has_role(_: User, _: String, _: Resource);
`;
    expect(analysed(text).codes).toContain("ValidationError::MissingRequiredRule");
    const c = await started(text);
    const actions = await actionsAt(c, { start: { line: 5, character: 4 }, end: { line: 5, character: 4 } });
    expect(actions).toHaveLength(1);
    expect(actions[0]?.edit).toBeUndefined();
    expect(actions[0]?.disabled?.reason).toContain("-1 ValidationError::MissingRequiredRule");
  });
});
