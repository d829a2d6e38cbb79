/**
 * Hand-written Polar parser for the grammar of polar-core's `polar.lalrpop` (Oso 0.27.3).
 *
 * It reports the first error of a file exactly as the engine's LR(1) parser does. Two properties
 * make a recursive-descent parser agree with an LR parser on *where* an error is found:
 *
 * - every parse function receives `follow`, the set of tokens that may come after it in this
 *   context; when an operand is complete, the next token is checked against the tokens that can
 *   continue it plus `follow` *before* any reduction-time check (value/logical, duplicate key)
 *   runs — an LR parser performs no reduction on a lookahead it cannot accept;
 * - value/logical checks (`ExpectValue`/`ExpectLogical` in the grammar) run in the order the LR
 *   parser reduces: a left operand when its operator arrives, a right operand when the token after
 *   it arrives, inner before outer.
 *
 * Right-recursive `and`/`or` chains are parsed with loops so that long bodies do not grow the
 * stack; bracket nesting is bounded (see MAX_NESTING).
 */
import {
  ParsedExpression,
  ParsedRelationShorthand,
  ParsedShorthand,
  ParsedTerm,
  type Fields,
  type Line,
  type Operator,
  type Parameter,
  type Production,
  type Rule,
  type SourceFile,
  type Term,
  type Value,
} from "./ast.js";
import type { Diagnostic } from "./diagnostics.js";
import { error } from "./diagnostics.js";
import { escapeDebug } from "./escape.js";
import { Lexer, T, booleanAt, floatAt, integerAt, stringAt, tokenTextAt } from "./lexer.js";
import type { LexError } from "./lexer.js";
import { toPolar } from "./printer.js";
import { instancePattern } from "./terms.js";
import { err, ok, type Result } from "./result.js";

/** The lines of a file, or its first parse error. */
export type ParseResult = Result<readonly Line[]>;

/**
 * Deepest bracket nesting accepted; beyond it the file is rejected with `ParseError::NestingTooDeep`
 * (ours: Oso has no limit but its recursive passes overflow the stack a few thousand levels deep).
 * Every nesting level costs about a dozen stack frames here; 256 keeps well inside Node's stack.
 */
export const MAX_NESTING = 256;

const enum K {
  Value,
  Logical,
  Either,
}

const enum Mode {
  Term,
  Pattern,
}

// Follow sets are 32-bit masks over the tokens that can ever follow an expression.
const BIT = new Int32Array(64);
[
  T.Comma,
  T.RP,
  T.RB,
  T.RCB,
  T.SemiColon,
  T.Dot,
  T.In,
  T.Matches,
  T.Mul,
  T.Div,
  T.Mod,
  T.Rem,
  T.Add,
  T.Sub,
  T.Eq,
  T.Neq,
  T.Leq,
  T.Geq,
  T.Lt,
  T.Gt,
  T.Unify,
  T.And,
  T.Or,
].forEach((kind, i) => {
  BIT[kind] = 1 << i;
});
const bit = (kind: T): number => BIT[kind] ?? 0;
const mask = (...kinds: T[]): number => kinds.reduce((m, k) => m | bit(k), 0);

const F_COMMA_RP = mask(T.Comma, T.RP);
const F_COMMA_RB = mask(T.Comma, T.RB);
const F_COMMA_RCB = mask(T.Comma, T.RCB);
const F_RP = mask(T.RP);
const F_SEMI = mask(T.SemiColon);
const OPS_OR = mask(T.Or);
const OPS_AND = mask(T.And);
const OPS_UNIFY = mask(T.Unify);
const OPS_CMP = mask(T.Eq, T.Neq, T.Leq, T.Geq, T.Lt, T.Gt);
const OPS_ADD = mask(T.Add, T.Sub);
const OPS_MUL = mask(T.Mul, T.Div, T.Mod, T.Rem);
const OPS_IN = mask(T.In, T.Matches);
const OPS_DOT = mask(T.Dot);

const BINARY: Partial<Record<T, Operator>> = {
  [T.Eq]: "Eq",
  [T.Neq]: "Neq",
  [T.Leq]: "Leq",
  [T.Geq]: "Geq",
  [T.Lt]: "Lt",
  [T.Gt]: "Gt",
  [T.Add]: "Add",
  [T.Sub]: "Sub",
  [T.Mul]: "Mul",
  [T.Div]: "Div",
  [T.Mod]: "Mod",
  [T.Rem]: "Rem",
};

/** Tokens of the grammar's `ResWord` (usable as keyword-argument, field and method names). */
function isResWord(kind: T): boolean {
  switch (kind) {
    case T.Type:
    case T.Cut:
    case T.Debug:
    case T.Print:
    case T.In:
    case T.ForAll:
    case T.If:
    case T.And:
    case T.Or:
    case T.Not:
    case T.New:
    case T.Matches:
      return true;
    default:
      return false;
  }
}

/** Reserved words that can also start a term (so a following `:` decides between kwarg and term). */
function resWordStartsTerm(kind: T): boolean {
  return (
    kind === T.Cut ||
    kind === T.Debug ||
    kind === T.Print ||
    kind === T.In ||
    kind === T.ForAll ||
    kind === T.Not ||
    kind === T.New
  );
}

