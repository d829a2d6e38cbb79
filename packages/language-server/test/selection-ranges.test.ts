/**
 * Selection ranges over the protocol on examples/github.polar and examples/document-sharing.polar:
 * the chain from the word at the cursor through the terms, the body, to the rule or the block; each
 * range contains the one before it; a file with a syntax error keeps its chains outside the error.
 */
import { TextDocument } from "vscode-languageserver-textdocument";
import { describe, expect, it } from "vitest";
import type { Position, Range, SelectionRange } from "vscode-languageserver";
import { oneDocumentServer, uri, type TestClient, GITHUB, SHARING } from "./helpers.js";

const A = uri("selection.polar");

const started = oneDocumentServer(A);

function before(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.character <= b.character);
}

function inside(inner: Range, outer: Range): boolean {
  return before(outer.start, inner.start) && before(inner.end, outer.end);
}

/** The chain's texts, innermost first; checks each range contains the one before it, and differs. */
function chain(text: string, range: SelectionRange | undefined): string[] {
  const doc = TextDocument.create(A, "polar", 1, text);
  const out: string[] = [];
  for (let r = range; r !== undefined; r = r.parent) {
    if (r.parent !== undefined) {
      expect(inside(r.range, r.parent.range), JSON.stringify(r)).toBe(true);
      expect(r.parent.range).not.toEqual(r.range);
    }
    out.push(doc.getText(r.range));
  }
  return out;
}

function positionOf(text: string, needle: string, delta = 1): Position {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`no ${needle}`);
  const lines = text.slice(0, at + delta).split("\n");
  return { line: lines.length - 1, character: (lines.at(-1) ?? "").length };
}

async function rangesAt(c: TestClient, positions: Position[]): Promise<SelectionRange[]> {
  return c.connection.sendRequest<SelectionRange[]>("textDocument/selectionRange", {
    textDocument: { uri: A },
    positions,
  });
}

describe("selection ranges", () => {
  it("expands a term to its expression, the rule body and the rule", async () => {
    const c = await started(GITHUB);
    const [range] = await rangesAt(c, [positionOf(GITHUB, "membership.role = name", 12)]);
    expect(chain(GITHUB, range)).toEqual([
      "role",
      "membership.role",
      "membership.role = name",
      "membership in user.memberships and\n  membership.organization = org and\n  membership.role = name",
      "has_role(user: User, name: String, org: Organization) if\n  membership in user.memberships and\n  membership.organization = org and\n  membership.role = name;",
    ]);
  });

  it("expands a word in a string of a shorthand rule to the string, the rule and the block", async () => {
    const c = await started(SHARING);
    const [range] = await rangesAt(c, [positionOf(SHARING, '"viewer" if "viewer" on "folder"', 15)]);
    const texts = chain(SHARING, range);
    expect(texts.slice(0, 4)).toEqual([
      "viewer",
      '"viewer"',
      '"viewer" if "viewer" on "folder";',
      expect.stringMatching(/^resource Document \{/),
    ]);
    expect(texts.at(-1)?.endsWith("}")).toBe(true);
  });

  it("expands a parameter to its specializer pair, the head and the rule", async () => {
    const c = await started(SHARING);
    const [range] = await rangesAt(c, [positionOf(SHARING, "folder: Folder) if role in", 2)]);
    const texts = chain(SHARING, range);
    expect(texts.slice(0, 3)).toEqual([
      "folder",
      "folder: Folder",
      "has_role(user: User, role: String, folder: Folder)",
    ]);
    expect(texts[3]).toMatch(
      /^has_role\(user: User, role: String, folder: Folder\) if role in folder\.roles_of\(user\.id\);$/,
    );
  });

  it("answers one chain per position, every chain nested, at many positions", async () => {
    const c = await started(GITHUB);
    const lines = GITHUB.split("\n");
    const positions: Position[] = [];
    lines.forEach((l, line) => {
      for (let character = 0; character <= l.length; character += 3) positions.push({ line, character });
    });
    const ranges = await rangesAt(c, positions);
    expect(ranges).toHaveLength(positions.length);
    let deep = 0;
    ranges.forEach((r, i) => {
      const p = positions[i] as Position;
      expect(before(r.range.start, p) && before(p, r.range.end)).toBe(true);
      if (chain(GITHUB, r).length >= 3) deep++;
    });
    expect(deep).toBeGreaterThan(positions.length / 3);
  });

  it("keeps working in a file with a syntax error", async () => {
    const broken = GITHUB.replace("resource Issue {", "resource Issue {\n  roles = [;\n");
    const c = await started(broken);
    const [range] = await rangesAt(c, [positionOf(broken, "membership.role = name", 12)]);
    expect(chain(broken, range)).toContain("membership.role = name");
  });
});
