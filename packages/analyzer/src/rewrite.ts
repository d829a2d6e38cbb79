/**
 * polar-core's load-time rewriter (rewrites.rs): hoists dot lookups, arithmetic and `new` out of
 * their position into temporaries (`_value_N`, `_op_N`, `_instance_N`, `_temp_N`) bound in the
 * nearest enclosing conjunction, and renames each anonymous `_` to `_N`.
 *
 * The rewritten rule is printed in messages (UndefinedRuleCall, InvalidRule, InvalidRuleType), so
 * the shape, the order of the conjuncts and the temporary numbering must match the engine; this
 * module follows the Rust fold step by step (children before parents, the body before the head).
 */
import type { Fields, Operator, Rule, Term, Value } from "./ast.js";
import { temporary } from "./terms.js";
import { sortedKeys } from "./walk.js";

/**
 * The knowledge base's symbol generator (`kb.gensym(prefix)`): given `value`, `op`, `instance`,
 * `temp` or `_`, returns the full fresh name (`_value_3`, `_4`). One counter is shared by a whole load.
 */
export type Gensym = (prefix: string) => string;

/** Operators whose 2-argument (1 for `new`) expressions are replaced by a temporary. */
function needsRewrite(operator: Operator, arity: number): boolean {
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

/**
 * `items.map(f)`, but returns `items` itself when `f` returns every element unchanged: most terms
 * need no rewriting, and sharing them keeps a load from copying every parsed tree.
 */
function mapShared<T>(items: readonly T[], f: (item: T) => T): readonly T[] {
  let out: T[] | null = null;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as T;
    const mapped = f(item);
    if (out !== null) out.push(mapped);
    else if (mapped !== item) {
      out = items.slice(0, i);
      out.push(mapped);
    }
  }
  return out ?? items;
}

/**
 * The rewriting fold. Every method returns its input object when nothing below it changed (no
 * temporary, no `_`), so unchanged subtrees – and whole rules without rewrites – are shared with
 * the parse instead of copied.
 */
class Rewriter {
  /** One frame of pending rewrites per enclosing conjunction. */
  private readonly stack: Term[][] = [];

  constructor(private readonly gensym: Gensym) {}

  rule(rule: Rule): Rule {
    let body = this.term(rule.body);
    this.stack.push([]);
    const params = mapShared(rule.params, (p) => {
      const parameter = this.term(p.parameter);
      const specializer = p.specializer === null ? null : this.term(p.specializer);
      return parameter === p.parameter && specializer === p.specializer ? p : { parameter, specializer };
    });
    const rewrites = this.stack.pop() ?? [];
    if (rewrites.length > 0) {
      body = {
        source: body.source,
        value: { type: "Expression", operator: "And", args: [...unwrapAnd(body), ...rewrites] },
      };
    }
    return params === rule.params && body === rule.body ? rule : { ...rule, params, body };
  }

  term(t: Term): Term {
    if (this.stack.length === 0) {
      // No enclosing conjunction: make one around this term.
      this.stack.push([]);
      const folded = this.term(t);
      const rewrites = this.stack.pop() ?? [];
      return rewrites.reduceRight((acc, r) => and(r, acc), folded);
    }
    const v = t.value;
    if (v.type === "Expression" && needsRewrite(v.operator, v.args.length)) {
      // Children first, so inner temporaries get the smaller numbers.
      const args = v.args.map((a) => this.term(a));
      const name = this.gensym(tempName(v.operator));
      const tempVar: Value = { type: "Variable", name };
      args.push(temporary(tempVar));
      this.top().push({ source: t.source, value: { type: "Expression", operator: v.operator, args } });
      // The temporary takes the place (and source info) of the expression.
      return { source: t.source, value: tempVar };
    }
    const value = this.value(v);
    return value === v ? t : { source: t.source, value };
  }

  private top(): Term[] {
    const frame = this.stack[this.stack.length - 1];
    if (frame === undefined) throw new Error("rewrite stack underflow"); // unreachable: term() pushes first
    return frame;
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
        const args = mapShared(v.args, (a) => this.term(a));
        const kwargs = v.kwargs === null ? null : this.fields(v.kwargs);
        return args === v.args && kwargs === v.kwargs ? v : { type: "Call", name: v.name, args, kwargs };
      }
      case "List": {
        const elements = mapShared(v.elements, (e) => this.term(e));
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
        return mapShared(args, (arg) => {
          const argOperator = arg.value.type === "Expression" ? arg.value.operator : null;
          this.stack.push([]);
          const folded = this.term(arg);
          const rewrites = this.stack.pop() ?? [];
          // After a unification of pure lookups the bindings go after it (so a partial is not
          // grounded); otherwise they must be bound before the use.
          if (onlyPure(rewrites) && argOperator === "Unify") {
            return rewrites.reduce((acc, r) => and(acc, r), folded);
          }
          return rewrites.reduceRight((acc, r) => and(r, acc), folded);
        });
      case "ForAll": {
        const out: Term[] = [];
        for (const arg of args.slice(0, 2)) {
          this.stack.push([]);
          const folded = this.term(arg);
          const rewrites = this.stack.pop() ?? [];
          out.push(rewrites.reduce((acc, r) => and(acc, r), folded));
        }
        // Only the first two arguments are kept; share the list when that changes nothing.
        return out.length === args.length && out.every((t, i) => t === args[i]) ? args : out;
      }
      default:
        return mapShared(args, (a) => this.term(a));
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
