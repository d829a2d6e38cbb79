/**
 * The validator's fast path: a predicate compiled once from the schema (`PROPERTIES`) that
 * accepts an event only when the full validator (`validate.ts`) would, and then builds the same
 * properties. It never explains: whatever it does not accept goes to the full validator, which
 * finds the first problem in its own order and says why. So it may refuse too much (it only costs
 * time), never too little; `test/validate-compiled.test.ts` compares the two over random events.
 *
 * What makes it faster than the full validator, on the events well-behaved clients send:
 * - one function compiled from the schema when this module loads (`compileCheck`): every
 *   property read by its name and checked inline by its type, no walk of the schema, no
 *   messages built; the names given are checked once per order of names a sender uses;
 * - allow-listed strings are one set lookup; other strings that pass the sensitive-value checks
 *   (version numbers, the project token) are remembered per property in a small bounded table,
 *   so the patterns run once per distinct value rather than once per event;
 * - the result is one object literal in schema order (a fast-mode object made in one step),
 *   instead of a copy of a template filled by a store per property.
 */
import { checkConsistency } from "./consistency.js";
import { EVENT_NAME, FORBIDDEN_PROPERTIES, PROPERTIES, type EventProperties, type PropertySpec } from "./schema.js";
import { describeSensitive, mayBeSensitive } from "./sensitive.js";

/** Distinct accepted values remembered per property before its table starts over. */
const MEMO_LIMIT = 256;

/** A string of this property that the full validator accepts (length, sensitive-value checks, pattern). */
function stringAcceptor(pattern: RegExp, maxLength: number, values: readonly string[] | undefined) {
  // Allow-listed values that pass every check (as the full validator's PLAIN_VALUES).
  const plain = new Set(
    (values ?? []).filter((x) => x.length <= maxLength && pattern.test(x) && describeSensitive(x) === null),
  );
  // Values that needed the sensitive-value patterns and passed them: remembered (accepted values
  // only; bounded, and cleared whole when full, so a sender of ever new values costs no memory).
  const memo = new Set<string>();
  return (value: string): boolean => {
    if (plain.has(value)) return true;
    if (value.length > maxLength || !pattern.test(value)) return false;
    if (!mayBeSensitive(value)) return true;
    if (memo.has(value)) return true;
    if (describeSensitive(value) !== null) return false;
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.add(value);
    return true;
  };
}

/** Value types, as small numbers (switched on inline, rather than calling a closure per property). */
const INTEGER = 0;
const BOOLEAN = 1;
const STRING = 2;
const STRING_SET = 3;

/** One property's checker; `bit` marks an optional property that is not a counter (kept only when given). */
interface Checker {
  readonly type: number;
  readonly min: number;
  readonly max: number;
  readonly maxItems: number;
  readonly acceptString: (value: string) => boolean;
  readonly required: boolean;
  readonly bit: number;
}

const NO_STRING = (): boolean => false;

function checker(spec: PropertySpec, bit: number): Checker {
  const v = spec.value;
  const base = { min: 0, max: 0, maxItems: 0, acceptString: NO_STRING, required: spec.required, bit };
  switch (v.type) {
    case "integer":
      return { ...base, type: INTEGER, min: v.min, max: v.max };
    case "boolean":
      return { ...base, type: BOOLEAN };
    case "string":
      return { ...base, type: STRING, acceptString: stringAcceptor(v.pattern, v.maxLength, v.values) };
    case "string-set":
      return {
        ...base,
        type: STRING_SET,
        maxItems: v.maxItems,
        acceptString: stringAcceptor(v.pattern, v.maxLength, v.values),
      };
  }
}

/** Whether the full validator's `checkValue` would accept `value`. */
function accepts(c: Checker, value: unknown): boolean {
  switch (c.type) {
    case INTEGER:
      return typeof value === "number" && Number.isInteger(value) && value >= c.min && value <= c.max;
    case BOOLEAN:
      return typeof value === "boolean";
    case STRING:
      return typeof value === "string" && c.acceptString(value);
    default: {
      if (!Array.isArray(value) || value.length > c.maxItems) return false;
      const items = value as unknown[];
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (typeof item !== "string" || !c.acceptString(item)) return false;
        // Repeated items are refused (the lists are short: maxItems is the allow-list's size).
        for (let j = 0; j < i; j++) if (items[j] === item) return false;
      }
      return true;
    }
  }
}

let nextBit = 1;
const CHECKERS: ReadonlyMap<string, Checker> = new Map(
  PROPERTIES.filter((spec) => !FORBIDDEN_PROPERTIES.has(spec.name)).map((spec) => {
    const keptWhenGiven = !spec.required && spec.kind !== "counter";
    const bit = keptWhenGiven ? nextBit : 0;
    if (keptWhenGiven) nextBit *= 2;
    return [spec.name, checker(spec, bit)] as const;
  }),
);
// Each set of given optional non-counters has its own output literal (2^n of them).
if (nextBit > 2 ** 4) throw new Error("validate-fast: too many optional non-counter properties");