const RES_WORD_TEXT: Partial<Record<T, string>> = {
  [T.Type]: "type",
  [T.Cut]: "cut",
  [T.Debug]: "debug",
  [T.Print]: "print",
  [T.In]: "in",
  [T.ForAll]: "forall",
  [T.If]: "if",
  [T.And]: "and",
  [T.Or]: "or",
  [T.Not]: "not",
  [T.New]: "new",
  [T.Matches]: "matches",
};

/** The two Boolean values: values are immutable, so every Boolean term shares one of them. */
const TRUE: Value = { type: "Boolean", value: true };
const FALSE: Value = { type: "Boolean", value: false };

/** The arguments of every operation without any (`cut`, a bodiless rule's body): terms are immutable. */
const NO_TERMS: readonly Term[] = [];

/** Thrown inside the parser only; `parseFile` turns it into a diagnostic. */
class Failure {
  constructor(readonly diagnostic: Diagnostic) {}
}

class Parser {
  private readonly lexer: Lexer;
  private readonly text: string;
  /** The current token (the lookahead): kind and span. */
  private kind: T = T.EOF;
  private start = 0;
  private end = 0;
  /** The token after it, once {@link peekKind} read it (`peekedKind` is -1 otherwise). */
  private peekedKind = -1;
  private peekedStart = 0;
  private peekedEnd = 0;
  /** End offset of the last consumed token. */
  private prevEnd = 0;
  private depth = 0;
  /**
   * The expression the last `exp`-level method returned, beside its term: whether it is a value or
   * a logical expression, and its extent (which includes enclosing parentheses, unlike the term's
   * span). Read right after the call that set them, before anything else is parsed.
   */
  private nodeKind = K.Either;
  private nodeStart = 0;
  private nodeEnd = 0;
  /**
   * Symbol and string values of this parse by name: values are immutable, so every occurrence of
   * a name shares one value object (and one name string) instead of keeping its own. Most terms
   * of a policy are such leaves, and a load keeps every term it parsed.
   */
  private readonly variables = new Map<string, Value>();
  private readonly strings = new Map<string, Value>();
  /** Number values by sign and spelling, shared like the leaves. */
  private readonly numbers = new Map<string, Value>();
  /** Field-less instance patterns (`x: Repo`, `matches Repo`) by class, shared like the leaves. */
  private readonly classPatterns = new Map<string, Value>();
  /**
   * The elements of the lists being parsed (arguments, list elements, parameters, productions),
   * innermost list last: a list keeps its elements here from its base index (see {@link mark})
   * and is copied out at its exact length when it ends ({@link take}). An array grown by `push`
   * would keep spare capacity (17 slots after the first push) and a load keeps every list it
   * parsed; growing one such array per list and copying it to its length made two arrays of
   * garbage per list. A failure ends the parse, so an unfinished list never needs unwinding.
   */
  private readonly pending: unknown[] = [];
  private pendingTop = 0;

  constructor(
    private readonly file: SourceFile,
    start = 0,
  ) {
    this.text = file.text;
    this.lexer = new Lexer(file.text, start);
    this.prevEnd = start;
    this.lex();
  }

  // ---- tokens ---------------------------------------------------------------------------------

  /** Reads the next token from the lexer into the current token. */
  private lex(): void {
    const lexer = this.lexer;
    if (!lexer.scan()) throw new Failure(this.lexError(lexer.error as LexError));
    this.kind = lexer.kind;
    this.start = lexer.start;
    this.end = lexer.end;
  }

  /** Consumes the current token. */
  private advance(): void {
    this.prevEnd = this.end;
    if (this.peekedKind >= 0) {
      this.kind = this.peekedKind;
      this.start = this.peekedStart;
      this.end = this.peekedEnd;
      this.peekedKind = -1;
    } else {
      this.lex();
    }
  }

  /** Kind of the token after the current one. Only called when the current token is valid here, as an LR(1) parser would shift it first. */
  private peekKind(): T {
    if (this.peekedKind < 0) {
      const lexer = this.lexer;
      if (!lexer.scan()) throw new Failure(this.lexError(lexer.error as LexError));
      this.peekedKind = lexer.kind;
      this.peekedStart = lexer.start;
      this.peekedEnd = lexer.end;
    }
    return this.peekedKind;
  }

  /** Is the current token of this kind? (A method, so that TypeScript does not narrow `kind` across `advance()`.) */
  private at(kind: T): boolean {
    return this.kind === kind;
  }

  /** Consumes the current token, which must be of `kind`. */
  private expect(kind: T): void {
    if (this.kind !== kind) this.unexpected();
    this.advance();
  }

  /** The name of the current token, a Symbol (its text) or a reserved word. */
  private name(): string {
    return this.kind === T.Symbol ? this.text.slice(this.start, this.end) : (RES_WORD_TEXT[this.kind] as string);
  }

  /** The (shared) Variable value of the current Symbol token. */
  private variableHere(): Value {
    return this.variable(this.text.slice(this.start, this.end));
  }

  /** The (shared) String value of the current String token. */
  private stringHere(): Value {
    return this.string(stringAt(this.text, this.start, this.end));
  }

  /** A term of the current token's span. */
  private termHere(value: Value): Term {
    return this.term(value, this.start, this.end);
  }

