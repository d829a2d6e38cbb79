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
