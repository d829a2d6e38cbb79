/**
 * A from-scratch rebuild of both rollup sets, set-based (issue 12): instead of queueing every
 * event again and folding it in steps (`ingest.ts`: ~1 ms per event and set, hours at 10M
 * events), each rollup table is filled by a few `INSERT … SELECT … GROUP BY`s over two grouped
 * copies of `events`, each made by one scan of it:
 *
 * - `rebuild_udv`: per (user, workspace folder, day, extension version), for every rollup part
 *   whose key is a constant (`all`, each code, loads, severities, features, LSP methods), the
 *   summed value and the events that count towards it: the per-user, per-folder and per-period
 *   rows of those parts are sums over it;
 * - `rebuild_uk`: per (user, shared or not, the key of every part whose key depends on the event:
 *   size buckets, rule types, environment; file extensions), the same sums for those parts.
 *
 * Real data has few such groups per user (a user's environment rarely changes); the benchmark's
 * generated events are the worst case. Then the unpivot runs over those groups, not over the
 * events, and every per-key table is a `GROUP BY` of its per-user table. The result is exactly
 * what folding every event gives (`test/rebuild.test.ts` compares them on random events):
 * the live set holds every event, the shared set the events of days before `before`, and the
 * events of later days stay queued for the shared set, as `refreshShared(before)` would leave them.
 */
import { columnName, decodeSet } from "./columns.js";
import type { Db, Queryable, SqlValue } from "./driver.js";
import { LOCK_ROLLUP } from "./ingest.js";
import {
  LIVE,
  SCRATCH,
  SHARED,
  lit,
  rollupParts,
  setTables,
  type DialectName,
  type Part,
  type RollupSet,
} from "./rollup-sql.js";
import { ALL_VERSIONS, TREND_DIMS, weekOf } from "./trend-sql.js";

/** A part's key is a constant (`'…'`): the same for every event. */
function constantKey(p: Part): boolean {
  return /^'(?:[^']|'')*'$/.test(p.key);
}

/** Aggregate columns of a grouped copy, each SQL text once (`SUM(CASE WHEN …)` for a part). */
class Aggregates {
  readonly columns = new Map<string, string>();

  /** The alias of `sql` among the columns (added on first use). */
  alias(sql: string): string {
    let a = this.columns.get(sql);
    if (a === undefined) {
      a = `a${this.columns.size}`;
      this.columns.set(sql, a);
    }
    return a;
  }

  /** Aliases of a part's summed value and of its events. */
  part(p: Part): { total: string; events: string } {
    const events = p.where === "1 = 1" ? "COUNT(*)" : `SUM(CASE WHEN ${p.where} THEN 1 ELSE 0 END)`;
    const total =
      p.total === "1"
        ? events
        : p.where === "1 = 1"
          ? `SUM(${p.total})`
          : `SUM(CASE WHEN ${p.where} THEN ${p.total} ELSE 0 END)`;
    return { total: this.alias(total), events: this.alias(events) };
  }

  select(): string {
    return [...this.columns].map(([sql, a]) => `${sql} AS ${a}`).join(", ");
  }
}

/** One row of an unpivot over a grouped copy: dimension, key expression, value and events columns. */
interface Cell {
  readonly dim: string;
  readonly key: string;
  readonly total: string;
  readonly events: string;
}

/** `exprs[i]` for the row numbered `i` (`b.n`), as nested CASEs that halve the range. */
function pick(exprs: readonly string[], lo = 0, hi = exprs.length): string {
  if (exprs.slice(lo, hi).every((x) => x === exprs[lo])) return exprs[lo]!;
  if (hi - lo <= 6) {
    const whens = [];
    for (let i = lo; i < hi; i++) whens.push(`WHEN ${i} THEN ${exprs[i]}`);
    return `CASE b.n ${whens.join(" ")} END`;
  }
  const mid = (lo + hi) >> 1;
  return `CASE WHEN b.n < ${mid} THEN ${pick(exprs, lo, mid)} ELSE ${pick(exprs, mid, hi)} END`;
}

/**
 * The rows of grouped copy `u` unpivoted into `cells` (columns `dim`, `key`, `total`, `events`,
 * then `extra`), only those with events: PostgreSQL a lateral `VALUES`, SQLite a cross join with
 * the cells' numbers (as `unpivotSql` in `rollup-sql.ts`).
 */
function unpivot(table: string, cells: readonly Cell[], dialect: DialectName, extra: string, where: string): string {
  const col = (c: string): string => `u.${c}`;
  if (dialect === "postgres") {
    const rows = cells.map((c) => `(${lit(c.dim)}, ${c.key}, ${col(c.total)}, ${col(c.events)})`).join(", ");
    return `SELECT v.dim AS dim, v.key AS key, v.total AS total, v.events AS events, ${extra} FROM ${table} u
CROSS JOIN LATERAL (VALUES ${rows}) AS v (dim, key, total, events) WHERE v.events > 0 AND ${where}`;
  }
  const branches = cells.map((c, i) => `SELECT ${i} AS n, ${lit(c.dim)} AS dim`).join(" UNION ALL ");
  const events = pick(cells.map((c) => col(c.events)));
  return `SELECT b.dim AS dim, ${pick(cells.map((c) => c.key))} AS key, ${pick(cells.map((c) => col(c.total)))} AS total, ${events} AS events, ${extra}
FROM ${table} u CROSS JOIN (${branches}) b WHERE ${events} > 0 AND ${where}`;
}

