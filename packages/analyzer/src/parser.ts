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
import { Lexer, T, isLexError, tokenText } from "./lexer.js";
import type { LexError, Token } from "./lexer.js";
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

interface Node {
  readonly term: Term;
  readonly kind: K;
  /** Extent of the production, including enclosing parentheses. */
  readonly start: number;
  readonly end: number;
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

/**
 * `items` at its exact length. An array grown by `push` keeps spare capacity (17 slots after the
 * first push), and a load keeps every argument list it parsed: a copy of a short list costs less
 * than its slack. Lists that stayed empty have no storage and are returned as they are.
 */
function fit<T>(items: T[]): T[] {
  return items.length === 0 ? items : items.slice();
}

/** Thrown inside the parser only; `parseFile` turns it into a diagnostic. */
class Failure {
  constructor(readonly diagnostic: Diagnostic) {}
}

class Parser {
  private readonly lexer: Lexer;
  private cur: Token;
  private peeked: Token | null = null;
  /** End offset of the last consumed token. */
  private prevEnd = 0;
  private depth = 0;
  /**
   * Symbol and string values of this parse by name: values are immutable, so every occurrence of
   * a name shares one value object (and one name string) instead of keeping its own. Most terms
   * of a policy are such leaves, and a load keeps every term it parsed.
   */
  private readonly variables = new Map<string, Value>();
  private readonly strings = new Map<string, Value>();

  constructor(
    private readonly file: SourceFile,
    start = 0,
  ) {
    this.lexer = new Lexer(file.text, start);
    this.prevEnd = start;
    this.cur = this.lex();
  }

  // ---- tokens ---------------------------------------------------------------------------------

  private lex(): Token {
    const t = this.lexer.next();
    if (isLexError(t)) throw new Failure(this.lexError(t));
    return t;
  }

  private advance(): Token {
    const t = this.cur;
    this.prevEnd = t.end;
    if (this.peeked !== null) {
      this.cur = this.peeked;
      this.peeked = null;
    } else {
      this.cur = this.lex();
    }
    return t;
  }

  /** The token after `cur`. Only called when `cur` is valid here, as an LR(1) parser would shift it first. */
  private peek(): Token {
    if (this.peeked === null) this.peeked = this.lex();
    return this.peeked;
  }

  /** Is the current token of this kind? (A method, so that TypeScript does not narrow `cur` across `advance()`.) */
  private at(kind: T): boolean {
    return this.cur.kind === kind;
  }

