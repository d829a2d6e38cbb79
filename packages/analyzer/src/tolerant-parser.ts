/**
 * An error-tolerant parse for editor features: a file with syntax errors still yields the lines
 * (rules, rule types, resource blocks, queries) of everything outside the broken items.
 *
 * The load never uses it — the published diagnostics stay the engine's, and the load stops where
 * Oso's does. Editor features (outline, hover, definition, completion) use it so that one typo does
 * not blank them for the whole file.
 *
 * How: the text is cut into top-level items with the real lexer — an item ends at a `;` at bracket
 * depth 0, at the `}` closing a resource block, or (recovery only) before a line starting in column 0
 * with what can only begin a new item (`actor X`, `resource X`, `type`, `?=`, `name(`). The exact
 * parser ({@link parseFile}) then runs on the text; at each error, the item (or, inside a resource
 * block, the production) holding the error is blanked — replaced by spaces, keeping every offset and
 * line break — and the parse runs again. An unclosed resource block is closed by turning the first
 * blank after its last token into `}`. Each round blanks something new, and the number of rounds is
 * bounded, so the cost is a few parses of the file.
 */
import type { Line, SourceFile } from "./ast.js";
import type { Diagnostic } from "./diagnostics.js";
import { Lexer, T, isLexError, type Token } from "./lexer.js";
import { parseFile } from "./parser.js";

/** The result of {@link parseTolerant}. */
export interface TolerantParse {
  /** The lines that parse, with offsets into the original text. */
  readonly lines: readonly Line[];
  /** Parse errors met while recovering, in order; the first is the engine's (empty when the file parses). */
  readonly errors: readonly Diagnostic[];
  /** Spans of the original text left out of `lines` (blanked), in text order. */
  readonly skipped: readonly { readonly start: number; readonly end: number }[];
}

/** Rounds of parse-and-blank before the rest of the file, from the last error on, is left out at once. */
const MAX_ROUNDS = 32;
/** Characters parsed in all rounds together: a huge broken file gets fewer rounds (a 4 MB one: 2). */
const WORK_BUDGET = 8_000_000;

interface Segment {
  start: number;
  end: number;
}

interface Item extends Segment {
  /** Ended by `;` at depth 0 or by the `}` closing its block (not cut by recovery or the end of file). */
  readonly complete: boolean;
  /** Bracket depth at the item's end (>0: something was left open). */
  readonly openDepth: number;
  /** For resource blocks: the `{` offset, the closing `}` offset (null: unclosed) and the productions. */
  block: { readonly open: number; close: number | null; readonly productions: Segment[] } | null;
  /** End of the item's last token (where a missing `}` is inserted). */
  readonly lastTokenEnd: number;
}

function isOpen(kind: T): boolean {
  return kind === T.LP || kind === T.LB || kind === T.LCB;
}

function isClose(kind: T): boolean {
  return kind === T.RP || kind === T.RB || kind === T.RCB;
}

function atLineStart(text: string, offset: number): boolean {
  if (offset === 0) return true;
  const c = text.charCodeAt(offset - 1);
  return c === 10 || c === 13;
}

/** Whether the token at `i` can only start a new top-level item (used to recover, in column 0). */
function startsItem(t: Token, next: Token | null): boolean {
  if (t.kind === T.Type || t.kind === T.Query) return true;
  if (t.kind !== T.Symbol || next === null) return false;
  if (next.kind === T.LP) return true;
  return (t.text === "actor" || t.text === "resource" || t.text === "global") && next.kind === T.Symbol;
}

/** The tokens of a text one at a time (lexical errors skipped: the parse blames the item holding them). */
class Tokens {
  private readonly lexer: Lexer;
  private ahead: Token | null;

  constructor(text: string) {
    this.lexer = new Lexer(text);
    this.ahead = this.read();
  }

