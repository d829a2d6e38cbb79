/**
 * The order measures the storage-privacy suites rely on (`kendallTau`, `fixedShuffle` in
 * `helpers.ts`): if tau stopped telling an ordered column from a shuffled one, those suites would
 * pass on a store that keeps arrival order. And the seeded generator (`seededRandom`) the parity
 * and payload suites draw their mixes from: a stuck one would send one event shape again and again.
 */
import { describe, expect, it } from "vitest";
import { fixedShuffle, kendallTau, seededRandom } from "./helpers.js";

describe("kendallTau", () => {
  it("is 1 for the same order, -1 for the reverse, for numbers and strings", () => {
    const ranks = [0, 1, 2, 3, 4, 5];
    expect(kendallTau(ranks.map((r): [number, number] => [r, r * 10]))).toBe(1);
    expect(kendallTau(ranks.map((r): [number, number] => [r, -r]))).toBe(-1);
    expect(kendallTau(ranks.map((r): [number, string] => [r, String.fromCharCode(97 + r)]))).toBe(1);
    expect(kendallTau(ranks.map((r): [number, string] => [r, String.fromCharCode(122 - r)]))).toBe(-1);
  });

  it("counts ties as neither and gives a partial order its share", () => {
    // All equal: nothing concordant, nothing discordant.
    expect(kendallTau([0, 1, 2, 3].map((r): [number, number] => [r, 7]))).toBe(0);
    // 4 items, one swapped neighbour pair: 5 concordant, 1 discordant of 6.
    expect(kendallTau([0, 1, 3, 2].map((v, r): [number, number] => [r, v]))).toBeCloseTo(4 / 6, 12);
    // Two ties among 4 (values 1,1,2,2): 4 concordant pairs, 2 tied, of 6.
    expect(kendallTau([1, 1, 2, 2].map((v, r): [number, number] => [r, v]))).toBeCloseTo(4 / 6, 12);
  });

  it("is small on a fixed shuffle and refuses fewer than two pairs", () => {
    const order = fixedShuffle(40, 7);
    expect(Math.abs(kendallTau(order.map((v, r): [number, number] => [r, v])))).toBeLessThan(0.5);
    expect(() => kendallTau([[0, 1]])).toThrow(/two pairs/);
  });
});

describe("fixedShuffle", () => {
  it("is a permutation of 0..n-1, the same for a seed, different across seeds, and not the identity", () => {
    const a = fixedShuffle(40, 7);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(fixedShuffle(40, 7)).toEqual(a);
    expect(fixedShuffle(40, 11)).not.toEqual(a);
    expect(a.filter((v, i) => v === i).length).toBeLessThan(10);
  });
});

describe("seededRandom", () => {
  it("repeats its sequence for a seed, differs across seeds, and spreads over [0, 1)", () => {
    const draw = (seed: number, n: number): number[] => {
      const r = seededRandom(seed);
      return Array.from({ length: n }, () => r());
    };
    const a = draw(12, 2000);
    expect(draw(12, 2000)).toEqual(a);
    expect(draw(13, 2000)).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(1990);
    // Every tenth of [0, 1) gets its share (200 expected each).
    const tenths = Array.from({ length: 10 }, (_, i) => a.filter((x) => Math.floor(x * 10) === i).length);
    for (const n of tenths) expect(n).toBeGreaterThan(140);
  });
});
