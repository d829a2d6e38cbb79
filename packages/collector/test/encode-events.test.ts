/**
 * A batch's stored form (`encodeEvents`, `src/db/insert.ts`): one `JSON.stringify` of each
 * event's column values. Compared, on random events, with the reference it replaced — a JSON
 * text written value by value (`String` for numbers, `JSON.stringify` for strings, joined) — and
 * with what the inbox reads back (`JSON.parse`): the same text, or the same `UnstorableEvent`.
 */
import type { ValidEvent } from "@polar-ide/telemetry";
import { describe, expect, it } from "vitest";
import { COLUMNS, encodeSet } from "../src/db/columns.js";
import { ROW_WIDTH, UnstorableEvent, encodeEvents } from "../src/db/insert.js";
import { seededRandom } from "./helpers.js";

/** The encoding before: each value's JSON text, built by hand and joined. */
function reference(events: readonly ValidEvent[]): string {
  const rows = events.map((e, i) =>
    COLUMNS.map((c) => {
      const v = (e.properties as Record<string, unknown>)[c.property.name];
      switch (c.sqlType) {
        case "integer":
          if (v === undefined) return "0";
          if (typeof v === "number" && Number.isFinite(v)) return String(v);
          throw new UnstorableEvent(`event ${i}: ${c.property.name} is not a finite number`);
        case "boolean":
          return v === true ? "1" : "0";
        case "set":
          return JSON.stringify(encodeSet(Array.isArray(v) ? (v as string[]) : []));
        default:
          return typeof v === "string" ? JSON.stringify(v) : '""';
      }
    }).join(","),
  );
  return `[${rows.map((r) => `[${r}]`).join(",")}]`;
}

/** The text, or the error's class and message. */
function outcome(f: () => string): unknown {
  try {
    return f();
  } catch (e) {
    return { error: (e as Error).name, message: (e as Error).message };
  }
}

const STRING_PIECES = ["a", "é", '"', "\\", "\n", "\u0000", "\u2028", "😀", "\ud800", "\udfff", "</script>", ",", " "];

describe("encodeEvents", () => {
  it("writes the reference's text, or refuses as it does, on random events", () => {
    const random = seededRandom(12);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const text = (): string => Array.from({ length: Math.floor(random() * 6) }, () => pick(STRING_PIECES)).join("");
    const integer = (): unknown =>
      pick([
        () => Math.floor(random() * 1e6),
        () => -Math.floor(random() * 1e3),
        () => -0,
        () => 1e21,
        () => 0.5,
        () => Number.MAX_SAFE_INTEGER,
        () => undefined,
        // Refused: the validator lets none of these through, the encoder must not either.
        () => (random() < 0.02 ? pick([Number.NaN, Infinity, "7", null]) : 3),
      ])();
    const value = (type: string): unknown => {
      switch (type) {
        case "integer":
          return integer();
        case "boolean":
          return pick([true, false, undefined, 1, "true"]);
        case "set":
          return random() < 0.2
            ? pick([undefined, "a,b", null])
            : Array.from({ length: Math.floor(random() * 4) }, text);
        default:
          return random() < 0.1 ? pick([undefined, 5, null, true]) : text();
      }
    };
    let refused = 0;
    for (let n = 0; n < 400; n++) {
      const events = Array.from({ length: Math.floor(random() * 6) }, () => {
        const properties: Record<string, unknown> = {};
        for (const c of COLUMNS) {
          const v = value(c.sqlType);
          if (v !== undefined || random() < 0.5) properties[c.property.name] = v;
        }
        return { event: "diagnostic_load", properties } as unknown as ValidEvent;
      });
      const expected = outcome(() => reference(events));
      expect(outcome(() => encodeEvents(events))).toEqual(expected);
      if (typeof expected === "string") {
        const rows = JSON.parse(expected) as unknown[][];
        expect(rows).toHaveLength(events.length);
        for (const r of rows) expect(r).toHaveLength(ROW_WIDTH);
      } else refused++;
    }
    // Both kinds of outcome were compared.
    expect(refused).toBeGreaterThan(5);
    expect(refused).toBeLessThan(390);
  });
});
