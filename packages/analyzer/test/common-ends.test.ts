import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { commonEnds, PieceText } from "../src/index.js";

/** The longest common prefix, then the longest common suffix of what is left: one character at a time. */
function naiveEnds(a: string, b: string): [number, number] {
  const max = Math.min(a.length, b.length);
  let p = 0;
  while (p < max && a[p] === b[p]) p++;
  let s = 0;
  while (s < max - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  return [p, s];
}

/** A text cut into pieces by a series of splices, so it is read through several pieces. */
function pieced(text: string, cuts: readonly number[]): PieceText {
  let pieces = PieceText.of("");
  let at = 0;
  for (const cut of [...cuts, text.length]) {
    const end = Math.max(at, Math.min(cut, text.length));
    pieces = pieces.splice(pieces.length, pieces.length, text.slice(at, end));
    at = end;
  }
  return pieces;
}

describe("commonEnds", () => {
  // Small alphabets make long common runs; repeated blocks cross the chunk sizes (65536, 4096, 256, 16, 1).
  const text = fc
    .tuple(fc.string({ unit: fc.constantFrom("a", "b", "\n"), maxLength: 40 }), fc.nat({ max: 5000 }))
    .map(([s, n]) => s + "x".repeat(n) + s);
  const edit = fc.tuple(text, fc.nat(), fc.nat(), fc.string({ unit: fc.constantFrom("a", "x", "\n"), maxLength: 8 }));

  it("equals the character-by-character prefix and suffix, for strings and for pieces", () => {
    fc.assert(
      fc.property(edit, fc.array(fc.nat(), { maxLength: 5 }), ([a, i, j, insert], cuts) => {
        const start = Math.min(i, j) % (a.length + 1);
        const end = Math.max(i, j) % (a.length + 1);
        const b = a.slice(0, start) + insert + a.slice(Math.max(start, end));
        const expected = naiveEnds(a, b);
        expect(commonEnds(a, b)).toEqual(expected);
        expect(commonEnds(pieced(a, cuts), b)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("never lets the suffix overlap the prefix", () => {
    expect(commonEnds("aaaa", "aa")).toEqual([2, 0]);
    expect(commonEnds("abab", "ab")).toEqual([2, 0]);
    expect(commonEnds("x".repeat(70000), "x".repeat(69999))).toEqual([69999, 0]);
  });
});