  private lexError(e: LexError): Diagnostic {
    const ctx = (start: number, end: number) => ({ file: this.file, start, end });
    switch (e.kind) {
      case "InvalidTokenCharacter":
        return error(
          "ParseError::InvalidTokenCharacter",
          `'${escapeDebug(e.c, true)}' is not a valid character. Found in ${escapeDebug(e.token)}`,
          ctx(e.loc, e.loc),
        );
      case "IntegerOverflow":
        return error(
          "ParseError::IntegerOverflow",
          `'${escapeDebug(e.token)}' caused an integer overflow`,
          ctx(e.loc, e.loc + e.token.length),
        );
      case "InvalidFloat":
        return error(
          "ParseError::InvalidFloat",
          `${escapeDebug(e.token)} was parsed as a float, but is invalid`,
          ctx(e.loc, e.loc + e.token.length),
        );
    }
  }

  /** Reports the current token as unexpected: UnrecognizedEOF, ReservedWord or UnrecognizedToken. */
  private unexpected(): never {
    const kind = this.kind;
    if (kind === T.EOF) {
      throw new Failure(
        error("ParseError::UnrecognizedEOF", "hit the end of the file unexpectedly. Did you forget a semi-colon", {
          file: this.file,
          start: this.prevEnd,
          end: this.prevEnd,
        }),
      );
    }
    const text = tokenTextAt(this.text, kind, this.start, this.end);
    const ctx = { file: this.file, start: this.start, end: this.start + text.length };
    if (kind === T.Debug || kind === T.Cut || kind === T.In || kind === T.New) {
      throw new Failure(
        error("ParseError::ReservedWord", `${escapeDebug(text)} is a reserved Polar word and cannot be used here`, ctx),
      );
    }
    throw new Failure(
      error("ParseError::UnrecognizedToken", `did not expect to find the token '${escapeDebug(text)}'`, ctx),
    );
  }

