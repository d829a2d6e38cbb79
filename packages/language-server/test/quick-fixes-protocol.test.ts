/**
 * The quick fixes as an LSP client sees them: the capability names the kind; a request narrowed to
 * other kinds gets none; a diagnostic without a range (published at 0:0) is offered at 0:0 or when
 * the client names it, not elsewhere; every action is a `quickfix` carrying the diagnostic as it
 * was published. And the spelling suggestions the did-you-mean fixes rest on.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { CodeAction, Diagnostic, InitializeResult, Range } from "vscode-languageserver";
import { editDistance, suggestions } from "../src/quick-fixes/did-you-mean.js";
import { openPolicy } from "./quick-fix-harness.js";
import { inProcess, uri, type TestClient } from "./helpers.js";

const A = uri("policy.polar", "/protocol");

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

async function actions(
  c: TestClient,
  range: Range,
  diagnostics: Diagnostic[] = [],
  only?: string[],
): Promise<CodeAction[]> {
  return c.connection.sendRequest<CodeAction[]>("textDocument/codeAction", {
    textDocument: { uri: A },
    range,
    context: { diagnostics, ...(only === undefined ? {} : { only }) },
  });
}

const at = (line: number, character: number): Range => ({
  start: { line, character },
  end: { line, character },
});

describe("quick fixes over LSP", () => {
  it("are announced in the capabilities", async () => {
    client = inProcess();
    const result = (await client.initialize()) as InitializeResult;
    const provider = result.capabilities.codeActionProvider;
    expect(typeof provider === "object" && provider.codeActionKinds).toContain("quickfix");
  });

  it("carry the published diagnostic, and only the asked kinds are offered", async () => {
    const text = "allow(actor, action, resource) if\n  is_alowed(actor, action, resource);\nis_allowed(_a, _b, _c);\n";
    const c = (client = await openPolicy(new Map([[A, text]])));
    const published = c.latest(A)?.diagnostics ?? [];
    expect(published.map((d) => d.code)).toEqual(["ValidationError::UndefinedRuleCall"]);
    const [diagnostic] = published;
    const found = await actions(c, at(1, 5));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: "quickfix", isPreferred: true, diagnostics: [diagnostic] });
    expect(await actions(c, at(1, 5), [], ["quickfix"])).toHaveLength(1);
    expect(await actions(c, at(1, 5), [], ["refactor"])).toEqual([]);
    // Off the diagnostic's range: nothing.
    expect(await actions(c, at(2, 3))).toEqual([]);
  });

  it("offers the fixes of every diagnostic a range covers, each with its own diagnostic", async () => {
    const text = [
      "allow(actor, action, resource) if is_alowed(actor, action, resource);",
      "allow(actor, action, resource) if is_allowd(actor, action, resource);",
      "allow(actor, action, resource) if is_alowed(actor, action, resource) and actor = 1 or action = 2;",
      "is_allowed(_a, _b, _c);",
      "",
    ].join("\n");
    const c = (client = await openPolicy(new Map([[A, text]])));
    const published = c.latest(A)?.diagnostics ?? [];
    expect(published.map((d) => d.code).sort()).toEqual([
      "ValidationError::UndefinedRuleCall",
      "ValidationError::UndefinedRuleCall",
      "ValidationError::UndefinedRuleCall",
      "ValidationWarning::AmbiguousPrecedence",
    ]);
    const all = await actions(c, { start: { line: 0, character: 0 }, end: { line: 4, character: 0 } });
    expect(all.map((a) => a.title).sort()).toEqual([
      // A long term is shortened in the title.
      "Add parentheses: (is_alowed(actor, action, resource) and …)",
      "Change is_allowd to is_allowed",
      "Change is_alowed to is_allowed",
      "Change is_alowed to is_allowed",
    ]);
    // One action per diagnostic, each naming its own.
    const named = all.flatMap((a) => a.diagnostics ?? []);
    expect(named.map((d) => JSON.stringify(d.range)).sort()).toEqual(
      published.map((d) => JSON.stringify(d.range)).sort(),
    );
  });

  it("offers a fix for a diagnostic without a range at 0:0, or when the client names it", async () => {
    const text = "# no allow rule\nf(x) if x = 1;\n";
    const c = (client = await openPolicy(new Map([[A, text]])));
    const published = c.latest(A)?.diagnostics ?? [];
    expect(published.map((d) => d.code)).toEqual(["ValidationWarning::MissingAllowRule"]);
    expect(await actions(c, at(0, 0))).toHaveLength(1);
    expect(await actions(c, at(1, 3))).toEqual([]);
    expect(await actions(c, at(1, 3), published)).toHaveLength(1);
  });

  it("offers nothing for a document with a syntax error (its load reports only that)", async () => {
    const c = (client = await openPolicy(new Map([[A, "allow(a, b, c) if has_permision(a, b, c) and ;\n"]])));
    expect(c.latest(A)?.diagnostics.map((d) => d.code)).toEqual(["ParseError::UnrecognizedToken"]);
    expect((await actions(c, at(0, 20))).filter((a) => a.kind === "quickfix")).toEqual([]);
  });
});

describe("spelling suggestions", () => {
  it("measures insertions, deletions, substitutions and swaps as one edit each", () => {
    expect(editDistance("member", "member")).toBe(0);
    expect(editDistance("membr", "member")).toBe(1);
    expect(editDistance("memebr", "member")).toBe(1);
    expect(editDistance("nember", "member")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    // Past `max` it stops early, answering something larger than `max`.
    expect(editDistance("abcdefgh", "zyxwvuts", 2)).toBeGreaterThan(2);
  });

  it("suggests the nearest names within two fifths of the length, nearest first", () => {
    const names = ["has_permission", "has_role", "has_relation", "allow"];
    expect(suggestions("has_permision", names)[0]).toEqual({ name: "has_permission", distance: 1 });
    expect(suggestions("has_rol", names).map((s) => s.name)).toEqual(["has_role"]);
    expect(suggestions("has_rel", names).map((s) => s.name)).toEqual(["has_role"]);
    expect(suggestions("unrelated", names)).toEqual([]);
  });

  it("never suggests the name itself, and only a case change for very short names", () => {
    expect(suggestions("f", ["f", "g", "F"]).map((s) => s.name)).toEqual(["F"]);
    expect(suggestions("ab", ["ac", "abc"])).toEqual([]);
    expect(suggestions("Allow", ["allow", "allot"]).map((s) => s.name)).toEqual(["allow", "allot"]);
  });
});
