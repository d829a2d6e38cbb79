/**
 * Migration 6 (PostgreSQL): the scratch tables of rollup steps and purges are UNLOGGED (their
 * rows never reach the write-ahead log), every other table stays logged, a fold and a purge still
 * work through them, and reverting the migration logs them again.
 */
import { describe, expect, it } from "vitest";
import { validateBatch } from "@polar-ide/telemetry";
import { MIGRATIONS, Store, migrateDown, openDb } from "../src/index.js";
import { SCRATCH } from "../src/db/rollup-sql.js";
import { makeEvent, withDatabases } from "./helpers.js";

const databases = withDatabases();

async function persistence(store: Store): Promise<Map<string, string>> {
  const rows = await store.db.all(
    "SELECT relname, relpersistence FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace",
  );
  return new Map(rows.map((r) => [String(r.relname), String(r.relpersistence)]));
}

describe("scratch tables on PostgreSQL", () => {
  it("are unlogged after migration 6, the others logged; fold and purge go through them", async () => {
    const store = new Store(openDb(await databases.postgres().createDatabase()));
    try {
      await store.migrate();
      const p = await persistence(store);
      for (const t of SCRATCH) expect(p.get(t), t).toBe("u");
      const logged = [...p].filter(([t]) => !(SCRATCH as readonly string[]).includes(t));
      expect(logged.length).toBeGreaterThan(10);
      for (const [t, kind] of logged) expect(kind, t).toBe("p");

      const r = validateBatch([makeEvent({ user: 1 }), makeEvent({ user: 2 })]);
      if (!r.ok) throw new Error(r.message);
      await store.insertBatch("2026-11-01", r.events);
      expect(await store.refresh()).toBe(2);
      expect((await store.totals()).users).toBe(2);
      expect(await store.purge("2026-11-02")).toBe(2);
      expect(await store.refresh()).toBe(0);
      expect(await store.totals()).toEqual({ events: 0, users: 0, workspaces: 0 });

      // The later migrations (the inbox, empty here; SQLite's events by day) are reverted on the way.
      expect(await migrateDown(store.db, 5)).toEqual(
        MIGRATIONS.filter((m) => m.id >= 6)
          .map((m) => m.id)
          .reverse(),
      );
      const after = await persistence(store);
      for (const t of SCRATCH) expect(after.get(t), t).toBe("p");
    } finally {
      await store.close();
    }
  });
});
