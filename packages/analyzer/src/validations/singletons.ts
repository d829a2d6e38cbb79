/**
 * SingletonVariable errors and UnknownSpecializer warnings (polar-core validations.rs
 * `check_singletons`), run on each rule as parsed, before it is rewritten.
 *
 * One bookkeeping table serves both: every variable, rest variable and class-pattern tag is
 * counted by name, so `Foo` used as a variable and as a pattern tag counts twice.
 */
import type { Rule, Term } from "../ast.js";
import { contextOf, error, warning, type Diagnostic } from "../diagnostics.js";
import { pushChildrenReversed, pushRuleTerms } from "../walk.js";
import { toPolar } from "../printer.js";

/** `common_specializer_misspellings`: tags users write for built-in classes. */
const SUGGESTIONS: ReadonlyMap<string, string> = new Map([
  ...["integer", "int", "i32", "i64", "u32", "u64", "usize", "size_t"].map((k) => [k, "Integer"] as const),
  ...["float", "f32", "f64", "double"].map((k) => [k, "Float"] as const),
  ...["char", "str", "string"].map((k) => [k, "String"] as const),
  ...["list", "array", "Array"].map((k) => [k, "List"] as const),
  ...["dict", "Dict", "dictionary", "hash", "Hash", "map", "Map", "HashMap", "hashmap", "hash_map"].map(
    (k) => [k, "Dictionary"] as const,
  ),
]);

/** Class-pattern tags that name the `Actor`/`Resource` unions, which are never singletons. */
const UNIONS: ReadonlySet<string> = new Set(["Actor", "Resource"]);

/** Names recorded by {@link checkSingletons} in a table this long at most; beyond it, in a map. */
const TABLE_SIZE = 16;

/**
 * The bookkeeping of {@link checkSingletons}, reused by every call (it runs on every rule of a
 * load, and does not call itself): a name, and its only occurrence so far or null once it has
 * been seen twice. Rules have a few names: a table searched in order, in first-seen order like
 * the map it becomes when it overflows.
 */
const names: string[] = [];
const only: (Term | null)[] = [];
let recorded = 0;
let overflow: Map<string, Term | null> | null = null;
/** The walk's stack, reused likewise (empty between calls). */
const stack: Term[] = [];

function record(name: string, term: Term): void {
  if (overflow !== null) {
    overflow.set(name, overflow.has(name) ? null : term);
    return;
  }
  for (let i = 0; i < recorded; i++) {
    if (names[i] === name) {
      only[i] = null;
      return;
    }
  }
  if (recorded === TABLE_SIZE) {
    overflow = new Map();
    for (let i = 0; i < recorded; i++) overflow.set(names[i] as string, only[i] as Term | null);
    overflow.set(name, term);
    return;
  }
  names[recorded] = name;
  only[recorded] = term;
  recorded++;
}

const NONE: readonly Diagnostic[] = Object.freeze([]);

interface Single {
  readonly name: string;
  readonly term: Term;
  readonly at: number;
}

/** `out` with `term` added when it is a name's only occurrence (made on the first one). */
function addSingle(out: Single[] | null, name: string, term: Term | null): Single[] | null {
  if (term === null) return out;
  const single = { name, term, at: term.source.kind === "parser" ? term.source.start : 0 };
  if (out === null) return [single];
  out.push(single);
  return out;
}

/**
 * Singleton variables and unknown specializers of one rule, sorted by position.
 * `isConstant(name)` tells whether a name is a registered constant (classes, `nil`, …).
 */
export function checkSingletons(rule: Rule, isConstant: (name: string) => boolean): readonly Diagnostic[] {
  beginSingletons();
  // Empty unless a walk threw; emptied only then (setting the length drops the backing store).
  if (stack.length !== 0) stack.length = 0;
  // Explicit stack instead of recursion: deeply nested terms must not overflow. Children are
  // pushed in reverse so that they pop in order.
  pushRuleTerms(stack, rule);
  for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
    visitSingletons(t, isConstant);
    pushChildrenReversed(stack, t.value);
  }
  return endSingletons();
}

/**
 * The check of {@link checkSingletons} in steps, for a walk that does other checks on the way
 * (validations/rule-walk.ts): begin, visit every term of the rule in the engine's pre-order,
 * end. Not reentrant (one bookkeeping table).
 */
export function beginSingletons(): void {
  recorded = 0;
  overflow = null;
}

/** Records the name `t` holds, if it is one the check counts (see {@link beginSingletons}). */
export function visitSingletons(t: Term, isConstant: (name: string) => boolean): void {
  const v = t.value;
  let name: string;
  let canBeUnion = true;
  switch (v.type) {
    case "Variable":
      name = v.name;
      break;
    case "RestVariable":
      name = v.name;
      canBeUnion = false;
      break;
    case "InstancePattern":
      name = v.tag;
      break;
    default:
      return;
  }
  if (
    name.charCodeAt(0) !== 0x5f /* _ */ &&
    !name.includes("::") &&
    !isConstant(name) &&
    !(canBeUnion && UNIONS.has(name))
  ) {
    record(name, t);
  }
}

/** The diagnostics of the visited rule, sorted by position (see {@link beginSingletons}). */
export function endSingletons(): readonly Diagnostic[] {
  let found: Single[] | null = null;
  // (TypeScript cannot see the assignment inside `record`, hence the explicit type.)
  const big = overflow as Map<string, Term | null> | null;
  if (big !== null) {
    for (const [name, term] of big) found = addSingle(found, name, term);
    overflow = null;
  } else {
    for (let i = 0; i < recorded; i++) found = addSingle(found, names[i] as string, only[i] as Term | null);
  }
  // Keep no term of this rule alive.
  only.fill(null, 0, recorded);
  recorded = 0;
  if (found === null) return NONE;
  found.sort((a, b) => a.at - b.at);

  return found.map(({ name, term }) => {
    if (term.value.type === "InstancePattern") {
      const suggestion = SUGGESTIONS.get(name);
      const message = `Unknown specializer ${name}${suggestion === undefined ? "" : `, did you mean ${suggestion}?`}`;
      return warning("ValidationWarning::UnknownSpecializer", message, contextOf(term));
    }
    const printed = toPolar(term);
    return error(
      "ValidationError::SingletonVariable",
      `Singleton variable ${printed} is unused or undefined; try renaming to _${printed} or _`,
      contextOf(term),
    );
  });
}
