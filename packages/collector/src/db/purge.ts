/**
 * Purge by subtraction: the events that arrived before the cutoff are unfolded from both rollup
 * sets (every figure they added is taken away again) and deleted, chunk by chunk, instead of
 * emptying the rollups and folding every remaining event again. The cost is that of the purged
 * events (the daily purge: one day), not of the whole table.
 *
 * Each chunk is one transaction under the rollup lock. For each set, the chunk's events that set
 * had folded (an event still queued for a set is simply dequeued; when neither set has any of the
 * chunk queued, the usual case, both sets' deltas are the same and computed once) are copied, grouped per (user,
 * folder, day, version) and per (user, size buckets, environment, …), and every figure they added
 * is read off those groups by the rebuild's statements (`groupedDeltas`, `rebuild.ts`: the same
 * rows a fold of them adds, with one unpivot per table over the groups instead of one per
 * event — a day of a user's events is one group), then the deltas are subtracted:
 * - per (dimension, key, user) and per (…, period, version, user): total and events go down, and
 *   a row whose events reach 0 is deleted — the user left that cell, so its `users` goes down;
 * - per (dimension, key, workspace folder): the folder's events go down (migration 5), and the
 *   folder leaves the cell at 0;
 * - per code, the histogram of per-user totals moves each touched user from the old total to the
 *   new one (or out, when the user left);
 * - a cell whose events reach 0 is deleted, as a fold of the remaining events would not have it.
 * The trend rows of a day or week none of whose events stays (chunks are taken in day order, so
 * only the chunk's last day and the cutoff's week are partial) are deleted outright, not
 * subtracted: their deltas are not computed (`groupedDeltas` leaves those periods out).
 * The rollups after a purge equal a rebuild from the remaining events (`test/purge.test.ts`
 * checks that on random data).
 */
import type { Db, Queryable, SqlValue } from "./driver.js";
import { COLUMNS } from "./columns.js";
import { LOCK_ROLLUP } from "./ingest.js";
import { groupedDeltas } from "./rebuild.js";
import { LIVE, SCRATCH, SHARED, analyzeScratch, type DialectName, type RollupSet } from "./rollup-sql.js";
import { addDays, weekOf } from "./trend-sql.js";

/** Events unfolded and deleted per purge transaction. */
export const PURGE_CHUNK = 100_000;

const NAMES = COLUMNS.map((c) => c.name).join(", ");

/** The chunk's events that `set` had folded (not queued for it any more), into `rollup_events`. */
function copyFolded(set: RollupSet): string {
  const queued =
    set.name === "live"
      ? "SELECT 1 FROM pending_rollup p WHERE p.day = e.day AND p.id = e.id"
      : "SELECT 1 FROM pending_shared p WHERE p.day = e.day AND p.id = e.id";
  return `INSERT INTO rollup_events (id, day, ${NAMES})
SELECT e.id, e.day, ${NAMES.split(", ")
    .map((n) => `e.${n}`)
    .join(", ")} FROM events e WHERE (e.day, e.id) IN (SELECT day, id FROM rollup_batch) AND NOT EXISTS (${queued})`;
}

/**
 * Subtracts `delta` from the per-user (per-folder, per-period) table `table` and deletes the rows
 * it empties (`key`: the columns both are keyed by; `sums`: the columns subtracted). SQLite: an
 * upsert, then a delete of the delta's rows at 0 (every delta row probes the table twice).
 * PostgreSQL: one `MERGE` (each delta row meets its table row once: deleted when the delta takes
 * all its events, updated otherwise), where those probes were most of a purge (cold pages of the
 * per-user tables, issue 12). A delta row always has its table row (it subtracts events the set
 * had folded), so neither inserts.
 */
