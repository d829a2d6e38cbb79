/**
 * Strict validation of `diagnostic_load` events against the schema, as the collector applies it.
 *
 * Everything not explicitly allowed is rejected, with a message naming the event and property,
 * so that a sender bug surfaces at once instead of storing something the design promises never
 * to store (paths, URIs, e-mail addresses, timestamps, IPs). Never throws.
 */
import {
  CODE_PROPERTIES,
  EVENT_NAME,
  FORBIDDEN_PROPERTIES,
  LSP_METHODS,
  PROPERTIES,
  lspMethodProperty,
  type EventProperties,
  type PropertySpec,
} from "./schema.js";

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

/**
 * What a rejected string looks like, checked before the property's own pattern so the sender
 * learns *why* (the pattern alone would only say "invalid").
 *
 * Every pattern here runs in time linear in the string (anchored, or a fixed-width prefix, and no
 * nested quantifiers): a hostile sender controls these strings. The validator checks lengths
 * before calling it, but the telemetry client calls it too.
 */
export function describeSensitive(value: string): string | null {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) || /^(file|mailto|vscode|data|urn):/i.test(value)) return "a URI";
  // Same language as /[^\s@]+@[^\s@]+\.[^\s@]+/, whose unanchored leading `+` made it quadratic:
  // a match can only start one character before an '@', and each '@' is scanned past once.
  if (/[^\s@]@[^\s@]+\.[^\s@]/.test(value)) return "an e-mail address";
  if (/\d{4}-\d{2}-\d{2}/.test(value) || /^\d{10}(\d{3})?$/.test(value)) return "a timestamp";
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(value) || looksLikeIpv6(value)) return "an IP address";
  if (/[/\\]/.test(value) || /^~/.test(value) || /^[A-Za-z]:/.test(value)) return "a path";
  return null;
}

/**
 * Whether `describeSensitive` could say anything about `value`. Every one of its patterns needs a
 * character other than an ASCII letter or digit (`:`, `@`, `-`, `.`, `/`, `\\`, `~`), except the
 * all-digit timestamps of 10 and 13 characters; so a string of letters and digits of any other
 * length is never sensitive, and the validator skips the patterns for it (ids, hashes, most
 * allow-listed values). `test/validate-fast-path.test.ts` checks this against `describeSensitive`.
 */
export function mayBeSensitive(value: string): boolean {
  return value.length === 10 || value.length === 13 || !ALPHANUMERIC.test(value);
}

const ALPHANUMERIC = /^[A-Za-z0-9]*$/;

/** 3 to 8 groups of at most 4 hex digits separated by ':' (what the old `(:[0-9a-f]{0,4}){2,7}` matched). */
function looksLikeIpv6(value: string): boolean {
  if (value.length > 39 || !/^[0-9a-f:]+$/i.test(value)) return false;
  const groups = value.split(":");
  return groups.length >= 3 && groups.length <= 8 && groups.every((g) => g.length <= 4);
}

/** How much of an over-long string `describeSensitive` looks at. */
const DESCRIBE_PREFIX = 256;

const CONSISTENCY_HINT = "the counters of an event must add up";

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

/** Property names of the code counters and of the LSP method counters (consistency rules). */
const CODE_COUNT_NAMES: readonly string[] = [...CODE_PROPERTIES.values()];
const LSP_COUNT_NAMES: readonly string[] = LSP_METHODS.map((m) => lspMethodProperty(m));

/**
 * Validates one event (`{event, properties}`). On success returns the properties with every
 * optional counter filled in, in schema order.
 */
export function validateEvent(input: unknown): EventResult {
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

function num(p: EventProperties, name: string): number {
  const v = p[name];
  return typeof v === "number" ? v : 0;
}

/** Cross-property rules: each diagnostic is an error or a warning and has one code; each load has one trigger. */
function checkConsistency(p: EventProperties): Rejection | null {
  const diagnostics = num(p, "diagnostic_count");
  if (num(p, "error_count") + num(p, "warning_count") !== diagnostics) {
    return {
      property: "diagnostic_count",
      message: `error_count + warning_count must equal diagnostic_count (${CONSISTENCY_HINT})`,
    };
  }
  let coded = num(p, "unknown_diagnostic_count");
  for (const name of CODE_COUNT_NAMES) coded += num(p, name);
  if (coded !== diagnostics) {
    return {
      property: "diagnostic_count",
      message: `the <code>_count properties plus unknown_diagnostic_count must equal diagnostic_count (${CONSISTENCY_HINT})`,
    };
  }
  const loads = num(p, "load_success_count") + num(p, "load_failure_count");
  if (loads === 0) return { property: "load_success_count", message: "an event must report at least one load" };
  let triggered = 0;
  for (const name of LSP_COUNT_NAMES) triggered += num(p, name);
  if (triggered !== loads) {
    return {
      property: "load_success_count",
      message: `the LSP_method_<method>_count properties must add up to load_success_count + load_failure_count (${CONSISTENCY_HINT})`,
    };
  }
  return null;
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
