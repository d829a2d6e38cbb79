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
import { LIVE, SCRATCH, SHARED, lit, rollupParts, setTables, type Part, type RollupSet } from "./rollup-sql.js";
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

/** A part with the aliases of its summed value and events in a grouped copy. */
interface Cell {
  readonly dim: string;
  /** SQL of the key: a constant, or a column of the grouped copy. */
  readonly key: string;
  readonly total: string;
  readonly events: string;
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
  /** Drops the temporary tables of one set's statements. */
  readonly drop: readonly string[];
}

/** Sums of `aliases` per `keys` of `from` (filtered), as a temporary table in key order. */
function regroup(
  table: string,
  from: string,
  keys: readonly string[],
  aliases: readonly string[],
  where: string,
): string {
  const sums = aliases.map((a) => `SUM(${a}) AS ${a}`).join(", ");
  return `CREATE TEMP TABLE ${table} AS SELECT ${keys.join(", ")}, ${sums} FROM ${from} WHERE ${where} GROUP BY ${keys.join(", ")} ORDER BY ${keys.join(", ")}`;
}

export function rebuildSql(): RebuildSql {
  const parts = rollupParts();
  const constant = parts.filter(constantKey);
  const variable = parts.filter((p) => !constantKey(p));

  const a1 = new Aggregates();
  const udvCells: Cell[] = constant.map((p) => ({ dim: p.dim, key: p.key, ...a1.part(p) }));
  const udv = `CREATE TEMP TABLE rebuild_udv AS SELECT e.distinct_id AS distinct_id, e.workspace_folder AS workspace_folder, e.day AS day, e.extversion AS version, ${a1.select()}
FROM events e GROUP BY e.distinct_id, e.workspace_folder, e.day, e.extversion`;

  const a2 = new Aggregates();
  a2.alias("COUNT(*)");
  const ukCells: Cell[] = variable.map((p, i) => ({ dim: p.dim, key: `k${i}`, ...a2.part(p) }));
  const keys = variable.map((p, i) => `${p.key} AS k${i}`).join(", ");
  const extensions = columnName("LSP_file_extensions");
  const uk = `CREATE TEMP TABLE rebuild_uk AS SELECT e.distinct_id AS distinct_id, ${SHARED_FLAG} AS shared, e.${extensions} AS exts, ${keys}, ${a2.select()}
FROM events e GROUP BY ${variable.map((_, i) => i + 4).reduce((s, n) => `${s}, ${n}`, "1, 2, 3")}`;

  const workspaceCells = udvCells.filter((c) => c.dim === "all" || c.dim === "code");
  const trendCells = udvCells.filter((c) => (TREND_DIMS as readonly string[]).includes(c.dim));
  const aliases = (cells: readonly Cell[]): string[] => [...new Set(cells.flatMap((c) => [c.total, c.events]))];
  // The shared set reads the groups of days before the bound (the statements' one parameter).
  const udvWhere = (s: RollupSet): string => (s.name === "shared" ? "day < ?" : "1 = 1");
  const ukWhere = (s: RollupSet): string => (s.name === "shared" ? "shared = 1" : "1 = 1");

  // Each per-user row is read off a per-user (per-folder, per-period) regrouping of the grouped
  // copies, one statement per part, in the tables' key order: no unpivot of every group.
  const users = (s: RollupSet): string[] => [
    regroup("rebuild_u", "rebuild_udv", ["distinct_id"], aliases(udvCells), udvWhere(s)),
    ...udvCells.map(
      (c) =>
        `INSERT INTO ${s.user} (dim, key, distinct_id, total, events) SELECT ${lit(c.dim)}, ${c.key}, distinct_id, ${c.total}, ${c.events} FROM rebuild_u WHERE ${c.events} > 0`,
    ),
    ...ukCells.map(
      (c) =>
        `INSERT INTO ${s.user} (dim, key, distinct_id, total, events) SELECT ${lit(c.dim)}, ${c.key}, distinct_id, SUM(${c.total}), SUM(${c.events}) FROM rebuild_uk
WHERE ${ukWhere(s)} GROUP BY ${c.key}, distinct_id HAVING SUM(${c.events}) > 0 ORDER BY ${c.key}, distinct_id`,
    ),
  ];
  const trendRows = (s: RollupSet, c: Cell): string[] => {
    const insert = `INSERT INTO ${s.trendUser} (dim, key, grain, period, version, distinct_id, total, events) SELECT ${lit(c.dim)}, ${c.key}`;
    const sums = `SUM(${c.total}), SUM(${c.events})`;
    const having = `HAVING SUM(${c.events}) > 0`;
    const weeks = "rebuild_p u JOIN trend_days t ON t.day = u.day AND t.grain = 'week'";
    const all = lit(ALL_VERSIONS);
    return [
      `${insert}, 'day', day, version, distinct_id, ${c.total}, ${c.events} FROM rebuild_p WHERE ${c.events} > 0 ORDER BY day, version, distinct_id`,
      `${insert}, 'day', day, ${all}, distinct_id, ${sums} FROM rebuild_p GROUP BY day, distinct_id ${having} ORDER BY day, distinct_id`,
      `${insert}, 'week', t.period, u.version, u.distinct_id, ${sums} FROM ${weeks} GROUP BY t.period, u.version, u.distinct_id ${having} ORDER BY t.period, u.version, u.distinct_id`,
      `${insert}, 'week', t.period, ${all}, u.distinct_id, ${sums} FROM ${weeks} GROUP BY t.period, u.distinct_id ${having} ORDER BY t.period, u.distinct_id`,
    ];
  };
  const rest = (s: RollupSet): string[] => [
    regroup("rebuild_w", "rebuild_udv", ["workspace_folder"], aliases(workspaceCells), udvWhere(s)),
    ...workspaceCells.map(
      (c) =>
        `INSERT INTO ${s.workspace} (dim, key, workspace_folder, events) SELECT ${lit(c.dim)}, ${c.key}, workspace_folder, ${c.events} FROM rebuild_w WHERE ${c.events} > 0`,
    ),
    `INSERT INTO ${s.key} (dim, key, users, total, events, workspaces)
SELECT u.dim, u.key, u.users, u.total, u.events, COALESCE(w.workspaces, 0) FROM
(SELECT dim, key, COUNT(*) AS users, SUM(total) AS total, SUM(events) AS events FROM ${s.user} GROUP BY dim, key) u
LEFT JOIN (SELECT dim, key, COUNT(*) AS workspaces FROM ${s.workspace} GROUP BY dim, key) w ON w.dim = u.dim AND w.key = u.key`,
    `INSERT INTO ${s.hist} (dim, key, value, users) SELECT dim, key, total, COUNT(*) FROM ${s.user} WHERE dim = 'code' GROUP BY dim, key, total`,
    regroup("rebuild_p", "rebuild_udv", ["distinct_id", "day", "version"], aliases(trendCells), udvWhere(s)),
    ...trendCells.flatMap((c) => trendRows(s, c)),
    `INSERT INTO ${s.trendKey} (dim, key, grain, period, version, users, total, events)
SELECT dim, key, grain, period, version, COUNT(*), SUM(total), SUM(events) FROM ${s.trendUser} GROUP BY dim, key, grain, period, version`,
  ];
  return {
    udv,
    uk,
    users,
    rest,
    extensions: (s) =>
      `SELECT distinct_id, exts, SUM(a0) AS n FROM rebuild_uk WHERE exts <> '' AND ${ukWhere(s)} GROUP BY distinct_id, exts`,
    drop: ["DROP TABLE rebuild_u", "DROP TABLE rebuild_w", "DROP TABLE rebuild_p"],
  };
}

const SQL = rebuildSql();

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
  const sql = SQL;
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
      for (const statement of sql.drop) await tx.run(statement);
    }
    await tx.run("DELETE FROM trend_days");
    await tx.run("DROP TABLE rebuild_udv");
    await tx.run("DROP TABLE rebuild_uk");
  });
}
