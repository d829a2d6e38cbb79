/**
 * Strict validation of `diagnostic_load` events against the schema, as the collector applies it.
 *
 * Everything not explicitly allowed is rejected, with a message naming the event and property,
 * so that a sender bug surfaces at once instead of storing something the design promises never
 * to store (paths, URIs, e-mail addresses, timestamps, IPs). Never throws.
 */
import { checkConsistency } from "./consistency.js";
import { EVENT_NAME, FORBIDDEN_PROPERTIES, PROPERTIES, type EventProperties, type PropertySpec } from "./schema.js";
import { describeSensitive, mayBeSensitive } from "./sensitive.js";
import { acceptEvent } from "./validate-fast.js";

export { describeSensitive, mayBeSensitive } from "./sensitive.js";

/** A validated event: every schema property present (absent optional counters filled with 0). */
export interface ValidEvent {
  readonly properties: EventProperties;
}

/** Why an event was rejected. `property` is null when the problem is the event as a whole. */
export interface Rejection {
  readonly property: string | null;
  readonly message: string;
}

export type EventResult = { readonly ok: true; readonly event: ValidEvent } | ({ readonly ok: false } & Rejection);

/** Rejection of a batch: the index of the first invalid event, and why. */
export type BatchResult =
  | { readonly ok: true; readonly events: readonly ValidEvent[] }
  | { readonly ok: false; readonly index: number | null; readonly property: string | null; readonly message: string };

/** Most events a batch may hold (the collector answers 413 above it). */
export const MAX_BATCH_EVENTS = 2000;

/** How much of an over-long string `describeSensitive` looks at. */
const DESCRIBE_PREFIX = 256;

function checkValue(spec: PropertySpec, value: unknown): string | null {
  const v = spec.value;
  switch (v.type) {
    case "integer":
      if (typeof value !== "number") return `must be an integer, got ${typeName(value)}`;
      if (!Number.isInteger(value)) return "must be an integer";
      if (value < v.min || value > v.max) return `must be between ${v.min} and ${v.max}, got ${value}`;
      return null;
    case "boolean":
      return typeof value === "boolean" ? null : `must be a boolean, got ${typeName(value)}`;
    case "string": {
      if (typeof value !== "string") return `must be a string, got ${typeName(value)}`;
      return checkString(value, v.pattern, v.maxLength, v.example);
    }
    case "string-set": {
      if (!Array.isArray(value)) return `must be an array of strings, got ${typeName(value)}`;
      if (value.length > v.maxItems) return `must hold at most ${v.maxItems} items`;
      const seen = new Set<string>();
      for (const item of value as unknown[]) {
        if (typeof item !== "string") return `must be an array of strings, got an item of type ${typeName(item)}`;
        const problem = checkString(item, v.pattern, v.maxLength, v.example);
        if (problem !== null) return `item ${JSON.stringify(truncate(item))} ${problem}`;
        if (seen.has(item)) return `item ${JSON.stringify(item)} is repeated`;
        seen.add(item);
      }
      return null;
    }
  }
}

function checkString(value: string, pattern: RegExp, maxLength: number, example: string): string | null {
  // Length first: every later check then runs on a bounded number of characters (an over-long
  // string is still described from its first characters, so the sender learns why).
  if (value.length > maxLength) {
    const looks = describeSensitive(value.slice(0, DESCRIBE_PREFIX));
    const tooLong = `must be at most ${maxLength} characters`;
    return looks === null ? tooLong : `looks like ${looks}, which is never collected (and ${tooLong})`;
  }
  const sensitive = mayBeSensitive(value) ? describeSensitive(value) : null;
  if (sensitive !== null) return `looks like ${sensitive}, which is never collected`;
  if (!pattern.test(value)) return `has an invalid format (expected something like ${JSON.stringify(example)})`;
  return null;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/**
 * What the validator knows about a property name, computed once from the schema: the spec of an
 * allowed property, or why a forbidden one is never collected. One map lookup per given name.
 */
const KEY_STATUS: ReadonlyMap<string, PropertySpec | string> = new Map<string, PropertySpec | string>([
  ...PROPERTIES.map((spec) => [spec.name, spec] as const),
  // Forbidden names win over allowed ones, as in the order of the checks below.
  ...FORBIDDEN_PROPERTIES,
]);

/**
 * Allow-listed values that are accepted as they are: on the list and not sensitive-looking (an
 * allowed value that looked sensitive would still be refused with the "looks like" message).
 * Computed once from the schema; a value not in the set takes the general path.
 */
const PLAIN_VALUES: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  PROPERTIES.flatMap((spec) => {
    const v = spec.value;
    if ((v.type !== "string" && v.type !== "string-set") || v.values === undefined) return [];
    const ok = v.values.filter((x) => x.length <= v.maxLength && describeSensitive(x) === null && v.pattern.test(x));
    return [[spec.name, new Set(ok)] as const];
  }),
);

