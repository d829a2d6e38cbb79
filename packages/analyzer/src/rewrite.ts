/**
 * polar-core's load-time rewriter (rewrites.rs): hoists dot lookups, arithmetic and `new` out of
 * their position into temporaries (`_value_N`, `_op_N`, `_instance_N`, `_temp_N`) bound in the
 * nearest enclosing conjunction, and renames each anonymous `_` to `_N`.
 *
 * The rewritten rule is printed in messages (UndefinedRuleCall, InvalidRule, InvalidRuleType), so
 * the shape, the order of the conjuncts and the temporary numbering must match the engine; this
 * module follows the Rust fold step by step (children before parents, the body before the head).
 */
import type { Fields, Operator, Parameter, Rule, SourceInfo, Term, Value } from "./ast.js";
import { temporary } from "./terms.js";
import { sortedKeys } from "./walk.js";

/**
 * The knowledge base's symbol generator (`kb.gensym(prefix)`): given `value`, `op`, `instance`,
 * `temp` or `_`, returns the full fresh name (`_value_3`, `_4`). One counter is shared by a whole load.
 */
export type Gensym = (prefix: string) => string;

/** Operators whose 2-argument (1 for `new`) expressions are replaced by a temporary. */
export function needsRewrite(operator: Operator, arity: number): boolean {
  switch (operator) {
    case "Add":
    case "Dot":
    case "Div":
    case "Mul":
    case "Sub":
    case "Mod":
    case "Rem":
      return arity === 2;
    case "New":
      return arity === 1;
    default:
      return false;
  }
}

/** `temp_name`: note that `mod`/`rem` get the generic `temp` prefix. */
function tempName(operator: Operator): string {
  switch (operator) {
    case "Add":
    case "Div":
    case "Mul":
    case "Sub":
      return "op";
    case "Dot":
      return "value";
    case "New":
      return "instance";
    default:
      return "temp";
  }
}

/** Rewrites that can be appended after a unification (`only_pure`; `mod` and `new` are not pure). */
function onlyPure(rewrites: readonly Term[]): boolean {
  return rewrites.every((t) => {
    const v = t.value;
    return (
      v.type === "Expression" &&
      (v.operator === "Dot" ||
        v.operator === "Add" ||
        v.operator === "Sub" ||
        v.operator === "Mul" ||
        v.operator === "Div" ||
        v.operator === "Rem")
    );
  });
}

/** `and_`: a binary And that takes over the left operand's source info. */
function and(left: Term, right: Term): Term {
  return { source: left.source, value: { type: "Expression", operator: "And", args: [left, right] } };
}

/** Conjuncts of an And term (the rule body). */
function unwrapAnd(term: Term): readonly Term[] {
  const v = term.value;
  return v.type === "Expression" && v.operator === "And" ? v.args : [term];
}

/** The rewrites of a frame that made none (shared: never mutated). */
const NO_REWRITES: readonly Term[] = [];

/** Wraps `term` in the frame's rewrites, bound before it: `r1 and (r2 and … term)`. */
function bindBefore(rewrites: readonly Term[], term: Term): Term {
  let acc = term;
  for (let i = rewrites.length - 1; i >= 0; i--) acc = and(rewrites[i] as Term, acc);
  return acc;
}

/** Appends the frame's rewrites after `term`: `((term and r1) and r2) …`. */
function bindAfter(term: Term, rewrites: readonly Term[]): Term {
  let acc = term;
  for (const r of rewrites) acc = and(acc, r);
  return acc;
}

/**
 * The rewriting fold. Every method returns its input object when nothing below it changed (no
 * temporary, no `_`), so unchanged subtrees – and whole rules without rewrites – are shared with
 * the parse instead of copied. Lists are mapped without closures and without copying until an
 * element changes, and new argument lists are allocated at their final length: a load rewrites
 * every rule, and what it allocates is most of what the garbage collector then has to trace.
 */
class Rewriter {
  /**
   * Pending rewrites of every enclosing conjunction, innermost last: one flat array rather than
   * one array per frame (most frames stay empty). A frame is the tail from its `open()` mark.
   */
  private readonly pending: Term[] = [];
  /** Open frames. */
  private depth = 0;

  constructor(private readonly gensym: Gensym) {}

  /** Opens a frame of pending rewrites; returns its mark for {@link close}. */
  private open(): number {
    this.depth++;
    return this.pending.length;
  }

  /** Closes the frame opened at `mark`, returning its rewrites in order. */
  private close(mark: number): readonly Term[] {
    this.depth--;
    const pending = this.pending;
    if (pending.length === mark) return NO_REWRITES;
    const rewrites = pending.slice(mark);
    pending.length = mark;
    return rewrites;
  }

