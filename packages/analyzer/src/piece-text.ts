/**
 * A text kept as a short list of pieces, so that an edit of a big text copies nothing (issue 13).
 *
 * A JavaScript string built by `old.slice(0, a) + insert + old.slice(b)` is a rope: V8 copies it
 * into one flat string the first time anything reads its characters, and slicing a rope flattens
 * it too. For a 2 MB file that copy (and its page faults) cost about 7 ms of every keystroke, and
 * a fresh 2 MB object per keystroke brought the next full garbage collection closer. A
 * `PieceText` reads characters and windows through its pieces, which are flat strings or slices of
 * flat strings (a slice of a slice refers to the flat parent: no copy), so an edit costs
 * O(pieces) whatever the size of the text. {@link PieceText.toString} gives the whole text as a
 * rope of the pieces, flattened only by whoever reads all of it.
 */
import { upperBound } from "./sorted.js";

/** Pieces kept before the text is copied into one flat string (an edit adds at most two). */
const MAX_PIECES = 64;

/** Neighbouring pieces shorter than this are joined, so that typing a word adds no piece per character. */
const SHORT_PIECE = 256;

export class PieceText {
  private whole: string | null;

  /**
   * @param pieces non-empty strings, in order
   * @param starts the offset of each piece, then the length of the text
   */
  private constructor(
    private readonly pieces: readonly string[],
    private readonly starts: readonly number[],
  ) {
    this.whole = pieces.length === 1 ? (pieces[0] as string) : pieces.length === 0 ? "" : null;
  }

  /** A text of one piece. */
  static of(text: string): PieceText {
    return text.length === 0 ? new PieceText([], [0]) : new PieceText([text], [0, text.length]);
  }

  /** The text's length in UTF-16 code units. */
  get length(): number {
    return this.starts[this.starts.length - 1] as number;
  }

  /** How many pieces the text is kept in. */
  get pieceCount(): number {
    return this.pieces.length;
  }

  /** The text with `[start, end)` (clamped to the text) replaced by `insert`. */
  splice(start: number, end: number, insert: string): PieceText {
    const n = this.length;
    const a = Math.max(0, Math.min(start, n));
    const b = Math.max(a, Math.min(end, n));
    const out: string[] = [];
    const push = (s: string): void => {
      if (s.length === 0) return;
      const last = out.length - 1;
      const prev = out[last];
      if (prev !== undefined && prev.length < SHORT_PIECE && s.length < SHORT_PIECE) out[last] = prev + s;
      else out.push(s);
    };
    const pieces = this.pieces;
    const first = this.pieceAt(a);
    for (let i = 0; i < first; i++) push(pieces[i] as string);
    if (first < pieces.length) push((pieces[first] as string).slice(0, a - (this.starts[first] as number)));
    push(insert);
    const last = this.pieceAt(b);
    if (last < pieces.length) push((pieces[last] as string).slice(b - (this.starts[last] as number)));
    for (let i = last + 1; i < pieces.length; i++) push(pieces[i] as string);
    if (out.length > MAX_PIECES) return PieceText.of(out.join(""));
    const starts = new Array<number>(out.length + 1);
    let at = 0;
    for (let i = 0; i < out.length; i++) {
      starts[i] = at;
      at += (out[i] as string).length;
    }
    starts[out.length] = at;
    return new PieceText(out, starts);
  }

  /** The UTF-16 code unit at `i` (NaN outside the text, as `String.prototype.charCodeAt`). */
  charCodeAt(i: number): number {
    if (!(i >= 0 && i < this.length)) return NaN;
    const k = this.pieceAt(i);
    return (this.pieces[k] as string).charCodeAt(i - (this.starts[k] as number));
  }

  /** The characters `[from, to)` (clamped to the text), read from the pieces that hold them. */
  slice(from: number, to: number = this.length): string {
    const n = this.length;
    const a = Math.max(0, Math.min(from, n));
    const b = Math.max(a, Math.min(to, n));
    if (a === b) return "";
    let k = this.pieceAt(a);
    let out = "";
    for (let at = a; at < b; k++) {
      const s = this.starts[k] as number;
      const piece = this.pieces[k] as string;
      const upTo = Math.min(b, s + piece.length);
      out += piece.slice(at - s, upTo - s);
      at = upTo;
    }
    return out;
  }

  /** The whole text: a rope of the pieces (V8 copies it into one string when it is read). */
  toString(): string {
    if (this.whole === null) {
      let text = "";
      for (const piece of this.pieces) text += piece;
      this.whole = text;
    }
    return this.whole;
  }

  /** The index of the piece holding offset `i` (`pieces.length` at or past the end). */
  private pieceAt(i: number): number {
    // The last piece whose start is ≤ i (pieces are never empty).
    return i >= this.length ? this.pieces.length : upperBound(this.starts, i) - 1;
  }
}
