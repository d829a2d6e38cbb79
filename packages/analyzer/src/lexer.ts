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

const NO_INT = 0n;

export class Lexer {
  private pos: number;

  /** Lexes `text` from offset `start` (a top-level item boundary when not 0: see incremental-parse.ts). */
  constructor(
    private readonly text: string,
    start = 0,
  ) {
    this.pos = start;
  }

  /** Offset just after the last consumed character. */
  get offset(): number {
    return this.pos;
  }

  private tok(kind: T, start: number, end: number, text = "", int = NO_INT, float = 0, bool = false): Token {
    return { kind, start, end, text, int, float, bool };
  }

  /** The next token (EOF at the end), or a lexical error. */
  next(): Token | LexError {
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
        if (i + 1 >= s.length) {
          this.pos = i + 1;
          return { kind: "InvalidTokenCharacter", token: "?=", c: "\0", loc: i + 1 };
        }
        this.pos = i + 1;
        return { kind: "InvalidTokenCharacter", token: "?=", c: codePointString(s, i + 1), loc: i + 1 };
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
        return { kind: "InvalidTokenCharacter", token: "", c: String.fromCharCode(c), loc: i };
    }
  }

  private one(i: number, kind: T): Token {
    this.pos = i + 1;
    return this.tok(kind, i, i + 1);
  }

  private oneOrTwo(i: number, kind: T, next: number, kind2: T): Token {
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

  private scanSymbol(start: number): Token | LexError {
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
    const name = s.slice(start, i);
    if (name.length >= 2 && name.endsWith("::")) {
      return { kind: "InvalidTokenCharacter", token: name, c: ":", loc: last };
    }
    // Offsets: end is just after the last character (Oso: byte index of last char + 1).
    const end = i;
    switch (name) {
      case "true":
        return this.tok(T.Boolean, start, end, name, NO_INT, 0, true);
      case "false":
        return this.tok(T.Boolean, start, end, name, NO_INT, 0, false);
      case "inf":
        return this.tok(T.Float, start, end, name, NO_INT, Infinity);
      case "nan":
        return this.tok(T.Float, start, end, name, NO_INT, NaN);
      default: {
        const kw = KEYWORDS.get(name);
        return this.tok(kw ?? T.Symbol, start, end, name);
      }
    }
  }

  private scanString(start: number): Token | LexError {
    const s = this.text;
    let i = start + 1;
    let buf = "";
    let chunk = i;
    for (;;) {
      if (i >= s.length) {
        this.pos = i;
        return { kind: "InvalidTokenCharacter", token: buf + s.slice(chunk, i), c: "\0", loc: start };
      }
      const c = s.charCodeAt(i);
      if (c === 10) {
        this.pos = i + 1;
        return { kind: "InvalidTokenCharacter", token: buf + s.slice(chunk, i), c: "\n", loc: i };
      }
      if (c === 34) {
        buf += s.slice(chunk, i);
        this.pos = i + 1;
        return this.tok(T.String, start, i + 1, buf);
      }
      if (c === 92 /* \ */) {
        buf += s.slice(chunk, i);
        if (i + 1 >= s.length) {
          this.pos = i + 1;
          return { kind: "InvalidTokenCharacter", token: buf, c: "\0", loc: i };
        }
        const e = codePointString(s, i + 1);
        buf += e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "\t" : e === "0" ? "\0" : e;
        i += 1 + e.length;
        chunk = i;
        continue;
      }
      i++;
    }
  }

  private scanNumber(start: number): Token | LexError {
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
    const text = s.slice(start, i);
    if (isFloat) {
      const f = parseF64(text);
      if (f === null) return { kind: "InvalidFloat", token: text, loc: start };
      return this.tok(T.Float, start, i, text, NO_INT, f);
    }
    const int = parseI64Digits(text);
    if (int === null) return { kind: "IntegerOverflow", token: text, loc: start };
    return this.tok(T.Integer, start, i, text, int);
  }
}

export function isLexError(t: Token | LexError): t is LexError {
  return typeof t.kind === "string";
}
