/**
 * Terms printed on one line in the formatter's canonical spelling.
 *
 * Unlike the engine's `to_polar` (printer.ts), this printer must give back text that parses to
 * the same tree, so parentheses follow the grammar's levels (`Exp1` … `Exp10` of polar.lalrpop)
 * rather than polar-core's precedence table:
 *
 * - an operand is parenthesised exactly when its level is below the level its position accepts
 *   (`a - (b - c)`, `not (not x)`, `(a or b) and c`);
 * - an `and` directly inside an `or` keeps the parentheses the source gave it, no more, no less:
 *   the engine's AmbiguousPrecedence warning depends on them;
 * - leaves (numbers, strings, field names) are copied from the source tokens, so that `1e3`,
 *   `9223372036854775807` or `"a\"b"` keep their spelling;
 * - for the reader, an operand of `not` that is an operation is parenthesised (`not (x = 1)`);
 * - the rewritten forms `.(a, "b")`, `new (…)` and `in(a, b)` keep their form: they parse to the
 *   same operations as `a.b`, `new C()` and `a in b` but are logical expressions, not values.
 */
import type { Fields, Operator, Term } from "../ast.js";
import { T } from "../lexer.js";
import { precededByParen } from "../validations/ambiguous-precedence.js";
import type { Scan } from "./tokens.js";

/** Grammar level of an operator (`ExpN`): higher binds tighter; 10 is a primary. */
const LEVEL: Readonly<Record<Operator, number>> = {
  Or: 1,
  And: 2,
  Not: 3,
  Unify: 4,
  Assign: 4,
  Eq: 5,
  Neq: 5,
  Leq: 5,
  Geq: 5,
  Lt: 5,
  Gt: 5,
  Add: 6,
  Sub: 6,
  Mul: 7,
  Div: 7,
  Mod: 7,
  Rem: 7,
  In: 8,
  Isa: 8,
  Dot: 9,
  New: 10,
  Cut: 10,
  ForAll: 10,
  Print: 10,
  Debug: 10,
};

const INFIX: Partial<Record<Operator, string>> = {
  Unify: "=",
  Assign: ":=",
  Eq: "==",
  Neq: "!=",
  Leq: "<=",
  Geq: ">=",
  Lt: "<",
  Gt: ">",
  Add: "+",
  Sub: "-",
  Mul: "*",
  Div: "/",
  Mod: "mod",
  Rem: "rem",
  In: "in",
};

/** Level accepted on the left and on the right of a binary operator (left-associative levels 5–7). */
function operandLevels(op: Operator): readonly [number, number] {
  const l = LEVEL[op];
  switch (op) {
    case "Unify":
    case "Assign":
      return [5, 5];
    case "In":
      return [9, 9];
    default:
      return [l, l + 1];
  }
}

function isChain(t: Term, op?: "And" | "Or"): boolean {
  const v = t.value;
  return (
    v.type === "Expression" && (v.operator === "And" || v.operator === "Or") && (op === undefined || v.operator === op)
  );
}

/** Prints terms of one parsed file (its tokens give the leaves' spellings and the rewritten forms). */
export class TermPrinter {
  constructor(private readonly scan: Scan) {}

  private span(t: Term): { start: number; end: number } {
    const s = t.source;
    if (s.kind !== "parser") throw new Error("formatter: a term without source");
    return { start: s.start, end: s.end };
  }

  /** The kind of the first token of a term. */
  private firstKind(t: Term): T | undefined {
    return this.scan.kindAt(this.scan.tokenIndexFrom(this.span(t).start));
  }

  /** Source text of a term's tokens (leaves: numbers with their sign, strings, field names). */
  private leaf(t: Term): string {
    const { start, end } = this.span(t);
    return this.scan.joinedTokens(start, end);
  }

  /** Whether the source put `(` right before `t` (the AmbiguousPrecedence test, on the original text). */
  sourceParen(t: Term): boolean {
    return precededByParen(this.scan.text, this.span(t).start);
  }

  /** Grammar level of a term as it will be printed. */
  level(t: Term): number {
    const v = t.value;
    if (v.type !== "Expression") return 10;
    if (v.operator === "In" && this.firstKind(t) === T.In) return 10; // in(a, b)
    if (v.operator === "Dot" && this.isRewrittenDot(t)) return 10;
    return LEVEL[v.operator];
  }

  private isRewrittenDot(t: Term): boolean {
    // An infix lookup starts with its left operand, which is a value and so never `.(…)` itself.
    return this.firstKind(t) === T.Dot;
  }

  /** `t` printed where the grammar accepts level `min` and up, parenthesised when it binds more loosely. */
  term(t: Term, min: number): string {
    const text = this.bare(t);
    return this.level(t) < min ? `(${text})` : text;
  }

  /** An operand of an `and`/`or` chain whose operator is `op`. */
  chainOperand(t: Term, op: "And" | "Or"): string {
    if (op === "Or" && isChain(t, "And")) {
      const text = this.bare(t);
      return this.sourceParen(t) ? `(${text})` : text;
    }
    return this.term(t, op === "Or" ? 2 : 3);
  }

  private list(ts: readonly Term[], min: number): string {
    return ts.map((a) => this.term(a, min)).join(", ");
  }