function subtractSql(
  dialect: DialectName,
  table: string,
  delta: string,
  key: readonly string[],
  sums: readonly string[],
): string[] {
  const cols = key.join(", ");
  if (dialect === "postgres") {
    return [
      `MERGE INTO ${table} t USING ${delta} d ON ${key.map((c) => `t.${c} = d.${c}`).join(" AND ")}
WHEN MATCHED AND t.events = d.events THEN DELETE
WHEN MATCHED THEN UPDATE SET ${sums.map((c) => `${c} = t.${c} - d.${c}`).join(", ")}`,
    ];
  }
  return [
    `INSERT INTO ${table} (${cols}, ${sums.join(", ")}) SELECT ${cols}, ${sums.map((c) => `-${c}`).join(", ")} FROM ${delta} WHERE 1 = 1
ON CONFLICT (${cols}) DO UPDATE SET ${sums.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(", ")}`,
    `DELETE FROM ${table} WHERE events = 0 AND (${cols}) IN (SELECT ${cols} FROM ${delta})`,
  ];
}

/** The statements subtracting `rollup_delta` and `rollup_wdelta` from one set, in order. */
export function unapplyDeltaSql(s: RollupSet, dialect: DialectName): string[] {
  const joinUser = `JOIN ${s.user} u ON u.dim = d.dim AND u.key = d.key AND u.distinct_id = d.distinct_id`;
  const joinWorkspace = `JOIN ${s.workspace} r ON r.dim = w.dim AND r.key = w.key AND r.workspace_folder = w.workspace_folder`;
  return [
    // Every statement reading the per-user (per-workspace) table runs before the one updating it.
    `INSERT INTO ${s.hist} (dim, key, value, users)
SELECT d.dim, d.key, u.total, -COUNT(*) FROM rollup_delta d ${joinUser} WHERE d.dim = 'code' GROUP BY d.dim, d.key, u.total
ON CONFLICT (dim, key, value) DO UPDATE SET users = ${s.hist}.users + excluded.users`,
    `INSERT INTO ${s.hist} (dim, key, value, users)
SELECT d.dim, d.key, u.total - d.total, COUNT(*) FROM rollup_delta d ${joinUser} WHERE d.dim = 'code' AND u.events > d.events GROUP BY d.dim, d.key, u.total - d.total
ON CONFLICT (dim, key, value) DO UPDATE SET users = ${s.hist}.users + excluded.users`,
    `DELETE FROM ${s.hist} WHERE users = 0`,
    `INSERT INTO ${s.key} (dim, key, users, total, events, workspaces)
SELECT d.dim, d.key, -SUM(CASE WHEN u.events = d.events THEN 1 ELSE 0 END), -SUM(d.total), -SUM(d.events), 0 FROM rollup_delta d ${joinUser} WHERE 1 = 1 GROUP BY d.dim, d.key
ON CONFLICT (dim, key) DO UPDATE SET users = ${s.key}.users + excluded.users, total = ${s.key}.total + excluded.total, events = ${s.key}.events + excluded.events`,
    `INSERT INTO ${s.key} (dim, key, users, total, events, workspaces)
SELECT w.dim, w.key, 0, 0, 0, -COUNT(*) FROM rollup_wdelta w ${joinWorkspace} WHERE r.events = w.events GROUP BY w.dim, w.key
ON CONFLICT (dim, key) DO UPDATE SET workspaces = ${s.key}.workspaces + excluded.workspaces`,
    ...subtractSql(dialect, s.user, "rollup_delta", ["dim", "key", "distinct_id"], ["total", "events"]),
    ...subtractSql(dialect, s.workspace, "rollup_wdelta", ["dim", "key", "workspace_folder"], ["events"]),
    `DELETE FROM ${s.key} WHERE events = 0`,
  ];
}

/** The statements subtracting `trend_delta` from one set's trend tables, in order. */
export function unapplyTrendDeltaSql(s: RollupSet, dialect: DialectName): string[] {
  const cell = ["dim", "key", "grain", "period", "version"];
  const same = cell.map((c) => `u.${c} = d.${c}`).join(" AND ");
  const cols = cell.join(", ");
  return [
    `INSERT INTO ${s.trendKey} (${cols}, users, total, events)
SELECT ${cell.map((c) => `d.${c}`).join(", ")}, -SUM(CASE WHEN u.events = d.events THEN 1 ELSE 0 END), -SUM(d.total), -SUM(d.events)
FROM trend_delta d JOIN ${s.trendUser} u ON ${same} AND u.distinct_id = d.distinct_id WHERE 1 = 1 GROUP BY ${cell.map((c) => `d.${c}`).join(", ")}
ON CONFLICT (${cols}) DO UPDATE SET users = ${s.trendKey}.users + excluded.users, total = ${s.trendKey}.total + excluded.total, events = ${s.trendKey}.events + excluded.events`,
    ...subtractSql(dialect, s.trendUser, "trend_delta", [...cell, "distinct_id"], ["total", "events"]),
    `DELETE FROM ${s.trendKey} WHERE events = 0`,
  ];
}

