/**
 * Small helpers that inspect and build terms. Generated terms share values freely: terms are
 * immutable.
 */
import type { Parameter, Rule, SourceInfo, Term, Value } from "./ast.js";

/** The source of every temporary: one shared object (source infos are immutable). */
const TEMPORARY: SourceInfo = Object.freeze({ kind: "temporary" });

/** A term created by a rewrite or by the engine, without source location. */
export function temporary(value: Value): Term {
  return { value, source: TEMPORARY };
}

/** The name of a symbol (a Variable term), or "" for any other term. */
export function symbolName(term: Term): string {
  return term.value.type === "Variable" ? term.value.name : "";
}

/** The value of a String term, or "" for any other term. */
export function stringValue(term: Term): string {
  return stringOf(term.value);
}

/** The string of a String value, or "" for any other value (what {@link stringValue} reads of its term). */
export function stringOf(value: Value): string {
  return value.type === "String" ? value.value : "";
}

/** `value` with `term`'s source (the engine's `term.clone_with_value`). */
export function withValue(term: Term, value: Value): Term {
  return { value, source: term.source };
}

export function variable(name: string): Value {
  return { type: "Variable", name };
}

/** Shared empty field map of generated patterns (terms are immutable). */
const NO_FIELDS: ReadonlyMap<string, Term> = new Map();

/** A class pattern without fields (`Tag{}`), as generated rules and rule types use. */
export function instancePattern(tag: string): Value {
  return { type: "InstancePattern", tag, fields: NO_FIELDS };
}

/** A call without keyword arguments. */
export function call(name: string, args: Term[]): Value {
  return { type: "Call", name, args, kwargs: null };
}

/** An `And` expression of `args`. */
export function and(args: Term[]): Value {
  return { type: "Expression", operator: "And", args };
}

/** A parameter made of temporaries, as rule types declare them: `name`, or `name: Tag` with a tag. */
export function typeParameter(name: string, tag: string | null = null): Parameter {
  return {
    parameter: temporary(variable(name)),
    specializer: tag === null ? null : temporary(instancePattern(tag)),
  };
}

/** The rule of a built-in rule type: `name(params)` with an empty body, without source unless given. */
export function bodilessRule(name: string, params: readonly Parameter[], source: SourceInfo = TEMPORARY): Rule {
  return { name, params, body: temporary(and([])), source };
}