/**
 * Validates one event (`{event, properties}`). On success returns the properties with every
 * optional counter filled in, in schema order. The compiled fast path (`validate-fast.ts`)
 * accepts the events well-behaved clients send; the checks below, in their order, decide the
 * rest and say why an event is refused.
 */
export function validateEvent(input: unknown): EventResult {
  const accepted = acceptEvent(input);
  if (accepted !== null) return { ok: true, event: { properties: accepted } };
  return validateEventFully(input);
}

/** `validateEvent` without the fast path: the reference the fast path is tested against. */
export function validateEventFully(input: unknown): EventResult {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, property: null, message: "an event must be an object" };
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== "event" && key !== "properties") {
      return {
        ok: false,
        property: key,
        message: `unknown field ${JSON.stringify(key)} (an event has only "event" and "properties")`,
      };
    }
  }
  if (record.event !== EVENT_NAME) {
    return {
      ok: false,
      property: null,
      message:
        typeof record.event === "string"
          ? `unknown event name ${JSON.stringify(truncate(record.event))} (expected "${EVENT_NAME}")`
          : // Never String() a value: a deeply nested array would overflow the stack.
            `the event name must be the string "${EVENT_NAME}", got ${typeName(record.event)}`,
    };
  }
  const props = record.properties;
  if (typeof props !== "object" || props === null || Array.isArray(props)) {
    return { ok: false, property: null, message: "properties must be an object" };
  }
  const given = props as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    const status = KEY_STATUS.get(name);
    if (typeof status === "string")
      return { ok: false, property: name, message: `property "${name}" is not allowed: ${status}` };
    if (status === undefined) {
      return { ok: false, property: name, message: `unknown property ${JSON.stringify(truncate(name))}` };
    }
  }
  const out: EventProperties = {};
  for (const spec of PROPERTIES) {
    const value = given[spec.name];
    if (value === undefined) {
      if (spec.required) return { ok: false, property: spec.name, message: `missing property "${spec.name}"` };
      if (spec.kind === "counter") out[spec.name] = 0;
      continue;
    }
    // An allow-listed value as sent by every well-behaved client: nothing more to check.
    if (typeof value === "string" && PLAIN_VALUES.get(spec.name)?.has(value) === true) {
      out[spec.name] = value;
      continue;
    }
    const problem = checkValue(spec, value);
    if (problem !== null) return { ok: false, property: spec.name, message: `property "${spec.name}" ${problem}` };
    out[spec.name] = value as number | string | boolean | string[];
  }
  const consistency = checkConsistency(out);
  if (consistency !== null) return { ok: false, ...consistency };
  return { ok: true, event: { properties: out } };
}

/**
 * Validates a decoded `/track` payload: one event object or an array of them. All or nothing:
 * the first invalid event rejects the batch.
 */
export function validateBatch(payload: unknown): BatchResult {
  const list = Array.isArray(payload) ? (payload as unknown[]) : [payload];
  if (list.length === 0) return { ok: false, index: null, property: null, message: "the batch is empty" };
  if (list.length > MAX_BATCH_EVENTS) {
    return {
      ok: false,
      index: null,
      property: null,
      message: `a batch holds at most ${MAX_BATCH_EVENTS} events, got ${list.length}`,
    };
  }
  const events: ValidEvent[] = [];
  for (let i = 0; i < list.length; i++) {
    const r = validateEvent(list[i]);
    if (!r.ok) return { ok: false, index: i, property: r.property, message: `event ${i}: ${r.message}` };
    events.push(r.event);
  }
  return { ok: true, events };
}