const UNAPPLY = new Map<string, string[]>(
  (["sqlite", "postgres"] as const).flatMap((d) =>
    [LIVE, SHARED].map((s): [string, string[]] => [
      `${d}:${s.name}`,
      [...unapplyDeltaSql(s, d), ...unapplyTrendDeltaSql(s, d)],
    ]),
  ),
);

/** Empties the scratch tables but `rollup_batch` (the chunk being purged). */
async function clearDeltas(tx: Queryable): Promise<void> {
  for (const t of SCRATCH) if (t !== "rollup_batch") await tx.run(`DELETE FROM ${t}`);
}

/**
 * The trend periods (grain and period) whose every remaining event is in the chunk: a day none of
 * whose events stays, a week none of whose seven days' events stays. Their trend rows hold only
 * purged events, in both sets (a row of a period holds only that period's events), so they are
 * deleted outright instead of subtracted.
 *
 * Read off the chunk's days, not off the events: a chunk is the first events in day order before
 * the cutoff, so every day before its last is whole in it and no event of an earlier day stays
 * (they would have been picked first). Only the last day can keep events, and only when the chunk
 * is full (`full`: a chunk short of its size took every event left before the cutoff): it is gone
 * when the table holds no more of its events than the chunk does. A week reaching past the last day
 * is gone when that day is and no event is stored on its later days. Each check is one count of a
 * day or one lookup: probing the chunk's events one by one for one that stays read every event of
 * the chunk's whole days (on PostgreSQL, 45 % of a 29-day purge at 3M events).
 */
async function gonePeriods(tx: Queryable, full: boolean): Promise<Period[]> {
  const days = (await tx.all("SELECT DISTINCT day FROM rollup_batch")).map((r) => String(r.day)).sort();
  const last = days.at(-1);
  if (last === undefined) return [];
  const count = async (sql: string): Promise<number> => Number((await tx.all(sql, [last]))[0]?.n ?? 0);
  const lastGone =
    !full ||
    (await count("SELECT COUNT(*) AS n FROM events WHERE day = ?")) ===
      (await count("SELECT COUNT(*) AS n FROM rollup_batch WHERE day = ?"));
  const gone: Period[] = days
    .filter((day) => day < last || lastGone)
    .map((day): Period => ({ grain: "day", period: day }));
  for (const week of new Set(days.map(weekOf))) {
    const end = addDays(week, 6);
    const staysAfter = async (): Promise<boolean> =>
      (await tx.all("SELECT 1 AS x FROM events WHERE day > ? AND day <= ? LIMIT 1", [last, end])).length > 0;
    if (end < last || (lastGone && !(await staysAfter()))) gone.push({ grain: "week", period: week });
  }
  return gone;
}

interface Period {
  readonly grain: "day" | "week";
  readonly period: string;
}

/** `(grain = ? AND period IN (…)) OR …` over `periods` (not empty), with its parameters. */
function periodsWhere(periods: readonly Period[]): { sql: string; params: SqlValue[] } {
  const terms: string[] = [];
  const params: SqlValue[] = [];
  for (const grain of ["day", "week"] as const) {
    const of = periods.filter((p) => p.grain === grain).map((p) => p.period);
    if (of.length === 0) continue;
    terms.push(`(grain = ? AND period IN (${of.map(() => "?").join(", ")}))`);
    params.push(grain, ...of);
  }
  return { sql: terms.join(" OR "), params };
}

