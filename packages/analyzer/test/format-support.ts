/**
 * What every formatter test checks on a policy: the output is a fixpoint, loads with the same
 * diagnostic codes (in order) and the same statistics (characters aside), and holds every comment
 * of the input once, in order. Comments are found with the generators' regex tokenizer, not the
 * formatter's own scanner, so that a scanner bug cannot hide a lost comment.
 */
import { expect } from "vitest";
import { diagnosticLoad } from "../src/load.js";
import { formatPolar } from "../src/format/index.js";
import { parseFile } from "../src/parser.js";
import { fileStats, type PolicyStatistics } from "../src/stats.js";
import { roughTokens } from "./generators.js";

export type PolicyFile = { readonly name: string; readonly text: string };

/** `#` comments of a text, trailing blanks removed. */
export function commentTexts(text: string): string[] {
  const out: string[] = [];
  for (const t of roughTokens(text)) {
    if (!t.startsWith("#")) continue;
    // A comment ends at a carriage return too (the regex runs to `\n` only): what follows is code.
    const [comment = t, ...rest] = t.split("\r");
    out.push(comment.replace(/[ \t]+$/u, ""));
    if (rest.length > 0) out.push(...commentTexts(rest.join("\r")));
  }
  return out;
}

/** The statistics of one file without `polar_chars` (formatting changes the character count by design). */
export function statsWithoutChars(
  text: string,
): Omit<PolicyStatistics["policy_stats"], "polar_chars"> & PolicyStatistics["resource_block_stats"] {
  const s = fileStats(parseFile({ name: "f.polar", text }), text);
  const { polar_chars: _chars, ...policy } = s.policy_stats;
  return { ...policy, ...s.resource_block_stats };
}

/** Diagnostic codes of loading the files together, in engine order. */
export function loadCodes(files: readonly PolicyFile[]): string[] {
  return diagnosticLoad(files.map((f) => ({ name: f.name, text: f.text }))).diagnostics.map((d) => d.code);
}

/** The formatted text of a file, or the text itself when it does not parse (asserting that it does not). */
export function formattedOrSame(file: PolicyFile): string {
  const result = formatPolar(file.text);
  if (result === null) {
    expect(parseFile({ name: file.name, text: file.text }).ok, `${file.name} parses but was not formatted`).toBe(false);
    return file.text;
  }
  return result.text;
}

/** Checks the formatter's promises on one set of files loaded together. Returns how many were formatted. */
export function checkFormatted(files: readonly PolicyFile[]): number {
  let formatted = 0;
  const out = files.map((f) => {
    const text = formattedOrSame(f);
    if (text === f.text && formatPolar(f.text) === null) return { name: f.name, text };
    formatted++;
    const again = formatPolar(text);
    expect(again?.text, `${f.name}: formatting is not idempotent`).toBe(text);
    expect(commentTexts(text), `${f.name}: comments`).toEqual(commentTexts(f.text));
    expect(statsWithoutChars(text), `${f.name}: statistics`).toEqual(statsWithoutChars(f.text));
    return { name: f.name, text };
  });
  expect(loadCodes(out), `${files.map((f) => f.name).join(", ")}: diagnostic codes`).toEqual(loadCodes(files));
  return formatted;
}
