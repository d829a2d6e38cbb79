/**
 * Migration 8 (SQLite): `events` keyed by (day, id). A filled database of migration 7 — rollups
 * folded, events still queued for both sets, retried batches — is migrated, and every stored row
 * and every figure is the same after; the queued events still fold, a purge still equals a
 * rebuild, a retried batch is still counted once. Each day's events are one contiguous range of
 * the table (a purge deletes ranges), in no arrival order within the day, and every lookup of an
 * event goes through the key or an index (since migration 9 by (day, id): `queues-by-day.test.ts`).
 */
import { afterAll, describe, expect, it } from "vitest";
import { Store, migrateDown, openDb } from "../src/index.js";
import { buildCollectorFirst, kendallTau, randomBatch, rollupSnapshot, seededRandom, sqliteUrl } from "./helpers.js";
import { CODES, DAYS, expectFoldRetryPurge, fillWithQueued, plan, rows } from "./migration-fixture.js";

buildCollectorFirst();
const folders: (() => void)[] = [];
afterAll(() => {
  for (const f of folders) f();
});

describe("migration 8 on sqlite: events keyed by (day, id)", () => {
  it("migrates a filled migration-7 database keeping every event, queue row and figure", async () => {
    const { url, cleanup } = sqliteUrl();
    folders.push(cleanup);
    const store = new Store(openDb(url));
    try {
      await store.migrate();
      const sent = await fillWithQueued(store, 8);
      // Back to migration 7's schema (events keyed by id), the queues as it kept them.
      expect(await migrateDown(store.db, 7)).toEqual([10, 9, 8]);
      const before = {
        events: await rows(store.db, "SELECT * FROM events"),
        pendingRollup: await rows(store.db, "SELECT * FROM pending_rollup"),
        pendingShared: await rows(store.db, "SELECT * FROM pending_shared"),
        rollups: await rollupSnapshot(store),
      };
      expect(before.pendingRollup.length).toBeGreaterThan(0);
      expect(before.pendingShared.length).toBeGreaterThan(0);

      expect(await store.migrate(8)).toEqual([8]);
      expect(await rows(store.db, "SELECT * FROM events")).toEqual(before.events);
      expect(await rows(store.db, "SELECT * FROM pending_rollup")).toEqual(before.pendingRollup);
      expect(await rows(store.db, "SELECT * FROM pending_shared")).toEqual(before.pendingShared);
      expect(await rollupSnapshot(store)).toEqual(before.rollups);
      expect(await store.migrate()).toEqual([9, 10]);

      await expectFoldRetryPurge(store, sent);
    } finally {
      await store.close();
    }
  });

  it("stores each day contiguously, in no arrival order within it, and finds events by id through an index", async () => {
    const { url, cleanup } = sqliteUrl();
    folders.push(cleanup);
    const store = new Store(openDb(url));
    try {
      await store.migrate();
      const r = seededRandom(3);
      // Days sent out of order, several batches each, one event after another within a day.
      const arrival = new Map<string, number>();
      for (const day of [DAYS[3]!, DAYS[0]!, DAYS[2]!, DAYS[0]!, DAYS[3]!]) {
        for (const e of randomBatch(r, { min: 12, spread: 1, users: 30, codes: CODES })) {
          arrival.set(String(e.properties.$insert_id), arrival.size);
          await store.insertBatch(day, [e] as never);
        }
      }
      await store.materialiseInbox();
      // The table's own order (its primary key's B-tree, no index): days in order, each once.
      const table = "SELECT * FROM events NOT INDEXED";
      expect(await plan(store.db, table)).toBe("SCAN events");
      const scan = await store.db.all(table);
      expect(scan).toHaveLength(arrival.size);
      const runs = scan.map((e) => String(e.day)).filter((d, i, a) => i === 0 || a[i - 1] !== d);
      expect(runs).toEqual([DAYS[0], DAYS[2], DAYS[3]]);
      // Within a day, nothing follows arrival.
      for (const day of runs) {
        const ofDay = scan.filter((e) => e.day === day);
        const order = ofDay.map((e, i): [number, number] => [arrival.get(String(e.insert_id))!, i]);
        expect(Math.abs(kendallTau(order)), `${String(day)} storage order`).toBeLessThan(0.5);
      }
      // Lookups by (day, id) (rollup steps, purge, the queues: migration 9) and by $insert_id
      // (dedupe) use the key or an index; a purge's pick of old days reads the table's first range.
      const byId = [
        "SELECT * FROM events WHERE (day, id) IN (SELECT day, id FROM rollup_batch)",
        "DELETE FROM events WHERE (day, id) IN (SELECT day, id FROM rollup_batch)",
        "SELECT e.id FROM pending_rollup p JOIN events e ON e.day = p.day AND e.id = p.id",
        "SELECT 1 FROM events WHERE insert_id = 'x'",
      ];
      for (const sql of byId) expect(await plan(store.db, sql), sql).not.toMatch(/SCAN (TABLE )?events\b/);
      expect(await plan(store.db, "SELECT id FROM events WHERE day < '2026-11-01' ORDER BY day LIMIT 10")).toMatch(
        /SEARCH events USING PRIMARY KEY \(day<\?\)/,
      );
      // The key (day, id) is unique: a copy of an event under another insert id is refused.
      await store.db.run("CREATE TEMP TABLE copied AS SELECT * FROM events WHERE day = ? LIMIT 1", [DAYS[0]]);
      await store.db.run("UPDATE copied SET insert_id = 'another'");
      await expect(store.db.run("INSERT INTO events SELECT * FROM copied")).rejects.toThrow(
        /UNIQUE.*events\.day, events\.id/,
      );
    } finally {
      await store.close();
    }
  });
});
