/**
 * SingletonVariable errors and UnknownSpecializer warnings (polar-core validations.rs
 * `check_singletons`), run on each rule as parsed, before it is rewritten.
 *
 * One bookkeeping table serves both: every variable, rest variable and class-pattern tag is
 * counted by name, so `Foo` used as a variable and as a pattern tag counts twice.
 */
import type { Rule, Term } from "../ast.js";
import { contextOf, error, warning, type Diagnostic } from "../diagnostics.js";
import { pushChildrenReversed, ruleTermStack } from "../walk.js";
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

/**
 * Singleton variables and unknown specializers of one rule, sorted by position.
 * `isConstant(name)` tells whether a name is a registered constant (classes, `nil`, …).
 */
export function checkSingletons(rule: Rule, isConstant: (name: string) => boolean): Diagnostic[] {
  // name -> the only occurrence so far, or null once it has been seen twice. Created on the first
  // recorded name: many rules (and all generated ones) have none.
  let seen: Map<string, Term | null> | null = null;

  const record = (name: string, term: Term, canBeUnion: boolean): void => {
    if (name.charCodeAt(0) === 0x5f /* _ */ || name.includes("::") || isConstant(name)) return;
    if (canBeUnion && UNIONS.has(name)) return;
    seen ??= new Map();
    seen.set(name, seen.has(name) ? null : term);
  };

  // Explicit stack instead of recursion: deeply nested terms must not overflow. Children are
  // pushed in reverse so that they pop in order.
  const stack = ruleTermStack(rule);

  for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
    const v = t.value;
    switch (v.type) {
      case "Variable":
        record(v.name, t, true);
        break;
      case "RestVariable":
        record(v.name, t, false);
        break;
      case "InstancePattern":
        record(v.tag, t, true);
        break;
      default:
        break;
    }
    pushChildrenReversed(stack, v);
  }

  // (TypeScript cannot see the assignment inside `record`, hence the explicit type.)
  const recorded = seen as Map<string, Term | null> | null;
  if (recorded === null) return [];
  const singles: { name: string; term: Term; at: number }[] = [];
  for (const [name, term] of recorded) {
    if (term !== null) singles.push({ name, term, at: term.source.kind === "parser" ? term.source.start : 0 });
  }
  singles.sort((a, b) => a.at - b.at);

  return singles.map(({ name, term }) => {
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
