/**
 * The validator's fast path: a predicate compiled once from the schema (`PROPERTIES`) that
 * accepts an event only when the full validator (`validate.ts`) would, and then builds the same
 * properties. It never explains: whatever it does not accept goes to the full validator, which
 * finds the first problem in its own order and says why. So it may refuse too much (it only costs
 * time), never too little; `test/validate-compiled.test.ts` compares the two over random events.
 *
 * What makes it faster than the full validator, on the events well-behaved clients send:
 * - one pass over the properties given, with checkers specialised by type (no walk of the
 *   schema, no messages built), found by name once per order of names a sender uses;
 * - allow-listed strings are one set lookup; other strings that pass the sensitive-value checks
 *   (version numbers, the project token) are remembered per property in a small bounded table,
 *   so the patterns run once per distinct value rather than once per event;
 * - the result is a copy of a fast-mode template object (the schema's properties in schema
 *   order), filled by stores to existing properties, instead of an object that grows one
 *   property at a time and turns into a hash table.
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
if (nextBit > 2 ** 30) throw new Error("validate-fast: too many optional properties for a bit mask");
const REQUIRED = PROPERTIES.filter((spec) => spec.required).length;

/**
 * The output object for a set of given optional non-counter properties (`mask`): every other
 * property in schema order, absent counters 0. Built by JSON.parse, which makes a fast-mode
 * object; the copies (`{...template}`) share its layout.
 */
const templates = new Map<number, EventProperties>();
function template(mask: number): EventProperties {
  let t = templates.get(mask);
  if (t === undefined) {
    const shape: EventProperties = {};
    for (const spec of PROPERTIES) {
      const bit = CHECKERS.get(spec.name)?.bit ?? 0;
      if (bit !== 0 && (mask & bit) === 0) continue;
      const v = spec.value;
      shape[spec.name] = v.type === "integer" ? 0 : v.type === "boolean" ? false : v.type === "string" ? "" : [];
    }
    t = JSON.parse(JSON.stringify(shape)) as EventProperties;
    templates.set(mask, t);
  }
  return t;
}

/**
 * The checkers of a list of property names, in its order, with what they add up to: the number
 * of required properties named and the mask of optional non-counters. Senders name the
 * properties in the same order event after event, so the last plan is kept and reused when the
 * next event's names are the same (a comparison per name instead of a table lookup).
 */
interface Plan {
  readonly names: readonly string[];
  readonly checkers: readonly Checker[];
  readonly required: number;
  readonly mask: number;
}

let lastPlan: Plan = { names: [], checkers: [], required: 0, mask: 0 };

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The plan of `names`, or null when one of them is not a property the fast path accepts. */
function planOf(names: readonly string[]): Plan | null {
  const checkers: Checker[] = [];
  let required = 0;
  let mask = 0;
  for (const name of names) {
    const c = CHECKERS.get(name);
    if (c === undefined) return null;
    checkers.push(c);
    if (c.required) required++;
    mask |= c.bit;
  }
  return { names, checkers, required, mask };
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
  const names = Object.keys(given);
  const values = Object.values(given);
  let plan = lastPlan;
  if (!sameNames(names, plan.names)) {
    const made = planOf(names);
    if (made === null) return null;
    plan = lastPlan = made;
  }
  const checkers = plan.checkers;
  for (let i = 0; i < checkers.length; i++) if (!accepts(checkers[i]!, values[i])) return null;
  if (plan.required !== REQUIRED) return null;
  const mask = plan.mask;
  const out = { ...template(mask) };
  for (let i = 0; i < names.length; i++) out[names[i]!] = values[i] as number | string | boolean | string[];
  return checkConsistency(out) === null ? out : null;
}
