/**
 * Polar lexer, token for token what polar-core's lexer.rs produces (including its errors), over
 * UTF-16 offsets. A closure-free cursor: `next()` returns the next token or a lexical error, and
 * always advances.
 */
import { formatFloat, formatInteger, parseF64, parseI64Digits } from "./numbers.js";

export enum T {
  EOF,
  Integer,
  Float,
  String,
  Boolean,
  Symbol,
  Colon,
  Comma,
  LB,
  RB,
  LP,
  RP,
  LCB,
  RCB,
  Dot,
  New,
  Bang,
  Mul,
  Div,
  Mod,
  Rem,
  Add,
  Sub,
  Eq,
  Neq,
  Leq,
  Geq,
  Lt,
  Gt,
  Unify,
  Assign,
  Pipe,
  SemiColon,
  Query,
  In,
  Cut,
  Debug,
  Print,
  Isa,
  ForAll,
  If,
  And,
  Or,
  Not,
  Matches,
  Type,
}

export interface Token {
  readonly kind: T;
  readonly start: number;
  readonly end: number;
  /** Symbol name or string content (escapes applied). */
  readonly text: string;
  readonly int: bigint;
  readonly float: number;
  readonly bool: boolean;
}

/** A lexical error, as polar-core's ParseErrorKind variants produced by the lexer. */
export type LexError =
  | { readonly kind: "InvalidTokenCharacter"; readonly token: string; readonly c: string; readonly loc: number }
  | { readonly kind: "IntegerOverflow"; readonly token: string; readonly loc: number }
  | { readonly kind: "InvalidFloat"; readonly token: string; readonly loc: number };

const KEYWORDS: ReadonlyMap<string, T> = new Map([
  ["new", T.New],
  ["in", T.In],
  ["cut", T.Cut],
  ["debug", T.Debug],
  ["print", T.Print],
  ["isa", T.Isa],
  ["forall", T.ForAll],
  ["if", T.If],
  ["and", T.And],
  ["or", T.Or],
  ["not", T.Not],
  ["matches", T.Matches],
  ["type", T.Type],
  ["mod", T.Mod],
  ["rem", T.Rem],
]);

const PUNCT_TEXT: Partial<Record<T, string>> = {
  [T.Colon]: ":",
  [T.Comma]: ",",
  [T.LB]: "[",
  [T.RB]: "]",
  [T.LP]: "(",
  [T.RP]: ")",
  [T.LCB]: "{",
  [T.RCB]: "}",
  [T.Dot]: ".",
  [T.Bang]: "!",
  [T.Mul]: "*",
  [T.Div]: "/",
  [T.Add]: "+",
  [T.Sub]: "-",
  [T.Eq]: "==",
  [T.Neq]: "!=",
  [T.Leq]: "<=",
  [T.Geq]: ">=",
  [T.Lt]: "<",
  [T.Gt]: ">",
  [T.Unify]: "=",
  [T.Assign]: ":=",
  [T.Pipe]: "|",
  [T.SemiColon]: ";",
  [T.Query]: "?=",
};

const KEYWORD_TEXT = new Map<T, string>([...KEYWORDS].map(([text, kind]) => [kind, text]));

/** The token's text as polar-core's `Token::to_string` prints it (used in messages). */
export function tokenText(tok: Token): string {
  switch (tok.kind) {
    case T.Integer:
      return formatInteger(tok.int);
    case T.Float:
      return formatFloat(tok.float);
    case T.String:
    case T.Symbol:
      return tok.text;
    case T.Boolean:
      return tok.bool ? "true" : "false";
    case T.EOF:
      return "";
    default:
      return PUNCT_TEXT[tok.kind] ?? KEYWORD_TEXT.get(tok.kind) ?? "";
  }
}

/**
 * {@link tokenText} of the token of `kind` at [start, end) of `text`, as {@link Lexer.scan} read
 * it: nothing is decoded until a message needs it.
 */