/**
 * The checks and the output of one event's properties, as one function compiled from the schema
 * (`PROPERTIES`, in schema order; nothing in it comes from input): each property is read by name
 * (senders' objects share one shape, so every read is a monomorphic load), checked inline by
 * type (strings and string sets by their `Checker`), and the output is one object literal in
 * schema order — absent counters 0, absent optional non-counters left out — with one literal
 * per set of given optional non-counters. Answers null when a value would be refused. That the
 * names given are all known is checked before (`knownNames`).
 */
type CompiledCheck = (given: Record<string, unknown>, checkers: readonly Checker[]) => EventProperties | null;

/** The properties the fast path checks, in schema order: the compiled function's order. */
const CHECKED_SPECS: readonly PropertySpec[] = PROPERTIES.filter((spec) => CHECKERS.has(spec.name));

function compileCheck(): CompiledCheck {
  const specs = CHECKED_SPECS;
  const lines: string[] = [];
  let optional = "0";
  specs.forEach((spec, i) => {
    const c = CHECKERS.get(spec.name)!;
    const key = JSON.stringify(spec.name);
    if (key === '"__proto__"') throw new Error("validate-fast: a property called __proto__");
    let bad: string;
    switch (c.type) {
      case INTEGER:
        bad = `typeof v${i} !== "number" || !Number.isInteger(v${i}) || v${i} < ${c.min} || v${i} > ${c.max}`;
        break;
      case BOOLEAN:
        bad = `typeof v${i} !== "boolean"`;
        break;
      case STRING:
        bad = `typeof v${i} !== "string" || !c[${i}].acceptString(v${i})`;
        break;
      default:
        bad = `!accepts(c[${i}], v${i})`;
    }
    lines.push(`const v${i} = g[${key}];`);
    lines.push(spec.required ? `if (${bad}) return null;` : `if (v${i} !== undefined && (${bad})) return null;`);
    if (c.bit !== 0) optional += ` | (v${i} === undefined ? 0 : ${c.bit})`;
  });
  const literal = (mask: number): string =>
    `{${specs
      .flatMap((spec, i) => {
        const c = CHECKERS.get(spec.name)!;
        const key = JSON.stringify(spec.name);
        if (c.bit !== 0) return (mask & c.bit) === 0 ? [] : [`${key}: v${i}`];
        return [spec.required ? `${key}: v${i}` : `${key}: v${i} === undefined ? 0 : v${i}`];
      })
      .join(", ")}}`;
  lines.push(`switch (${optional}) {`);
  for (let mask = 0; mask < nextBit; mask++) lines.push(`case ${mask}: return ${literal(mask)};`);
  lines.push("}", "return null;");
  const make = new Function("accepts", `return function check(g, c) {\n${lines.join("\n")}\n};`) as (
    a: typeof accepts,
  ) => CompiledCheck;
  return make(accepts);
}

const CHECK = compileCheck();
/** The checkers in the compiled function's order (the schema's). */
const CHECK_CHECKERS: readonly Checker[] = CHECKED_SPECS.map((spec) => CHECKERS.get(spec.name)!);

/**
 * Whether every name is a property the fast path checks (known, not forbidden). Senders name the
 * properties in the same order event after event, so the last list found good is kept, and the
 * next one compared with it name by name (interned strings: a pointer comparison each) instead
 * of looked up.
 */
let lastNames: readonly string[] = [];

function knownNames(names: readonly string[]): boolean {
  if (names.length === lastNames.length) {
    let same = true;
    for (let i = 0; i < names.length; i++) {
      if (names[i] !== lastNames[i]) {
        same = false;
        break;
      }
    }
    if (same) return true;
  }
  for (const name of names) if (!CHECKERS.has(name)) return false;
  lastNames = names;
  return true;
}

/**
 * The properties the full validator would return for `input`, or null when it might refuse it
 * (then ask the full validator). Never throws.
 */
export function acceptEvent(input: unknown): EventProperties | null {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return null;
  const record = input as Record<string, unknown>;
  const fields = Object.keys(record);
  if (
    fields.length !== 2 ||
    !((fields[0] === "event" && fields[1] === "properties") || (fields[0] === "properties" && fields[1] === "event"))
  )
    return null;
  if (record.event !== EVENT_NAME) return null;
  const props = record.properties;
  if (typeof props !== "object" || props === null || Array.isArray(props)) return null;
  const given = props as Record<string, unknown>;
  if (!knownNames(Object.keys(given))) return null;
  const out = CHECK(given, CHECK_CHECKERS);
  return out !== null && checkConsistency(out) === null ? out : null;
}