  rule(rule: Rule): Rule {
    let body = this.term(rule.body);
    const mark = this.open();
    const params = this.params(rule.params);
    const rewrites = this.close(mark);
    if (rewrites.length > 0) {
      body = {
        source: body.source,
        value: { type: "Expression", operator: "And", args: [...unwrapAnd(body), ...rewrites] },
      };
    }
    return params === rule.params && body === rule.body ? rule : { ...rule, params, body };
  }

  private params(params: readonly Parameter[]): readonly Parameter[] {
    let out: Parameter[] | null = null;
    for (let i = 0; i < params.length; i++) {
      const p = params[i] as Parameter;
      const parameter = this.term(p.parameter);
      const specializer = p.specializer === null ? null : this.term(p.specializer);
      const mapped = parameter === p.parameter && specializer === p.specializer ? p : { parameter, specializer };
      if (mapped !== p) {
        out ??= params.slice();
        out[i] = mapped;
      }
    }
    return out ?? params;
  }

  term(t: Term): Term {
    if (this.depth === 0) {
      // No enclosing conjunction: make one around this term.
      const mark = this.open();
      const folded = this.term(t);
      return bindBefore(this.close(mark), folded);
    }
    const v = t.value;
    if (v.type === "Expression" && needsRewrite(v.operator, v.args.length)) {
      // Children first, so inner temporaries get the smaller numbers.
      const first = this.term(v.args[0] as Term);
      const second = v.args.length === 2 ? this.term(v.args[1] as Term) : null;
      const tempVar: Value = { type: "Variable", name: this.gensym(tempName(v.operator)) };
      const temp = temporary(tempVar);
      const args = second === null ? [first, temp] : [first, second, temp];
      this.pending.push({ source: t.source, value: { type: "Expression", operator: v.operator, args } });
      // The temporary takes the place (and source info) of the expression.
      return { source: t.source, value: tempVar };
    }
    const value = this.value(v);
    return value === v ? t : { source: t.source, value };
  }

  /** `items.map(term)`, but `items` itself when no element changed. */
  private terms(items: readonly Term[]): readonly Term[] {
    let out: Term[] | null = null;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Term;
      const mapped = this.term(item);
      if (mapped !== item) {
        // A copy at the final length (pushing onto a partial copy would over-allocate).
        out ??= items.slice();
        out[i] = mapped;
      }
    }
    return out ?? items;
  }

  /**
   * One operand of `and`/`or`/`not`, folded in its own frame. After a unification of pure lookups
   * the bindings go after it (so a partial is not grounded); otherwise they must be bound before the use.
   */
  private conjunct(arg: Term): Term {
    const argOperator = arg.value.type === "Expression" ? arg.value.operator : null;
    const mark = this.open();
    const folded = this.term(arg);
    const rewrites = this.close(mark);
    if (rewrites.length === 0) return folded;
    return onlyPure(rewrites) && argOperator === "Unify" ? bindAfter(folded, rewrites) : bindBefore(rewrites, folded);
  }

  private conjuncts(args: readonly Term[]): readonly Term[] {
    let out: Term[] | null = null;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as Term;
      const mapped = this.conjunct(arg);
      if (mapped !== arg) {
        out ??= args.slice();
        out[i] = mapped;
      }
    }
    return out ?? args;
  }

  private fields(fields: Fields): Fields {
    if (fields.size === 0) return fields;
    // BTreeMap order: rewrites inside field values are numbered in key order.
    const keys = sortedKeys(fields);
    let out: Map<string, Term> | null = null;
    for (const k of keys) {
      const t = fields.get(k);
      if (t === undefined) continue;
      const folded = this.term(t);
      if (out === null && folded !== t) {
        out = new Map();
        for (const done of keys) {
          if (done === k) break;
          const prev = fields.get(done);
          if (prev !== undefined) out.set(done, prev);
        }
      }
      out?.set(k, folded);
    }
    return out ?? fields;
  }

  private variable(name: string): string {
    return name === "_" ? this.gensym("_") : name;
  }

  private value(v: Value): Value {
    switch (v.type) {
      case "Number":
      case "String":
      case "Boolean":
        return v;
      case "Dictionary":
      case "DictionaryPattern": {
        const fields = this.fields(v.fields);
        return fields === v.fields ? v : { type: v.type, fields };
      }
      case "InstancePattern": {
        const fields = this.fields(v.fields);
        return fields === v.fields ? v : { type: v.type, tag: v.tag, fields };
      }
      case "Call": {
        const args = this.terms(v.args);
        const kwargs = v.kwargs === null ? null : this.fields(v.kwargs);
        return args === v.args && kwargs === v.kwargs ? v : { type: "Call", name: v.name, args, kwargs };
      }
      case "List": {
        const elements = this.terms(v.elements);
        return elements === v.elements ? v : { type: "List", elements };
      }
      case "Variable":
        return v.name === "_" ? { type: "Variable", name: this.variable(v.name) } : v;
      case "RestVariable":
        return v.name === "_" ? { type: "RestVariable", name: this.variable(v.name) } : v;
      case "Expression": {
        const args = this.operation(v.operator, v.args);
        return args === v.args ? v : { type: "Expression", operator: v.operator, args };
      }
    }
  }

  private operation(operator: Operator, args: readonly Term[]): readonly Term[] {
    switch (operator) {
      case "And":
      case "Or":
      case "Not":
        return this.conjuncts(args);
      case "ForAll": {
        const out: Term[] = [];
        for (const arg of args.slice(0, 2)) {
          const mark = this.open();
          const folded = this.term(arg);
          out.push(bindAfter(folded, this.close(mark)));
        }
        // Only the first two arguments are kept; share the list when that changes nothing.
        return out.length === args.length && out.every((t, i) => t === args[i]) ? args : out;
      }
      default:
        return this.terms(args);
    }
  }
}