  private read(): Token | null {
    for (;;) {
      const t = this.lexer.next();
      if (isLexError(t)) continue; // The lexer always advances.
      return t.kind === T.EOF ? null : t;
    }
  }

  /** The next token and the one after it (null at the end); tokens are not kept, so memory stays flat. */
  next(): [Token, Token | null] | null {
    const t = this.ahead;
    if (t === null) return null;
    this.ahead = this.read();
    return [t, this.ahead];
  }
}

/** Cuts the text into top-level items (see the module comment). */
function itemsOf(text: string, tokens: Tokens): Item[] {
  const items: Item[] = [];
  let start = -1;
  let depth = 0;
  let lastEnd = 0;
  let block: Item["block"] = null;
  let segmentStart = -1;
  let headTokens = 0;
  const finish = (end: number, complete: boolean): void => {
    if (block !== null && block.close === null && segmentStart >= 0 && segmentStart < end) {
      block.productions.push({ start: segmentStart, end: lastEnd });
    }
    items.push({ start, end, complete, openDepth: depth, block, lastTokenEnd: lastEnd });
    start = -1;
    depth = 0;
    block = null;
    segmentStart = -1;
    headTokens = 0;
  };
  for (let pair = tokens.next(); pair !== null; pair = tokens.next()) {
    const [t, next] = pair;
    if (start >= 0 && atLineStart(text, t.start) && startsItem(t, next)) finish(t.start, false);
    if (start < 0) start = t.start;
    if (block === null && depth === 0 && t.kind === T.LCB && headTokens === 2) {
      block = { open: t.start, close: null, productions: [] };
      segmentStart = t.end;
    }
    if (isOpen(t.kind)) depth++;
    else if (isClose(t.kind) && depth > 0) depth--;
    headTokens++;
    lastEnd = t.end;
    if (block !== null && depth === 1 && t.kind === T.SemiColon) {
      block.productions.push({ start: segmentStart, end: t.end });
      segmentStart = t.end;
    } else if (block !== null && depth === 0 && t.kind === T.RCB) {
      if (segmentStart < t.start) block.productions.push({ start: segmentStart, end: t.start });
      block.close = t.start;
      finish(t.end, true);
    } else if (depth === 0 && t.kind === T.SemiColon) {
      finish(t.end, true);
    }
  }
  if (start >= 0) finish(text.length, false);
  return items;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

const ORIGINAL = 0;
const BLANKED = 1;
const BRACE = 2;

/**
 * The text as the next round parses it: the original, with blanked spans (spaces, line breaks
 * kept) and inserted closing braces, one flag per UTF-16 code unit so that offsets never move.
 */
class Masked {
  private readonly flags: Uint8Array;

  constructor(private readonly text: string) {
    this.flags = new Uint8Array(text.length);
  }

  /** Whether `[from, to)` holds nothing but blanks in the masked text. */
  isBlank(from: number, to: number): boolean {
    for (let i = from; i < to; i++) {
      const f = this.flags[i];
      if (f === BRACE) return false;
      if (f !== BLANKED && !isSpace(this.text.charCodeAt(i))) return false;
    }
    return true;
  }

  blank(from: number, to: number): void {
    this.flags.fill(BLANKED, from, to);
  }

  /** Turns the blank at `at` into `}`; false when there is no blank there. */
  brace(at: number): boolean {
    if (at >= this.text.length || this.flags[at] !== ORIGINAL || !isSpace(this.text.charCodeAt(at))) return false;
    this.flags[at] = BRACE;
    return true;
  }

  toString(): string {
    const pieces: string[] = [];
    const n = this.text.length;
    let i = 0;
    while (i < n) {
      const f = this.flags[i];
      let j = i + 1;
      while (j < n && this.flags[j] === f) j++;
      const slice = this.text.slice(i, j);
      pieces.push(f === ORIGINAL ? slice : f === BLANKED ? slice.replace(/[^\r\n]/g, " ") : "}".repeat(j - i));
      i = j;
    }
    return pieces.join("");
  }
}

/** Parses `file` as the engine does, leaving out the items that do not parse. Never throws. */
export function parseTolerant(file: SourceFile): TolerantParse {
  const first = parseFile(file);
  if (first.ok) return { lines: first.value, errors: [], skipped: [] };
  const text = file.text;
  const items = itemsOf(text, new Tokens(text));
  const masked = new Masked(text);
  const skipped: Segment[] = [];
  const closed = new Set<Item>();
  const errors: Diagnostic[] = [first.error];

  const blank = (from: number, to: number): boolean => {
    if (from >= to || masked.isBlank(from, to)) return false;
    masked.blank(from, to);
    skipped.push({ start: from, end: to });
    return true;
  };

  /** Closes an unclosed resource block with a `}` in the first blank after its last token. */
  const close = (item: Item): boolean => {
    if (item.block === null || item.block.close !== null || closed.has(item)) return false;
    closed.add(item);
    const at = item.lastTokenEnd;
    if (at >= item.end || !masked.brace(at)) return false;
    item.block.close = at;
    return true;
  };

  /** Blanks what holds an error at `offset`; false when nothing is left to blank. */
  const blame = (offset: number): boolean => {
    // The last item starting at or before the error that still has text (an error at the end of
    // file, or in blanks, belongs to the item before it).
    let index = -1;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item === undefined || item.start > offset) break;
      if (!masked.isBlank(item.start, item.end)) index = i;
    }
    if (index < 0) return false;
    // An item left open (a missing bracket) swallows what follows: the error is its fault.
    for (let i = index - 1; i >= 0; i--) {
      const before = items[i];
      if (before === undefined || before.complete || masked.isBlank(before.start, before.end)) continue;
      if (before.openDepth > 0 && !closed.has(before)) {
        index = i;
        break;
      }
    }
    const item = items[index];
    if (item === undefined) return false;
    if (close(item)) return true;
    const b = item.block;
    // After a closing brace inserted by recovery: what follows it in the item is the culprit.
    if (b !== null && b.close !== null && offset > b.close && blank(b.close + 1, item.end)) return true;
    if (b !== null && b.close !== null && offset > b.open) {
      for (const p of b.productions) {
        if (offset >= p.start && (offset < p.end || (offset === p.end && p.end === b.close))) {
          if (blank(p.start, p.end)) return true;
        }
      }
      // An error at the closing brace: the last production with text ran into it.
      if (offset === b.close) {
        for (let i = b.productions.length - 1; i >= 0; i--) {
          const p = b.productions[i];
          if (p !== undefined && blank(p.start, p.end)) return true;
        }
      }
    }
    const end = b !== null && b.close !== null && item.end > b.close + 1 ? b.close + 1 : item.end;
    return blank(item.start, Math.max(end, item.lastTokenEnd)) || blank(item.start, item.end);
  };

  const maxRounds = Math.max(1, Math.min(MAX_ROUNDS, Math.floor(WORK_BUDGET / Math.max(1, text.length))));
  let lines: readonly Line[] = [];
  let error: Diagnostic = first.error;
  for (let round = 0; ; round++) {
    const offset = error.context?.start ?? text.length;
    let progressed = round < maxRounds && blame(offset);
    if (!progressed) {
      // Out of rounds (or nothing to blame): leave out everything from the error's item on.
      const from = items.find((item) => item.end > offset && !masked.isBlank(item.start, item.end))?.start ?? offset;
      progressed = blank(Math.min(from, offset), text.length);
      if (!progressed) break;
    }
    const result = parseFile({ name: file.name, text: masked.toString() });
    if (result.ok) {
      lines = result.value;
      break;
    }
    errors.push(result.error);
    error = result.error;
    if (round > maxRounds + 2) break;
  }
  skipped.sort((a, b) => a.start - b.start);
  return { lines, errors, skipped };
}
