/**
 * The Polar formatter: one canonical layout (docs/formatting.md), comments kept where they were,
 * idempotent, and semantics-preserving: the output parses to the same rules (checked on every
 * call: an output whose structure differs from the input's is never returned). A text that does
 * not parse is not formatted at all.
 */
import { parseFile } from "../parser.js";
import { sameStructure } from "./same-structure.js";
import { FORMAT_WIDTH, Layouter, type FormattedElement } from "./layout.js";
import { Scan } from "./tokens.js";

export { FORMAT_WIDTH };
export type { FormattedElement };

/** A formatted file and, per top-level element, where it was and where it went. */
export interface FormatResult {
  readonly text: string;
  readonly elements: readonly FormattedElement[];
}

/** A replacement of `[start, end)` (UTF-16 offsets into the original text) by `newText`. */
export interface FormatEdit {
  readonly start: number;
  readonly end: number;
  readonly newText: string;
}

const NAME = "<format>";

/**
 * Formats a whole file. Null when the text does not parse (or, defensively, when the layout could
 * not be proven to keep the file's meaning). Never throws.
 */
export function formatPolar(text: string): FormatResult | null {
  try {
    return format(text);
  } catch {
    // Terms nested past the stack, or a layout bug: leave the file as it is.
    return null;
  }
}

function format(text: string): FormatResult | null {
  const parsed = parseFile({ name: NAME, text });
  if (!parsed.ok) return null;
  const scan = Scan.of(text);
  if (scan === null) return null;
  const layout = new Layouter(scan).file(parsed.value);
  const crlf = /\r\n/.test(text.slice(0, text.indexOf("\n") + 1));
  const eol = crlf ? "\r\n" : "\n";
  const lines = layout.lines;
  const offsets: number[] = [];
  let out = "";
  for (const line of lines) {
    offsets.push(out.length);
    out += line + eol;
  }
  offsets.push(out.length);
  const reparsed = parseFile({ name: NAME, text: out });
  if (!reparsed.ok || !sameStructure(parsed.value, reparsed.value)) return null;
  const elements = layout.elements.map((e) => ({
    sourceStart: e.sourceStart,
    sourceEnd: e.sourceEnd,
    outputStart: offsets[e.first] ?? out.length,
    outputEnd: (offsets[e.last + 1] ?? out.length) - eol.length,
  }));
  return { text: out, elements };
}

/** The smallest single edit turning `from` into `to` (none when they are equal). */
function diffEdit(from: string, to: string, base: number): FormatEdit[] {
  if (from === to) return [];
  let p = 0;
  const max = Math.min(from.length, to.length);
  while (p < max && from.charCodeAt(p) === to.charCodeAt(p)) p++;
  // Never split a surrogate pair or a CRLF.
  if (p > 0 && (isLowSurrogate(from.charCodeAt(p)) || from.charCodeAt(p) === 10)) p--;
  let s = 0;
  while (s < max - p && from.charCodeAt(from.length - 1 - s) === to.charCodeAt(to.length - 1 - s)) s++;
  if (s > 0 && (isLowSurrogate(from.charCodeAt(from.length - s)) || from.charCodeAt(from.length - s) === 10)) s--;
  return [{ start: base + p, end: base + from.length - s, newText: to.slice(p, to.length - s) }];
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Edits formatting the whole text: none when it is formatted already or does not parse. */
export function formatDocumentEdits(text: string): FormatEdit[] {
  const result = formatPolar(text);
  return result === null ? [] : diffEdit(text, result.text, 0);
}

/**
 * Edits formatting the top-level items (rules, blocks, queries, comments) that `[start, end]`
 * touches; an empty range touches the item it is in. None when the text does not parse.
 */
export function formatRangeEdits(text: string, start: number, end: number): FormatEdit[] {
  const result = formatPolar(text);
  if (result === null) return [];
  const touched = result.elements.filter((e) =>
    start === end ? e.sourceStart <= start && start <= e.sourceEnd : e.sourceStart < end && start < e.sourceEnd,
  );
  const first = touched[0];
  const last = touched[touched.length - 1];
  if (first === undefined || last === undefined) return [];
  // Take in the blanks before the first item on its line, so that it lands at column 0.
  let from = first.sourceStart;
  while (from > 0 && (text[from - 1] === " " || text[from - 1] === "\t")) from--;
  const original = text.slice(from, last.sourceEnd);
  return diffEdit(original, result.text.slice(first.outputStart, last.outputEnd), from);
}