/** polar-core `rewrite_rule`: rewrite a rule or rule type. */
export function rewriteRule(rule: Rule, gensym: Gensym): Rule {
  try {
    return new Rewriter(gensym).rule(rule);
  } catch (e) {
    // Expressions nested thousands deep overflow the stack (the engine's recursive folder
    // overflows on them too); keep the rule as parsed rather than throw on user input.
    if (e instanceof RangeError) return rule;
    throw e;
  }
}

/** polar-core `rewrite_term`: rewrite a standalone term (wrapping it in an And when temporaries are needed). */
export function rewriteTerm(term: Term, gensym: Gensym): Term {
  try {
    return new Rewriter(gensym).term(term);
  } catch (e) {
    if (e instanceof RangeError) return term;
    throw e;
  }
}

/** A gensym with its own counter starting at `start` (1, like a fresh KnowledgeBase's, by default). */
export function createGensym(start = 1): Gensym {
  let next = start;
  return (prefix) => `${prefix === "_" ? "_" : `_${prefix}_`}${next++}`;
}

// ---------------------------------------------------------------------------------------------
// Rewriting on demand
// ---------------------------------------------------------------------------------------------

/** Nesting below which a rule is rewritten on demand: the recursive rewriter cannot overflow there, wherever it runs. */
export const LAZY_DEPTH = 100;

/** Counting gave up: the rule is nested too deeply, or has a `forall` the rewriter would shorten. */
export const TOO_DEEP = -1;

/**
 * How many gensym numbers {@link Rewriter} takes for `t` (a temporary per rewritten operation,
 * a name per `_`), visiting what it visits; {@link TOO_DEEP} past {@link LAZY_DEPTH} levels or
 * where the rewrite would change a term without taking a number.
 */
function countTerm(t: Term, depth: number): number {
  if (depth > LAZY_DEPTH) return TOO_DEEP;
  const v = t.value;
  switch (v.type) {
    case "Number":
    case "String":
    case "Boolean":
      return 0;
    case "Variable":
    case "RestVariable":
      return v.name === "_" ? 1 : 0;
    case "Dictionary":
    case "DictionaryPattern":
    case "InstancePattern":
      return countFields(v.fields, depth);
    case "Call": {
      const n = countTerms(v.args, depth);
      if (n < 0 || v.kwargs === null) return n;
      const k = countFields(v.kwargs, depth);
      return k < 0 ? k : n + k;
    }
    case "List":
      return countTerms(v.elements, depth);
    case "Expression": {
      // `forall` keeps its first two arguments only: a change without a number.
      if (v.operator === "ForAll" && v.args.length !== 2) return TOO_DEEP;
      const n = countTerms(v.args, depth);
      return n < 0 || !needsRewrite(v.operator, v.args.length) ? n : n + 1;
    }
  }
}

function countTerms(terms: readonly Term[], depth: number): number {
  let n = 0;
  for (let i = 0; i < terms.length; i++) {
    const c = countTerm(terms[i] as Term, depth + 1);
    if (c < 0) return c;
    n += c;
  }
  return n;
}

function countFields(fields: Fields, depth: number): number {
  let n = 0;
  for (const t of fields.values()) {
    const c = countTerm(t, depth + 1);
    if (c < 0) return c;
    n += c;
  }
  return n;
}

