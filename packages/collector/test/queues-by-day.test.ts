/**
 * Migration 9: the live queue `pending_rollup` and the scratch chunk `rollup_batch` keyed by
 * (day, id), and on SQLite no index on `events.id` alone. A filled database of migration 8 —
 * rollups folded, events still queued for both sets, a retried batch — is migrated on both
 * backends: every event, queue entry and figure is the same after (each queued event keeps its
 * day), the queued events still fold to a rebuild, a purge still equals a rebuild, a retried
 * batch is still counted once, and it reverts to migration 8. On SQLite every lookup of a fold
 * and a purge reaches `events` through its primary key (day, id).
 */
import { afterAll, describe, expect, it } from "vitest";
import { Store, migrateDown, openDb } from "../src/index.js";
import type { Db, Queryable, SqlValue } from "../src/db/driver.js";
import { COLUMNS } from "../src/db/columns.js";
import { buildCollectorFirst, randomBatch, rollupSnapshot, seededRandom, sqliteUrl, withDatabases } from "./helpers.js";
import { CODES, DAYS, expectFoldRetryPurge, fillWithQueued, plan, rows } from "./migration-fixture.js";

buildCollectorFirst();
const databases = withDatabases();
const folders: (() => void)[] = [];
afterAll(() => {
  for (const f of folders) f();
});

describe.each(databases.backends)("migration 9 on %s: queues keyed by (day, id)", (name, makeDb) => {
  it("migrates a filled migration-8 database keeping every event, queue entry (with its day) and figure", async () => {
    const store = new Store(openDb(await makeDb()));
    try {
      await store.migrate();
      const sent = await fillWithQueued(store, 9);
      // Back to migration 8's schema (queue and chunk by id alone, the index on id), where a
      // migration-8 collector stores more events on two days, queued by id for the live set.
      expect(await migrateDown(store.db, 8)).toEqual([10, 9]);
      const fresh = name === "sqlite" ? "lower(hex(randomblob(16)))" : "replace(gen_random_uuid()::text, '-', '')";
      const others = COLUMNS.map((c) => c.name).filter((n) => n !== "insert_id");
      await store.db.transaction(async (tx) => {
        const old = new Set((await tx.all("SELECT id FROM events")).map((e) => String(e.id)));
        for (const day of [DAYS[1]!, DAYS[4]!]) {
          await tx.run(
            `INSERT INTO events (id, day, insert_id, ${others.join(", ")})
SELECT ${fresh}, day, ${fresh}, ${others.join(", ")} FROM events WHERE day = ? ORDER BY id LIMIT 6`,
            [day],
          );
        }
        for (const e of await tx.all("SELECT day, id FROM events")) {
          if (old.has(String(e.id))) continue;
          await tx.run("INSERT INTO pending_rollup (id) VALUES (?)", [String(e.id)]);
          await tx.run("INSERT INTO pending_shared (day, id) VALUES (?, ?)", [String(e.day), String(e.id)]);
        }
      });
      const queuedLive = await rows(
        store.db,
        "SELECT e.day AS day, p.id AS id FROM pending_rollup p JOIN events e ON e.id = p.id",
      );
      expect(queuedLive.length).toBeGreaterThan(12);
      const before = {
        events: await rows(store.db, "SELECT * FROM events"),
        pendingShared: await rows(store.db, "SELECT day, id FROM pending_shared"),
        rollups: await rollupSnapshot(store),
      };

      expect(await store.migrate()).toEqual([9, 10]);
      expect(await rows(store.db, "SELECT * FROM events")).toEqual(before.events);
      expect(await rows(store.db, "SELECT day, id FROM pending_rollup")).toEqual(queuedLive);
      expect(await rows(store.db, "SELECT day, id FROM pending_shared")).toEqual(before.pendingShared);
      expect(await rollupSnapshot(store)).toEqual(before.rollups);
      if (name === "sqlite")
        expect(await store.db.all("SELECT name FROM sqlite_master WHERE name = 'events_id'")).toEqual([]);

      // The queued events fold by (day, id), a retry counts once, a purge equals a rebuild.
      await expectFoldRetryPurge(store, sent);
    } finally {
      await store.close();
    }
  });
});

/** `db` with every statement it runs (directly or in a transaction) kept in `seen`, with its parameters. */
function recording(db: Db, seen: Map<string, readonly SqlValue[]>): Db {
  const rec = (q: Queryable): Queryable => ({
    all: (sql, params) => (seen.set(sql, params ?? []), q.all(sql, params)),
    run: (sql, params) => (seen.set(sql, params ?? []), q.run(sql, params)),
  });
  return {
    dialect: db.dialect,
    ...rec(db),
    transaction: (fn) => db.transaction((tx) => fn(rec(tx))),
    exclusive: (id, fn) => db.exclusive(id, (tx) => fn(rec(tx))),
    close: () => db.close(),
  };
}

describe("migration 9 on sqlite: lookups by (day, id)", () => {
  it("reaches events and the queues through their keys in every fold and purge statement, with no index on id alone", async () => {
    const { url, cleanup } = sqliteUrl();
    folders.push(cleanup);
    const seen = new Map<string, readonly SqlValue[]>();
    const store = new Store(recording(openDb(url), seen));
    try {
      await store.migrate();
      const indexes = await store.db.all("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'");
      expect(indexes.map((i) => String(i.name)).filter((n) => !n.startsWith("sqlite_autoindex"))).toEqual([
        "events_insert_id",
      ]);
      const r = seededRandom(19);
      for (const day of DAYS)
        await store.insertBatch(day, randomBatch(r, { min: 10, spread: 5, users: 6, codes: CODES }) as never);
      await store.materialiseInbox();
      seen.clear();
      // A fold of each set, then a purge of old days (some events still queued for the shared set).
      await store.refresh();
      await store.refreshShared(DAYS[1]!);
      await store.purge(DAYS[2]!);
      const touching = [...seen.keys()].filter((sql) => /\b(FROM|JOIN) events\b/.test(sql));
      expect(touching.length).toBeGreaterThan(5);
      for (const sql of touching) {
        const steps = await plan(store.db, sql, seen.get(sql));
        // No scan of the events table (by its name or its alias `e`), no index on id alone.
        expect(steps, sql).not.toMatch(/SCAN events\b/);
        if (/\b(FROM|JOIN) events e\b/.test(sql)) expect(steps, sql).not.toMatch(/SCAN e\b/);
        expect(steps, sql).not.toMatch(/events_id\b/);
      }
    } finally {
      await store.close();
    }
  });
});