/** The shared set's events: arrived before the day bound as the only parameter. */
const SHARED_FLAG = "CASE WHEN e.day < ? THEN 1 ELSE 0 END";

/** The statements of a rebuild, generated once per dialect from the schema's rollup parts. */
export interface RebuildSql {
  /** Fills `rebuild_udv` (no parameter). */
  readonly udv: string;
  /** Fills `rebuild_uk` (parameter: the shared set's day bound). */
  readonly uk: string;
  /** Per set: the statements filling its per-user tables (the file extensions are added after them). */
  readonly users: (s: RollupSet) => readonly string[];
  /** Per set: the statements filling its other tables from the per-user ones, in order. */
  readonly rest: (s: RollupSet) => readonly string[];
  /** The file-extension sets per user (shared flag as the only parameter's filter). */
  readonly extensions: (s: RollupSet) => string;
}

export function rebuildSql(dialect: DialectName): RebuildSql {
  const parts = rollupParts();
  const constant = parts.filter(constantKey);
  const variable = parts.filter((p) => !constantKey(p));

  const a1 = new Aggregates();
  const udvCells: Cell[] = constant.map((p) => ({ dim: p.dim, key: p.key, ...a1.part(p) }));
  const udv = `CREATE TEMP TABLE rebuild_udv AS SELECT e.distinct_id AS distinct_id, e.workspace_folder AS workspace_folder, e.day AS day, e.extversion AS version, ${a1.select()}
FROM events e GROUP BY e.distinct_id, e.workspace_folder, e.day, e.extversion`;

  const a2 = new Aggregates();
  a2.alias("COUNT(*)");
  const ukCells: Cell[] = variable.map((p, i) => ({ dim: p.dim, key: `u.k${i}`, ...a2.part(p) }));
  const keys = variable.map((p, i) => `${p.key} AS k${i}`).join(", ");
  const extensions = columnName("LSP_file_extensions");
  const uk = `CREATE TEMP TABLE rebuild_uk AS SELECT e.distinct_id AS distinct_id, ${SHARED_FLAG} AS shared, e.${extensions} AS exts, ${keys}, ${a2.select()}
FROM events e GROUP BY ${variable.map((_, i) => i + 4).reduce((s, n) => `${s}, ${n}`, "1, 2, 3")}`;

  const workspaceCells = udvCells.filter((c) => c.dim === "all" || c.dim === "code");
  const trendCells = udvCells.filter((c) => (TREND_DIMS as readonly string[]).includes(c.dim));
  // The shared set reads the groups of days before the bound (one parameter per statement).
  const udvWhere = (s: RollupSet): string => (s.name === "shared" ? "u.day < ?" : "1 = 1");
  const ukWhere = (s: RollupSet): string => (s.name === "shared" ? "u.shared = 1" : "1 = 1");

  const users = (s: RollupSet): string[] => [
    `INSERT INTO ${s.user} (dim, key, distinct_id, total, events)
SELECT dim, key, distinct_id, SUM(total), SUM(events) FROM (${unpivot("rebuild_udv", udvCells, dialect, "u.distinct_id AS distinct_id", udvWhere(s))}) x
GROUP BY dim, key, distinct_id`,
    `INSERT INTO ${s.user} (dim, key, distinct_id, total, events)
SELECT dim, key, distinct_id, SUM(total), SUM(events) FROM (${unpivot("rebuild_uk", ukCells, dialect, "u.distinct_id AS distinct_id", ukWhere(s))}) x
GROUP BY dim, key, distinct_id`,
  ];
  const rest = (s: RollupSet): string[] => [
    `INSERT INTO ${s.workspace} (dim, key, workspace_folder, events)
SELECT dim, key, workspace_folder, SUM(events) FROM (${unpivot("rebuild_udv", workspaceCells, dialect, "u.workspace_folder AS workspace_folder", udvWhere(s))}) x
GROUP BY dim, key, workspace_folder`,
    `INSERT INTO ${s.key} (dim, key, users, total, events, workspaces)
SELECT u.dim, u.key, u.users, u.total, u.events, COALESCE(w.workspaces, 0) FROM
(SELECT dim, key, COUNT(*) AS users, SUM(total) AS total, SUM(events) AS events FROM ${s.user} GROUP BY dim, key) u
LEFT JOIN (SELECT dim, key, COUNT(*) AS workspaces FROM ${s.workspace} GROUP BY dim, key) w ON w.dim = u.dim AND w.key = u.key`,
    `INSERT INTO ${s.hist} (dim, key, value, users) SELECT dim, key, total, COUNT(*) FROM ${s.user} WHERE dim = 'code' GROUP BY dim, key, total`,
    `INSERT INTO ${s.trendUser} (dim, key, grain, period, version, distinct_id, total, events)
SELECT dim, key, t.grain, t.period, CASE WHEN s.split = 1 THEN x.version ELSE ${lit(ALL_VERSIONS)} END, distinct_id, SUM(total), SUM(events)
FROM (${unpivot("rebuild_udv", trendCells, dialect, "u.distinct_id AS distinct_id, u.day AS day, u.version AS version", udvWhere(s))}) x
JOIN trend_days t ON t.day = x.day CROSS JOIN (SELECT 0 AS split UNION ALL SELECT 1 AS split) s
GROUP BY 1, 2, 3, 4, 5, 6`,
    `INSERT INTO ${s.trendKey} (dim, key, grain, period, version, users, total, events)
SELECT dim, key, grain, period, version, COUNT(*), SUM(total), SUM(events) FROM ${s.trendUser} GROUP BY dim, key, grain, period, version`,
  ];
  return {
    udv,
    uk,
    users,
    rest,
    extensions: (s) =>
      `SELECT distinct_id, exts, SUM(a0) AS n FROM rebuild_uk u WHERE u.exts <> '' AND ${ukWhere(s)} GROUP BY distinct_id, exts`,
  };
}

