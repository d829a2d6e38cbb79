/**
 * The compiled fast path (`validate-fast.ts`) against the full validator: over random events —
 * valid ones in any key order, with or without the optional properties, and events broken in
 * every way the full validator knows — `validateEvent` (fast path first) gives exactly the
 * answer of `validateEventFully`: the same verdict, the same message, the same properties in
 * the same order. And the fast path does accept the events well-behaved clients send, so the
 * comparison is not won by a fast path that never answers.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CODE_PROPERTIES,
  FORBIDDEN_PROPERTIES,
  LSP_METHODS,
  PROPERTIES,
  lspMethodProperty,
  validateEvent,
  validateEventFully,
  type EventResult,
} from "../src/index.js";
import { acceptEvent } from "../src/validate-fast.js";

const EXAMPLE = JSON.parse(
  readFileSync(new URL("../../../examples/telemetry/diagnostic_load.json", import.meta.url), "utf8"),
) as { event: string; properties: Record<string, unknown> };

const CODE_COUNTS = [...CODE_PROPERTIES.values(), "unknown_diagnostic_count"];
const LSP_COUNTS = LSP_METHODS.map((m) => lspMethodProperty(m));
const OPTIONAL = PROPERTIES.filter((p) => !p.required).map((p) => p.name);

/** Values of every kind, valid and not, for any property. */
const ANY_VALUE = fc.oneof(
  fc.integer({ min: -5, max: 20 }),
  fc.constantFrom(-0, 0.5, 1e7, 1e7 + 1, 1e9, 1e12, Number.NaN, Infinity, 2 ** 53),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    "",
    "polar",
    "other",
    "linux",
    "x64",
    "6.1.0",
    "1.100.3",
    "0.27.3-beta.1",
    "polar-ide",
    "osohq.oso",
    "desktop",
    "none",
    "a".repeat(64),
    "0".repeat(32),
    "A".repeat(64),
    "1730000000",
    "1730000000123",
    "2024-05-01",
    "10.0.0.1",
    "fe80::1:2",
    "/home/alice",
    "C:\\Users",
    "~/x",
    "file:///etc",
    "alice@example.com",
    "x".repeat(300),
  ),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(["polar"], ["other"], ["polar", "other"], ["polar", "polar"], [], ["pol"], [1], "polar"),
  fc.constant({ nested: true }),
);

/** A consistent event (counters add up), its keys shuffled, optional properties dropped or kept. */
const VALID = fc
  .record({
    errors: fc.integer({ min: 0, max: 6 }),
    warnings: fc.integer({ min: 0, max: 6 }),
    codeSlots: fc.array(fc.constantFrom(...CODE_COUNTS), { minLength: 12, maxLength: 12 }),
    success: fc.integer({ min: 0, max: 5 }),
    failure: fc.integer({ min: 0, max: 5 }),
    lspSlots: fc.array(fc.constantFrom(...LSP_COUNTS), { minLength: 10, maxLength: 10 }),
    drop: fc.subarray(OPTIONAL),
    dropAny: fc.boolean(),
    extra: fc.record(
      { mp_lib: fc.constantFrom("node", "python"), $lib_version: fc.constant("0.18.0") },
      {
        requiredKeys: [],
      },
    ),
    // Half the events keep one order (senders repeat theirs: the fast path reuses its plan).
    order: fc.option(fc.array(fc.nat(), { minLength: 80, maxLength: 80 }), { freq: 2 }),
    id: fc.integer({ min: 0, max: 2 ** 30 }),
  })
  .map(({ errors, warnings, codeSlots, success, failure, lspSlots, drop, dropAny, extra, order, id }) => {
    const p: Record<string, unknown> = { ...EXAMPLE.properties, ...extra };
    p.diagnostic_count = errors + warnings;
    p.error_count = errors;
    p.warning_count = warnings;
    for (const name of CODE_COUNTS) p[name] = 0;
    for (let i = 0; i < errors + warnings; i++) p[codeSlots[i]!] = (p[codeSlots[i]!] as number) + 1;
    p.load_success_count = success;
    p.load_failure_count = failure;
    for (const name of LSP_COUNTS) p[name] = 0;
    for (let i = 0; i < success + failure; i++) p[lspSlots[i]!] = (p[lspSlots[i]!] as number) + 1;
    // Dropping an optional counter keeps the event valid only when it was 0 (mostly, those are dropped).
    for (const name of drop) if (dropAny || p[name] === 0 || typeof p[name] !== "number") delete p[name];
    p.distinct_id = id.toString(16).padStart(64, "0");
    p.$insert_id = id.toString(16).padStart(32, "f");
    const keys = Object.keys(p);
    const shuffled = keys
      .map((k, i) => [k, order?.[i] ?? i] as const)
      .sort((a, b) => a[1] - b[1])
      .map(([k]) => k);
    return { event: EXAMPLE.event, properties: Object.fromEntries(shuffled.map((k) => [k, p[k]])) };
  });

type Event = { event: unknown; properties: Record<string, unknown> } & Record<string, unknown>;