export function tokenTextAt(text: string, kind: T, start: number, end: number): string {
  switch (kind) {
    case T.Integer:
      return formatInteger(integerAt(text, start, end));
    case T.Float:
      return formatFloat(floatAt(text, start, end));
    case T.String:
      return stringAt(text, start, end);
    case T.Symbol:
      return text.slice(start, end);
    case T.Boolean:
      return text.charCodeAt(start) === 116 /* t */ ? "true" : "false";
    case T.EOF:
      return "";
    default:
      return PUNCT_TEXT[kind] ?? KEYWORD_TEXT.get(kind) ?? "";
  }
}

/** The value of the Integer token at [start, end) of `text` (one the lexer accepted: no overflow). */
export function integerAt(text: string, start: number, end: number): bigint {
  return BigInt(text.slice(start, end));
}

/** The value of the Float token at [start, end) of `text` (`inf` and `nan` included). */
export function floatAt(text: string, start: number, end: number): number {
  const c = text.charCodeAt(start);
  if (c === 105 /* i */) return Infinity;
  if (c === 110 /* n */) return NaN;
  return Number(text.slice(start, end));
}

/** The value of the Boolean token at `start` of `text`. */
export function booleanAt(text: string, start: number): boolean {
  return text.charCodeAt(start) === 116; /* t */
}

/**
 * The content of the String token at [start, end) of `text` (quotes included in the span), escapes
 * applied: `\n`, `\r`, `\t`, `\0`, and any other character (a whole code point) as itself.
 */
export function stringAt(text: string, start: number, end: number): string {
  const last = end - 1;
  let i = backslash(text, start + 1, last);
  if (i === last) return text.slice(start + 1, last);
  let buf = "";
  let chunk = start + 1;
  while (i < last) {
    buf += text.slice(chunk, i);
    const e = codePointString(text, i + 1);
    buf += e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "\t" : e === "0" ? "\0" : e;
    chunk = i + 1 + e.length;
    i = backslash(text, chunk, last);
  }
  return buf + text.slice(chunk, last);
}

/** Offset of the first backslash in [from, to) of `text`, or `to` (not `indexOf`, which searches on past `to`). */
function backslash(text: string, from: number, to: number): number {
  let i = from;
  while (i < to && text.charCodeAt(i) !== 92) i++;
  return i;
}

/** The words that lex as something else than a Symbol, by their first character (ASCII). */
const WORDS_BY_FIRST: (readonly (readonly [string, T])[] | undefined)[] = [];
const WORDS: [string, T][] = [
  ...KEYWORDS,
  ["true", T.Boolean],
  ["false", T.Boolean],
  ["inf", T.Float],
  ["nan", T.Float],
];
for (const entry of WORDS) {
  const first = entry[0].charCodeAt(0);
  WORDS_BY_FIRST[first] = [...(WORDS_BY_FIRST[first] ?? []), entry];
}

/**
 * The kind of the symbol at [start, end) of `text`: a keyword's, Boolean for `true`/`false`, Float
 * for `inf`/`nan`, or Symbol. Compares in place: no string is made for the symbol.
 */
function symbolKind(text: string, start: number, end: number): T {
  const words = WORDS_BY_FIRST[text.charCodeAt(start)];
  if (words === undefined) return T.Symbol;
  const n = end - start;
  for (let i = 0; i < words.length; i++) {
    const [word, kind] = words[i] as readonly [string, T];
    if (word.length === n && text.startsWith(word, start)) return kind;
  }
  return T.Symbol;
}

/** Is `c` (a UTF-16 code unit) ASCII punctuation, as Rust's `char::is_ascii_punctuation`? */
function isAsciiPunct(c: number): boolean {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}

/** Rust `char::is_ascii_whitespace`: space, \t, \n, \x0C, \r. */
function isAsciiWhitespace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function codePointString(text: string, at: number): string {
  const cp = text.codePointAt(at);
  return cp === undefined ? "\0" : String.fromCodePoint(cp);
}

/**
 * The lexer: a cursor over the text. {@link Lexer.scan} reads the next token into `kind`, `start`
 * and `end` without making an object for it (the parser reads those, and decodes a token's value
 * from the text only when it builds a term of it: {@link stringAt}, {@link integerAt}, …);
 * {@link Lexer.next} returns the token as a {@link Token} object, for callers that keep tokens.
 */
