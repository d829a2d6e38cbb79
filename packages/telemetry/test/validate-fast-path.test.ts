/**
 * The validator's shortcuts give the answers of the full checks: `mayBeSensitive` never lets a
 * string through that `describeSensitive` would describe, and allow-listed values (accepted
 * without running the patterns) are exactly the values the full checks accept.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PROPERTIES, describeSensitive, mayBeSensitive, validateEvent } from "../src/index.js";

const EXAMPLE = JSON.parse(
  readFileSync(new URL("../../../examples/telemetry/diagnostic_load.json", import.meta.url), "utf8"),
) as { event: string; properties: Record<string, unknown> };

/** Characters every sensitive-value pattern looks for, and plain ones. */
const ALPHABET = [..."0123456789abcdefXYZ:@-./\\~ _+=%T"];

describe("mayBeSensitive", () => {
  it("is true for every string describeSensitive describes (random strings)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 70 }), (s) => {
        if (describeSensitive(s) !== null) expect(mayBeSensitive(s)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it("is true for every string describeSensitive describes (digits and letters only)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."0123456789aZ"), maxLength: 20 }), (s) => {
        if (describeSensitive(s) !== null) expect(mayBeSensitive(s)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it("keeps the all-digit timestamps, which have no separator", () => {
    expect(describeSensitive("1730000000")).toBe("a timestamp");
    expect(mayBeSensitive("1730000000")).toBe(true);
    expect(describeSensitive("1730000000123")).toBe("a timestamp");
    expect(mayBeSensitive("1730000000123")).toBe(true);
    // Ids and hashes skip the patterns.
    expect(mayBeSensitive("a".repeat(64))).toBe(false);
    expect(mayBeSensitive("0".repeat(32))).toBe(false);
  });
});

describe("allow-listed values", () => {
  const lists = PROPERTIES.flatMap((p) =>
    p.value.type === "string" && p.value.values !== undefined ? [[p.name, p.value.values] as const] : [],
  );

  it("covers some properties", () => {
    expect(lists.length).toBeGreaterThan(3);
  });

  it.each(lists)("%s: every listed value is accepted, and a value off the list is not", (name, values) => {
    for (const v of values) {
      const r = validateEvent({ event: EXAMPLE.event, properties: { ...EXAMPLE.properties, [name]: v } });
      expect(r.ok, `${name} = ${v}`).toBe(true);
      if (r.ok) expect(r.event.properties[name]).toBe(v);
    }
    const off = validateEvent({ event: EXAMPLE.event, properties: { ...EXAMPLE.properties, [name]: "zz" } });
    expect(off.ok).toBe(false);
    if (!off.ok)
      expect(off.message).toMatch(new RegExp(`^property "${name.replace(/\$/g, "\\$")}" has an invalid format`));
  });
});