/** Whether an earlier change left properties that can still be changed. */
function hasProperties(e: Event): boolean {
  return typeof e.properties === "object" && e.properties !== null;
}

/** Each integer property with a value at or just past one of its bounds. */
const BOUNDS = fc.constantFrom(
  ...PROPERTIES.flatMap((p) =>
    p.value.type === "integer"
      ? [p.value.min - 1, p.value.min, p.value.max, p.value.max + 1, p.value.max + 0.5].map((v) => [p.name, v] as const)
      : [],
  ),
);

/** One way to break (or not) an event. */
const CHANGE: fc.Arbitrary<(e: Event) => unknown> = fc.oneof(
  BOUNDS.map(([name, value]) => (e: Event) => {
    if (hasProperties(e)) e.properties[name] = value;
    return e;
  }),
  fc.tuple(fc.constantFrom(...PROPERTIES.map((p) => p.name)), ANY_VALUE).map(([name, value]) => (e: Event) => {
    if (hasProperties(e)) e.properties[name] = value;
    return e;
  }),
  fc.constantFrom(...PROPERTIES.map((p) => p.name)).map((name) => (e: Event) => {
    if (hasProperties(e)) delete e.properties[name];
    return e;
  }),
  fc
    .tuple(fc.constantFrom(...FORBIDDEN_PROPERTIES.keys(), "favourite_colour", "__proto__", "x".repeat(60)), ANY_VALUE)
    .map(([name, value]) => (e: Event) => {
      if (!hasProperties(e)) return e;
      Object.defineProperty(e.properties, name, { value, enumerable: true, configurable: true, writable: true });
      return e;
    }),
  fc.constantFrom("other", "", null, 1, ["diagnostic_load"]).map((name) => (e: Event) => ({ ...e, event: name })),
  fc.constant((e: Event) => ({ ...e, extra: 1 })),
  fc.constant((e: Event) => ({ properties: e.properties, event: e.event })),
  fc.constant((e: Event) => ({ event: e.event })),
  fc.constantFrom(null, [], "x", 1, [{}]).map((props) => (e: Event) => ({ ...e, properties: props })),
  fc.constantFrom(null, [], "diagnostic_load", 0).map((v) => () => v),
);

function same(fast: EventResult, full: EventResult): void {
  expect(fast).toEqual(full);
  // toEqual ignores key order: the properties come in schema order on both paths.
  if (fast.ok && full.ok) expect(Object.keys(fast.event.properties)).toEqual(Object.keys(full.event.properties));
}

describe("the compiled fast path", () => {
  it("accepts the shipped example and consistent events in any key order", () => {
    expect(acceptEvent(EXAMPLE)).not.toBeNull();
    let accepted = 0;
    fc.assert(
      fc.property(VALID, (event) => {
        const full = validateEventFully(event);
        same(validateEvent(event), full);
        if (acceptEvent(event) !== null) accepted++;
        // Whatever the full validator accepts here, the fast path accepts too.
        expect(acceptEvent(event) !== null).toBe(full.ok);
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(1500);
  }, 60_000);

  it("gives the full validator's answer for events changed in one to three ways", () => {
    let refused = 0;
    fc.assert(
      fc.property(VALID, fc.array(CHANGE, { minLength: 1, maxLength: 3 }), (valid, changes) => {
        let event: unknown = valid;
        for (const change of changes) {
          if (typeof event !== "object" || event === null) break;
          event = change(event as Event);
        }
        const full = validateEventFully(event);
        if (!full.ok) refused++;
        same(validateEvent(event), full);
        if (acceptEvent(event) !== null) expect(full.ok).toBe(true);
      }),
      { numRuns: 5000 },
    );
    expect(refused).toBeGreaterThan(2500);
  }, 60_000);

  it("answers the same for a value it has seen before (the table of accepted values)", () => {
    const versions = ["1.2.3", "1.2.3-rc.1", "2024-05-01", "1.2.3/4", "1.2.3"];
    for (let round = 0; round < 3; round++) {
      for (const v of versions) {
        const event = { event: EXAMPLE.event, properties: { ...EXAMPLE.properties, vscodeversion: v } };
        same(validateEvent(event), validateEventFully(event));
      }
    }
  });

  it("keeps answering right after its table of accepted values starts over", () => {
    for (let i = 0; i < 600; i++) {
      const v = `${i}.${i % 7}.${i % 3}`;
      const event = { event: EXAMPLE.event, properties: { ...EXAMPLE.properties, extversion: v } };
      const r = validateEvent(event);
      expect(r.ok, v).toBe(true);
      same(r, validateEventFully(event));
    }
    const bad = { event: EXAMPLE.event, properties: { ...EXAMPLE.properties, extversion: "1.2.3-a/b" } };
    same(validateEvent(bad), validateEventFully(bad));
    expect(validateEvent(bad).ok).toBe(false);
  });

  it("builds a new properties object, never the one given", () => {
    const r = validateEvent(EXAMPLE);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.event.properties).not.toBe(EXAMPLE.properties);
      r.event.properties.total_rules = 99;
      expect(EXAMPLE.properties.total_rules).toBe(14);
    }
  });
});