/** Deletes `set`'s trend rows of `gone` periods (the per-user rows through the per-cell table's keys). */
async function dropPeriods(tx: Queryable, set: RollupSet, gone: readonly Period[]): Promise<void> {
  if (gone.length === 0) return;
  const { sql, params } = periodsWhere(gone);
  const cell = "dim, key, grain, period, version";
  await tx.run(
    `DELETE FROM ${set.trendUser} WHERE (${cell}) IN (SELECT ${cell} FROM ${set.trendKey} WHERE ${sql})`,
    params,
  );
  await tx.run(`DELETE FROM ${set.trendKey} WHERE ${sql}`, params);
}

/**
 * Unfolds the chunk in `rollup_batch` from `sets` (only the events they had folded): the deltas
 * are computed once, from the first set's folded events, and subtracted from each (the caller
 * passes several sets only when they had folded the same events).
 */
async function unfold(
  tx: Queryable,
  sets: readonly RollupSet[],
  dialect: DialectName,
  gone: readonly Period[],
): Promise<void> {
  await clearDeltas(tx);
  for (const set of sets) await dropPeriods(tx, set, gone);
  if ((await tx.run(copyFolded(sets[0]!))) === 0) return;
  // The gone periods' trend deltas are not computed at all (deleting them after cost as much as
  // computing them: most of a 29-day purge's trend rows are of gone days and weeks).
  await groupedDeltas(tx, dialect, gone.length > 0 ? periodsWhere(gone) : undefined);
  await analyzeScratch(tx, dialect, ["rollup_delta", "rollup_wdelta", "trend_delta"]);
  for (const set of sets) for (const sql of UNAPPLY.get(`${dialect}:${set.name}`)!) await tx.run(sql);
  await clearDeltas(tx);
}

/** Whether some event of the chunk is still queued for either set (then the sets folded different events). */
async function queuedIn(tx: Queryable): Promise<boolean> {
  const [r] = await tx.all(
    `SELECT CASE WHEN EXISTS (SELECT 1 FROM pending_rollup p JOIN rollup_batch b ON b.day = p.day AND b.id = p.id)
  OR EXISTS (SELECT 1 FROM pending_shared p JOIN rollup_batch b ON b.day = p.day AND b.id = p.id) THEN 1 ELSE 0 END AS queued`,
  );
  return Number(r?.queued) === 1;
}

/**
 * Deletes the events that arrived before `cutoffDay` (`YYYY-MM-DD`) and subtracts them from both
 * rollup sets, `chunk` events per transaction; resolves with the number deleted.
 */
export async function purgeBefore(db: Db, cutoffDay: string, chunk = PURGE_CHUNK): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await db.exclusive(LOCK_ROLLUP, async (tx) => {
      if (db.dialect.name === "postgres") await tx.run("SET LOCAL work_mem = '256MB'");
      for (const t of SCRATCH) await tx.run(`DELETE FROM ${t}`);
      const size = Math.max(1, Math.floor(chunk));
      const picked = await tx.run(
        `INSERT INTO rollup_batch (day, id) SELECT day, id FROM events WHERE day < ? ORDER BY day LIMIT ${size}`,
        [cutoffDay],
      );
      if (picked === 0) return 0;
      const periods = await gonePeriods(tx, picked >= size);
      // Both sets folded the same events (the usual purge: old days, folded by both): their
      // deltas are the same, computed once.
      if (await queuedIn(tx)) {
        await unfold(tx, [LIVE], db.dialect.name, periods);
        await unfold(tx, [SHARED], db.dialect.name, periods);
      } else await unfold(tx, [LIVE, SHARED], db.dialect.name, periods);
      await tx.run("DELETE FROM pending_rollup WHERE (day, id) IN (SELECT day, id FROM rollup_batch)");
      await tx.run("DELETE FROM pending_shared WHERE (day, id) IN (SELECT day, id FROM rollup_batch)");
      const gone = await tx.run("DELETE FROM events WHERE (day, id) IN (SELECT day, id FROM rollup_batch)");
      await tx.run("DELETE FROM rollup_batch");
      return gone;
    });
    total += deleted;
    if (deleted === 0) return total;
  }
}
