/**
 * Writing: folding queued events into the rollups, purging and compacting (storing batches is
 * `inbox.ts` and `insert.ts`). Nothing written orders events by arrival: events are keyed by a random id
 * (on SQLite after their day), the queues by (day, id) (migration 9), and the finest time kept is the
 * UTC arrival day.
 */
import { COLUMNS, decodeSet } from "./columns.js";
import type { Db, Queryable, SqlValue } from "./driver.js";
import {
  EXTENSIONS_OF_BATCH,
  LIVE,
  SCRATCH,
  SHARED,
  analyzeScratch,
  applyDeltaSql,
  buildDeltaSql,
  buildWorkspaceDeltaSql,
  rollupParts,
  setTables,
  type RollupSet,
} from "./rollup-sql.js";
import { deltaSqlGrouped } from "./fold-sql.js";
import { refreshStatistics } from "./statistics.js";
import { trendStep } from "./trend-sql.js";

/** Advisory lock held by every rollup step, purge and compaction (one at a time across processes). */
export const LOCK_ROLLUP = 7_002;

/** SQLite: summed per user before the unpivot (`fold-sql.ts`); PostgreSQL: the unpivot of every event. */
const DELTA_SQL = { sqlite: deltaSqlGrouped(rollupParts()), postgres: [buildDeltaSql("postgres")] };
const WORKSPACE_DELTA_SQL = { sqlite: buildWorkspaceDeltaSql("sqlite"), postgres: buildWorkspaceDeltaSql("postgres") };
const APPLY = { live: applyDeltaSql(LIVE), shared: applyDeltaSql(SHARED) };
const COPY_BATCH = `INSERT INTO rollup_events (id, day, ${COLUMNS.map((c) => c.name).join(", ")})
SELECT id, day, ${COLUMNS.map((c) => c.name).join(", ")} FROM events WHERE (day, id) IN (SELECT day, id FROM rollup_batch)`;

/** Which queue feeds a set, and which of its events are ripe (`before`: the shared view's day). */
function queue(
  set: RollupSet,
  before: string | null,
): { pick: string; remove: string; any: string; params: SqlValue[] } {
  if (set.name === "live") {
    return {
      pick: "SELECT day, id FROM pending_rollup ORDER BY day, id",
      remove: "DELETE FROM pending_rollup WHERE (day, id) IN (SELECT day, id FROM rollup_batch)",
      any: "SELECT id FROM pending_rollup LIMIT 1",
      params: [],
    };
  }
  return {
    pick: "SELECT day, id FROM pending_shared WHERE day < ? ORDER BY day, id",
    remove: "DELETE FROM pending_shared WHERE day < ? AND (day, id) IN (SELECT day, id FROM rollup_batch)",
    any: "SELECT id FROM pending_shared WHERE day < ? LIMIT 1",
    params: [before ?? ""],
  };
}

/** Whether events are queued for `set` (the shared set: of days before `before`). */
export async function hasPending(db: Queryable, set: RollupSet, before: string | null): Promise<boolean> {
  const q = queue(set, before);
  return (await db.all(q.any, q.params)).length > 0;
}

/** One rollup step: folds up to `chunk` queued events into `set`; resolves with how many. */
export function rollupStep(db: Db, set: RollupSet, chunk: number, before: string | null): Promise<number> {
  const q = queue(set, before);
  return db.exclusive(LOCK_ROLLUP, async (tx) => {
    for (const t of SCRATCH) await tx.run(`DELETE FROM ${t}`);
    const picked = await tx.run(
      `INSERT INTO rollup_batch (day, id) ${q.pick} LIMIT ${Math.max(1, Math.floor(chunk))}`,
      q.params,
    );
    if (picked === 0) return 0;
    // Copy the slice once (primary-key lookups); the unpivot then scans only the copy.
    await tx.run(COPY_BATCH);
    for (const sql of DELTA_SQL[db.dialect.name]) await tx.run(sql);
    await tx.run(WORKSPACE_DELTA_SQL[db.dialect.name]);
    await extensionDelta(tx);
    await analyzeScratch(tx, db.dialect.name, ["rollup_delta", "rollup_wdelta"]);
    for (const sql of APPLY[set.name]) await tx.run(sql);
    await trendStep(tx, set, db.dialect.name);
    await tx.run(q.remove, q.params);
    for (const t of SCRATCH) await tx.run(`DELETE FROM ${t}`);
    return picked;
  });
}