export class Lexer {
  private pos: number;
  /** Kind of the token the last {@link scan} read. */
  kind: T = T.EOF;
  /** Span of the token the last {@link scan} read (UTF-16 offsets; a String's includes its quotes). */
  start = 0;
  end = 0;
  /** The lexical error of the last {@link scan} that returned false. */
  error: LexError | null = null;

  /** Lexes `text` from offset `start` (a top-level item boundary when not 0: see incremental-parse.ts). */
  constructor(
    readonly text: string,
    start = 0,
  ) {
    this.pos = start;
  }

  /** Offset just after the last consumed character. */
  get offset(): number {
    return this.pos;
  }

  /** The next token (EOF at the end), or a lexical error. */
  next(): Token | LexError {
    if (!this.scan()) return this.error as LexError;
    const { text: s, kind, start, end } = this;
    switch (kind) {
      case T.Integer:
        return this.token(s.slice(start, end), integerAt(s, start, end), 0, false);
      case T.Float:
        return this.token(s.slice(start, end), 0n, floatAt(s, start, end), false);
      case T.String:
        return this.token(stringAt(s, start, end), 0n, 0, false);
      case T.Boolean:
        return this.token(s.slice(start, end), 0n, 0, booleanAt(s, start));
      case T.EOF:
        return this.token("", 0n, 0, false);
      default:
        // Symbols and keywords carry their text; punctuation none.
        return this.token(kind === T.Symbol || KEYWORD_TEXT.has(kind) ? s.slice(start, end) : "", 0n, 0, false);
    }
  }

  private token(text: string, int: bigint, float: number, bool: boolean): Token {
    return { kind: this.kind, start: this.start, end: this.end, text, int, float, bool };
  }

  /**
   * Reads the next token (EOF at the end) into `kind`, `start` and `end` and returns true, or
   * returns false for a lexical error, in `error`. Always advances.
   */
  scan(): boolean {
    const s = this.text;
    this.skipWhitespace();
    const i = this.pos;
    if (i >= s.length) return this.tok(T.EOF, s.length, s.length);
    const c = s.charCodeAt(i);
    if (c === 95 /* _ */ || (!isAsciiPunct(c) && !isDigit(c))) return this.scanSymbol(i);
    if (c === 34 /* " */) return this.scanString(i);
    if (isDigit(c)) return this.scanNumber(i);
    switch (c) {
      case 58:
        return this.oneOrTwo(i, T.Colon, 61, T.Assign);
      case 61:
        return this.oneOrTwo(i, T.Unify, 61, T.Eq);
      case 60:
        return this.oneOrTwo(i, T.Lt, 61, T.Leq);
      case 62:
        return this.oneOrTwo(i, T.Gt, 61, T.Geq);
      case 33:
        return this.oneOrTwo(i, T.Bang, 61, T.Neq);
      case 63: {
        // `?` must be followed by `=`.
        if (s.charCodeAt(i + 1) === 61) {
          this.pos = i + 2;
          return this.tok(T.Query, i, i + 2);
        }
        this.pos = i + 1;
        const found = i + 1 >= s.length ? "\0" : codePointString(s, i + 1);
        return this.fail({ kind: "InvalidTokenCharacter", token: "?=", c: found, loc: i + 1 });
      }
      case 124:
        return this.one(i, T.Pipe);
      case 44:
        return this.one(i, T.Comma);
      case 91:
        return this.one(i, T.LB);
      case 93:
        return this.one(i, T.RB);
      case 123:
        return this.one(i, T.LCB);
      case 125:
        return this.one(i, T.RCB);
      case 40:
        return this.one(i, T.LP);
      case 41:
        return this.one(i, T.RP);
      case 46:
        return this.one(i, T.Dot);
      case 43:
        return this.one(i, T.Add);
      case 45:
        return this.one(i, T.Sub);
      case 42:
        return this.one(i, T.Mul);
      case 47:
        return this.one(i, T.Div);
      case 59:
        return this.one(i, T.SemiColon);
      default:
        this.pos = i + 1;
        return this.fail({ kind: "InvalidTokenCharacter", token: "", c: String.fromCharCode(c), loc: i });
    }
  }

