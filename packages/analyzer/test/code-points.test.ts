import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareCodePoints } from "../src/code-points.js";

/** Reference: compare the code point sequences the string iterator yields (lone surrogates as their unit). */
function reference(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) ?? 0);
  const y = Array.from(b, (c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (x[i] ?? 0) < (y[i] ?? 0) ? -1 : 1;
  }
  return Math.sign(x.length - y.length);
}

/** Units around the boundaries that matter: ASCII, the surrogate ranges, U+E000–FFFF. */
const UNITS = [0x41, 0x7a, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfffd, 0xffff];
const tricky = fc.array(fc.constantFrom(...UNITS), { maxLength: 6 }).map((us) => String.fromCharCode(...us));

describe("compareCodePoints", () => {
  it.each([
    ["a", "b", -1],
    ["b", "a", 1],
    ["ab", "ab", 0],
    ["a", "ab", -1],
    ["\uff5e", "\ud83d\ude00", -1], // U+FF5E before U+1F600, although its UTF-16 unit is larger
    ["\ud83d\ude00", "\uffff", 1],
    ["\ud800", "\ue000", -1], // a lone surrogate counts as its unit
    ["\udc00", "\ud800\udc00", -1],
    ["\ud800\udc00", "\ud800", 1],
    ["\ud800\udc00", "\ud800\uffff", 1],
  ] as const)("%j vs %j -> %d", (a, b, expected) => {
    expect(compareCodePoints(a, b)).toBe(expected);
  });

  it("orders like the code point sequences, lone surrogates included", () => {
    fc.assert(
      fc.property(tricky, tricky, (a, b) => {
        expect(compareCodePoints(a, b)).toBe(reference(a, b));
      }),
      { numRuns: 5000 },
    );
  });

  it("orders any strings like the code point sequences", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        expect(compareCodePoints(a, b)).toBe(reference(a, b));
      }),
      { numRuns: 2000 },
    );
  });
});