  private fields(fields: Fields, min: number, pattern: boolean): string {
    const parts: string[] = [];
    for (const [key, value] of fields) {
      parts.push(
        this.isShorthandField(key, value) ? key : `${key}: ${pattern ? this.term(value, 9) : this.term(value, min)}`,
      );
    }
    return parts.join(", ");
  }

  /** `{x}`: a field written as its bare name (the value is the key's own token, not after a `:`). */
  private isShorthandField(key: string, value: Term): boolean {
    if (value.value.type !== "Variable" || value.value.name !== key) return false;
    const i = this.scan.tokenIndexFrom(this.span(value).start);
    return this.scan.kindAt(i - 1) !== T.Colon;
  }

  /** `Dict` in a declaration: `{ parent: Org }`. */
  declarationDict(fields: Fields): string {
    return fields.size === 0 ? "{}" : `{ ${this.fields(fields, 5, false)} }`;
  }

  /** A dictionary field as its own entry (for broken declaration dictionaries). */
  field(key: string, value: Term): string {
    return this.isShorthandField(key, value) ? key : `${key}: ${this.term(value, 5)}`;
  }

  private call(t: Term): string {
    const v = t.value;
    if (v.type !== "Call") return this.bare(t);
    const parts = v.args.map((a) => this.term(a, 1));
    if (v.kwargs !== null) for (const [k, a] of v.kwargs) parts.push(`${k}: ${this.term(a, 1)}`);
    return `${v.name}(${parts.join(", ")})`;
  }

  /** The right side of a lookup: `name`, `name(args)` or `(name)`. */
  private callTerm(t: Term): string {
    // A field name or `(name)` is copied as written (a reserved word may name a field).
    return t.value.type === "Call" ? this.call(t) : this.leaf(t);
  }

  /** A pattern (specializer, right side of `matches`). */
  pattern(t: Term): string {
    return this.bare(t);
  }

  /** `t` without enclosing parentheses. */
  bare(t: Term): string {
    const v = t.value;
    switch (v.type) {
      case "Number":
      case "String":
        return this.leaf(t);
      case "Boolean":
        return v.value ? "true" : "false";
      case "Variable":
        return v.name;
      case "RestVariable":
        return `*${v.name}`;
      case "List":
        return `[${this.list(v.elements, 6)}]`;
      case "Dictionary":
        return v.fields.size === 0 ? "{}" : `{${this.fields(v.fields, 5, false)}}`;
      case "DictionaryPattern":
        return v.fields.size === 0 ? "{}" : `{${this.fields(v.fields, 9, true)}}`;
      case "InstancePattern": {
        if (v.fields.size > 0) return `${v.tag}{${this.fields(v.fields, 9, true)}}`;
        // A bare class name (`x: User`) or an empty pattern (`x: User{}`), as written.
        const { end } = this.span(t);
        const last = this.scan.token(this.scan.tokenIndexBefore(end));
        return last?.kind === T.RCB ? `${v.tag}{}` : v.tag;
      }
      case "Call":
        return this.call(t);
      case "Expression":
        return this.operation(t, v.operator, v.args);
    }
  }

  private operation(t: Term, op: Operator, args: readonly Term[]): string {
    const [a, b] = args;
    switch (op) {
      case "And":
      case "Or":
        if (args.length === 0) return op === "And" ? "true" : "false";
        return args.map((x) => this.chainOperand(x, op)).join(op === "And" ? " and " : " or ");
      case "Not":
        // `not (x = 1)`: an operator operand is parenthesised for the reader (the grammar needs it below `=`).
        if (a === undefined) return "not ";
        return `not ${this.level(a) < 9 ? `(${this.bare(a)})` : this.bare(a)}`;
      case "Cut":
        return "cut";
      case "Print":
        return `print(${this.list(args, 1)})`;
      case "Debug":
        return `debug(${this.list(args, 1)})`;
      case "ForAll":
        return `forall(${this.list(args, 1)})`;
      case "New":
        if (
          this.scan.kindAt(this.scan.tokenIndexFrom(this.span(t).start) + 1) === T.LP ||
          a === undefined ||
          args.length !== 1
        )
          return `new(${this.list(args, 1)})`;
        return `new ${this.call(a)}`;
      case "Dot": {
        if (this.isRewrittenDot(t) || a === undefined || b === undefined || args.length !== 2)
          return `.(${this.list(args, 1)})`;
        // A number before `.` must be parenthesised: `1.foo` would lex as the float `1.`.
        const left = a.value.type === "Number" ? `(${this.bare(a)})` : this.term(a, 9);
        return `${left}.${this.callTerm(b)}`;
      }
      case "Isa":
        return `${a === undefined ? "" : this.term(a, 9)} matches ${b === undefined ? "" : this.pattern(b)}`;
      case "In":
        if (this.firstKind(t) === T.In) return `in(${this.list(args, 1)})`;
        break;
      default:
        break;
    }
    const sym = INFIX[op];
    if (sym === undefined || a === undefined || b === undefined || args.length !== 2)
      throw new Error(`formatter: unexpected ${op} with ${args.length} operands`);
    const [lmin, rmin] = operandLevels(op);
    return `${this.term(a, lmin)} ${sym} ${this.term(b, rmin)}`;
  }
}
