/**
 * SingletonVariable errors and UnknownSpecializer warnings (polar-core validations.rs
 * `check_singletons`), run on each rule as parsed, before it is rewritten.
 *
 * One bookkeeping table serves both: every variable, rest variable and class-pattern tag is
 * counted by name, so `Foo` used as a variable and as a pattern tag counts twice.
 */
import { sortedFields, type Rule, type Term } from "../ast.js";
import { contextOf, error, warning, type Diagnostic } from "../diagnostics.js";
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
  // name -> the only occurrence so far, or null once it has been seen twice.
  const seen = new Map<string, Term | null>();

  const record = (name: string, term: Term, canBeUnion: boolean): void => {
    if (name.startsWith("_") || name.includes("::") || isConstant(name)) return;
    if (canBeUnion && UNIONS.has(name)) return;
    seen.set(name, seen.has(name) ? null : term);
  };

  // Explicit stack instead of recursion: deeply nested terms must not overflow.
  const stack: Term[] = [];
  const pushAll = (terms: readonly Term[]): void => {
    for (let i = terms.length - 1; i >= 0; i--) {
      const t = terms[i];
      if (t !== undefined) stack.push(t);
    }
  };
  const roots: Term[] = [];
  for (const p of rule.params) {
    roots.push(p.parameter);
    if (p.specializer !== null) roots.push(p.specializer);
  }
  roots.push(rule.body);
  pushAll(roots);

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
        pushAll(sortedFields(v.fields).map(([, f]) => f));
        break;
      case "Dictionary":
      case "DictionaryPattern":
        pushAll(sortedFields(v.fields).map(([, f]) => f));
        break;
      case "Call":
        pushAll([...v.args, ...(v.kwargs === null ? [] : sortedFields(v.kwargs).map(([, f]) => f))]);
        break;
      case "List":
        pushAll(v.elements);
        break;
      case "Expression":
        pushAll(v.args);
        break;
      default:
        break;
    }
  }

  const singles: { name: string; term: Term; at: number }[] = [];
  for (const [name, term] of seen) {
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