/** File extensions are a set per event: unpivoted here rather than in SQL (no portable split). */
export async function extensionDelta(tx: Queryable): Promise<void> {
  const rows = await tx.all(EXTENSIONS_OF_BATCH);
  const agg = new Map<string, { ext: string; user: string; count: number }>();
  for (const r of rows) {
    for (const ext of decodeSet(String(r.exts))) {
      const k = `${ext}\u0000${String(r.distinct_id)}`;
      const cur = agg.get(k);
      if (cur) cur.count++;
      else agg.set(k, { ext, user: String(r.distinct_id), count: 1 });
    }
  }
  const all = [...agg.values()];
  for (let i = 0; i < all.length; i += 500) {
    const slice = all.slice(i, i + 500);
    const params: SqlValue[] = [];
    for (const a of slice) params.push("lsp_extension", a.ext, a.user, a.count, a.count);
    await tx.run(
      `INSERT INTO rollup_delta (dim, key, distinct_id, total, events) VALUES ${slice.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
      params,
    );
  }
}

/** Empties both rollup sets and queues every stored event again (a rebuild: the benchmark's bulk load). */
export async function requeueAll(tx: Queryable): Promise<void> {
  await tx.run("DELETE FROM pending_rollup");
  await tx.run("DELETE FROM pending_shared");
  for (const t of [...setTables(LIVE), ...setTables(SHARED)]) await tx.run(`DELETE FROM ${t}`);
  await tx.run("INSERT INTO pending_rollup (day, id) SELECT day, id FROM events");
  await tx.run("INSERT INTO pending_shared (day, id) SELECT day, id FROM events");
}

/**
 * Leaves nothing of deleted rows, nor of arrival order, where the database engine would keep it.
 *
 * SQLite: rows are zeroed when deleted (`secure_delete`) and tables are B-trees ordered by their
 * keys (random ids or natural keys, `WITHOUT ROWID`); what remains is the write-ahead log, which
 * still holds the pre-deletion pages until a checkpoint: checkpoint it and truncate it.
 *
 * PostgreSQL: a table's heap keeps rows in insertion order, each stamped with its inserting
 * transaction (`xmin`), and deleted rows stay in their pages until vacuumed. Rewrite `events`
 * in one transaction in (day, id) order (the order SQLite's table keeps since migration 8: random
 * within a day; one `xmin` for all rows; deleted rows left behind in the old file, which is
 * removed), then rewrite every other table in key order (CLUSTER). By day first so that the next
 * purges' days are a contiguous run of the heap's first pages, as on SQLite: in id order each
 * purged event was on a page of its own, and the chunk's pick, its copy and its `DELETE` read
 * nearly every page of the table for a month's purge (issue 12).
 */
/**
 * SQLite: copy the whole write-ahead log into the database and truncate it to zero bytes, so the
 * pre-deletion pages it held are gone. A TRUNCATE checkpoint answers `busy` (no error) when it
 * could not finish: a reader still using the log, or the checkpointer thread's own checkpoint in
 * progress (`sqlite-checkpoint-worker.ts`). Then the log would keep purged rows; so retry, and
 * fail loudly rather than report a purge whose bytes are still on disk.
 */
async function truncateLog(db: Db): Promise<void> {
  const ATTEMPTS = 10;
  for (let attempt = 1; ; attempt++) {
    const [r] = await db.all("PRAGMA wal_checkpoint(TRUNCATE)");
    if (r === undefined || Number(r.busy) === 0) return;
    if (attempt === ATTEMPTS) {
      throw new Error(`the write-ahead log could not be truncated after ${ATTEMPTS} attempts (busy readers)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function compact(db: Db): Promise<void> {
  if (db.dialect.name === "sqlite") {
    await refreshStatistics(db, []);
    await truncateLog(db);
    return;
  }
  await db.exclusive(LOCK_ROLLUP, async (tx) => {
    // Ingest waits (SHARE ROW EXCLUSIVE blocks inserts); reads go on.
    await tx.run("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE");
    await tx.run("CREATE TABLE events_compact (LIKE events)");
    await tx.run("INSERT INTO events_compact SELECT * FROM events ORDER BY day, id");
    await tx.run("DROP TABLE events");
    await tx.run("ALTER TABLE events_compact RENAME TO events");
    await tx.run("ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id)");
    await tx.run("CREATE UNIQUE INDEX events_insert_id ON events (insert_id)");
    await tx.run("CREATE INDEX events_day ON events (day)");
  });
  // Every other table is rewritten too: emptied rows (scratch copies of events, rollups rebuilt
  // by a purge) stay readable in their pages until the table is rewritten.
  for (const t of REWRITTEN) await db.run(`CLUSTER ${t} USING ${t}_pkey`);
  // Statistics sampled before the purge hold purged values (`statistics.ts`).
  await refreshStatistics(db, ["events", ...REWRITTEN]);
}

/** The tables `compact` rewrites on PostgreSQL besides `events`. */
const REWRITTEN = ["inbox", "pending_rollup", "pending_shared", ...SCRATCH, ...setTables(LIVE), ...setTables(SHARED)];
