/**
 * The outline's item budget (`OUTLINE_MAX_ITEMS`, features.ts): an answer holds every top-level
 * item and whole nested levels while the total stays within the budget. After random edits of a
 * big document, with budgets changing between requests (each item's symbols are cached per
 * position and depth), every answer must equal the unlimited outline of a fresh server pruned to
 * the depth the budget allows; on clean policies that depth must be the deepest one that fits.
 */
import fc from "fast-check";
import { applyEdit, bigPolicy, editOffsets, randomEdit } from "@polar-ide/testing";
import type { DocumentSymbol } from "vscode-languageserver";
import { describe, expect, it, vi } from "vitest";
import { applyContentChanges, Documents, type Tracked } from "../src/documents.js";
import { LineTableDocument } from "../src/line-table-document.js";
import { documentSymbols, outlineDepth, OUTLINE_MAX_ITEMS } from "../src/features.js";

const URI = "file:///big.polar";

const BIG = bigPolicy(40, (i) => [
  `visible_${i}(user: User, d: Doc${i}) if d.public = true or has_permission(user, "read", d);`,
  i % 5 === 2 ? `type typed_${i}(d: Doc${i});` : `typed_${i}(d: Doc${i}) if d.ok;`,
]);

const SNIPPETS = ["x", " ", "\n", "# c\n", ";", '"', "}", "{", '"r", ', "f(1);\n", "resource R {", "roles = [1];"];

/** The outline cut below `depth` (1: top-level items only), as a fresh answer at that depth looks. */
function prune(symbols: readonly DocumentSymbol[], depth: number): DocumentSymbol[] {
  return symbols.map((s) => {
    const { children, ...rest } = s;
    if (children === undefined || depth <= 1) return rest;
    return { ...rest, children: prune(children, depth - 1) };
  });
}

/** Items per level of an outline: [top level, second, third]. */
function levels(symbols: readonly DocumentSymbol[]): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  const visit = (ss: readonly DocumentSymbol[], level: number): void => {
    for (const s of ss) {
      out[level] = (out[level] ?? 0) + 1;
      if (s.children !== undefined && level < 2) visit(s.children, level + 1);
    }
  };
  visit(symbols, 0);
  return out;
}

function count(symbols: readonly DocumentSymbol[]): number {
  return symbols.reduce((n, s) => n + 1 + count(s.children ?? []), 0);
}

function freshView(text: string): ReturnType<Documents["parsed"]> {
  const docs = new Documents();
  docs.upsert(URI, 1, text);
  return docs.parsed(docs.get(URI) as Tracked);
}

