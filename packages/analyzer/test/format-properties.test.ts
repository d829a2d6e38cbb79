/**
 * Property tests of the formatter on generated policies (generators.ts: every grammar construct,
 * mostly parsing), with and without comments injected between random tokens: a text that parses
 * formats to a fixpoint with the same codes, statistics and comments; a text that does not parse
 * gets no edits; nothing throws.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDocumentEdits, formatPolar, formatRangeEdits } from "../src/format/index.js";
import { parseFile } from "../src/parser.js";
import { checkFormatted } from "./format-support.js";
import { mutatedPolicy, polarPolicy, roughTokens } from "./generators.js";

const SEED = 1101;

/** Inserts `# cN` comments (each ending its line) after the tokens at the given positions. */
function withComments(text: string, positions: readonly number[]): string {
  const tokens = roughTokens(text);
  const at = new Set(positions.map((p) => p % Math.max(tokens.length, 1)));
  return tokens.map((t, i) => (at.has(i) ? `${t} # c${i}\n` : t)).join("");
}

const commented = fc
  .tuple(polarPolicy, fc.array(fc.nat(), { maxLength: 6 }))
  .map(([text, positions]) => withComments(text, positions));

function applyEdits(text: string, edits: readonly { start: number; end: number; newText: string }[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start))
    out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

describe("formatter properties", () => {
  it("generated policies: fixpoint, same codes, statistics and comments", () => {
    let parsed = 0;
    fc.assert(
      fc.property(polarPolicy, (text) => {
        if (!parseFile({ name: "p.polar", text }).ok) {
          expect(formatPolar(text)).toBeNull();
          return;
        }
        parsed++;
        expect(checkFormatted([{ name: "p.polar", text }])).toBe(1);
      }),
      { seed: SEED, numRuns: 400 },
    );
    expect(parsed).toBeGreaterThan(40);
  });

  it("generated policies with comments between any tokens", () => {
    let parsed = 0;
    fc.assert(
      fc.property(commented, (text) => {
        if (!parseFile({ name: "p.polar", text }).ok) return;
        parsed++;
        expect(checkFormatted([{ name: "p.polar", text }])).toBe(1);
      }),
      { seed: SEED, numRuns: 400 },
    );
    expect(parsed).toBeGreaterThan(40);
  });

  it("document edits give the formatted text; text that does not parse gets none; nothing throws", () => {
    fc.assert(
      fc.property(fc.oneof(polarPolicy, mutatedPolicy, commented), (text) => {
        const result = formatPolar(text);
        const edits = formatDocumentEdits(text);
        if (result === null) expect(edits).toEqual([]);
        else expect(applyEdits(text, edits)).toBe(result.text);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it("range edits at any offset: the text still parses to the same codes, and a full format after them is the full format", () => {
    fc.assert(
      fc.property(commented, fc.nat(), fc.nat(), (text, a, b) => {
        const full = formatPolar(text);
        const start = Math.min(a, b) % (text.length + 1);
        const end = Math.max(start, Math.max(a, b) % (text.length + 1));
        const edits = formatRangeEdits(text, start, end);
        if (full === null) {
          expect(edits).toEqual([]);
          return;
        }
        const after = applyEdits(text, edits);
        expect(formatPolar(after)?.text).toBe(full.text);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