  private tok(kind: T, start: number, end: number): true {
    this.kind = kind;
    this.start = start;
    this.end = end;
    return true;
  }

  private fail(error: LexError): false {
    this.error = error;
    return false;
  }

  private one(i: number, kind: T): true {
    this.pos = i + 1;
    return this.tok(kind, i, i + 1);
  }

  private oneOrTwo(i: number, kind: T, next: number, kind2: T): true {
    if (this.text.charCodeAt(i + 1) === next) {
      this.pos = i + 2;
      return this.tok(kind2, i, i + 2);
    }
    this.pos = i + 1;
    return this.tok(kind, i, i + 1);
  }

  private skipWhitespace(): void {
    const s = this.text;
    let i = this.pos;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else if (c === 35 /* # */) {
        i++;
        while (i < s.length) {
          const d = s.charCodeAt(i);
          if (d === 10 || d === 13) break;
          i++;
        }
      } else break;
    }
    this.pos = i;
  }

  private scanSymbol(start: number): boolean {
    const s = this.text;
    let i = start + 1;
    let last = start;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 95 || (!isAsciiPunct(c) && !isAsciiWhitespace(c))) {
        last = i;
        i++;
      } else if (c === 58 /* : */) {
        if (s.charCodeAt(i + 1) === 58) {
          last = i + 1;
          i += 2;
        } else break;
      } else if (c === 63 /* ? */) {
        last = i;
        i++;
        break; // `?` is only valid as the last char of a symbol.
      } else break;
    }
    this.pos = i;
    if (i - start >= 2 && s.charCodeAt(i - 1) === 58 && s.charCodeAt(i - 2) === 58) {
      return this.fail({ kind: "InvalidTokenCharacter", token: s.slice(start, i), c: ":", loc: last });
    }
    // Offsets: end is just after the last character (Oso: byte index of last char + 1).
    return this.tok(symbolKind(s, start, i), start, i);
  }

  private scanString(start: number): boolean {
    const s = this.text;
    let i = start + 1;
    for (;;) {
      if (i >= s.length) {
        this.pos = i;
        return this.fail({ kind: "InvalidTokenCharacter", token: stringAt(s, start, i + 1), c: "\0", loc: start });
      }
      const c = s.charCodeAt(i);
      if (c === 10) {
        this.pos = i + 1;
        return this.fail({ kind: "InvalidTokenCharacter", token: stringAt(s, start, i + 1), c: "\n", loc: i });
      }
      if (c === 34) {
        this.pos = i + 1;
        return this.tok(T.String, start, i + 1);
      }
      if (c === 92 /* \ */) {
        if (i + 1 >= s.length) {
          this.pos = i + 1;
          return this.fail({ kind: "InvalidTokenCharacter", token: stringAt(s, start, i + 1), c: "\0", loc: i });
        }
        const cp = s.codePointAt(i + 1) as number;
        i += cp > 0xffff ? 3 : 2;
        continue;
      }
      i++;
    }
  }

  private scanNumber(start: number): boolean {
    const s = this.text;
    let i = start + 1;
    let isFloat = false;
    while (isDigit(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) === 46 /* . */) {
      isFloat = true;
      i++;
      while (isDigit(s.charCodeAt(i))) i++;
    }
    const e = s.charCodeAt(i);
    if (e === 101 || e === 69) {
      isFloat = true;
      i++;
      while (isDigit(s.charCodeAt(i))) i++;
      const sign = s.charCodeAt(i);
      if (sign === 43 || sign === 45) i++;
      while (isDigit(s.charCodeAt(i))) i++;
    }
    this.pos = i;
    if (isFloat) {
      const text = s.slice(start, i);
      if (parseF64(text) === null) return this.fail({ kind: "InvalidFloat", token: text, loc: start });
      return this.tok(T.Float, start, i);
    }
    // Up to 18 digits always fit in an i64.
    if (i - start > 18) {
      const text = s.slice(start, i);
      if (parseI64Digits(text) === null) return this.fail({ kind: "IntegerOverflow", token: text, loc: start });
    }
    return this.tok(T.Integer, start, i);
  }
}

export function isLexError(t: Token | LexError): t is LexError {
  return typeof t.kind === "string";
}