describe("the outline's item budget", () => {
  it("keeps every top-level item and the deepest whole levels that fit, on clean policies", () => {
    const full = documentSymbols(freshView(BIG));
    const [top, second, third] = levels(full);
    expect(third).toBeGreaterThan(0);
    expect(count(full)).toBe(top + second + third);
    const budgets = [0, 1, top, top + second - 1, top + second, count(full) - 1, count(full), OUTLINE_MAX_ITEMS];
    for (const budget of budgets) {
      const expectedDepth = top + second + third <= budget ? 3 : top + second <= budget ? 2 : 1;
      const view = freshView(BIG);
      expect(outlineDepth(view.lines, budget), `budget ${budget}`).toBe(expectedDepth);
      const answer = documentSymbols(view, budget);
      expect(answer, `budget ${budget}`).toEqual(prune(full, expectedDepth));
      if (expectedDepth > 1) expect(count(answer)).toBeLessThanOrEqual(budget);
    }
  });

  it("equals a fresh server's outline pruned to the budget's depth after random edits, budgets changing", () => {
    const full = levels(documentSymbols(freshView(BIG)));
    // Budgets around the level boundaries of the unedited policy, so that edits cross them.
    const budget = fc.constantFrom(
      full[0] - 3,
      full[0] + 2,
      full[0] + full[1] - 2,
      full[0] + full[1] + 3,
      full[0] + full[1] + full[2] - 2,
      Number.POSITIVE_INFINITY,
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(randomEdit(SNIPPETS), fc.array(budget, { minLength: 1, maxLength: 3 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (steps) => {
          const docs = new Documents();
          docs.upsert(URI, 1, BIG);
          let text = BIG;
          // Every item cached at every depth first, as a server answering several budgets would have.
          for (const b of [1, full[0] + full[1], Number.POSITIVE_INFINITY])
            documentSymbols(docs.parsed(docs.get(URI) as Tracked), b);
          steps.forEach(([e, budgets], step) => {
            const change = step % 2 === 0 ? editOffsets(text, e) : null;
            text = applyEdit(text, e);
            docs.upsert(URI, step + 2, text, change);
            const view = docs.parsed(docs.get(URI) as Tracked);
            for (const b of budgets) {
              const fresh = freshView(text);
              const depth = outlineDepth(fresh.lines, b);
              const answer = documentSymbols(view, b);
              expect(answer, `step ${step}, budget ${b}`).toEqual(prune(documentSymbols(fresh), depth));
              if (depth > 1) expect(count(answer)).toBeLessThanOrEqual(b);
            }
          });
        },
      ),
      { seed: 20261202, numRuns: 40 },
    );
  }, 120_000);
});

describe("the outline after a keystroke", () => {
  it("checks where its cached items are without making a position per item, and equals a fresh outline", () => {
    const docs = new Documents();
    docs.upsert(URI, 1, BIG);
    // Ranged changes as didChange applies them: the document then reads the change's line table.
    const type = (version: number, line: number, character: number, text: string): void => {
      const doc = docs.get(URI) as Tracked;
      const changed = applyContentChanges(doc.document, [
        { range: { start: { line, character }, end: { line, character } }, text },
      ]);
      if (changed === null) throw new Error("change refused");
      docs.upsert(URI, version, changed.text, changed.edit);
    };
    const outline = (): DocumentSymbol[] => documentSymbols(docs.parsed(docs.get(URI) as Tracked), OUTLINE_MAX_ITEMS);
    type(2, 0, 0, "# a comment\n");
    outline();
    // A keystroke on the first line: every item keeps its position, the first line's items are made again.
    type(3, 0, 1, "x");
    expect((docs.get(URI) as Tracked).document).toBeInstanceOf(LineTableDocument);
    const positionAt = vi.spyOn(LineTableDocument.prototype, "positionAt");
    try {
      const symbols = outline();
      expect(count(symbols)).toBeGreaterThan(200);
      // A new item's two ranges take four positions; the cached ones take none.
      expect(positionAt.mock.calls.length).toBeLessThanOrEqual(8);
      expect(symbols).toEqual(
        documentSymbols(freshView((docs.get(URI) as Tracked).document.getText()), OUTLINE_MAX_ITEMS),
      );
    } finally {
      positionAt.mockRestore();
    }
  });
});

describe("the outline after a whole-text change", () => {
  /** Full-document sync (Neovim, Emacs, VS Code on some pastes): the change carries the whole text. */
  function replace(docs: Documents, version: number, text: string): void {
    const changed = applyContentChanges((docs.get(URI) as Tracked).document, [{ text }]);
    if (changed === null) throw new Error("change refused");
    docs.upsert(URI, version, changed.text, changed.edit);
  }
  const outline = (docs: Documents): DocumentSymbol[] =>
    documentSymbols(docs.parsed(docs.get(URI) as Tracked), OUTLINE_MAX_ITEMS);
  /** How many of `after`'s items are the very objects of `before` (cached, not made again). */
  const reused = (before: readonly DocumentSymbol[], after: readonly DocumentSymbol[]): number => {
    const previous = new Set(before);
    return after.filter((s) => previous.has(s)).length;
  };

  it("makes again only the items that changed, places the others without a position each, and equals a fresh outline", () => {
    const docs = new Documents();
    docs.upsert(URI, 1, BIG);
    // The line table of a whole-text change is spliced from the tracked one, as a ranged change's.
    replace(docs, 2, `# a comment\n${BIG}`);
    const before = outline(docs);
    // One rule in the middle changes (no line break added): the whole text is sent again.
    const at = BIG.indexOf("visible_20(user: User");
    const text = `# a comment\n${BIG.slice(0, at)}visible_twenty${BIG.slice(at + "visible_20".length)}`;
    replace(docs, 3, text);
    const document = (docs.get(URI) as Tracked).document;
    expect(document).toBeInstanceOf(LineTableDocument);
    const positionAt = vi.spyOn(document, "positionAt");
    try {
      const after = outline(docs);
      expect(after.length).toBe(before.length);
      expect(after.length).toBeGreaterThan(200);
      // Every item but the changed rule is the cached object of the outline before.
      expect(reused(before, after)).toBe(after.length - 1);
      expect(after.find((s) => !before.includes(s))?.name).toBe("visible_twenty");
      // The changed item's two ranges take four positions; the cached ones take none.
      expect(positionAt.mock.calls.length).toBeLessThanOrEqual(8);
      expect(after).toEqual(documentSymbols(freshView(text), OUTLINE_MAX_ITEMS));
    } finally {
      positionAt.mockRestore();
    }
  });

  it("keeps the items before a line break it adds, and equals a fresh outline", () => {
    const docs = new Documents();
    docs.upsert(URI, 1, BIG);
    const before = outline(docs);
    const at = BIG.indexOf("# section 20");
    const text = `${BIG.slice(0, at)}\n${BIG.slice(at)}`;
    replace(docs, 2, text);
    const after = outline(docs);
    // Items after the new line moved a line down (their ranges changed): made again; the others are cached.
    const first = after.findIndex((s) => !before.includes(s));
    expect(first).toBeGreaterThan(50);
    expect(reused(before, after)).toBe(first);
    expect(after).toEqual(documentSymbols(freshView(text), OUTLINE_MAX_ITEMS));
  });
});
