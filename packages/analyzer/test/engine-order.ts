/**
 * The engine's pre-order visiting order of a rule's terms, written out recursively and apart from
 * `src/walk.ts` so that the walks built on its one declaration (`visitChildrenReversed`) can be
 * checked against it: parameters (each followed by its specializer), then the body; below a term,
 * call arguments then keyword arguments, operation arguments, list elements, field values in key
 * order (the engine's `BTreeMap`: UTF-8 byte order, which is code point order).
 */
import type { Fields, Rule, Term } from "../src/ast.js";

/** One visited term, and whether it lies below a `.` or `new` operation (calls there are not rule calls). */
export interface Visit {
  readonly term: Term;
  readonly belowDot: boolean;
}

function fieldValues(fields: Fields): Term[] {
  return [...fields.keys()]
    .sort((a, b) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")))
    .map((k) => fields.get(k) as Term);
}

function visit(t: Term, belowDot: boolean, out: Visit[]): void {
  out.push({ term: t, belowDot });
  const v = t.value;
  let children: Term[] = [];
  let below = belowDot;
  switch (v.type) {
    case "Call":
      children = [...v.args, ...(v.kwargs === null ? [] : fieldValues(v.kwargs))];
      break;
    case "Expression":
      children = [...v.args];
      if (v.operator === "Dot" || v.operator === "New") below = true;
      break;
    case "List":
      children = [...v.elements];
      break;
    case "Dictionary":
    case "DictionaryPattern":
    case "InstancePattern":
      children = fieldValues(v.fields);
      break;
    default:
      break;
  }
  for (const c of children) visit(c, below, out);
}

/** Every term of `rule` in the engine's visiting order (recursive: for test rules of modest depth). */
export function engineOrder(rule: Rule): Visit[] {
  const out: Visit[] = [];
  for (const p of rule.params) {
    visit(p.parameter, false, out);
    if (p.specializer !== null) visit(p.specializer, false, out);
  }
  visit(rule.body, false, out);
  return out;
}

/** The distinct names of the rule calls of `rule` (not below `.`/`new`), in first-visited order. */
export function calledInOrder(rule: Rule): string[] {
  const names: string[] = [];
  for (const { term, belowDot } of engineOrder(rule)) {
    const v = term.value;
    if (v.type === "Call" && !belowDot && !names.includes(v.name)) names.push(v.name);
  }
  return names;
}