  private expect(kind: T): Token {
    if (this.cur.kind !== kind) this.unexpected();
    return this.advance();
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

  /** Reports `cur` as unexpected: UnrecognizedEOF, ReservedWord or UnrecognizedToken. */
  private unexpected(): never {
    const t = this.cur;
    if (t.kind === T.EOF) {
      throw new Failure(
        error("ParseError::UnrecognizedEOF", "hit the end of the file unexpectedly. Did you forget a semi-colon", {
          file: this.file,
          start: this.prevEnd,
          end: this.prevEnd,
        }),
      );
    }
    const text = tokenText(t);
    const ctx = { file: this.file, start: t.start, end: t.start + text.length };
    if (t.kind === T.Debug || t.kind === T.Cut || t.kind === T.In || t.kind === T.New) {
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
    if ((bit(this.cur.kind) & valid) === 0) this.unexpected();
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) {
      throw new Failure(
        error("ParseError::NestingTooDeep", `brackets are nested more than ${MAX_NESTING} levels deep`, {
          file: this.file,
          start: this.cur.start,
          end: this.cur.end,
        }),
      );
    }
  }

  private leave(): void {
    this.depth--;
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

  private node(value: Value, kind: K, start: number, end = this.prevEnd): Node {
    return { term: this.term(value, start, end), kind, start, end };
  }

  private wrongType(node: Node, expected: string): never {
    throw new Failure(
      error(
        "ParseError::WrongValueType",
        `Wrong value type: ${toPolar(node.term)}. Expected a ${expected}`,
        node.term.source.kind === "parser"
          ? { file: this.file, start: node.term.source.start, end: node.term.source.end }
          : null,
      ),
    );
  }

  private expectValue(node: Node): Term {
    if (node.kind === K.Logical) this.wrongType(node, "value");
    return node.term;
  }

  private expectLogical(node: Node): Term {
    if (node.kind === K.Value) this.wrongType(node, "logical expression");
    return node.term;
  }

  /** `Exp1` … `Exp10` of the grammar; `follow` = tokens valid after an expression of this level here. */
  private exp(level: number, mode: Mode, follow: number): Node {
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
  private chain(op: T, operator: Operator, next: number, mode: Mode, follow: number, ops: number): Node {
    const first = this.exp(next, mode, follow | ops);
    if (this.cur.kind !== op) return first;
    const operands: Node[] = [first];
    while (this.cur.kind === op) {
      this.expectLogical(operands[operands.length - 1] as Node);
      this.advance();
      operands.push(this.exp(next, mode, follow | ops));
    }
    const last = operands[operands.length - 1] as Node;
    this.expectLogical(last);
    const lv = last.term.value;
    const tail = lv.type === "Expression" && lv.operator === operator ? lv.args : [last.term];
    // concat, not push: the list is kept at its exact length (see `fit`).
    const args: Term[] = operands
      .slice(0, -1)
      .map((n) => n.term)
      .concat(tail);
    return this.node({ type: "Expression", operator, args }, K.Logical, first.start, last.end);
  }

  private notExp(mode: Mode, follow: number): Node {
    if (!this.at(T.Not)) return this.exp(4, mode, follow);
    const start = this.advance().start;
    const operand = this.exp(4, mode, follow);
    const arg = this.expectLogical(operand);
    return this.node({ type: "Expression", operator: "Not", args: [arg] }, K.Logical, start, operand.end);
  }

  private unifyExp(mode: Mode, follow: number): Node {
    const f = follow | OPS_UNIFY;
    let left: Node;
    if (this.at(T.Symbol) && this.peek().kind === T.Assign) {
      const v = this.advance();
      const variable = this.term(this.variable(v.text), v.start, v.end);
      this.advance();
      const right = this.exp(5, mode, f);
      const r = this.expectValue(right);
      left = this.node({ type: "Expression", operator: "Assign", args: [variable, r] }, K.Logical, v.start, right.end);
    } else {
      left = this.exp(5, mode, f);
    }
    while (this.at(T.Unify)) {
      const l = this.expectValue(left);
      this.advance();
      const right = this.exp(5, mode, f);
      const r = this.expectValue(right);
      left = this.node({ type: "Expression", operator: "Unify", args: [l, r] }, K.Logical, left.start, right.end);
    }
    return left;
  }

  /** Left-associative binary levels 5–7: `ExpectValue<ExpN> op ExpectValue<ExpN+1>`. */
  private binary(level: number, ops: number, kind: K, mode: Mode, follow: number): Node {
    const f = follow | ops;
    let left = this.exp(level + 1, mode, f);
    while ((bit(this.cur.kind) & ops) !== 0) {
      const l = this.expectValue(left);
      const operator = BINARY[this.advance().kind] as Operator;
      const right = this.exp(level + 1, mode, f);
      const r = this.expectValue(right);
      left = this.node({ type: "Expression", operator, args: [l, r] }, kind, left.start, right.end);
    }
    return left;
  }

  /** Level 8: `in` (right side Exp9) and `matches` (right side a plain pattern). */
  private inExp(mode: Mode, follow: number): Node {
    const f = follow | OPS_IN;
    let left = this.exp(9, mode, f);
    while (this.at(T.In) || this.at(T.Matches)) {
      const l = this.expectValue(left);
      if (this.advance().kind === T.In) {
        const right = this.exp(9, mode, f);
        const r = this.expectValue(right);
        left = this.node({ type: "Expression", operator: "In", args: [l, r] }, K.Logical, left.start, right.end);
      } else {
        const pattern = this.classPattern(this.pattern());
        this.checkFollow(f);
        left = this.node(
          { type: "Expression", operator: "Isa", args: [l, pattern] },
          K.Logical,
          left.start,
          this.prevEnd,
        );
      }
    }
    return left;
  }

  /** Level 9: dot lookups `a.b`, `a.m(x)`, `a.(b)`. */
  private dotExp(mode: Mode, follow: number): Node {
    const f = follow | OPS_DOT;
    let left = mode === Mode.Term ? this.termPrimary() : this.patternPrimary();
    this.checkFollow(f);
    while (this.at(T.Dot)) {
      const head = this.expectValue(left);
      this.advance();
      const callTerm = this.callTerm();
      left = this.node({ type: "Expression", operator: "Dot", args: [head, callTerm] }, K.Either, left.start);
      this.checkFollow(f);
    }
    return left;
  }

  /** `CallTerm` after a dot. */
  private callTerm(): Term {
    const t = this.cur;
    if (t.kind === T.Symbol || isResWord(t.kind)) {
      const name = t.kind === T.Symbol ? t.text : (RES_WORD_TEXT[t.kind] as string);
      if (this.peek().kind === T.LP) {
        this.advance();
        return this.callRest(name, t.start);
      }
      this.advance();
      return this.term(this.string(name), t.start, t.end);
    }
    if (t.kind === T.LP) {
      this.advance();
      const inner = this.cur;
      let value: Value;
      if (inner.kind === T.Symbol) value = this.variable(inner.text);
      else if (inner.kind === T.String) value = this.string(inner.text);
      else this.unexpected();
      this.advance();
      this.expect(T.RP);
      return this.term(value, t.start, this.prevEnd);
    }
    this.unexpected();
  }

  /** Parenthesised `Exp1`: the inner term keeps its own span; the node's extent includes the parens. */
  private parenthesised(mode: Mode): Node {
    const start = this.advance().start;
    this.enter();
    const inner = this.exp(1, mode, F_RP);
    this.expect(T.RP);
    this.leave();
    return { term: inner.term, kind: inner.kind, start, end: this.prevEnd };
  }

  /** `Value` of the grammar (term mode primaries). */
  private termPrimary(): Node {
    const t = this.cur;
    switch (t.kind) {
      case T.Boolean:
        this.advance();
        return this.node(t.bool ? TRUE : FALSE, K.Either, t.start);
      case T.Symbol:
        if (this.peek().kind === T.LP) {
          this.advance();
          const call = this.callRest(t.text, t.start);
          return { term: call, kind: K.Logical, start: t.start, end: this.prevEnd };
        }
        this.advance();
        return this.node(this.variable(t.text), K.Either, t.start);
      case T.Integer:
      case T.Float:
      case T.Add:
      case T.Sub:
        return this.node(this.number(), K.Value, t.start);
      case T.String:
        this.advance();
        return this.node(this.string(t.text), K.Value, t.start);
      case T.LB:
        return this.node(this.list(Mode.Term), K.Value, t.start);
      case T.LCB:
        return this.node({ type: "Dictionary", fields: this.object(this.dictTermValue) }, K.Value, t.start);
      case T.LP:
        return this.parenthesised(Mode.Term);
      case T.Print:
      case T.Debug: {
        this.advance();
        const args = this.argList(true);
        return this.node(
          { type: "Expression", operator: t.kind === T.Print ? "Print" : "Debug", args },
          K.Logical,
          t.start,
        );
      }
      case T.Cut:
        this.advance();
        return this.node({ type: "Expression", operator: "Cut", args: [] }, K.Logical, t.start);
      case T.ForAll: {
        this.advance();
        this.expect(T.LP);
        this.enter();
        const a = this.expectLogical(this.exp(1, Mode.Term, mask(T.Comma)));
        this.expect(T.Comma);
        const b = this.expectLogical(this.exp(1, Mode.Term, F_RP));
        this.expect(T.RP);
        this.leave();
        return this.node({ type: "Expression", operator: "ForAll", args: [a, b] }, K.Logical, t.start);
      }
      case T.New: {
        this.advance();
        const next = this.cur;
        if (next.kind === T.LP) return this.rewritten("New", t.start);
        if (next.kind !== T.Symbol) this.unexpected();
        // `new` Spanned<Call>: the call needs a name and parentheses.
        this.advance();
        if (!this.at(T.LP)) this.unexpected();
        const call = this.callRest(next.text, next.start);
        return this.node({ type: "Expression", operator: "New", args: [call] }, K.Value, t.start);
      }
      case T.Dot:
        this.advance();
        return this.rewritten("Dot", t.start);
      case T.In:
        this.advance();
        return this.rewritten("In", t.start);
      default:
        this.unexpected();
    }
  }

  /** `RewrittenOperation`: `.(…)`, `new(…)`, `in(…)` with any terms as arguments. */
  private rewritten(operator: Operator, start: number): Node {
    this.expect(T.LP);
    this.enter();
    const args: Term[] = [];
    while (!this.at(T.RP)) {
      args.push(this.exp(1, Mode.Term, F_COMMA_RP).term);
      if (this.at(T.Comma)) this.advance();
      else break;
    }
    this.expect(T.RP);
    this.leave();
    return this.node({ type: "Expression", operator, args: fit(args) }, K.Logical, start);
  }

  /** `print(…)`/`debug(…)` arguments: values, trailing comma allowed. */
  private argList(trailingComma: boolean): Term[] {
    this.expect(T.LP);
    this.enter();
    const args: Term[] = [];
    while (!this.at(T.RP)) {
      args.push(this.expectValue(this.exp(1, Mode.Term, F_COMMA_RP)));
      if (this.at(T.Comma)) {
        this.advance();
        if (!trailingComma && this.at(T.RP)) this.unexpected();
      } else break;
    }
    this.expect(T.RP);
    this.leave();
    return fit(args);
  }

  /** A call after its name: `(` positional values, then optional keyword arguments `)`. `cur` is `(`. */
  private callRest(name: string, start: number): Term {
    this.expect(T.LP);
    this.enter();
    const args: Term[] = [];
    let kwargs: Map<string, Term> | null = null;
    if (!this.at(T.RP)) {
      for (;;) {
        if (this.isKwargStart()) {
          kwargs = this.kwargs();
          break;
        }
        args.push(this.expectValue(this.exp(1, Mode.Term, F_COMMA_RP)));
        if (this.at(T.Comma)) {
          this.advance();
          continue;
        }
        break;
      }
    }
    this.expect(T.RP);
    this.leave();
    return this.term({ type: "Call", name, args: fit(args), kwargs }, start, this.prevEnd);
  }

  private isKwargStart(): boolean {
    const k = this.cur.kind;
    if (k === T.Symbol) return this.peek().kind === T.Colon;
    if (isResWord(k)) return !resWordStartsTerm(k) || this.peek().kind === T.Colon;
    return false;
  }

  /** `Kwargs<ValExp>`: `name: value` pairs, extra commas allowed after the first; stops before `)`. */
  private kwargs(): Map<string, Term> {
    const fields = new Map<string, Term>();
    const firstStart = this.cur.start;
    let first = true;
    for (;;) {
      const nameTok = this.advance();
      const name = nameTok.kind === T.Symbol ? nameTok.text : (RES_WORD_TEXT[nameTok.kind] as string);
      this.expect(T.Colon);
      const value = this.expectValue(this.exp(1, Mode.Term, F_COMMA_RP));
      this.addField(fields, name, value, firstStart, first);
      first = false;
      for (;;) {
        if (this.at(T.Comma)) {
          this.advance();
          if (this.at(T.Symbol) || isResWord(this.cur.kind)) break;
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

  /** `Object<T>`: `{}` or fields with `name: value`, `resword: value` or a bare variable. `cur` is `{`. */
  private object(value: (this: Parser) => Term): Fields {
    this.advance();
    this.enter();
    const fields = new Map<string, Term>();
    if (!this.at(T.RCB)) {
      const firstStart = this.cur.start;
      let first = true;
      for (;;) {
        const t = this.cur;
        if (t.kind === T.Symbol) {
          this.advance();
          if (this.at(T.Colon)) {
            this.advance();
            this.addField(fields, t.text, value.call(this), firstStart, first);
          } else {
            this.addField(fields, t.text, this.term(this.variable(t.text), t.start, t.end), firstStart, first);
          }
        } else if (isResWord(t.kind)) {
          this.advance();
          this.expect(T.Colon);
          this.addField(fields, RES_WORD_TEXT[t.kind] as string, value.call(this), firstStart, first);
        } else {
          this.unexpected();
        }
        first = false;
        let more = false;
        for (;;) {
          if (this.at(T.Comma)) {
            this.advance();
            if (this.at(T.Symbol) || isResWord(this.cur.kind)) {
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
    const t = this.expect(T.Symbol);
    return this.term(this.variable(t.text), t.start, t.end);
  }

  /** `List<T>`: `[]`, `[*r]`, `[a, b]`, `[a, b, *r]`, extra commas allowed after an element. `cur` is `[`. */
  private list(mode: Mode): Value {
    this.advance();
    this.enter();
    const elements: Term[] = [];
    if (this.at(T.Mul)) {
      elements.push(this.restVar());
    } else if (!this.at(T.RB)) {
      elements.push(this.expectValue(this.exp(6, mode, F_COMMA_RB)));
      while (this.at(T.Comma)) {
        this.advance();
        if (this.at(T.Mul)) {
          elements.push(this.restVar());
          break;
        }
        if (this.at(T.RB) || this.at(T.Comma)) continue;
        elements.push(this.expectValue(this.exp(6, mode, F_COMMA_RB)));
      }
    }
    this.expect(T.RB);
    this.leave();
    return { type: "List", elements: fit(elements) };
  }

  private restVar(): Term {
    const start = this.advance().start;
    const name = this.expect(T.Symbol);
    return this.term({ type: "RestVariable", name: name.text }, start, name.end);
  }

  /** `Number`: an optionally signed integer or float. */
  private number(): Value {
    let sign = 1;
    if (this.at(T.Add) || this.at(T.Sub)) {
      if (this.advance().kind === T.Sub) sign = -1;
    }
    const t = this.cur;
    if (t.kind === T.Integer) {
      this.advance();
      return { type: "Number", number: { kind: "integer", value: sign < 0 ? -t.int : t.int } };
    }
    if (t.kind === T.Float) {
      this.advance();
      return { type: "Number", number: { kind: "float", value: sign < 0 ? -t.float : t.float } };
    }
    this.unexpected();
  }

  /** `Pattern` of the grammar (specializers, right side of `matches`). */
  private pattern(): Term {
    const t = this.cur;
    switch (t.kind) {
      case T.Integer:
      case T.Float:
      case T.Add:
      case T.Sub:
        return this.term(this.number(), t.start, this.prevEnd);
      case T.String:
        this.advance();
        return this.term(this.string(t.text), t.start, t.end);
      case T.Boolean:
        this.advance();
        return this.term(t.bool ? TRUE : FALSE, t.start, t.end);
      case T.Symbol:
        this.advance();
        if (this.at(T.LCB)) {
          const fields = this.object(this.dictPatternValue);
          return this.term({ type: "InstancePattern", tag: t.text, fields }, t.start, this.prevEnd);
        }
        return this.term(this.variable(t.text), t.start, t.end);
      case T.LCB:
        return this.term(
          { type: "DictionaryPattern", fields: this.object(this.dictPatternValue) },
          t.start,
          this.prevEnd,
        );
      case T.LB:
        return this.term(this.list(Mode.Pattern), t.start, this.prevEnd);
      default:
        this.unexpected();
    }
  }

  /** `Exp10<"Pattern">`: a pattern or a parenthesised pattern expression. */
  private patternPrimary(): Node {
    if (this.at(T.LP)) return this.parenthesised(Mode.Pattern);
    const start = this.cur.start;
    const term = this.pattern();
    return { term, kind: K.Value, start, end: this.prevEnd };
  }

  /** A bare class name used as a pattern means an instance pattern without fields. */
  private classPattern(pattern: Term): Term {
    if (pattern.value.type !== "Variable") return pattern;
    const source = pattern.source;
    const value: Value = instancePattern(pattern.value.name);
    return source.kind === "parser" ? new ParsedTerm(value, source.file, source.start, source.end) : { value, source };
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
    const t = this.cur;
    switch (t.kind) {
      case T.Symbol: {
        this.advance();
        if (this.at(T.LP)) return { kind: "rule", rule: this.rule(t) };
        if (this.at(T.LCB)) return this.block(null, t);
        if (this.at(T.Symbol)) {
          const name = this.advance();
          if (!this.at(T.LCB)) this.unexpected();
          return this.block(t, name);
        }
        this.unexpected();
        break;
      }
      case T.Type: {
        this.advance();
        const name = this.expect(T.Symbol);
        if (!this.at(T.LP)) this.unexpected();
        const { params, headEnd } = this.head();
        if (!this.at(T.SemiColon)) this.unexpected();
        const rule = this.bodiless(name, params, headEnd);
        return { kind: "ruleType", rule };
      }
      case T.Query: {
        this.advance();
        const term = this.exp(1, Mode.Term, F_SEMI).term;
        this.expect(T.SemiColon);
        return { kind: "query", term };
      }
      default:
        break;
    }
    this.unexpected();
  }

  /** Rule head parameters; `cur` is `(`. */
  private head(): { params: Parameter[]; headEnd: number } {
    this.advance();
    const params: Parameter[] = [];
    if (!this.at(T.RP)) {
      for (;;) {
        params.push(this.parameter());
        if (this.at(T.Comma)) {
          this.advance();
          continue;
        }
        if (this.at(T.RP)) break;
        this.unexpected();
      }
    }
    this.expect(T.RP);
    return { params: fit(params), headEnd: this.prevEnd };
  }

  private parameter(): Parameter {
    const t = this.cur;
    if (t.kind === T.Symbol && this.peek().kind === T.Colon) {
      this.advance();
      this.advance();
      const parameter = this.term(this.variable(t.text), t.start, t.end);
      const specializer = this.classPattern(this.pattern());
      return { parameter, specializer };
    }
    return { parameter: this.expectValue(this.exp(6, Mode.Term, F_COMMA_RP)), specializer: null };
  }

  private rule(name: Token): Rule {
    const { params, headEnd } = this.head();
    if (this.at(T.SemiColon)) return this.bodiless(name, params, headEnd);
    if (!this.at(T.If)) this.unexpected();
    this.advance();
    const body = this.exp(1, Mode.Term, F_SEMI).term;
    this.expect(T.SemiColon);
    const bv = body.value;
    const bs = body.source;
    const and: Value = { type: "Expression", operator: "And", args: [body] };
    const wrapped: Term =
      bv.type === "Expression" && bv.operator === "And"
        ? body
        : bs.kind === "parser"
          ? this.term(and, bs.start, bs.end)
          : { value: and, source: bs };
    return {
      name: name.text,
      params,
      body: wrapped,
      source: { kind: "parser", file: this.file, start: name.start, end: headEnd },
    };
  }

  /** A rule without body; like the grammar, its span ends where the `;` starts. `cur` is `;`. */
  private bodiless(name: Token, params: Parameter[], headEnd: number): Rule {
    const semi = this.advance();
    return {
      name: name.text,
      params,
      body: this.term({ type: "Expression", operator: "And", args: [] }, semi.start, headEnd),
      source: { kind: "parser", file: this.file, start: name.start, end: semi.start },
    };
  }

  private block(keyword: Token | null, name: Token): Line {
    this.advance(); // {
    const productions: Production[] = [];
    for (;;) {
      const t = this.cur;
      if (t.kind === T.RCB) break;
      if (t.kind === T.Symbol) productions.push(this.declaration(t));
      else if (t.kind === T.String) productions.push(this.shorthand(t));
      else this.unexpected();
    }
    this.advance(); // }
    const start = keyword?.start ?? name.start;
    return {
      kind: "resourceBlock",
      keyword: keyword === null ? null : this.term(this.variable(keyword.text), keyword.start, keyword.end),
      resource: this.term(this.variable(name.text), start, this.prevEnd),
      nameStart: name.start,
      nameEnd: name.end,
      productions: fit(productions),
    };
  }

  private declaration(t: Token): Production {
    this.advance();
    const name = this.term(this.variable(t.text), t.start, t.end);
    this.expect(T.Unify);
    const start = this.cur.start;
    let value: Value;
    if (this.at(T.LB)) value = this.stringList();
    else if (this.at(T.LCB)) value = { type: "Dictionary", fields: this.object(this.declarationValue) };
    else this.unexpected();
    const valueTerm = this.term(value, start, this.prevEnd);
    this.expect(T.SemiColon);
    return { kind: "declaration", name, value: valueTerm };
  }

  private stringList(): Value {
    this.advance();
    const elements: Term[] = [];
    if (!this.at(T.RB)) {
      const first = this.expect(T.String);
      elements.push(this.term(this.string(first.text), first.start, first.end));
      for (;;) {
        if (this.at(T.Comma)) {
          this.advance();
          if (this.at(T.String)) {
            const s = this.advance();
            elements.push(this.term(this.string(s.text), s.start, s.end));
          }
          continue;
        }
        if (this.at(T.RB)) break;
        this.unexpected();
      }
    }
    this.expect(T.RB);
    return { type: "List", elements: fit(elements) };
  }

  private shorthand(t: Token): Production {
    this.advance();
    const head = this.term(this.string(t.text), t.start, t.end);
    this.expect(T.If);
    const i = this.expect(T.String);
    const implier = this.term(this.string(i.text), i.start, i.end);
    let relation: { keyword: Term; name: Term } | null = null;
    if (this.at(T.Symbol)) {
      const kw = this.advance();
      const rel = this.expect(T.String);
      relation = {
        keyword: this.term(this.variable(kw.text), kw.start, kw.end),
        name: this.term(this.string(rel.text), rel.start, rel.end),
      };
    }
    this.expect(T.SemiColon);
    return { kind: "shorthand", head, implier, relation };
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
