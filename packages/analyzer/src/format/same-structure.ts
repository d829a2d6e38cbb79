/**
 * Whether two parses have the same structure, spans left out: two texts with the same structure
 * load the same rules, rule types, queries and blocks. It also compares, for every `and` directly
 * inside an `or` (and the reverse), whether `(` precedes it in its text, on which the engine's
 * AmbiguousPrecedence warning depends. The formatter refuses any output whose structure differs
 * from its input's.
 */
import type { Fields, Line, Parameter, Production, Term } from "../ast.js";
import { precededByParen } from "../validations/ambiguous-precedence.js";

function sameFields(a: Fields | null, b: Fields | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.size !== b.size) return false;
  const bi = b.entries();
  for (const [k, v] of a) {
    const next = bi.next();
    if (next.done === true || next.value[0] !== k || !sameTerm(v, next.value[1])) return false;
  }
  return true;
}

function sameList(a: readonly Term[], b: readonly Term[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameTerm(a[i] as Term, b[i] as Term)) return false;
  return true;
}

function chainOf(t: Term): "And" | "Or" | null {
  const v = t.value;
  return v.type === "Expression" && (v.operator === "And" || v.operator === "Or") ? v.operator : null;
}

function parenBefore(t: Term): boolean {
  return t.source.kind === "parser" && precededByParen(t.source.file.text, t.source.start);
}

function sameTerm(a: Term, b: Term): boolean {
  const x = a.value;
  const y = b.value;
  switch (x.type) {
    case "Number":
      return (
        y.type === "Number" &&
        x.number.kind === y.number.kind &&
        (x.number.kind === "integer" ? x.number.value === y.number.value : Object.is(x.number.value, y.number.value))
      );
    case "String":
    case "Boolean":
      return y.type === x.type && y.value === x.value;
    case "Variable":
    case "RestVariable":
      return y.type === x.type && y.name === x.name;
    case "List":
      return y.type === "List" && sameList(x.elements, y.elements);
    case "Dictionary":
    case "DictionaryPattern":
      return y.type === x.type && sameFields(x.fields, y.fields);
    case "InstancePattern":
      return y.type === "InstancePattern" && x.tag === y.tag && sameFields(x.fields, y.fields);
    case "Call":
      return y.type === "Call" && x.name === y.name && sameList(x.args, y.args) && sameFields(x.kwargs, y.kwargs);
    case "Expression": {
      if (y.type !== "Expression" || x.operator !== y.operator || !sameList(x.args, y.args)) return false;
      // As the validation does: a one-operand chain (a rule body's wrapper) is not checked.
      const outer = x.args.length > 1 ? chainOf(a) : null;
      if (outer === null) return true;
      for (let i = 0; i < x.args.length; i++) {
        const ai = x.args[i] as Term;
        const inner = chainOf(ai);
        if (inner !== null && inner !== outer && parenBefore(ai) !== parenBefore(y.args[i] as Term)) return false;
      }
      return true;
    }
  }
}

function sameParams(a: readonly Parameter[], b: readonly Parameter[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const p = a[i] as Parameter;
    const q = b[i] as Parameter;
    if (!sameTerm(p.parameter, q.parameter)) return false;
    if (p.specializer === null || q.specializer === null) {
      if (p.specializer !== q.specializer) return false;
    } else if (!sameTerm(p.specializer, q.specializer)) return false;
  }
  return true;
}

function sameProduction(p: Production, q: Production): boolean {
  if (p.kind === "declaration")
    return q.kind === "declaration" && sameTerm(p.name, q.name) && sameTerm(p.value, q.value);
  if (q.kind !== "shorthand" || !sameTerm(p.head, q.head) || !sameTerm(p.implier, q.implier)) return false;
  if (p.relation === null || q.relation === null) return p.relation === q.relation;
  return sameTerm(p.relation.keyword, q.relation.keyword) && sameTerm(p.relation.name, q.relation.name);
}

function sameLine(l: Line, m: Line): boolean {
  switch (l.kind) {
    case "rule":
    case "ruleType":
      return (
        m.kind === l.kind &&
        l.rule.name === m.rule.name &&
        sameParams(l.rule.params, m.rule.params) &&
        sameTerm(l.rule.body, m.rule.body)
      );
    case "query":
      return m.kind === "query" && sameTerm(l.term, m.term);
    case "resourceBlock": {
      if (m.kind !== "resourceBlock" || !sameTerm(l.resource, m.resource)) return false;
      if (l.keyword === null || m.keyword === null) {
        if (l.keyword !== m.keyword) return false;
      } else if (!sameTerm(l.keyword, m.keyword)) return false;
      if (l.productions.length !== m.productions.length) return false;
      return l.productions.every((p, i) => sameProduction(p, m.productions[i] as Production));
    }
  }
}

/** Whether two parses have the same structure. Throws RangeError on terms nested beyond the stack. */
export function sameStructure(a: readonly Line[], b: readonly Line[]): boolean {
  return a.length === b.length && a.every((l, i) => sameLine(l, b[i] as Line));
}
