/**
 * Offset ↔ LSP position conversion. Positions are 0-based lines and UTF-16 characters, as LSP
 * specifies; `\n`, `\r\n` and a lone `\r` all end a line (LSP's definition).
 */

export interface Position {
  readonly line: number;
  readonly character: number;
}

export interface Range {
  readonly start: Position;
  readonly end: Position;
}

/**
 * The offset of every line start of `text` (the first is 0): a line ends at "\n", at "\r\n" or at
 * a lone "\r". The one line-start scan, shared by {@link LineIndex} and the language server's
 * line starts (which clamp offsets as `TextDocument` does, differently from {@link LineIndex.offset}).
 */
export function lineStartOffsets(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return starts;
}

/** Line-start table of one text, built once and queried in O(log lines). */
export class LineIndex {
  private readonly starts: readonly number[];

  constructor(private readonly text: string) {
    this.starts = lineStartOffsets(text);
  }

  /** Position of a UTF-16 offset (clamped to the text). */
  position(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - (this.starts[lo] ?? 0) };
  }

  /** UTF-16 offset of a position (clamped to its line). */
  offset(position: Position): number {
    const line = Math.max(0, Math.min(position.line, this.starts.length - 1));
    const start = this.starts[line] ?? 0;
    const next = line + 1 < this.starts.length ? (this.starts[line + 1] ?? this.text.length) : this.text.length;
    return Math.min(start + Math.max(0, position.character), next);
  }

  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(end) };
  }
}

const indexes = new WeakMap<object, LineIndex>();

/** The cached line index of a source file object. */
export function lineIndexOf(file: { readonly text: string }): LineIndex {
  let index = indexes.get(file);
  if (index === undefined) {
    index = new LineIndex(file.text);
    indexes.set(file, index);
  }
  return index;
}
