/**
 * The planner's statistics keep no purged value (issue 12). PostgreSQL's (auto)ANALYZE copies
 * sampled column values (most-common values, histogram bounds: insert ids, distinct ids,
 * workspace ids, days) into `pg_statistic`; SQLite's ANALYZE (compiled with STAT4) copies
 * sampled index keys into `sqlite_stat4`. Both stay as they were when the rows are deleted,
 * until the next ANALYZE. These tests analyze a filled database, purge, and look for the purged
 * event's values in the statistics and in the database's file bytes.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Harness } from "./harness.js";
import { id64, makeEvent, sqliteUrl, withDatabases } from "./helpers.js";

const databases = withDatabases();

/** The purged user (three events, so it is a most-common value too) and a remaining crowd. */
async function fill(h: Harness, user: number, workspace: number): Promise<string[]> {
  const gone = [0, 1, 2].map(() => makeEvent({ user, workspace, codes: { "ParseError::ExtraToken": 2 } }));
  await h.send([...gone, makeEvent({ user: 1 }), makeEvent({ user: 2 })]);
  h.day = "2026-01-10";
  await h.send(Array.from({ length: 30 }, (_, i) => makeEvent({ user: 10 + (i % 6), workspace: 100 + (i % 4) })));
  // Both rollup sets fold the purged events too.
  await h.summary("operator");
  h.day = "2026-01-11";
  await h.summary("shared");
  return [...gone.map((e) => String(e.properties.$insert_id)), id64("user", user), id64("ws", workspace)];
}

/** What a test on an analyzed PostgreSQL database gets (`onAnalyzedPostgres`). */
interface Analyzed {
  readonly h: Harness;
  /** The purged user's and workspace's ids and the insert ids of its events (`fill`). */
  readonly secrets: string[];
  /** The sampled values of every column of the public tables, one line a column. */
  stats(): Promise<string>;
}

/**
 * Runs `body` on a collector over a fresh PostgreSQL database, filled (`fill`: `user` and
 * `workspace` are the purged ones) and analyzed; closes the collector afterwards.
 */
async function onAnalyzedPostgres(
  user: number,
  workspace: number,
  body: (t: Analyzed) => Promise<void>,
): Promise<void> {
  const h = await Harness.start(await databases.postgres().createDatabase(), 2, "2025-01-10");
  try {
    const db = h.store.db;
    const secrets = await fill(h, user, workspace);
    await db.run("ANALYZE");
    const stats = async (): Promise<string> =>
      (
        await db.all(
          "SELECT tablename, attname, most_common_vals::text AS mcv, histogram_bounds::text AS hist FROM pg_stats WHERE schemaname = 'public'",
        )
      )
        .map((r) => `${String(r.tablename)}.${String(r.attname)} ${String(r.mcv)} ${String(r.hist)}`)
        .join("\n");
    await body({ h, secrets, stats });
  } finally {
    await h.close();
  }
}

describe("statistics on postgres", () => {
  it("keep no purged value in pg_stats nor in the files after a purge", async () => {
    await onAnalyzedPostgres(626262, 636363, async ({ h, secrets, stats }) => {
      const db = h.store.db;
      const [oid] = await db.all("SELECT oid::text AS oid FROM pg_database WHERE datname = current_database()");
      const dir = join(databases.postgres().dataDirectory, "base", String(oid!.oid));
      const bytes = async (): Promise<string> => {
        await db.run("CHECKPOINT");
        return readdirSync(dir)
          .map((f) => readFileSync(join(dir, f)).toString("latin1"))
          .join("");
      };
      // The statistics hold the user, the workspace and the insert ids before the purge.
      const before = await stats();
      for (const s of secrets) expect(before, s).toContain(s);
      expect(await h.store.purge("2025-06-01")).toBe(5);
      const after = await stats();
      for (const s of secrets) expect(after, s).not.toContain(s);
      expect(after, "no purged day in the statistics").not.toContain("2025-01-10");
      const files = await bytes();
      for (const s of secrets) expect(files, s).not.toContain(s);
      // The statistics were rebuilt from the remaining rows, not just dropped.
      expect(after).toMatch(/^events\.distinct_id /m);
      expect((await h.summary()).events).toBe(30);
    });
  });
});

describe("statistics on postgres, every event purged", () => {
  it("keep none of the old values of the tables left empty (ANALYZE skips an empty table)", async () => {
    await onAnalyzedPostgres(828282, 838383, async ({ h, secrets, stats }) => {
      for (const s of secrets) expect(await stats(), s).toContain(s);
      expect(await h.store.purge("2027-01-01")).toBe(35);
      expect(await h.store.countEvents()).toBe(0);
      const after = await stats();
      for (const s of secrets) expect(after, s).not.toContain(s);
      expect(after).not.toMatch(/^(events|rollup_user|shared_user|rollup_trend_user)\./m);
    });
  });
});

describe("statistics on sqlite", () => {
  const sqlite = sqliteUrl();
  databases.cleanup(sqlite.cleanup);

  it("the collector never analyzes; after an operator's ANALYZE a purge leaves no sampled key", async () => {
    const file = sqlite.url.slice("sqlite:".length);
    const h = await Harness.start(sqlite.url, 2, "2025-01-10");
    try {
      const db = h.store.db;
      const statTables = async (): Promise<string[]> =>
        (await db.all("SELECT name FROM sqlite_schema WHERE name LIKE 'sqlite_stat%'")).map((r) => String(r.name));
      const secrets = await fill(h, 727272, 737373);
      await h.store.compact();
      // Nothing the collector does creates statistics (no ANALYZE, no PRAGMA optimize).
      expect(await statTables()).toEqual([]);
      // An operator analyzes: STAT4 samples index keys, the purged user's among them.
      await db.run("ANALYZE");
      expect(await statTables()).toContain("sqlite_stat4");
      const sampled = (await db.all("SELECT sample FROM sqlite_stat4"))
        .map((r) => Buffer.from(r.sample as Uint8Array).toString("latin1"))
        .join("");
      expect(secrets.some((s) => sampled.includes(s))).toBe(true);
      const bytes = (): string =>
        [file, `${file}-wal`]
          .filter(existsSync)
          .map((f) => readFileSync(f).toString("latin1"))
          .join("");
      expect(await h.store.purge("2025-06-01")).toBe(5);
      const after = bytes();
      for (const s of secrets) expect(after, s).not.toContain(s);
      expect((await h.summary()).events).toBe(30);
    } finally {
      await h.close();
    }
  });
});