/**
 * A rule rewritten with the load's gensym counter at `base`, whose parameters and body are built
 * when first read (issue 13: a clean load never reads them, and rewriting every rule was a third
 * of a load after parsing). {@link rewriteAt} makes one only for rules whose rewrite takes
 * numbers and is shallow enough to be redone anywhere with the same result; the numbers it takes
 * are counted without building anything. The load's own checks read {@link parsed} where the
 * rewrite cannot matter (called names, `has_permission` calls: rewriting moves calls, never adds
 * or removes them) and {@link paramsForCheck} for rule-type checks.
 */
export class RewrittenRule implements Rule {
  readonly #parsed: Rule;
  /** The gensym counter where the rewrite starts, times 2, plus 1 when it changes the parameters. */
  #at: number;
  #built: Rule | null = null;

  constructor(parsed: Rule, base: number, paramsChange: boolean) {
    this.#parsed = parsed;
    this.#at = base * 2 + (paramsChange ? 1 : 0);
  }

  get name(): string {
    return this.#parsed.name;
  }

  get source(): SourceInfo {
    return this.#parsed.source;
  }

  /** The rule as parsed. */
  get parsed(): Rule {
    return this.#parsed;
  }

  /** Whether the rewritten terms were built (something read them). */
  get built(): boolean {
    return this.#built !== null;
  }

  get params(): readonly Parameter[] {
    return this.#build().params;
  }

  get body(): Term {
    return this.#build().body;
  }

  /** The rewritten parameters, built only when the rewrite changes them. */
  paramsForCheck(): readonly Parameter[] {
    return (this.#at & 1) === 1 ? this.#build().params : this.#parsed.params;
  }

  /**
   * Places the rewrite at `base`: for the loader's record of a rule, which is this rule at the
   * first counter it is loaded at, before anything has read it (afterwards it never moves).
   */
  protected startAt(base: number, paramsChange: boolean): void {
    this.#at = base * 2 + (paramsChange ? 1 : 0);
  }

  #build(): Rule {
    return (this.#built ??= rewriteRule(this.#parsed, createGensym(this.#at >> 1)));
  }
}

/** A rewritten rule and the gensym numbers its rewrite took, `base` .. `base + used - 1`. */
export interface Rewrite {
  readonly rule: Rule;
  readonly base: number;
  /** How many fresh names the rewrite took; it does not depend on `base`. */
  readonly used: number;
}

/**
 * polar-core `rewrite_rule` with the load's gensym counter at `base`. The rule is the parsed one
 * when the rewrite changes nothing, a {@link RewrittenRule} when it can be built on demand, else
 * rewritten now (deeply nested rules: the recursive rewriter may overflow, and then keeps the
 * rule as parsed after taking some numbers, which only running it tells).
 */
export function rewriteAt(rule: Rule, base: number, lazy = true, counts: RewriteCounts = NOT_COUNTED): Rewrite {
  if (lazy) {
    const { body, params } = counts === NOT_COUNTED ? rewriteCounts(rule) : counts;
    const used = lazyUses(body, params);
    if (used === 0) return { rule, base, used: 0 };
    if (used > 0) return { rule: new RewrittenRule(rule, base, params > 0), base, used };
  }
  let next = base;
  const rewritten = rewriteRule(rule, (prefix) => `${prefix === "_" ? "_" : `_${prefix}_`}${next++}`);
  return { rule: rewritten, base, used: next - base };
}

/**
 * The gensym numbers a rewrite counted as `body` and `params` ({@link RewriteCounts}) takes when
 * made on demand (0: it changes nothing; then the rule is its parsed self), or {@link TOO_DEEP}
 * when it must be made at once. A rewrite made on demand changes the parameters when `params > 0`.
 */
export function lazyUses(body: number, params: number): number {
  return body < 0 || params < 0 ? TOO_DEEP : body + params;
}

/**
 * The gensym numbers a rule's rewrite takes in its body and in its parameters, each
 * {@link TOO_DEEP} when counting gave up (then the rule is rewritten at once). The loader counts
 * them in its one walk per rule (validations/rule-walk.ts) and hands them to {@link rewriteAt}.
 */
export interface RewriteCounts {
  readonly body: number;
  readonly params: number;
}

const NOT_COUNTED: RewriteCounts = { body: TOO_DEEP, params: TOO_DEEP };

/** {@link RewriteCounts} of a rule, counted on their own. */
export function rewriteCounts(rule: Rule): RewriteCounts {
  const body = countTerm(rule.body, 1);
  let params = 0;
  for (let i = 0; i < rule.params.length && params >= 0; i++) {
    const p = rule.params[i] as Parameter;
    const a = countTerm(p.parameter, 1);
    const b = a < 0 || p.specializer === null ? 0 : countTerm(p.specializer, 1);
    params = a < 0 || b < 0 ? TOO_DEEP : params + a + b;
  }
  return { body, params };
}
