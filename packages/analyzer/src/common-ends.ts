/**
 * The common prefix and suffix of two texts: what an edit left alone. The analyzer's incremental
 * parse re-parses only between them, and the language server's line table rescans only there, so
 * the rule is written once, here.
 */

/** A text read by windows: a `string`, or a {@link PieceText} read through its pieces. */
export interface SlicedText {
  readonly length: number;
  slice(start: number, end: number): string;
}

/** Characters compared at once when looking for the common prefix and suffix of two texts. */
const CHUNK = 65536;

/**
 * The lengths of the common prefix and of the common suffix (not overlapping it) of `a` and `b`.
 *
 * Compared by chunks of decreasing size: slices compared with `===` are a memory comparison, where
 * `startsWith`/`endsWith` compare character by character (15× slower: 1.5 ms for a 2 MB file), so a
 * keystroke in a big file costs well under a millisecond here. `a` may be read through its pieces,
 * so a rope is never flattened.
 */
export function commonEnds(a: SlicedText, b: string): [number, number] {
  const la = a.length;
  const lb = b.length;
  const max = Math.min(la, lb);
  let p = 0;
  for (let c = CHUNK; c >= 1; c >>= 4) while (p + c <= max && a.slice(p, p + c) === b.slice(p, p + c)) p += c;
  let s = 0;
  for (let c = CHUNK; c >= 1; c >>= 4) {
    while (s + c <= max - p && a.slice(la - s - c, la - s) === b.slice(lb - s - c, lb - s)) s += c;
  }
  return [p, s];
}
