/**
 * Where the terms of one parsed snapshot of a file lie in that snapshot's text.
 *
 * An incremental re-parse ({@link reparseFile}) reuses the top-level items an edit did not touch
 * as they are, without copying them: their terms keep the {@link SourceFile} and the offsets of
 * the parse that made them (their "generation"). The text of an item is the same in every
 * snapshot that holds it, only its place moves. So every snapshot (a parse result's line array)
 * has a {@link FileSpans}: for each generation it still holds items of, the end offset of each such
 * item in the generation's text and the shift to the snapshot's text. A term is placed by finding
 * its item among its generation's (binary search on the item ends) and adding that item's shift.
 *
 * Snapshots are immutable and never share a `FileSpans`: a fork of a policy or a quick-fix trial
 * that edits a file makes a new snapshot with its own table, and the parent's positions stay as
 * they were. A fresh parse's table is the identity (one generation, its own file).
 *
 * Every reader of a term's position outside the parse that made it goes through here (the loader
 * for diagnostics, the language server's features); `term.source.start` is an offset into
 * `term.source.file.text`, which is the text of the term's generation.
 */
import type { Line, SourceFile, SourceInfo } from "./ast.js";
import type { DiagnosticContext } from "./diagnostics.js";
import { ITEM_ENDS } from "./parser.js";
import { upperBound } from "./sorted.js";

/** A start/end pair of UTF-16 offsets. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** The items of one generation held by a snapshot: their ends in the generation's text and their shifts. */
interface GenerationItems {
  readonly ends: Uint32Array;
  readonly shifts: Int32Array;
}

/** Positions of the terms of one parsed snapshot in its text ({@link FileSpans.file}). */
export class FileSpans {
  /** Per generation (other than `file` itself, whose shift is always 0): its items here. */
  private readonly generations: Map<SourceFile, GenerationItems>;

  /**
   * @param file the snapshot's file (name and current text)
   * @param origins each line's generation and end offset in that generation's text (null: all of `file`)
   * @param ends each line's end offset in `file.text`
   */
  constructor(
    readonly file: SourceFile,
    readonly origins: { readonly files: readonly SourceFile[]; readonly ends: ArrayLike<number> } | null,
    ends: ArrayLike<number>,
  ) {
    this.generations = new Map();
    if (origins === null) return;
    // Typed arrays of their final size: counted first (they are rebuilt on every edit of a big file).
    const counts = new Map<SourceFile, number>();
    for (const g of origins.files) if (g !== file) counts.set(g, (counts.get(g) ?? 0) + 1);
    const filled = new Map<SourceFile, { items: GenerationItems; k: number }>();
    for (const [g, count] of counts) {
      const items = { ends: new Uint32Array(count), shifts: new Int32Array(count) };
      this.generations.set(g, items);
      filled.set(g, { items, k: 0 });
    }
    // Neighbouring items mostly share their generation: looked up when it changes.
    let last: SourceFile | null = null;
    let at: { items: GenerationItems; k: number } | undefined;
    for (let i = 0; i < origins.files.length; i++) {
      const g = origins.files[i] as SourceFile;
      if (g !== last) {
        last = g;
        at = filled.get(g);
      }
      if (at === undefined) continue;
      const end = origins.ends[i] ?? 0;
      at.items.ends[at.k] = end;
      at.items.shifts[at.k++] = (ends[i] ?? 0) - end;
    }
  }

  /** Whether every term of the snapshot was parsed from its own text (a fresh parse). */
  get isIdentity(): boolean {
    return this.generations.size === 0;
  }

  /** The generations (parse texts) whose terms this snapshot holds, its own file included. */
  sources(): SourceFile[] {
    return [this.file, ...this.generations.keys()];
  }

  /**
   * The shift from an offset in `file`'s text (a generation of this snapshot) to this snapshot's
   * text; `at` lies inside one of the generation's items. 0 for the snapshot's own file and for
   * files this snapshot does not know (another file's terms are not shifted).
   */
  shift(file: SourceFile, at: number): number {
    if (file === this.file) return 0;
    const items = this.generations.get(file);
    if (items === undefined) return 0;
    // The item holding `at`: the first whose end lies after it (a term ends before its item does).
    // (Past the last end: the last item.)
    return items.shifts[Math.min(upperBound(items.ends, at), items.ends.length - 1)] ?? 0;
  }

  /** Whether a term's source belongs to this snapshot (its own file or one of its generations). */
  holds(source: SourceInfo): boolean {
    return source.kind === "parser" && (source.file === this.file || this.generations.has(source.file));
  }

  /** A term's span in this snapshot's text, or null for temporaries. */
  span(term: { readonly source: SourceInfo }): Span | null {
    const s = term.source;
    if (s.kind !== "parser") return null;
    const d = this.shift(s.file, s.start);
    return { start: s.start + d, end: s.end + d };
  }

  /** An offset of `source`'s generation text (e.g. a block's name start) in this snapshot's text. */
  offset(source: SourceInfo, at: number): number {
    return source.kind === "parser" ? at + this.shift(source.file, at) : at;
  }

  /** A diagnostic context of one of this snapshot's generations, placed in this snapshot (the same object when it already is). */
  context(c: DiagnosticContext): DiagnosticContext {
    if (c.file === this.file) return c;
    if (!this.generations.has(c.file)) return c;
    const d = this.shift(c.file, c.start);
    return { file: this.file, start: c.start + d, end: c.end + d };
  }
}

/** The position table of each snapshot made by a re-parse (fresh parses have none: see {@link spansOf}). */
export const FILE_SPANS = new WeakMap<readonly Line[], FileSpans>();

/** The position table of a parsed snapshot of `file` (the identity for a fresh parse). */
export function spansOf(file: SourceFile, lines: readonly Line[]): FileSpans {
  let spans = FILE_SPANS.get(lines);
  if (spans === undefined) {
    spans = new FileSpans(file, null, ITEM_ENDS.get(lines) ?? []);
    FILE_SPANS.set(lines, spans);
  }
  return spans;
}