  /** An operand is complete: the next token must continue it or follow it (LR: no reduction otherwise). */
  private checkFollow(valid: number): void {
    if ((bit(this.kind) & valid) === 0) this.unexpected();
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) {
      throw new Failure(
        error("ParseError::NestingTooDeep", `brackets are nested more than ${MAX_NESTING} levels deep`, {
          file: this.file,
          start: this.start,
          end: this.end,
        }),
      );
    }
  }

  private leave(): void {
    this.depth--;
  }

  /** The base index of a list that starts now: its elements are {@link pend}ed from here. */
  private mark(): number {
    return this.pendingTop;
  }

  /** Adds an element to the innermost list being parsed. */
  private pend(item: unknown): void {
    this.pending[this.pendingTop++] = item;
  }

  /** The elements of the innermost list (begun at `base`), at their exact length; the list ends. */
  private take<E>(base: number): E[] {
    const items = this.pending.slice(base, this.pendingTop) as E[];
    this.pendingTop = base;
    return items;
  }

  // ---- terms ----------------------------------------------------------------------------------

  private term(value: Value, start: number, end: number): Term {
    return new ParsedTerm(value, this.file, start, end);
  }

  /** The (shared) Variable value of `name`. */
  private variable(name: string): Value {
    let v = this.variables.get(name);
    if (v === undefined) {
      v = { type: "Variable", name };
      this.variables.set(name, v);
    }
    return v;
  }

  /** The (shared) String value of `value`. */
  private string(value: string): Value {
    let v = this.strings.get(value);
    if (v === undefined) {
      v = { type: "String", value };
      this.strings.set(value, v);
    }
    return v;
  }

  /** Sets the node fields to an expression of `kind` over [start, end) and returns its term. */
  private node(term: Term, kind: K, start: number, end: number): Term {
    this.nodeKind = kind;
    this.nodeStart = start;
    this.nodeEnd = end;
    return term;
  }

  /** A new term of `value` over [start, end) (end: the last consumed token's) as the current node. */
  private made(value: Value, kind: K, start: number, end = this.prevEnd): Term {
    return this.node(this.term(value, start, end), kind, start, end);
  }

  /** A new expression over [start, end) (one object: its own value and source) as the current node. */
  private madeExp(operator: Operator, args: readonly Term[], kind: K, start: number, end = this.prevEnd): Term {
    return this.node(new ParsedExpression(operator, args, this.file, start, end), kind, start, end);
  }

  private wrongType(term: Term, expected: string): never {
    throw new Failure(
      error(
        "ParseError::WrongValueType",
        `Wrong value type: ${toPolar(term)}. Expected a ${expected}`,
        term.source.kind === "parser" ? { file: this.file, start: term.source.start, end: term.source.end } : null,
      ),
    );
  }

  /** `term`, the node just parsed, which must be a value. */
  private expectValue(term: Term): Term {
    if (this.nodeKind === K.Logical) this.wrongType(term, "value");
    return term;
  }

  /** `term`, the node just parsed, which must be a logical expression. */
  private expectLogical(term: Term): Term {
    if (this.nodeKind === K.Value) this.wrongType(term, "logical expression");
    return term;
  }

  /** `Exp1` … `Exp10` of the grammar; `follow` = tokens valid after an expression of this level here. */
  private exp(level: number, mode: Mode, follow: number): Term {
    switch (level) {
      case 1:
        return this.chain(T.Or, "Or", 2, mode, follow, OPS_OR);
      case 2:
        return this.chain(T.And, "And", 3, mode, follow, OPS_AND);
      case 3:
        return this.notExp(mode, follow);
      case 4:
        return this.unifyExp(mode, follow);
      case 5:
        return this.binary(5, OPS_CMP, K.Logical, mode, follow);
      case 6:
        return this.binary(6, OPS_ADD, K.Value, mode, follow);
      case 7:
        return this.binary(7, OPS_MUL, K.Value, mode, follow);
      case 8:
        return this.inExp(mode, follow);
      default:
        return this.dotExp(mode, follow);
    }
  }

  /** Right-recursive `and`/`or` (`ExpectLogical<ExpN+1> op ExpectLogical<ExpN>`), flattened like the grammar's action. */
  private chain(op: T, operator: Operator, next: number, mode: Mode, follow: number, ops: number): Term {
    const first = this.exp(next, mode, follow | ops);
    if (this.kind !== op) return first;
    const start = this.nodeStart;
    const base = this.mark();
    this.pend(first);
    let last = first;
    while (this.kind === op) {
      this.expectLogical(last);
      this.advance();
      last = this.exp(next, mode, follow | ops);
      this.pend(last);
    }
    this.expectLogical(last);
    const end = this.nodeEnd;
    const lv = last.value;
    if (lv.type === "Expression" && lv.operator === operator) {
      // The last operand's own operands take its place (the grammar's action flattens them).
      this.pendingTop--;
      for (const arg of lv.args) this.pend(arg);
    }
    return this.madeExp(operator, this.take(base), K.Logical, start, end);
  }

  private notExp(mode: Mode, follow: number): Term {
    if (!this.at(T.Not)) return this.exp(4, mode, follow);
    const start = this.start;
    this.advance();
    const arg = this.expectLogical(this.exp(4, mode, follow));
    return this.madeExp("Not", [arg], K.Logical, start, this.nodeEnd);
  }

  private unifyExp(mode: Mode, follow: number): Term {
    const f = follow | OPS_UNIFY;
    let left: Term;
    if (this.at(T.Symbol) && this.peekKind() === T.Assign) {
      const start = this.start;
      const variable = this.termHere(this.variableHere());
      this.advance();
      this.advance();
      const r = this.expectValue(this.exp(5, mode, f));
      left = this.madeExp("Assign", [variable, r], K.Logical, start, this.nodeEnd);
    } else {
      left = this.exp(5, mode, f);
    }
    while (this.at(T.Unify)) {
      const l = this.expectValue(left);
      const start = this.nodeStart;
      this.advance();
      const r = this.expectValue(this.exp(5, mode, f));
      left = this.madeExp("Unify", [l, r], K.Logical, start, this.nodeEnd);
    }
    return left;
  }

  /** Left-associative binary levels 5–7: `ExpectValue<ExpN> op ExpectValue<ExpN+1>`. */
  private binary(level: number, ops: number, kind: K, mode: Mode, follow: number): Term {
    const f = follow | ops;
    let left = this.exp(level + 1, mode, f);
    while ((bit(this.kind) & ops) !== 0) {
      const l = this.expectValue(left);
      const start = this.nodeStart;
      const operator = BINARY[this.kind] as Operator;
      this.advance();
      const r = this.expectValue(this.exp(level + 1, mode, f));
      left = this.madeExp(operator, [l, r], kind, start, this.nodeEnd);
    }
    return left;
  }

  /** Level 8: `in` (right side Exp9) and `matches` (right side a plain pattern). */
  private inExp(mode: Mode, follow: number): Term {
    const f = follow | OPS_IN;
    let left = this.exp(9, mode, f);
    while (this.at(T.In) || this.at(T.Matches)) {
      const l = this.expectValue(left);
      const start = this.nodeStart;
      const isIn = this.at(T.In);
      this.advance();
      if (isIn) {
        const r = this.expectValue(this.exp(9, mode, f));
        left = this.madeExp("In", [l, r], K.Logical, start, this.nodeEnd);
      } else {
        const pattern = this.pattern(true);
        this.checkFollow(f);
        left = this.madeExp("Isa", [l, pattern], K.Logical, start);
      }
    }
    return left;
  }

  /** Level 9: dot lookups `a.b`, `a.m(x)`, `a.(b)`. */
  private dotExp(mode: Mode, follow: number): Term {
    const f = follow | OPS_DOT;
    let left = mode === Mode.Term ? this.termPrimary() : this.patternPrimary();
    this.checkFollow(f);
    while (this.at(T.Dot)) {
      const head = this.expectValue(left);
      const start = this.nodeStart;
      this.advance();
      const callTerm = this.callTerm();
      left = this.madeExp("Dot", [head, callTerm], K.Either, start);
      this.checkFollow(f);
    }
    return left;
  }

  /** `CallTerm` after a dot. */
  private callTerm(): Term {
    const kind = this.kind;
    const start = this.start;
    if (kind === T.Symbol || isResWord(kind)) {
      const name = this.name();
      if (this.peekKind() === T.LP) {
        this.advance();
        return this.callRest(name, start);
      }
      const term = this.termHere(this.string(name));
      this.advance();
      return term;
    }
    if (kind === T.LP) {
      this.advance();
      let value: Value;
      if (this.at(T.Symbol)) value = this.variableHere();
      else if (this.at(T.String)) value = this.stringHere();
      else this.unexpected();
      this.advance();
      this.expect(T.RP);
      return this.term(value, start, this.prevEnd);
    }
    this.unexpected();
  }

  /** Parenthesised `Exp1`: the inner term keeps its own span; the node's extent includes the parens. */
  private parenthesised(mode: Mode): Term {
    const start = this.start;
    this.advance();
    this.enter();
    const inner = this.exp(1, mode, F_RP);
    const kind = this.nodeKind;
    this.expect(T.RP);
    this.leave();
    return this.node(inner, kind, start, this.prevEnd);
  }

  /** `Value` of the grammar (term mode primaries). */
  private termPrimary(): Term {
    const start = this.start;
    switch (this.kind) {
      case T.Boolean: {
        const value = booleanAt(this.text, start) ? TRUE : FALSE;
        this.advance();
        return this.made(value, K.Either, start);
      }
      case T.Symbol: {
        if (this.peekKind() === T.LP) {
          const name = this.name();
          this.advance();
          const call = this.callRest(name, start);
          return this.node(call, K.Logical, start, this.prevEnd);
        }
        const value = this.variableHere();
        this.advance();
        return this.made(value, K.Either, start);
      }
      case T.Integer:
      case T.Float:
      case T.Add:
      case T.Sub:
        return this.made(this.number(), K.Value, start);
      case T.String: {
        const value = this.stringHere();
        this.advance();
        return this.made(value, K.Value, start);
      }
      case T.LB:
        return this.made(this.list(Mode.Term), K.Value, start);
      case T.LCB:
        return this.made({ type: "Dictionary", fields: this.object(this.dictTermValue) }, K.Value, start);
      case T.LP:
        return this.parenthesised(Mode.Term);
      case T.Print:
      case T.Debug: {
        const operator = this.at(T.Print) ? "Print" : "Debug";
        this.advance();
        const args = this.argList(true);
        return this.madeExp(operator, args, K.Logical, start);
      }
      case T.Cut:
        this.advance();
        return this.madeExp("Cut", NO_TERMS, K.Logical, start);
      case T.ForAll: {
        this.advance();
        this.expect(T.LP);
        this.enter();
        const a = this.expectLogical(this.exp(1, Mode.Term, mask(T.Comma)));
        this.expect(T.Comma);
        const b = this.expectLogical(this.exp(1, Mode.Term, F_RP));
        this.expect(T.RP);
        this.leave();
        return this.madeExp("ForAll", [a, b], K.Logical, start);
      }
      case T.New: {
        this.advance();
        if (this.at(T.LP)) return this.rewritten("New", start);
        if (!this.at(T.Symbol)) this.unexpected();
        // `new` Spanned<Call>: the call needs a name and parentheses.
        const callStart = this.start;
        const name = this.name();
        this.advance();
        if (!this.at(T.LP)) this.unexpected();
        const call = this.callRest(name, callStart);
        return this.madeExp("New", [call], K.Value, start);
      }
      case T.Dot:
        this.advance();
        return this.rewritten("Dot", start);
      case T.In:
        this.advance();
        return this.rewritten("In", start);
      default:
        this.unexpected();
    }
  }

  /** `RewrittenOperation`: `.(…)`, `new(…)`, `in(…)` with any terms as arguments. */
  private rewritten(operator: Operator, start: number): Term {
    this.expect(T.LP);
    this.enter();
    const base = this.mark();
    while (!this.at(T.RP)) {
      this.pend(this.exp(1, Mode.Term, F_COMMA_RP));
      if (this.at(T.Comma)) this.advance();
      else break;
    }
    this.expect(T.RP);
    this.leave();
    return this.madeExp(operator, this.take(base), K.Logical, start);
  }

  /** `print(…)`/`debug(…)` arguments: values, trailing comma allowed. */
  private argList(trailingComma: boolean): Term[] {
    this.expect(T.LP);
    this.enter();
    const base = this.mark();
    while (!this.at(T.RP)) {
      this.pend(this.expectValue(this.exp(1, Mode.Term, F_COMMA_RP)));
      if (this.at(T.Comma)) {
        this.advance();
        if (!trailingComma && this.at(T.RP)) this.unexpected();
      } else break;
    }
    this.expect(T.RP);
    this.leave();
    return this.take(base);
  }

  /** A call after its name: `(` positional values, then optional keyword arguments `)`. The current token is `(`. */
  private callRest(name: string, start: number): Term {
    this.expect(T.LP);
    this.enter();
    const base = this.mark();
    let kwargs: Map<string, Term> | null = null;
    if (!this.at(T.RP)) {
      for (;;) {
        if (this.isKwargStart()) {
          kwargs = this.kwargs();
          break;
        }
        this.pend(this.expectValue(this.exp(1, Mode.Term, F_COMMA_RP)));
        if (this.at(T.Comma)) {
          this.advance();
          continue;
        }
        break;
      }
    }
    this.expect(T.RP);
    this.leave();
    const args = this.take<Term>(base);
    return this.term({ type: "Call", name, args, kwargs }, start, this.prevEnd);
  }

  private isKwargStart(): boolean {
    const k = this.kind;
    if (k === T.Symbol) return this.peekKind() === T.Colon;
    if (isResWord(k)) return !resWordStartsTerm(k) || this.peekKind() === T.Colon;
    return false;
  }

  /** `Kwargs<ValExp>`: `name: value` pairs, extra commas allowed after the first; stops before `)`. */
  private kwargs(): Map<string, Term> {
    const fields = new Map<string, Term>();
    const firstStart = this.start;
    let first = true;
    for (;;) {
      const name = this.name();
      this.advance();
      this.expect(T.Colon);
      const value = this.expectValue(this.exp(1, Mode.Term, F_COMMA_RP));
      this.addField(fields, name, value, firstStart, first);
      first = false;
      for (;;) {
        if (this.at(T.Comma)) {
          this.advance();
          if (this.at(T.Symbol) || isResWord(this.kind)) break;
          continue;
        }
        if (this.at(T.RP)) return fields;
        this.unexpected();
      }
    }
  }

  private addField(fields: Map<string, Term>, key: string, value: Term, firstStart: number, first: boolean): void {
    if (!first && fields.has(key)) {
      throw new Failure(
        error("ParseError::DuplicateKey", `Duplicate key: ${key}`, {
          file: this.file,
          start: firstStart,
          end: firstStart + key.length,
        }),
      );
    }
    fields.set(key, value);
  }

  /** `Object<T>`: `{}` or fields with `name: value`, `resword: value` or a bare variable. The current token is `{`. */
  private object(value: (this: Parser) => Term): Fields {
    this.advance();
    this.enter();
    const fields = new Map<string, Term>();
    if (!this.at(T.RCB)) {
      const firstStart = this.start;
      let first = true;
      for (;;) {
        if (this.at(T.Symbol)) {
          const start = this.start;
          const end = this.end;
          const name = this.name();
          this.advance();
          if (this.at(T.Colon)) {
            this.advance();
            this.addField(fields, name, value.call(this), firstStart, first);
          } else {
            this.addField(fields, name, this.term(this.variable(name), start, end), firstStart, first);
          }
        } else if (isResWord(this.kind)) {
          const name = this.name();
          this.advance();
          this.expect(T.Colon);
          this.addField(fields, name, value.call(this), firstStart, first);
        } else {
          this.unexpected();
        }
        first = false;
        let more = false;
        for (;;) {
          if (this.at(T.Comma)) {
            this.advance();
            if (this.at(T.Symbol) || isResWord(this.kind)) {
              more = true;
              break;
            }
            continue;
          }
          if (this.at(T.RCB)) break;
          this.unexpected();
        }
        if (!more) break;
      }
    }
    this.expect(T.RCB);
    this.leave();
    return fields;
  }

  private dictTermValue(this: Parser): Term {
    return this.expectValue(this.exp(5, Mode.Term, F_COMMA_RCB));
  }

  private dictPatternValue(this: Parser): Term {
    return this.expectValue(this.exp(9, Mode.Pattern, F_COMMA_RCB));
  }

  private declarationValue(this: Parser): Term {
    if (!this.at(T.Symbol)) this.unexpected();
    const term = this.termHere(this.variableHere());
    this.advance();
    return term;
  }

  /** `List<T>`: `[]`, `[*r]`, `[a, b]`, `[a, b, *r]`, extra commas allowed after an element. The current token is `[`. */
  private list(mode: Mode): Value {
    this.advance();
    this.enter();
    const base = this.mark();
    if (this.at(T.Mul)) {
      this.pend(this.restVar());
    } else if (!this.at(T.RB)) {
      this.pend(this.expectValue(this.exp(6, mode, F_COMMA_RB)));
      while (this.at(T.Comma)) {
        this.advance();
        if (this.at(T.Mul)) {
          this.pend(this.restVar());
          break;
        }
        if (this.at(T.RB) || this.at(T.Comma)) continue;
        this.pend(this.expectValue(this.exp(6, mode, F_COMMA_RB)));
      }
    }
    this.expect(T.RB);
    this.leave();
    return { type: "List", elements: this.take(base) };
  }

  private restVar(): Term {
    const start = this.start;
    this.advance();
    if (!this.at(T.Symbol)) this.unexpected();
    const name = this.name();
    this.advance();
    return this.term({ type: "RestVariable", name }, start, this.prevEnd);
  }

  /** `Number`: an optionally signed integer or float. */
  private number(): Value {
    let negative = false;
    if (this.at(T.Add) || this.at(T.Sub)) {
      negative = this.at(T.Sub);
      this.advance();
    }
    const kind = this.kind;
    if (kind !== T.Integer && kind !== T.Float) this.unexpected();
    // Shared by sign and spelling (`1` and `1.0`, `0.0` and `-0.0` stay apart): values are immutable.
    const key = (negative ? "-" : "") + this.text.slice(this.start, this.end);
    let v = this.numbers.get(key);
    if (v === undefined) {
      if (kind === T.Integer) {
        const value = integerAt(this.text, this.start, this.end);
        v = { type: "Number", number: { kind: "integer", value: negative ? -value : value } };
      } else {
        const value = floatAt(this.text, this.start, this.end);
        v = { type: "Number", number: { kind: "float", value: negative ? -value : value } };
      }
      this.numbers.set(key, v);
    }
    this.advance();
    return v;
  }

  /**
   * `Pattern` of the grammar (specializers, right side of `matches`). With `bareClass`, a bare
   * class name is an instance pattern without fields (one shared value per class), as the
   * engine reads a specializer or the right side of `matches`.
   */
  private pattern(bareClass = false): Term {
    const start = this.start;
    switch (this.kind) {
      case T.Integer:
      case T.Float:
      case T.Add:
      case T.Sub:
        return this.term(this.number(), start, this.prevEnd);
      case T.String: {
        const term = this.termHere(this.stringHere());
        this.advance();
        return term;
      }
      case T.Boolean: {
        const term = this.termHere(booleanAt(this.text, start) ? TRUE : FALSE);
        this.advance();
        return term;
      }
      case T.Symbol: {
        const end = this.end;
        const tag = this.text.slice(start, end);
        this.advance();
        if (this.at(T.LCB)) {
          const fields = this.object(this.dictPatternValue);
          return this.term({ type: "InstancePattern", tag, fields }, start, this.prevEnd);
        }
        return this.term(bareClass ? this.classPattern(tag) : this.variable(tag), start, end);
      }
      case T.LCB:
        return this.term(
          { type: "DictionaryPattern", fields: this.object(this.dictPatternValue) },
          start,
          this.prevEnd,
        );
      case T.LB:
        return this.term(this.list(Mode.Pattern), start, this.prevEnd);
      default:
        this.unexpected();
    }
  }

  /** `Exp10<"Pattern">`: a pattern or a parenthesised pattern expression. */
  private patternPrimary(): Term {
    if (this.at(T.LP)) return this.parenthesised(Mode.Pattern);
    const start = this.start;
    const term = this.pattern();
    return this.node(term, K.Value, start, this.prevEnd);
  }

  /** The (shared) value of a bare class name used as a pattern: an instance pattern without fields. */
  private classPattern(tag: string): Value {
    let value = this.classPatterns.get(tag);
    if (value === undefined) {
      // One name string per class: the one its symbol's (shared) value holds, as a block's name does.
      const symbol = this.variable(tag);
      value = instancePattern(symbol.type === "Variable" ? symbol.name : tag);
      this.classPatterns.set(tag, value);
    }
    return value;
  }

  // ---- lines ----------------------------------------------------------------------------------

  /**
   * Top-level items until the end of the file, or until `stop(end)` holds for an item's end offset
   * (just after its `;` or `}`); `ends` receives each item's end offset.
   */
  parseLines(ends: number[] = [], stop: (end: number) => boolean = () => false): Line[] {
    const lines: Line[] = [];
    while (!this.at(T.EOF)) {
      lines.push(this.line());
      ends.push(this.prevEnd);
      if (stop(this.prevEnd)) break;
    }
    return lines;
  }

  private line(): Line {
    switch (this.kind) {
      case T.Symbol: {
        const start = this.start;
        const end = this.end;
        this.advance();
        if (this.at(T.LP)) return { kind: "rule", rule: this.rule(start, end) };
        if (this.at(T.LCB)) return this.block(-1, -1, start, end);
        if (this.at(T.Symbol)) {
          const nameStart = this.start;
          const nameEnd = this.end;
          this.advance();
          if (!this.at(T.LCB)) this.unexpected();
          return this.block(start, end, nameStart, nameEnd);
        }
        this.unexpected();
        break;
      }
      case T.Type: {
        this.advance();
        if (!this.at(T.Symbol)) this.unexpected();
        const start = this.start;
        const end = this.end;
        this.advance();
        if (!this.at(T.LP)) this.unexpected();
        const params = this.head();
        const headEnd = this.prevEnd;
        if (!this.at(T.SemiColon)) this.unexpected();
        const rule = this.bodiless(start, end, params, headEnd);
        return { kind: "ruleType", rule };
      }
      case T.Query: {
        this.advance();
        const term = this.exp(1, Mode.Term, F_SEMI);
        this.expect(T.SemiColon);
        return { kind: "query", term };
      }
      default:
        break;
    }
    this.unexpected();
  }

  /** Rule head parameters; the current token is `(`. The head ends at `prevEnd` on return. */
  private head(): Parameter[] {
    this.advance();
    const base = this.mark();
    if (!this.at(T.RP)) {
      for (;;) {
        this.pend(this.parameter());
        if (this.at(T.Comma)) {
          this.advance();
          continue;
        }
        if (this.at(T.RP)) break;
        this.unexpected();
      }
    }
    this.expect(T.RP);
    return this.take(base);
  }

  private parameter(): Parameter {
    if (this.at(T.Symbol) && this.peekKind() === T.Colon) {
      const parameter = this.termHere(this.variableHere());
      this.advance();
      this.advance();
      const specializer = this.pattern(true);
      return { parameter, specializer };
    }
    return { parameter: this.expectValue(this.exp(6, Mode.Term, F_COMMA_RP)), specializer: null };
  }

  /** A rule whose name is at [nameStart, nameEnd); the current token is `(`. */
  private rule(nameStart: number, nameEnd: number): Rule {
    const params = this.head();
    const headEnd = this.prevEnd;
    if (this.at(T.SemiColon)) return this.bodiless(nameStart, nameEnd, params, headEnd);
    if (!this.at(T.If)) this.unexpected();
    this.advance();
    const body = this.exp(1, Mode.Term, F_SEMI);
    this.expect(T.SemiColon);
    const bv = body.value;
    const bs = body.source;
    const wrapped: Term =
      bv.type === "Expression" && bv.operator === "And"
        ? body
        : bs.kind === "parser"
          ? new ParsedExpression("And", [body], this.file, bs.start, bs.end)
          : { value: { type: "Expression", operator: "And", args: [body] }, source: bs };
    return {
      name: this.text.slice(nameStart, nameEnd),
      params,
      body: wrapped,
      source: { kind: "parser", file: this.file, start: nameStart, end: headEnd },
    };
  }

  /** A rule without body; like the grammar, its span ends where the `;` starts. The current token is `;`. */
  private bodiless(nameStart: number, nameEnd: number, params: Parameter[], headEnd: number): Rule {
    const semi = this.start;
    this.advance();
    return {
      name: this.text.slice(nameStart, nameEnd),
      params,
      body: new ParsedExpression("And", NO_TERMS, this.file, semi, headEnd),
      source: { kind: "parser", file: this.file, start: nameStart, end: semi },
    };
  }

  /** A block with the keyword at [keywordStart, keywordEnd) (-1 without one) and the name at [nameStart, nameEnd); the current token is `{`. */
  private block(keywordStart: number, keywordEnd: number, nameStart: number, nameEnd: number): Line {
    this.advance(); // {
    const base = this.mark();
    for (;;) {
      if (this.at(T.RCB)) break;
      if (this.at(T.Symbol)) this.pend(this.declaration());
      else if (this.at(T.String)) this.pend(this.shorthand());
      else this.unexpected();
    }
    this.advance(); // }
    const start = keywordStart >= 0 ? keywordStart : nameStart;
    const text = this.text;
    return {
      kind: "resourceBlock",
      keyword:
        keywordStart < 0
          ? null
          : this.term(this.variable(text.slice(keywordStart, keywordEnd)), keywordStart, keywordEnd),
      resource: this.term(this.variable(text.slice(nameStart, nameEnd)), start, this.prevEnd),
      nameStart,
      nameEnd,
      productions: this.take(base),
    };
  }

  private declaration(): Production {
    const name = this.termHere(this.variableHere());
    this.advance();
    this.expect(T.Unify);
    const start = this.start;
    let value: Value;
    if (this.at(T.LB)) value = this.stringList();
    else if (this.at(T.LCB)) value = { type: "Dictionary", fields: this.object(this.declarationValue) };
    else this.unexpected();
    const valueTerm = this.term(value, start, this.prevEnd);
    this.expect(T.SemiColon);
    return { kind: "declaration", name, value: valueTerm };
  }

  /** The current token, which must be a String, as a term. */
  private stringTerm(): Term {
    if (!this.at(T.String)) this.unexpected();
    const term = this.termHere(this.stringHere());
    this.advance();
    return term;
  }

  private stringList(): Value {
    this.advance();
    const base = this.mark();
    if (!this.at(T.RB)) {
      this.pend(this.stringTerm());
      for (;;) {
        if (this.at(T.Comma)) {
          this.advance();
          if (this.at(T.String)) this.pend(this.stringTerm());
          continue;
        }
        if (this.at(T.RB)) break;
        this.unexpected();
      }
    }
    this.expect(T.RB);
    return { type: "List", elements: this.take(base) };
  }

  /** A shorthand rule: one object of values and spans, its terms built when read (see {@link ParsedShorthand}). */
  private shorthand(): Production {
    if (!this.at(T.String)) this.unexpected();
    const head = this.stringHere();
    const headStart = this.start;
    const headEnd = this.end;
    this.advance();
    this.expect(T.If);
    if (!this.at(T.String)) this.unexpected();
    const implier = this.stringHere();
    const implierStart = this.start;
    const implierEnd = this.end;
    this.advance();
    if (!this.at(T.Symbol)) {
      this.expect(T.SemiColon);
      return new ParsedShorthand(this.file, head, headStart, headEnd, implier, implierStart, implierEnd);
    }
    const keyword = this.variableHere();
    const keywordStart = this.start;
    const keywordEnd = this.end;
    this.advance();
    if (!this.at(T.String)) this.unexpected();
    const relation = this.stringHere();
    const relationStart = this.start;
    const relationEnd = this.end;
    this.advance();
    this.expect(T.SemiColon);
    return new ParsedRelationShorthand(
      this.file,
      head,
      headStart,
      headEnd,
      implier,
      implierStart,
      implierEnd,
      keyword,
      keywordStart,
      keywordEnd,
      relation,
      relationStart,
      relationEnd,
    );
  }
}

