/**
 * The validator against a hostile sender: megabyte strings built to make backtracking regular
 * expressions quadratic, in every string property, list item, property name and the event name,
 * and values nested deep enough to overflow a recursive walk. Each must be refused (never thrown)
 * quickly. The bound asserted is on CPU time, not wall time (a loaded machine does not stretch it),
 * and generous: the quadratic e-mail pattern this replaced took 20 s on a 160 kB string.
 */
import { readFileSync } from "node:fs";
import { cpuTimed as timed } from "@polar-ide/testing";
import { describe, expect, it } from "vitest";
import { PROPERTIES, describeSensitive, validateBatch, validateEvent } from "../src/index.js";

const EXAMPLE = JSON.parse(
  readFileSync(new URL("../../../examples/telemetry/diagnostic_load.json", import.meta.url), "utf8"),
) as { event: string; properties: Record<string, unknown> };

const MB = 1024 * 1024;
/** CPU ms: far above what a linear check takes, far below what a quadratic one takes. */
const GENEROUS_MS = 1500;

/** Strings that make one of the old patterns backtrack: runs with no '@', '@' runs, digit and ':' runs… */
const HOSTILE: [string, string][] = [
  ["letters without '@'", "a".repeat(MB)],
  ["'a@' repeated", "a@".repeat(MB / 2)],
  ["'@' then dots", `a@${".".repeat(MB)}`],
  ["'@a' without a dot", `${"@a".repeat(MB / 2)}`],
  ["digits", "1".repeat(MB)],
  ["digit-dash runs", "1234-12-".repeat(MB / 8)],
  ["colons", ":".repeat(MB)],
  ["hex and colons", "0:".repeat(MB / 2)],
  ["spaces then '@'", `${" ".repeat(MB)}@`],
];

const STRING_PROPERTIES = PROPERTIES.filter((p) => p.value.type === "string").map((p) => p.name);
const SET_PROPERTIES = PROPERTIES.filter((p) => p.value.type === "string-set").map((p) => p.name);

function withProps(change: Record<string, unknown>): unknown {
  return { event: EXAMPLE.event, properties: { ...EXAMPLE.properties, ...change } };
}

/** `[[[…]]]` `depth` deep, built iteratively (as JSON.parse of a hostile body would build it). */
function nested(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe("validator against hostile strings", () => {
  it("has string properties to attack", () => {
    expect(STRING_PROPERTIES.length).toBeGreaterThan(5);
    expect(SET_PROPERTIES.length).toBeGreaterThan(0);
  });

  it.each(HOSTILE)("describeSensitive is linear on %s (1 MB)", (_name, value) => {
    const { ms } = timed(() => describeSensitive(value));
    expect(ms).toBeLessThan(GENEROUS_MS);
  });

  it.each(HOSTILE)("refuses %s in every string property, quickly", (_name, value) => {
    let worst = 0;
    for (const name of STRING_PROPERTIES) {
      const { value: r, ms } = timed(() => validateEvent(withProps({ [name]: value })));
      worst = Math.max(worst, ms);
      expect(r.ok, name).toBe(false);
      if (!r.ok) {
        expect(r.property).toBe(name);
        expect(r.message).toMatch(/must be at most \d+ characters/);
        // The message never echoes the hostile value.
        expect(r.message.length).toBeLessThan(300);
      }
    }
    expect(worst).toBeLessThan(GENEROUS_MS);
  });

  it.each(HOSTILE)("refuses %s as a list item, a property name and the event name", (_name, value) => {
    for (const name of SET_PROPERTIES) {
      const { value: r, ms } = timed(() => validateEvent(withProps({ [name]: [value] })));
      expect(r).toMatchObject({ ok: false, property: name });
      expect(ms).toBeLessThan(GENEROUS_MS);
    }
    const key = timed(() => validateEvent(withProps({ [value]: 1 })));
    expect(key.value.ok).toBe(false);
    if (!key.value.ok) expect(key.value.message.length).toBeLessThan(300);
    const event = timed(() => validateEvent({ event: value, properties: EXAMPLE.properties }));
    expect(event.value.ok).toBe(false);
    if (!event.value.ok) expect(event.value.message.length).toBeLessThan(300);
    expect(Math.max(key.ms, event.ms)).toBeLessThan(GENEROUS_MS);
  });

  it("refuses a batch of 2000 events each carrying hostile strings, quickly", () => {
    const batch = Array.from({ length: 2000 }, (_, i) =>
      withProps({ [STRING_PROPERTIES[i % STRING_PROPERTIES.length]!]: "a".repeat(500) }),
    );
    const { value: r, ms } = timed(() => validateBatch(batch));
    expect(r).toMatchObject({ ok: false, index: 0 });
    expect(ms).toBeLessThan(GENEROUS_MS);
  });

  it("still describes what an over-long value looks like", () => {
    const r = validateEvent(withProps({ [STRING_PROPERTIES[0]!]: `alice@example.com ${"x".repeat(MB)}` }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/looks like an e-mail address.*must be at most/);
  });
});

describe("validator against deep nesting", () => {
  const DEEP = 200_000;

  it.each<[string, () => unknown]>([
    ["the event name", () => ({ event: nested(DEEP), properties: EXAMPLE.properties })],
    ["the properties", () => ({ event: EXAMPLE.event, properties: nested(DEEP) })],
    ["a string property", () => withProps({ [STRING_PROPERTIES[0]!]: nested(DEEP) })],
    ["a list item", () => withProps({ [SET_PROPERTIES[0]!]: [nested(DEEP)] })],
    ["a counter", () => withProps({ diagnostic_count: nested(DEEP) })],
    ["the event itself", () => nested(DEEP)],
  ])("refuses a value nested 200000 deep in %s without throwing", (_where, make) => {
    const event = make();
    expect(() => validateEvent(event)).not.toThrow();
    expect(validateEvent(event).ok).toBe(false);
    expect(validateBatch([event]).ok).toBe(false);
  });

  it("refuses a batch that is itself deeply nested", () => {
    const r = validateBatch(nested(DEEP));
    expect(r.ok).toBe(false);
  });
});
