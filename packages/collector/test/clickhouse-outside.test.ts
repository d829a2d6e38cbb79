/**
 * The suppression's "users also outside" lookups on the ClickHouse cluster: for the cells every
 * user is in, one query answers all of them (`ClickHouseReader.usersAlsoOutside`); each answer
 * equals the cell's own query (`usersAlsoOutsideAlone`), for every cell, several caps, the live
 * set (a generation of rolled-up days and today's events) and the shared one, on random events
 * where users spread their events over several values of a dimension.
 */
import { DIAGNOSTIC_CODES, type DiagnosticCode } from "@polar-ide/telemetry";
import { describe, expect, it } from "vitest";
import type { ClickHouseStore } from "../src/index.js";
import type { ClickHouseReader } from "../src/db/clickhouse/reader.js";
import { BREAKDOWN_DIMS } from "../src/db/vocabulary.js";
import { withClickHouseCluster } from "./clickhouse-harness.js";
import { Harness } from "./harness.js";
import { makeEvent, seededRandom } from "./helpers.js";

const cluster = withClickHouseCluster();

const DAYS = ["2026-09-01", "2026-09-02", "2026-09-03"];

describe("users also outside a cell on the ClickHouse cluster", () => {
  it("answers every cell every user is in with one query, as each cell's own query does", async () => {
    const h = (await Harness.startOn(cluster().database(), 2, DAYS[0])) as Harness<ClickHouseStore>;
    try {
      const r = seededRandom(7);
      const codes = DIAGNOSTIC_CODES.slice(0, 3) as DiagnosticCode[];
      for (const day of DAYS) {
        h.day = day;
        for (let b = 0; b < 3; b++) {
          // Few users, many events each: most users have every value of os and extversion.
          const events = Array.from({ length: 30 }, () => {
            const user = Math.floor(r() * 7);
            const counts: Partial<Record<DiagnosticCode, number>> = {};
            if (r() < 0.7) counts[codes[Math.floor(r() * codes.length)]!] = 1 + Math.floor(r() * 3);
            return makeEvent({
              user,
              codes: counts,
              env: { os: r() < 0.8 ? "linux" : "darwin", extversion: r() < 0.5 ? "0.1.0" : "0.2.0" },
            });
          });
          await h.send(events);
        }
      }
      await h.store.refreshShared(DAYS[DAYS.length - 1]!);
      await h.store.refresh();
      let whole = 0;
      let someOutside = 0;
      for (const reader of [h.store.live(), h.store.shared()] as ClickHouseReader[]) {
        const everyone = (await reader.totals()).users;
        expect(everyone).toBeGreaterThan(3);
        const breakdown = await reader.breakdown(["all", "code", ...BREAKDOWN_DIMS]);
        for (const [dim, list] of breakdown) {
          for (const c of list) {
            if (c.users === everyone && dim !== "all") whole++;
            for (const cap of [2, 1000]) {
              const alone = await reader.usersAlsoOutsideAlone({ dim, key: c.key }, cap);
              expect(await reader.usersAlsoOutside({ dim, key: c.key }, cap), `${dim}=${c.key} cap ${cap}`).toBe(alone);
              if (c.users === everyone && cap === 1000 && alone > 1) someOutside++;
            }
          }
        }
      }
      // Not vacuous: whole cells where users also have events elsewhere, in both sets.
      expect(whole).toBeGreaterThan(4);
      expect(someOutside).toBeGreaterThan(2);
    } finally {
      await h.close();
    }
  }, 300_000);
});