/**
 * Parses one Polar file into lines, or returns its first parse error exactly as polar-core reports
 * it. Never throws.
 */
export function parseFile(file: SourceFile): ParseResult {
  const ends: number[] = [];
  const result = parseItems(file, 0, ends);
  if (result.ok) ITEM_ENDS.set(result.value, ends);
  return result;
}

/**
 * End offset (just after the `;` or `}`) of each top-level item of a successful parse, by its line
 * array: where the lexer and parser are back at the top level, for {@link reparseFile}.
 */
export const ITEM_ENDS = new WeakMap<readonly Line[], readonly number[]>();

/**
 * Parses top-level items of `file` from offset `start` (0, or the end of a top-level item), pushing
 * each item's end offset to `ends`, until the end of the file or until `stop(end)` holds. Never throws.
 */
export function parseItems(
  file: SourceFile,
  start: number,
  ends: number[],
  stop?: (end: number) => boolean,
): Result<Line[]> {
  try {
    const parser = new Parser(file, start);
    return ok(parser.parseLines(ends, stop));
  } catch (e) {
    if (e instanceof Failure) return err(e.diagnostic);
    // A bug in the parser must not take down the editor: report it on the file.
    return err(error("ParseError::InternalError", `internal analyzer error: ${String(e)}`, { file, start: 0, end: 0 }));
  }
}
