/**
 * The random edits the big-file suites apply (`randomEdit`, `applyEdit` from `@polar-ide/testing`,
 * shared with the language server's big-file suite): an `applyEdit` that dropped its edit would let
 * those property tests pass without ever editing the file.
 */
import fc from "fast-check";
import { applyEdit, randomEdit } from "@polar-ide/testing";
import { describe, expect, it } from "vitest";

describe("applyEdit", () => {
  it("inserts and removes at the fraction of the length + 1", () => {
    expect(applyEdit("abcdef", { at: 0, remove: 0, text: "X" })).toBe("Xabcdef");
    expect(applyEdit("abcdef", { at: 0.5, remove: 2, text: "X" })).toBe("abcXf");
    expect(applyEdit("abcdef", { at: 0.99, remove: 0, text: "X" })).toBe("abcdefX");
    expect(applyEdit("abcdef", { at: 0.6, remove: 12, text: "" })).toBe("abcd");
    expect(applyEdit("", { at: 0.3, remove: 4, text: "Y" })).toBe("Y");
  });

  it("refuses a place outside [0, 1)", () => {
    expect(() => applyEdit("abc", { at: 1, remove: 0, text: "" })).toThrow(/fraction/);
    expect(() => applyEdit("abc", { at: Number.NaN, remove: 0, text: "" })).toThrow(/fraction/);
  });
});

describe("randomEdit", () => {
  it("draws places over the whole text, removals up to the bound and only the given snippets", () => {
    const edits = fc.sample(randomEdit(["p", "q\n"], 5), { numRuns: 400, seed: 7 });
    expect(edits.every((e) => e.at >= 0 && e.at < 1)).toBe(true);
    expect(new Set(edits.map((e) => e.text))).toEqual(new Set(["p", "q\n", ""]));
    expect(new Set(edits.map((e) => e.remove))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    expect(edits.some((e) => e.at < 0.1) && edits.some((e) => e.at > 0.9)).toBe(true);
    // Most drawn edits change a text.
    const text = "resource Doc {}\n".repeat(4);
    expect(edits.filter((e) => applyEdit(text, e) !== text).length).toBeGreaterThan(300);
  });

  it("needs a snippet", () => {
    expect(() => randomEdit([])).toThrow(/snippet/);
  });
});
