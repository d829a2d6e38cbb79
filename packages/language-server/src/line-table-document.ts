/**
 * A `TextDocument` over a text whose line starts are already known ({@link LineStarts}, kept up to
 * date across ranged changes by `line-starts.ts`). `TextDocument.create` computes its line table
 * lazily by scanning the whole text on the first `positionAt`/`offsetAt`: after every keystroke in
 * a 50k-line file, the first feature asking for a position (the outline) paid that scan (issue 13:
 * 5.8% of an in-process outline profile, ~50 ms per edit at load ~8). This document reads the
 * table the change already made, and its characters through the pieces (a rope is never read).
 *
 * Positions are exactly `TextDocument`'s: the same line table (lines end at "\n", "\r\n" or a lone
 * "\r") and the same clamping; `test/line-table-document.test.ts` compares the two on random texts.
 */
import { upperBound } from "@polar-ide/analyzer";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Position, Range } from "vscode-languageserver";
import { offsetAt, type LineStarts } from "./line-starts.js";

const CR = 13;
const LF = 10;

export class LineTableDocument implements TextDocument {
  constructor(
    readonly uri: string,
    readonly languageId: string,
    readonly version: number,
    private readonly lines: LineStarts,
  ) {}

  /** The text and its line starts (for the next change's splice). */
  get lineStarts(): LineStarts {
    return this.lines;
  }

  get lineCount(): number {
    return this.lines.starts.length;
  }

  getText(range?: Range): string {
    if (range === undefined) return this.lines.text;
    const a = this.offsetAt(range.start);
    const b = this.offsetAt(range.end);
    // As TextDocument's `substring`: a range ending before its start gives the text between them.
    return this.lines.pieces.slice(Math.min(a, b), Math.max(a, b));
  }

  positionAt(offset: number): Position {
    const position = { line: 0, character: 0 };
    this.positionInto(offset, position);
    return position;
  }

  /**
   * {@link positionAt} written into `into` (allocates nothing: the outline checks every item's
   * position, features.ts). The offset → position rule is written here only; `positionAt` fills a
   * fresh object with it.
   */
  positionInto(offset: number, into: { line: number; character: number }): void {
    const { pieces, starts } = this.lines;
    let at = Math.max(Math.min(offset, pieces.length), 0);
    // The last line starting at or before `at` (starts[0] is 0).
    const line = Math.max(upperBound(starts, at) - 1, 0);
    const lineStart = starts[line] ?? 0;
    // As TextDocument: an offset inside a line break is placed at the end of its line.
    while (at > lineStart) {
      const ch = pieces.charCodeAt(at - 1);
      if (ch !== CR && ch !== LF) break;
      at--;
    }
    into.line = line;
    into.character = at - lineStart;
  }

  offsetAt(position: Position): number {
    return offsetAt(this.lines, position);
  }
}
