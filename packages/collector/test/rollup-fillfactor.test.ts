/**
 * Migration 10 (PostgreSQL): the per-user, per-folder and per-period rollup tables keep 15 % of
 * each page free (`fillfactor = 85`), so a purge's row-by-row subtraction updates rows in place.
 * The setting holds through what rewrites those tables (the compaction's `CLUSTER`, a rebuild
 * dropping and adding their keys, a purge) and goes when the migration is reverted; the other
 * tables keep PostgreSQL's default.
 */
import { describe, expect, it } from "vitest";
import { validateBatch } from "@polar-ide/telemetry";
import { Store, migrateDown, openDb } from "../src/index.js";
import { makeEvent, withDatabases } from "./helpers.js";

const databases = withDatabases();

const SPARE = [
  "rollup_user",
  "shared_user",
  "rollup_workspace",
  "shared_workspace",
  "rollup_trend_user",
  "shared_trend_user",
];

/** Each table's storage options (`fillfactor=85`, or "" for the default). */
async function options(store: Store): Promise<Map<string, string>> {
  const rows = await store.db.all(
    "SELECT relname, array_to_string(reloptions, ',') AS o FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace",
  );
  return new Map(rows.map((r) => [String(r.relname), String(r.o ?? "")]));
}

function expectSpare(o: Map<string, string>, when: string): void {
  for (const t of SPARE) expect(o.get(t), `${t} ${when}`).toBe("fillfactor=85");
  const others = [...o].filter(([t]) => !SPARE.includes(t));
  expect(others.length).toBeGreaterThan(10);
  for (const [t, opts] of others) expect(opts, `${t} ${when}`).toBe("");
}

describe("rollup tables on PostgreSQL", () => {
  it("leave room on each page after migration 10, through compaction, rebuild and purge, until reverted", async () => {
    const store = new Store(openDb(await databases.postgres().createDatabase()));
    try {
      await store.migrate();
      expectSpare(await options(store), "after migrating");

      const r = validateBatch([1, 2, 3, 4].map((user) => makeEvent({ user })));
      if (!r.ok) throw new Error(r.message);
      await store.insertBatch("2026-11-01", r.events.slice(0, 3));
      await store.insertBatch("2026-11-02", r.events.slice(3));
      await store.refresh();
      await store.refreshShared("2026-11-03");
      await store.compact();
      expectSpare(await options(store), "after a compaction");
      await store.rebuild("2026-11-03");
      expectSpare(await options(store), "after a rebuild");
      expect(await store.purge("2026-11-02")).toBe(3);
      expectSpare(await options(store), "after a purge");
      expect((await store.totals()).users).toBe(1);

      expect(await migrateDown(store.db, 9)).toEqual([10]);
      for (const [t, opts] of await options(store)) expect(opts, `${t} reverted`).toBe("");
      expect(await store.migrate()).toEqual([10]);
      expectSpare(await options(store), "migrated again");
    } finally {
      await store.close();
    }
  });
});
