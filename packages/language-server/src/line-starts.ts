/**
 * Line starts of a tracked text, kept up to date across ranged changes: `didChange` turns each
 * range into offsets, and a fresh `TextDocument` computes its line table by scanning the whole
 * text (issue 13: 13% of the server's time per keystroke in a 50k-line file). Here a change
 * rescans only the text it inserted and shifts the starts after it.
 *
 * The text is kept as pieces too (the analyzer's `PieceText`): a change reads only the characters
 * around it, so the new text, a rope of the old one's pieces, is never copied into one string on
 * the way to the analyzer (which is handed the change's offsets: `Policy.set`).
 *
 * Lines end at "\n", "\r\n" or a lone "\r", as `TextDocument` counts them; {@link offsetAt}
 * clamps exactly as `TextDocument.offsetAt` does, so the two always agree.
 */
import { commonEnds, lineStartOffsets, lowerBound, PieceText } from "@polar-ide/analyzer";
import type { Position } from "vscode-languageserver";

/**
 * A text with its line starts (offsets; the first is 0). A typed array: a 50k-line file's table is
 * copied on every change, and a typed array's elements are never scanned by the garbage collector.
 */
export interface LineStarts {
  readonly text: string;
  /** The same text as pieces, read instead of `text` (reading a rope copies it whole). */
  readonly pieces: PieceText;
  readonly starts: Uint32Array;
}

const CR = 13;
const LF = 10;

/** Whether offset `p` (1 ≤ p ≤ text.length) starts a line. */
function startsLine(text: PieceText, p: number): boolean {
  const before = text.charCodeAt(p - 1);
  return before === LF || (before === CR && text.charCodeAt(p) !== LF);
}

/** The line starts of a whole text. */
export function lineStartsOf(text: string): LineStarts {
  return { text, pieces: PieceText.of(text), starts: Uint32Array.from(lineStartOffsets(text)) };
}

/** The offset of an LSP position, clamped as `TextDocument.offsetAt` clamps it. */
export function offsetAt(lines: LineStarts, position: Position): number {
  const { pieces: text, starts } = lines;
  if (position.line >= starts.length) return text.length;
  if (position.line < 0) return 0;
  const lineOffset = starts[position.line] ?? 0;
  if (position.character <= 0) return lineOffset;
  const next = position.line + 1 < starts.length ? (starts[position.line + 1] ?? text.length) : text.length;
  let offset = Math.min(lineOffset + position.character, next);
  while (offset > lineOffset) {
    const ch = text.charCodeAt(offset - 1);
    if (ch !== CR && ch !== LF) break;
    offset--;
  }
  return offset;
}

/**
 * The line starts after replacing `[start, end)` of `lines.text` with `insert`: the starts
 * before the change are kept, the inserted text (and the character on each side of it, where a
 * "\r" and a "\n" may join or part) is scanned, and the starts after it are shifted.
 */
export function spliceLineStarts(lines: LineStarts, start: number, end: number, insert: string): LineStarts {
  const pieces = lines.pieces.splice(start, end, insert);
  return { text: pieces.toString(), pieces, starts: splicedStarts(lines.starts, pieces, start, end, insert.length) };
}

/**
 * The line starts of `text`, which replaces the whole of `lines.text` (a `didChange` without a
 * range: full-document sync clients send every edit so): those of `lines` spliced where the two
 * texts differ, between their common prefix and suffix, as a ranged change splices them, instead
 * of a scan of the whole text. The text is `text` itself, in one piece (pieces of the old text
 * would keep that alive).
 */
export function replaceLineStarts(lines: LineStarts, text: string): LineStarts {
  const [p, s] = commonEnds(lines.pieces, text);
  const pieces = PieceText.of(text);
  return { text, pieces, starts: splicedStarts(lines.starts, pieces, p, lines.pieces.length - s, text.length - s - p) };
}

/**
 * The starts of `pieces` (the new text), which is the old text (`oldStarts`) with `[start, end)`
 * replaced by `inserted` characters.
 */
function splicedStarts(
  oldStarts: Uint32Array,
  pieces: PieceText,
  start: number,
  end: number,
  inserted: number,
): Uint32Array {
  const delta = inserted - (end - start);
  // A start p < start depends on text[p - 1] and text[p] only, both before the change: kept.
  const kept = Math.max(1, lowerBound(oldStarts, start));
  // An old start p > end depends on old[p - 1] and old[p], both after the change: it moves by delta.
  const moved = lowerBound(oldStarts, end + 1);
  const scanned: number[] = [];
  const newEnd = start + inserted;
  for (let p = Math.max(1, start); p <= newEnd && p <= pieces.length; p++) if (startsLine(pieces, p)) scanned.push(p);
  const starts = new Uint32Array(kept + scanned.length + (oldStarts.length - moved));
  starts.set(oldStarts.subarray(0, kept));
  starts.set(scanned, kept);
  let at = kept + scanned.length;
  for (let i = moved; i < oldStarts.length; i++) starts[at++] = (oldStarts[i] ?? 0) + delta;
  return starts;
}
