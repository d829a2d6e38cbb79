/**
 * Tree walks over terms and rules, allocation-free in the common cases: the initial stack of a
 * rule walk, pushing a value's children (in the engine's pre-order, or in no particular order),
 * and visiting dictionary fields in Rust `BTreeMap` order (keys by code point, i.e. UTF-8 byte
 * order). The walkers run on every term of every rule of a load, and almost every map they meet
 * has zero or one field, so the common cases must not sort or copy. Walks use an explicit stack:
 * deeply nested terms must not overflow the call stack.
 */
import type { Fields, Rule, Term, Value } from "./ast.js";
import { compareCodePoints } from "./code-points.js";

const NO_KEYS: readonly string[] = [];

/** The keys of `fields` in code point order; the map's own order when it is already sorted (no sort, one array). */
export function sortedKeys(fields: Fields): readonly string[] {
  if (fields.size === 0) return NO_KEYS;
  const keys = [...fields.keys()];
  if (keys.length === 2) {
    // Two keys (a relations declaration, often): swapped if need be, without a sort.
    const a = keys[0] as string;
    const b = keys[1] as string;
    if (compareCodePoints(a, b) > 0) {
      keys[0] = b;
      keys[1] = a;
    }
    return keys;
  }
  for (let i = 1; i < keys.length; i++) {
    if (compareCodePoints(keys[i - 1] as string, keys[i] as string) > 0) return keys.sort(compareCodePoints);
  }
  return keys;
}

/**
 * The initial stack of an explicit-stack pre-order walk over a rule: parameters (each followed by
 * its specializer) then the body, pushed in reverse so that they pop in source order. Walks use an
 * explicit stack because deeply nested terms must not overflow the call stack.
 */
export function ruleTermStack(rule: Rule): Term[] {
  const stack: Term[] = [rule.body];
  for (let i = rule.params.length - 1; i >= 0; i--) {
    const p = rule.params[i];
    if (p === undefined) continue;
    if (p.specializer !== null) stack.push(p.specializer);
    stack.push(p.parameter);
  }
  return stack;
}

/**
 * {@link ruleTermStack} onto an existing (empty) stack: walks that run on every rule of a load
 * reuse one stack instead of making one per rule.
 */
export function pushRuleTerms(stack: Term[], rule: Rule): void {
  stack.push(rule.body);
  for (let i = rule.params.length - 1; i >= 0; i--) {
    const p = rule.params[i];
    if (p === undefined) continue;
    if (p.specializer !== null) stack.push(p.specializer);
    stack.push(p.parameter);
  }
}

/**
 * Visits the sub-terms of a value in the reverse of the engine's pre-order visiting order (call
 * arguments then keyword arguments, operation arguments, list elements, field values in key
 * order), so that a walk pushing each onto a stack pops them in the engine's order. The one
 * declaration of that order: {@link pushChildrenReversed} and the loader's rule walk
 * (validations/rule-walk.ts, which pushes a flag per entry) both visit through it. `extra` is
 * passed to every call of `visit` (a stack, a flag), so that `visit` need not be a closure.
 * Maps of zero or one field cost no allocation.
 */
export function visitChildrenReversed<E>(v: Value, visit: (t: Term, extra: E) => void, extra: E): void {
  let terms: readonly Term[];
  switch (v.type) {
    case "Call":
      if (v.kwargs !== null && v.kwargs.size > 0) visitFieldsReversed(v.kwargs, visit, extra);
      terms = v.args;
      break;
    case "Expression":
      terms = v.args;
      break;
    case "List":
      terms = v.elements;
      break;
    case "Dictionary":
    case "DictionaryPattern":
    case "InstancePattern":
      if (v.fields.size > 0) visitFieldsReversed(v.fields, visit, extra);
      return;
    default:
      return;
  }
  for (let i = terms.length - 1; i >= 0; i--) visit(terms[i] as Term, extra);
}

/** The values of `fields` in reverse key order (code point order, as the engine's `BTreeMap`). */
function visitFieldsReversed<E>(fields: Fields, visit: (t: Term, extra: E) => void, extra: E): void {
  if (fields.size === 1) {
    for (const v of fields.values()) visit(v, extra);
    return;
  }
  const keys = sortedKeys(fields);
  for (let i = keys.length - 1; i >= 0; i--) {
    const v = fields.get(keys[i] as string);
    if (v !== undefined) visit(v, extra);
  }
}

function pushOnto(t: Term, stack: Term[]): void {
  stack.push(t);
}

/**
 * Pushes the sub-terms of a value so that they pop in the engine's pre-order visiting order
 * ({@link visitChildrenReversed}).
 */
export function pushChildrenReversed(stack: Term[], v: Value): void {
  visitChildrenReversed(v, pushOnto, stack);
}

/** Pushes the sub-terms of a value in no particular order, for walks whose result does not depend on order. */
export function pushChildren(stack: Term[], v: Value): void {
  switch (v.type) {
    case "Call":
      for (const a of v.args) stack.push(a);
      if (v.kwargs !== null) for (const f of v.kwargs.values()) stack.push(f);
      break;
    case "Expression":
      for (const a of v.args) stack.push(a);
      break;
    case "List":
      for (const e of v.elements) stack.push(e);
      break;
    case "Dictionary":
    case "DictionaryPattern":
    case "InstancePattern":
      for (const f of v.fields.values()) stack.push(f);
      break;
    default:
      break;
  }
}
