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
export type Production = { readonly kind: "declaration"; readonly name: Term; readonly value: Term } | Shorthand;

/** `"head" if "implier" [keyword "relation"];` inside an actor/resource block. */
export interface Shorthand extends ShorthandTerms {
  readonly kind: "shorthand";
}

/** A shorthand rule's `on "relation"` clause. */
export interface ShorthandRelation {
  readonly keyword: Term;
  readonly name: Term;
}

/** A shorthand rule's terms: what every shorthand rule has, parsed or not. */
export interface ShorthandTerms {
  readonly head: Term;
  readonly implier: Term;
  /** `on "relation"` clause: the keyword (a Variable term, any symbol) and the relation string. */
  readonly relation: ShorthandRelation | null;
}

/**
 * A shorthand rule made by the parser: its strings' values and spans in its own fields, and its
 * terms (`head`, `implier`, `relation`) built when first read and kept (so every read gives the
 * same objects). A load reads only the values ({@link shorthandHeadValue}, …): a 50k-line
 * policy has ~20k shorthand rules, which were ~64k objects (issue 13) and are 20k. A rule with an
 * `on "relation"` clause is a {@link ParsedRelationShorthand}. `kind` belongs to the prototype.
 */
export class ParsedShorthand implements Shorthand {
  /** Always "shorthand": a property of the prototype, not of each rule. */
  declare readonly kind: "shorthand";
  #terms: ShorthandTerms | null = null;

  constructor(
    readonly file: SourceFile,
    readonly headValue: Value,
    readonly headStart: number,
    readonly headEnd: number,
    readonly implierValue: Value,
    readonly implierStart: number,
    readonly implierEnd: number,
  ) {}

  get head(): Term {
    return this.terms().head;
  }

  get implier(): Term {
    return this.terms().implier;
  }

  get relation(): ShorthandRelation | null {
    return null;
  }

  /**
   * The head's term: the one {@link head} gives once built, else a new term of the same value
   * and span, not kept (for a rule-type check, which reads the head of a few rules).
   */
  headTerm(): Term {
    return this.#terms?.head ?? new ParsedTerm(this.headValue, this.file, this.headStart, this.headEnd);
  }

  /**
   * This rule as a fresh parse of `file` makes it, `by` characters further on: the same values,
   * every span moved, no term built yet.
   */
  moved(file: SourceFile, by: number): ParsedShorthand {
    return new ParsedShorthand(
      file,
      this.headValue,
      this.headStart + by,
      this.headEnd + by,
      this.implierValue,
      this.implierStart + by,
      this.implierEnd + by,
    );
  }

  /** The terms, built on the first read. */
  protected terms(): ShorthandTerms {
    return (this.#terms ??= {
      head: new ParsedTerm(this.headValue, this.file, this.headStart, this.headEnd),
      implier: new ParsedTerm(this.implierValue, this.file, this.implierStart, this.implierEnd),
      relation: this.buildRelation(),
    });
  }

  protected buildRelation(): ShorthandRelation | null {
    return null;
  }
}
Object.defineProperty(ParsedShorthand.prototype, "kind", { value: "shorthand" });

/** A {@link ParsedShorthand} with an `on "relation"` clause: the keyword's and the relation's values and spans. */
export class ParsedRelationShorthand extends ParsedShorthand {
  constructor(
    file: SourceFile,
    headValue: Value,
    headStart: number,
    headEnd: number,
    implierValue: Value,
    implierStart: number,
    implierEnd: number,
    readonly keywordValue: Value,
    readonly keywordStart: number,
    readonly keywordEnd: number,
    readonly relationValue: Value,
    readonly relationStart: number,
    readonly relationEnd: number,
  ) {
    super(file, headValue, headStart, headEnd, implierValue, implierStart, implierEnd);
  }

  override get relation(): ShorthandRelation | null {
    return this.terms().relation;
  }

  override moved(file: SourceFile, by: number): ParsedRelationShorthand {
    return new ParsedRelationShorthand(
      file,
      this.headValue,
      this.headStart + by,
      this.headEnd + by,
      this.implierValue,
      this.implierStart + by,
      this.implierEnd + by,
      this.keywordValue,
      this.keywordStart + by,
      this.keywordEnd + by,
      this.relationValue,
      this.relationStart + by,
      this.relationEnd + by,
    );
  }

  protected override buildRelation(): ShorthandRelation {
    return {
      keyword: new ParsedTerm(this.keywordValue, this.file, this.keywordStart, this.keywordEnd),
      name: new ParsedTerm(this.relationValue, this.file, this.relationStart, this.relationEnd),
    };
  }
}

/** A shorthand rule's head value, read without building its terms. */
export function shorthandHeadValue(rule: ShorthandTerms): Value {
  return rule instanceof ParsedShorthand ? rule.headValue : rule.head.value;
}

/** A shorthand rule's implier value, read without building its terms. */
export function shorthandImplierValue(rule: ShorthandTerms): Value {
  return rule instanceof ParsedShorthand ? rule.implierValue : rule.implier.value;
}

/** The value of a shorthand rule's relation string, or null without an `on "relation"` clause; its terms are not built. */
export function shorthandRelationValue(rule: ShorthandTerms): Value | null {
  if (rule instanceof ParsedRelationShorthand) return rule.relationValue;
  return rule instanceof ParsedShorthand || rule.relation === null ? null : rule.relation.name.value;
}

/** The value of a shorthand rule's relation keyword, or null without an `on "relation"` clause; its terms are not built. */
export function shorthandKeywordValue(rule: ShorthandTerms): Value | null {
  if (rule instanceof ParsedRelationShorthand) return rule.keywordValue;
  return rule instanceof ParsedShorthand || rule.relation === null ? null : rule.relation.keyword.value;
}

/** A shorthand rule's head term, the one `rule.head` gives or one equal to it (see {@link ParsedShorthand.headTerm}). */
export function shorthandHeadTerm(rule: ShorthandTerms): Term {
  return rule instanceof ParsedShorthand ? rule.headTerm() : rule.head;
}

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
