/**
 * Polar syntax tree. It mirrors polar-core's `Term`/`Value` types (terms.rs) closely, because
 * Oso's messages print terms both as Polar (`to_polar`) and as Rust `{:#?}` debug output, and
 * both printers must see the same structure the engine sees.
 *
 * Offsets are UTF-16 code-unit offsets into the file's text (what JavaScript strings index);
 * they are converted to LSP positions only at the edge (see positions.ts).
 */
import { compareCodePoints } from "./code-points.js";

/** Where a term came from: parsed text (with its file and span) or a temporary made by a rewrite. */
export type SourceInfo =
  | { readonly kind: "parser"; readonly file: SourceFile; readonly start: number; readonly end: number }
  | { readonly kind: "temporary" };

/** One loaded source: its name (a URI in the editor, a path in the CLI) and its text. */
export interface SourceFile {
  readonly name: string;
  readonly text: string;
}

export type NumberValue =
  { readonly kind: "integer"; readonly value: bigint } | { readonly kind: "float"; readonly value: number };

/** polar-core `Operator`, in declaration order (the order matters for Rust Debug output only by name). */
export type Operator =
  | "Debug"
  | "Print"
  | "Cut"
  | "In"
  | "Isa"
  | "New"
  | "Dot"
  | "Not"
  | "Mul"
  | "Div"
  | "Mod"
  | "Rem"
  | "Add"
  | "Sub"
  | "Eq"
  | "Geq"
  | "Leq"
  | "Neq"
  | "Gt"
  | "Lt"
  | "Unify"
  | "Or"
  | "And"
  | "ForAll"
  | "Assign";

/** A dictionary's fields. Rust keeps them in a BTreeMap, i.e. sorted by key (byte order); use {@link sortedFields}. */
export type Fields = ReadonlyMap<string, Term>;

export type Value =
  | { readonly type: "Number"; readonly number: NumberValue }
  | { readonly type: "String"; readonly value: string }
  | { readonly type: "Boolean"; readonly value: boolean }
  | { readonly type: "Dictionary"; readonly fields: Fields }
  | { readonly type: "DictionaryPattern"; readonly fields: Fields }
  | { readonly type: "InstancePattern"; readonly tag: string; readonly fields: Fields }
  | {
      readonly type: "Call";
      readonly name: string;
      readonly args: readonly Term[];
      /** `null` when the call has no keyword arguments at all (Rust `None`). */
      readonly kwargs: Fields | null;
    }
  | { readonly type: "List"; readonly elements: readonly Term[] }
  | { readonly type: "Variable"; readonly name: string }
  | { readonly type: "RestVariable"; readonly name: string }
  | { readonly type: "Expression"; readonly operator: Operator; readonly args: readonly Term[] };

export interface Term {
  readonly value: Value;
  readonly source: SourceInfo;
}

/**
 * A term made by the parser. It is its own source info (`term.source === term`: `kind`, `file`,
 * `start`, `end`), so that a parsed term is one object instead of a term and its source, which
 * is most of what a load keeps. Only `value`, `file`, `start` and `end` are own properties.
 */
export class ParsedTerm implements Term {
  /** Always "parser": a property of the prototype, not of each term. */
  declare readonly kind: "parser";

  constructor(
    readonly value: Value,
    readonly file: SourceFile,
    readonly start: number,
    readonly end: number,
  ) {}

  get source(): SourceInfo {
    return this;
  }
}
Object.defineProperty(ParsedTerm.prototype, "kind", { value: "parser" });

/**
 * An operation made by the parser. It is its own value (`term.value === term`: `type`,
 * `operator`, `args`) as well as its own source info, so that a parsed expression is one object
 * instead of a term, its value and its source. `type` is an own property, so that a copy of the
 * value (`{ ...value, args }`) is still an Expression; `kind` ("parser") belongs to the prototype.
 */
export class ParsedExpression implements Term {
  readonly type = "Expression";
  /** Always "parser": a property of the prototype, not of each expression. */
  declare readonly kind: "parser";

  constructor(
    readonly operator: Operator,
    readonly args: readonly Term[],
    readonly file: SourceFile,
    readonly start: number,
    readonly end: number,
  ) {}

  get value(): Value {
    return this;
  }

  get source(): SourceInfo {
    return this;
  }
}
Object.defineProperty(ParsedExpression.prototype, "kind", { value: "parser" });

export interface Parameter {
  readonly parameter: Term;
  readonly specializer: Term | null;
}

/** A rule or a rule type (`type` line). */
export interface Rule {
  readonly name: string;
  readonly params: readonly Parameter[];
  /** Always an `And` expression (possibly empty, for a bodiless rule). */
  readonly body: Term;
  /** The rule head: name .. closing paren (for rules generated from shorthand rules: the head string). */
  readonly source: SourceInfo;
  /** True for rules generated from shorthand rules. */
  readonly generated?: boolean;
}

/** A `name = value;` declaration or a shorthand rule inside an actor/resource block. */
export type Production =
  | { readonly kind: "declaration"; readonly name: Term; readonly value: Term }
  | {
      readonly kind: "shorthand";
      readonly head: Term;
      readonly implier: Term;
      /** `on "relation"` clause: the keyword (a Variable term, any symbol) and the relation string. */
      readonly relation: { readonly keyword: Term; readonly name: Term } | null;
    };

export type Line =
  | { readonly kind: "rule"; readonly rule: Rule }
  | { readonly kind: "ruleType"; readonly rule: Rule }
  | { readonly kind: "query"; readonly term: Term }
  | {
      readonly kind: "resourceBlock";
      readonly keyword: Term | null;
      /** Variable term whose span covers the whole block (keyword .. `}`), as in polar-core. */
      readonly resource: Term;
      /** Span of the resource name symbol itself (for editor features). */
      readonly nameStart: number;
      readonly nameEnd: number;
      readonly productions: readonly Production[];
    };

/** Fields sorted as Rust's BTreeMap<Symbol, _> orders them (by UTF-8 bytes, i.e. code points). */
export function sortedFields(fields: Fields): [string, Term][] {
  return [...fields.entries()].sort(([a], [b]) => compareCodePoints(a, b));
}

/** Start/end offsets of a parsed term, or null for temporaries. */
export function spanOf(term: { readonly source: SourceInfo }): { start: number; end: number } | null {
  return term.source.kind === "parser" ? { start: term.source.start, end: term.source.end } : null;
}
