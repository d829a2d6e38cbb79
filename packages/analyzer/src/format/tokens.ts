/**
 * The formatter's view of a file's text: its tokens and its comments, in order. The parser skips
 * comments; the formatter needs them back, with their positions, to put each one where it was.
 */
import { Lexer, T, isLexError, type Token } from "../lexer.js";

/** A `#` line comment: `text` runs from `#` to the end of the line, trailing blanks removed. */
export interface Comment {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Tokens (EOF excluded) and comments of a text that lexes, with span lookups. */
export class Scan {
  private constructor(
    readonly text: string,
    readonly tokens: readonly Token[],
    readonly comments: readonly Comment[],
  ) {}

  /** Scans `text`; null when it does not lex (a file that does not parse is never formatted). */
  static of(text: string): Scan | null {
    const lexer = new Lexer(text);
    const tokens: Token[] = [];
    const comments: Comment[] = [];
    let prevEnd = 0;
    for (;;) {
      const t = lexer.next();
      if (isLexError(t)) return null;
      collectComments(text, prevEnd, t.start, comments);
      if (t.kind === T.EOF) break;
      tokens.push(t);
      prevEnd = t.end;
    }
    return new Scan(text, tokens, comments);
  }

  /** Index of the first token starting at or after `offset` (tokens.length when none). */
  tokenIndexFrom(offset: number): number {
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.tokens[mid] as Token).start < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the last token ending at or before `offset` (-1 when none). */
  tokenIndexBefore(offset: number): number {
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.tokens[mid] as Token).end <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  token(i: number): Token | undefined {
    return this.tokens[i];
  }

  kindAt(i: number): T | undefined {
    return this.tokens[i]?.kind;
  }

  /** The source text of the tokens within [start, end), joined without their separating blanks. */
  joinedTokens(start: number, end: number): string {
    let out = "";
    for (let i = this.tokenIndexFrom(start); i < this.tokens.length; i++) {
      const t = this.tokens[i] as Token;
      if (t.end > end) break;
      out += this.text.slice(t.start, t.end);
    }
    return out;
  }

  /** Comments starting within [start, end). */
  commentsIn(start: number, end: number): Comment[] {
    let lo = 0;
    let hi = this.comments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.comments[mid] as Comment).start < start) lo = mid + 1;
      else hi = mid;
    }
    const out: Comment[] = [];
    for (let i = lo; i < this.comments.length; i++) {
      const c = this.comments[i] as Comment;
      if (c.start >= end) break;
      out.push(c);
    }
    return out;
  }

  /** Whether [start, end) of the text holds a line break. */
  hasNewline(start: number, end: number): boolean {
    for (let i = start; i < end; i++) {
      const c = this.text.charCodeAt(i);
      if (c === 10 || c === 13) return true;
    }
    return false;
  }

  /** Number of line breaks in [start, end) (`\r\n` counts once). */
  newlines(start: number, end: number): number {
    let n = 0;
    for (let i = start; i < end; i++) {
      const c = this.text.charCodeAt(i);
      if (c === 10) n++;
      else if (c === 13 && this.text.charCodeAt(i + 1) !== 10) n++;
    }
    return n;
  }
}

/** The comments of a gap between two tokens (whitespace and comments only, as the lexer skipped it). */
function collectComments(text: string, start: number, end: number, out: Comment[]): void {
  let i = start;
  while (i < end) {
    if (text.charCodeAt(i) !== 35 /* # */) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < end) {
      const c = text.charCodeAt(j);
      if (c === 10 || c === 13) break;
      j++;
    }
    out.push({ start: i, end: j, text: text.slice(i, j).replace(/[ \t]+$/, "") });
    i = j;
  }
}
