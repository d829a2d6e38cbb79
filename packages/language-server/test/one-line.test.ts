/**
 * `oneLine` (features.ts: an outline item's detail, a rule type in a hover) reads the text
 * character by character instead of with a RegExp, so that no slice of the document's text, nor
 * V8's record of the last RegExp match, keeps the whole text alive: it must render exactly as the
 * RegExp version did, on any text (every kind of white space, surrogates, long lines).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { oneLine } from "../src/features.js";

/** The RegExp version it replaces. */
function byRegExp(s: string): string {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}

const SPACES = [" ", "\t", "\n", "\r", "\v", "\f", "\u00a0", "\u1680", "\u2000", "\u200a", "\u2028", "\u2029"];
const MORE_SPACES = ["\u202f", "\u205f", "\u3000", "\ufeff", "\u200b", "\u0085", "\u180e"];

describe("oneLine", () => {
  it("renders as /\\s+/g → one space, trimmed, at most 120 characters", () => {
    const piece = fc.oneof(
      fc.constantFrom(...SPACES, ...MORE_SPACES, "a", "é", "\u{1F600}", "\ud800", "(", "x: Y"),
      fc.string({ maxLength: 8 }),
      fc.string({ unit: "binary", maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 120 }), (pieces) => {
        const s = pieces.join("");
        expect(oneLine(s)).toBe(byRegExp(s));
      }),
      { seed: 20261203, numRuns: 2000 },
    );
    for (const n of [118, 119, 120, 121, 122, 200]) {
      const s = `  ${"a ".repeat(n)}\n`;
      expect(oneLine(s)).toBe(byRegExp(s));
      expect(oneLine("b".repeat(n))).toBe(byRegExp("b".repeat(n)));
      expect(oneLine(`${"c".repeat(n - 1)}   d`)).toBe(byRegExp(`${"c".repeat(n - 1)}   d`));
    }
  });
});
