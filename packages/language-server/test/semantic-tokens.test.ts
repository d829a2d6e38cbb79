/**
 * Semantic tokens over the protocol: the legend, the exact tokens of a small policy, tokens in a
 * file with a syntax error, and deltas: the edits applied to the previous result equal the full
 * result on the new text (examples/github.polar edited several times).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { SemanticTokens, SemanticTokensDelta, SemanticTokensLegend } from "vscode-languageserver";
import { inProcess, uri, type TestClient, GITHUB, SHARING } from "./helpers.js";

const A = uri("tokens.polar");

const POLICY = `# roles
actor User {}
resource Repo {
  roles = ["reader"];
  relations = { parent: Org };
  "reader" if "member" on "parent";
}
allow(actor, "read", repo: Repo) if
  has_role(actor, "reader", repo) and repo.public = true;
`;

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

async function started(text: string): Promise<{ c: TestClient; legend: SemanticTokensLegend }> {
  client = inProcess();
  const c = client;
  const init = (await c.initialize()) as { capabilities: { semanticTokensProvider: { legend: SemanticTokensLegend } } };
  await c.load(() => c.open(A, text));
  return { c, legend: init.capabilities.semanticTokensProvider.legend };
}

function full(c: TestClient): Promise<SemanticTokens> {
  return c.connection.sendRequest<SemanticTokens>("textDocument/semanticTokens/full", { textDocument: { uri: A } });
}

/** Decoded tokens: `line:char text type[.modifier…]`. */
function decode(data: readonly number[], legend: SemanticTokensLegend, text: string): string[] {
  const lines = text.split("\n");
  const out: string[] = [];
  let line = 0;
  let char = 0;
  for (let i = 0; i < data.length; i += 5) {
    const [dl, dc, length, type, mods] = data.slice(i, i + 5) as [number, number, number, number, number];
    line += dl;
    char = dl === 0 ? char + dc : dc;
    const modifiers = legend.tokenModifiers.filter((_, bit) => (mods & (1 << bit)) !== 0);
    const word = (lines[line] ?? "").slice(char, char + length);
    out.push(`${line}:${char} ${word} ${[legend.tokenTypes[type], ...modifiers].join(".")}`);
  }
  return out;
}

describe("semantic tokens", () => {
  it("declares its legend and classifies every token of a small policy", async () => {
    const { c, legend } = await started(POLICY);
    expect(legend.tokenTypes).toEqual(
      expect.arrayContaining(["keyword", "function", "class", "enumMember", "comment"]),
    );
    expect(decode((await full(c)).data, legend, POLICY)).toEqual([
      "0:0 # roles comment",
      "1:0 actor keyword",
      "1:6 User class.declaration",
      "2:0 resource keyword",
      "2:9 Repo class.declaration",
      "3:2 roles keyword",
      "3:8 = operator",
      '3:11 "reader" enumMember.declaration',
      "4:2 relations keyword",
      "4:12 = operator",
      "4:16 parent property",
      "4:24 Org class",
      '5:2 "reader" enumMember',
      "5:11 if keyword",
      '5:14 "member" enumMember',
      "5:23 on keyword",
      '5:26 "parent" enumMember',
      "7:0 allow function.declaration.defaultLibrary",
      "7:6 actor parameter.declaration",
      '7:13 "read" string',
      "7:21 repo parameter.declaration",
      "7:27 Repo class",
      "7:33 if keyword",
      "8:2 has_role function.defaultLibrary",
      "8:11 actor parameter",
      '8:18 "reader" string',
      "8:28 repo parameter",
      "8:34 and keyword",
      "8:38 repo parameter",
      "8:43 public property",
      "8:50 = operator",
      "8:52 true keyword",
    ]);
  });

  it("classifies rule types, declared rules, negation and method calls of document-sharing.polar", async () => {
    const { c, legend } = await started(SHARING);
    const tokens = decode((await full(c)).data, legend, SHARING);
    const line = (needle: string): number => SHARING.split("\n").findIndex((l) => l.includes(needle));
    const at = (needle: string): string =>
      `${line(needle)}:${(SHARING.split("\n")[line(needle)] ?? "").indexOf(needle)}`;
    expect(tokens).toEqual(
      expect.arrayContaining([
        `${at("type is_owner")} type keyword`,
        `${at("is_owner(user: User, document: Document);")} is_owner function.declaration`,
        `${at("not (user.suspended")} not keyword`,
        `${at("String, folder")} String class.defaultLibrary`,
        `${at("roles_of(user.id);")} roles_of method`,
        `${at('"viewer" if "viewer" on')} "viewer" enumMember`,
        `${at("folder: Folder }")} folder property`,
        `${at("Folder }")} Folder class`,
      ]),
    );
    // Every comment line is one comment token.
    const comments = tokens.filter((t) => t.endsWith(" comment")).length;
    expect(comments).toBe(SHARING.split("\n").filter((l) => l.trimStart().startsWith("#")).length);
  });

  it("keeps classifying the rest of a file with a syntax error", async () => {
    const broken = POLICY.replace('roles = ["reader"];', 'roles = ["reader";');
    const { c, legend } = await started(broken);
    const tokens = decode((await full(c)).data, legend, broken);
    // The broken declaration is out of the tolerant parse: its keyword reads as a plain variable.
    expect(tokens).toContain("3:2 roles variable");
    // The rule after the block still has its parameters and rule names.
    expect(tokens).toContain("7:0 allow function.declaration.defaultLibrary");
    expect(tokens).toContain("8:38 repo parameter");
    expect(tokens).toContain("0:0 # roles comment");
  });

  it("answers deltas that, applied to the previous result, give the full result of the new text", async () => {
    const { c } = await started(GITHUB);
    let previous = await full(c);
    let text = GITHUB;
    const edits: ((t: string) => string)[] = [
      (t) => t.replace('"read" if "member";', '"read" if "member";\n  "read" if "admin";'),
      (t) => t.replace("# A GitHub-like", "# Another GitHub-like"),
      (t) =>
        t.replace(
          "has_role(user: User, name: String, org: Organization) if",
          "has_role(u: User, name: String, org: Organization) if",
        ),
      (t) => `${t}\nextra(x) if x > 1;\n`,
      (t) => t.replace("resource Issue {", "resource Issue {\n  roles = [;\n"),
    ];
    let version = 1;
    let deltas = 0;
    for (const edit of edits) {
      text = edit(text);
      await c.load(() => c.change(A, text, ++version));
      const answer = await c.connection.sendRequest<SemanticTokens | SemanticTokensDelta>(
        "textDocument/semanticTokens/full/delta",
        { textDocument: { uri: A }, previousResultId: previous.resultId },
      );
      let data = [...previous.data];
      if ("edits" in answer) {
        deltas++;
        // Edits are relative to the previous data; apply from the last to the first.
        for (const e of [...answer.edits].sort((a, b) => b.start - a.start)) {
          data.splice(e.start, e.deleteCount, ...(e.data ?? []));
        }
        expect(answer.edits.length).toBeGreaterThan(0);
      } else {
        data = answer.data;
      }
      const now = await full(c);
      expect(data).toEqual(now.data);
      previous = now;
    }
    expect(deltas).toBe(edits.length);
  });

  it("answers an unknown previous result with the full tokens", async () => {
    const { c } = await started(POLICY);
    const expected = await full(c);
    const answer = await c.connection.sendRequest<SemanticTokens | SemanticTokensDelta>(
      "textDocument/semanticTokens/full/delta",
      { textDocument: { uri: A }, previousResultId: "no-such-result" },
    );
    expect("data" in answer ? answer.data : null).toEqual(expected.data);
  });
});