const SQL = { sqlite: rebuildSql("sqlite"), postgres: rebuildSql("postgres") };

/** The parameters of a statement whose only parameters are the day bound. */
function bound(sql: string, before: string): SqlValue[] {
  return sql
    .split("?")
    .slice(1)
    .map(() => before);
}

/** The per-user file-extension rows of one set (a set per event: split here, no portable split in SQL). */
async function fillExtensions(tx: Queryable, sql: RebuildSql, s: RollupSet): Promise<void> {
  const counts = new Map<string, { ext: string; user: string; n: number }>();
  for (const r of await tx.all(sql.extensions(s))) {
    const user = String(r.distinct_id);
    for (const ext of decodeSet(String(r.exts))) {
      const k = `${ext}\u0000${user}`;
      const cur = counts.get(k);
      if (cur) cur.n += Number(r.n);
      else counts.set(k, { ext, user, n: Number(r.n) });
    }
  }
  const all = [...counts.values()];
  for (let i = 0; i < all.length; i += 500) {
    const slice = all.slice(i, i + 500);
    await tx.run(
      `INSERT INTO ${s.user} (dim, key, distinct_id, total, events) VALUES ${slice.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
      slice.flatMap((a) => ["lsp_extension", a.ext, a.user, a.n, a.n]),
    );
  }
}

/** Every day of the grouped events with its grain rows (`trend_days`; weeks computed here). */
async function fillDays(tx: Queryable): Promise<void> {
  const days = (await tx.all("SELECT DISTINCT day FROM rebuild_udv")).map((r) => String(r.day));
  for (let i = 0; i < days.length; i += 200) {
    const slice = days.slice(i, i + 200);
    await tx.run(
      `INSERT INTO trend_days (day, grain, period) VALUES ${slice.map(() => "(?, ?, ?), (?, ?, ?)").join(", ")}`,
      slice.flatMap((d) => [d, "day", d, d, "week", weekOf(d)]),
    );
  }
}

/**
 * Empties both rollup sets and fills them again from `events` in one transaction (under the
 * rollup lock): the live set from every event, the shared set from the events of days before
 * `before` (`YYYY-MM-DD`, normally today); the events of later days stay queued for the shared set.
 */
export async function rebuildSets(db: Db, before: string): Promise<void> {
  const sql = SQL[db.dialect.name];
  await db.exclusive(LOCK_ROLLUP, async (tx) => {
    if (db.dialect.name === "postgres") await tx.run("SET LOCAL work_mem = '256MB'");
    for (const t of [...SCRATCH, "pending_rollup", "pending_shared", ...setTables(LIVE), ...setTables(SHARED)])
      await tx.run(`DELETE FROM ${t}`);
    await tx.run("INSERT INTO pending_shared (day, id) SELECT day, id FROM events WHERE day >= ?", [before]);
    await tx.run(sql.udv);
    await tx.run(sql.uk, bound(sql.uk, before));
    await fillDays(tx);
    for (const s of [LIVE, SHARED]) {
      for (const statement of sql.users(s)) await tx.run(statement, bound(statement, before));
      await fillExtensions(tx, sql, s);
      for (const statement of sql.rest(s)) await tx.run(statement, bound(statement, before));
    }
    await tx.run("DELETE FROM trend_days");
    await tx.run("DROP TABLE rebuild_udv");
    await tx.run("DROP TABLE rebuild_uk");
  });
}
