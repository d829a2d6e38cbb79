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
 * events: each table's rows are one statement, an unpivot of a regrouping (per user, folder, or
 * (user, day, version)) — one statement per part re-read the whole wide regrouping for each of
 * ~450 parts — and every per-key table is a `GROUP BY` of its per-user table. A purge computes
 * the deltas it subtracts with the same statements, over the events it purges (`groupedDeltas`). The result is exactly
 * what folding every event gives (`test/rebuild.test.ts` compares them on random events):
 * the live set holds every event, the shared set the events of days before `before`, and the
 * events of later days stay queued for the shared set, as `refreshShared(before)` would leave them.
 */
import { columnName, decodeSet } from "./columns.js";
import type { Db, Queryable, SqlValue } from "./driver.js";
import { LOCK_ROLLUP } from "./ingest.js";
import { LIVE, SCRATCH, SHARED, lit, pick, rollupParts, setTables, type DialectName, type Part } from "./rollup-sql.js";
import { ALL_VERSIONS, TREND_DIMS, weekOf } from "./trend-sql.js";

/** A part's key is a constant (`'…'`): the same for every event. */
function constantKey(p: Pick<Part, "key">): boolean {
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

/** Code-unit order of two strings. */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The shared set's events: arrived before the day bound as the only parameter. */
const SHARED_FLAG = "CASE WHEN e.day < ? THEN 1 ELSE 0 END";

/**
 * Where the rows read off the grouped copies go: a set's tables (a rebuild), or the scratch
 * deltas of a purge (`purge.ts`), which have no per-key, histogram or per-cell trend table.
 */
export interface GroupTargets {
  /** Per (dimension, key, user): `(dim, key, distinct_id, total, events)`. */
  readonly user: string;
  /** Per (dimension, key, workspace folder): `(dim, key, workspace_folder, events)`. */
  readonly workspace: string;
  /** Per (dimension, key, grain, period, version, user): `(…, distinct_id, total, events)`. */
  readonly trendUser: string;
  /** The figures read off the per-user tables (a rebuild only). */
  readonly key?: string;
  readonly hist?: string;
  readonly trendKey?: string;
}

/** The statements of a rebuild, generated once per dialect and source from the schema's rollup parts. */
export interface RebuildSql {
  /** Fills `rebuild_udv` (no parameter). */
  readonly udv: string;
  /** Fills `rebuild_uk` (parameter: the shared set's day bound). */
  readonly uk: string;
  /**
   * The statements filling the per-user rows (the file extensions are added after them), of
   * every event (`shared` false) or of the days before the bound (the statements' only parameters).
   */
  readonly users: (t: GroupTargets, shared: boolean) => readonly string[];
  /** The statements filling the other tables (from the per-user ones for the per-key figures), in order. */
  readonly rest: (t: GroupTargets, shared: boolean) => readonly string[];
  /** The file-extension sets per user (shared flag as the only parameter's filter). */
  readonly extensions: (shared: boolean) => string;
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
  // A sum of sums stays an integer (PostgreSQL's SUM of a BIGINT is a slower NUMERIC).
  const sums = aliases.map((a) => `CAST(SUM(${a}) AS BIGINT) AS ${a}`).join(", ");
  return `CREATE TEMP TABLE ${table} AS SELECT ${keys.join(", ")}, ${sums} FROM ${from} WHERE ${where} GROUP BY ${keys.join(", ")} ORDER BY ${keys.join(", ")}`;
}

/**
 * The unpivot of a grouped copy `from` (alias `g`): one row per group and cell with events, with
 * columns `dim`, `key`, `total`, `events` and then `extra` (columns of `g`), each group read once.
 * PostgreSQL: a lateral `VALUES` list of the cells; SQLite: the groups crossed with the cells'
 * numbers (`CROSS JOIN`: the group stays the outer loop), each column picking its cell's.
 */
function unpivotGroups(
  dialect: DialectName,
  from: string,
  cells: readonly Cell[],
  extra: readonly string[],
  where: string,
): string {
  const columns = extra.map((c) => `g.${c} AS ${c}`).join(", ");
  const key = (c: Cell): string => (constantKey({ key: c.key }) ? c.key : `g.${c.key}`);
  if (dialect === "postgres") {
    const rows = cells.map((c) => `(${lit(c.dim)}, ${key(c)}, g.${c.total}, g.${c.events})`).join(", ");
    return `SELECT v.dim AS dim, v.key AS key, v.total AS total, v.events AS events, ${columns} FROM ${from} g
CROSS JOIN LATERAL (VALUES ${rows}) AS v (dim, key, total, events) WHERE v.events > 0 AND ${where}`;
  }
  const branches = cells.map((c, i) => `SELECT ${i} AS n, ${lit(c.dim)} AS dim`).join(" UNION ALL ");
  const events = pick(cells.map((c) => `g.${c.events}`));
  return `SELECT b.dim AS dim, ${pick(cells.map(key))} AS key, ${pick(cells.map((c) => `g.${c.total}`))} AS total, ${events} AS events, ${columns}
FROM ${from} g CROSS JOIN (${branches}) b WHERE ${events} > 0 AND ${where}`;
}

/**
 * The statements of a rebuild from `source` (a table with the columns of `events`: `events`
 * itself, or a purge's copy of the events it unfolds, `rollup_events`).
 */
export function rebuildSql(dialect: DialectName, source = "events"): RebuildSql {
  const parts = rollupParts();
  const constant = parts.filter(constantKey);
  const variable = parts.filter((p) => !constantKey(p));

  const a1 = new Aggregates();
  const udvCells: Cell[] = constant.map((p) => ({ dim: p.dim, key: p.key, ...a1.part(p) }));
  const udv = `CREATE TEMP TABLE rebuild_udv AS SELECT e.distinct_id AS distinct_id, e.workspace_folder AS workspace_folder, e.day AS day, e.extversion AS version, ${a1.select()}
FROM ${source} e GROUP BY e.distinct_id, e.workspace_folder, e.day, e.extversion`;

  const a2 = new Aggregates();
  a2.alias("COUNT(*)");
  const ukCells: Cell[] = variable.map((p, i) => ({ dim: p.dim, key: `k${i}`, ...a2.part(p) }));
  const keys = variable.map((p, i) => `${p.key} AS k${i}`).join(", ");
  const extensions = columnName("LSP_file_extensions");
  const uk = `CREATE TEMP TABLE rebuild_uk AS SELECT e.distinct_id AS distinct_id, ${SHARED_FLAG} AS shared, e.${extensions} AS exts, ${keys}, ${a2.select()}
FROM ${source} e GROUP BY ${variable.map((_, i) => i + 4).reduce((s, n) => `${s}, ${n}`, "1, 2, 3")}`;

  const workspaceCells = udvCells.filter((c) => c.dim === "all" || c.dim === "code");
  const trendCells = udvCells.filter((c) => (TREND_DIMS as readonly string[]).includes(c.dim));
  const aliases = (cells: readonly Cell[]): string[] => [...new Set(cells.flatMap((c) => [c.total, c.events]))];
  // The shared set reads the groups of days before the bound (the statements' one parameter).
  const udvWhere = (shared: boolean): string => (shared ? "day < ?" : "1 = 1");
  const ukWhere = (shared: boolean): string => (shared ? "g.shared = 1" : "1 = 1");
  const unpivot = (from: string, cells: readonly Cell[], extra: readonly string[], where = "1 = 1"): string =>
    unpivotGroups(dialect, from, cells, extra, where);

  // Each table's rows are read off one unpivot of a per-user (per-folder, per-period) regrouping
  // of the grouped copies, in the table's key order: one statement per table, not per part.
  // One statement per table (an unpivot of the regrouping, then sorted into the table's key
  // order) or one per part (each reads the regrouping, which is in user order, for one part): on
  // SQLite the sorts of the unpivoted rows spill to temporary files and cost more than the
  // re-reads, on PostgreSQL the statements do.
  const perTable = dialect === "postgres";
  // A purge's deltas (`source` not `events`): `trend_days` lists only the periods whose trend rows
  // are subtracted (`groupedDeltas` leaves out the periods the purge deletes outright), so the day
  // rows too are read off the days it lists, as the week rows are through its week rows. A
  // rebuild lists every day: no filter.
  const dayFilter = (alias: string): string =>
    source === "events" ? "1 = 1" : `${alias}day IN (SELECT period FROM trend_days WHERE grain = 'day')`;
  const users = (t: GroupTargets, shared: boolean): string[] => [
    regroup("rebuild_u", "rebuild_udv", ["distinct_id"], aliases(udvCells), udvWhere(shared)),
    ...(perTable
      ? [
          `INSERT INTO ${t.user} (dim, key, distinct_id, total, events) SELECT dim, key, distinct_id, total, events FROM (${unpivot("rebuild_u", udvCells, ["distinct_id"])}) x
ORDER BY dim, key, distinct_id`,
          `INSERT INTO ${t.user} (dim, key, distinct_id, total, events) SELECT dim, key, distinct_id, SUM(total), SUM(events) FROM (${unpivot("rebuild_uk", ukCells, ["distinct_id"], ukWhere(shared))}) x
GROUP BY dim, key, distinct_id ORDER BY dim, key, distinct_id`,
        ]
      : [
          ...udvCells.map(
            (c) =>
              `INSERT INTO ${t.user} (dim, key, distinct_id, total, events) SELECT ${lit(c.dim)}, ${c.key}, distinct_id, ${c.total}, ${c.events} FROM rebuild_u WHERE ${c.events} > 0`,
          ),
          ...ukCells.map(
            (c) =>
              `INSERT INTO ${t.user} (dim, key, distinct_id, total, events) SELECT ${lit(c.dim)}, ${c.key}, distinct_id, SUM(${c.total}), SUM(${c.events}) FROM rebuild_uk g
WHERE ${ukWhere(shared)} GROUP BY ${c.key}, distinct_id HAVING SUM(${c.events}) > 0 ORDER BY ${c.key}, distinct_id`,
          ),
        ]),
  ];
  const trendRows = (t: GroupTargets): string[] => {
    const insert = `INSERT INTO ${t.trendUser} (dim, key, grain, period, version, distinct_id, total, events) SELECT`;
    const all = lit(ALL_VERSIONS);
    if (!perTable) {
      // Each grain's (period, version, user) and (period, user) regrouping, in that order, then one
      // unpivot of each straight into the table, unsorted: for every cell the rows arrive in its
      // key order, so each of the ~230 (cell, grain, versions) ranges of the table is appended to
      // at its own end (a few hot pages), with no sort to spill and no re-read per cell.
      const cells = [...trendCells].sort((a, b) => (a.dim === b.dim ? cmp(a.key, b.key) : cmp(a.dim, b.dim)));
      const sums = aliases(trendCells)
        .map((a) => `CAST(SUM(${a}) AS BIGINT) AS ${a}`)
        .join(", ");
      const into = (from: string, grain: string, period: string, version: string): string =>
        `${insert} dim, key, ${lit(grain)}, ${period}, ${version}, distinct_id, total, events FROM (${unpivot(from, cells, [period, "distinct_id", ...(version === "version" ? ["version"] : [])], grain === "day" ? dayFilter("g.") : "1 = 1")})`;
      return [
        `CREATE TEMP TABLE rebuild_pa AS SELECT day, distinct_id, ${sums} FROM rebuild_p GROUP BY day, distinct_id ORDER BY day, distinct_id`,
        `CREATE TEMP TABLE rebuild_pw AS SELECT t.period AS period, u.version AS version, u.distinct_id AS distinct_id, ${sums}
FROM rebuild_p u JOIN trend_days t ON t.day = u.day AND t.grain = 'week' GROUP BY t.period, u.version, u.distinct_id ORDER BY t.period, u.version, u.distinct_id`,
        `CREATE TEMP TABLE rebuild_pwa AS SELECT period, distinct_id, ${sums} FROM rebuild_pw GROUP BY period, distinct_id ORDER BY period, distinct_id`,
        into("rebuild_p", "day", "day", "version"),
        into("rebuild_pa", "day", "day", all),
        into("rebuild_pw", "week", "period", "version"),
        into("rebuild_pwa", "week", "period", all),
        "DROP TABLE rebuild_pa",
        "DROP TABLE rebuild_pw",
        "DROP TABLE rebuild_pwa",
      ];
    }
    const weeks = "rebuild_pu u JOIN trend_days t ON t.day = u.day AND t.grain = 'week'";
    return [
      `CREATE TEMP TABLE rebuild_pu AS ${unpivot("rebuild_p", trendCells, ["distinct_id", "day", "version"])}`,
      `${insert} dim, key, 'day', day, version, distinct_id, total, events FROM rebuild_pu WHERE ${dayFilter("")} ORDER BY dim, key, day, version, distinct_id`,
      `${insert} dim, key, 'day', day, ${all}, distinct_id, SUM(total), SUM(events) FROM rebuild_pu WHERE ${dayFilter("")} GROUP BY dim, key, day, distinct_id ORDER BY dim, key, day, distinct_id`,
      `${insert} u.dim, u.key, 'week', t.period, u.version, u.distinct_id, SUM(u.total), SUM(u.events) FROM ${weeks}
GROUP BY u.dim, u.key, t.period, u.version, u.distinct_id ORDER BY u.dim, u.key, t.period, u.version, u.distinct_id`,
      `${insert} u.dim, u.key, 'week', t.period, ${all}, u.distinct_id, SUM(u.total), SUM(u.events) FROM ${weeks}
GROUP BY u.dim, u.key, t.period, u.distinct_id ORDER BY u.dim, u.key, t.period, u.distinct_id`,
      "DROP TABLE rebuild_pu",
    ];
  };
  const rest = (t: GroupTargets, shared: boolean): string[] => [
    regroup("rebuild_w", "rebuild_udv", ["workspace_folder"], aliases(workspaceCells), udvWhere(shared)),
    ...(perTable
      ? [
          `INSERT INTO ${t.workspace} (dim, key, workspace_folder, events) SELECT dim, key, workspace_folder, events FROM (${unpivot("rebuild_w", workspaceCells, ["workspace_folder"])}) x
ORDER BY dim, key, workspace_folder`,
        ]
      : workspaceCells.map(
          (c) =>
            `INSERT INTO ${t.workspace} (dim, key, workspace_folder, events) SELECT ${lit(c.dim)}, ${c.key}, workspace_folder, ${c.events} FROM rebuild_w WHERE ${c.events} > 0`,
        )),
    ...(t.key === undefined
      ? []
      : [
          `INSERT INTO ${t.key} (dim, key, users, total, events, workspaces)
SELECT u.dim, u.key, u.users, u.total, u.events, COALESCE(w.workspaces, 0) FROM
(SELECT dim, key, COUNT(*) AS users, SUM(total) AS total, SUM(events) AS events FROM ${t.user} GROUP BY dim, key) u
LEFT JOIN (SELECT dim, key, COUNT(*) AS workspaces FROM ${t.workspace} GROUP BY dim, key) w ON w.dim = u.dim AND w.key = u.key`,
        ]),
    ...(t.hist === undefined
      ? []
      : [
          `INSERT INTO ${t.hist} (dim, key, value, users) SELECT dim, key, total, COUNT(*) FROM ${t.user} WHERE dim = 'code' GROUP BY dim, key, total`,
        ]),
    regroup(
      "rebuild_p",
      "rebuild_udv",
      perTable ? ["distinct_id", "day", "version"] : ["day", "version", "distinct_id"],
      aliases(trendCells),
      udvWhere(shared),
    ),
    ...trendRows(t),
    ...(t.trendKey === undefined
      ? []
      : [
          `INSERT INTO ${t.trendKey} (dim, key, grain, period, version, users, total, events)
SELECT dim, key, grain, period, version, COUNT(*), SUM(total), SUM(events) FROM ${t.trendUser} GROUP BY dim, key, grain, period, version`,
        ]),
  ];
  return {
    udv,
    uk,
    users,
    rest,
    extensions: (shared) =>
      `SELECT distinct_id, exts, SUM(a0) AS n FROM rebuild_uk g WHERE exts <> '' AND ${ukWhere(shared)} GROUP BY distinct_id, exts`,
    drop: ["DROP TABLE rebuild_u", "DROP TABLE rebuild_w", "DROP TABLE rebuild_p"],
  };
}

const SQL = { sqlite: rebuildSql("sqlite"), postgres: rebuildSql("postgres") };
/** A purge's deltas: the same statements over the copy of the events it unfolds. */
const DELTA_SQL = { sqlite: rebuildSql("sqlite", "rollup_events"), postgres: rebuildSql("postgres", "rollup_events") };

/** The scratch tables a purge subtracts (`purge.ts`): per-user, per-folder and per-period deltas. */
const DELTAS: GroupTargets = { user: "rollup_delta", workspace: "rollup_wdelta", trendUser: "trend_delta" };

/** The parameters of a statement whose only parameters are the day bound. */
function bound(sql: string, before: string): SqlValue[] {
  return sql
    .split("?")
    .slice(1)
    .map(() => before);
}

/** The per-user file-extension rows (a set per event: split here, no portable split in SQL). */
async function fillExtensions(tx: Queryable, sql: RebuildSql, t: GroupTargets, shared: boolean): Promise<void> {
  const counts = new Map<string, { ext: string; user: string; n: number }>();
  for (const r of await tx.all(sql.extensions(shared))) {
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
      `INSERT INTO ${t.user} (dim, key, distinct_id, total, events) VALUES ${slice.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
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

/** Fills `t` from the grouped copies (`rebuild_udv`, `rebuild_uk`, `trend_days` filled): every event's, or the shared set's. */
async function fillTargets(
  tx: Queryable,
  sql: RebuildSql,
  t: GroupTargets,
  shared: boolean,
  before: string,
): Promise<void> {
  for (const statement of sql.users(t, shared)) await tx.run(statement, bound(statement, before));
  await fillExtensions(tx, sql, t, shared);
  for (const statement of sql.rest(t, shared)) await tx.run(statement, bound(statement, before));
  for (const statement of sql.drop) await tx.run(statement);
}

/**
 * Empties both rollup sets and fills them again from `events` in one transaction (under the
 * rollup lock): the live set from every event, the shared set from the events of days before
 * `before` (`YYYY-MM-DD`, normally today); the events of later days stay queued for the shared set.
 */
export async function rebuildSets(db: Db, before: string): Promise<void> {
  const sql = SQL[db.dialect.name];
  await db.exclusive(LOCK_ROLLUP, async (tx) => {
    const sets = [...setTables(LIVE), ...setTables(SHARED)];
    let keys: PrimaryKey[] = [];
    if (db.dialect.name === "postgres") {
      await tx.run("SET LOCAL work_mem = '256MB'");
      // A lost rebuild (a crash right after its commit) leaves the sets as they were: still a
      // fold of the events, so its commit need not wait for the log's flush.
      await tx.run("SET LOCAL synchronous_commit = off");
      keys = await primaryKeys(tx, sets);
    }
    for (const t of [...SCRATCH, "pending_rollup", "pending_shared", ...sets]) await tx.run(`DELETE FROM ${t}`);
    // PostgreSQL: the sets' tables are filled without their primary-key indexes, built after
    // (one sort each instead of an index insert per row; adding them back checks the keys).
    for (const k of keys) await tx.run(`ALTER TABLE ${k.table} DROP CONSTRAINT ${k.name}`);
    await tx.run("INSERT INTO pending_shared (day, id) SELECT day, id FROM events WHERE day >= ?", [before]);
    await tx.run(sql.udv);
    await tx.run(sql.uk, bound(sql.uk, before));
    await fillDays(tx);
    await fillTargets(tx, sql, LIVE, false, before);
    await fillTargets(tx, sql, SHARED, true, before);
    await tx.run("DELETE FROM trend_days");
    await tx.run("DROP TABLE rebuild_udv");
    await tx.run("DROP TABLE rebuild_uk");
    for (const k of keys) await tx.run(`ALTER TABLE ${k.table} ADD CONSTRAINT ${k.name} ${k.definition}`);
  });
}

/** A table's primary-key constraint on PostgreSQL: its name and definition (`PRIMARY KEY (…)`). */
interface PrimaryKey {
  readonly table: string;
  readonly name: string;
  readonly definition: string;
}

/** The primary keys of `tables` as the catalog declares them (PostgreSQL). */
async function primaryKeys(tx: Queryable, tables: readonly string[]): Promise<PrimaryKey[]> {
  const out: PrimaryKey[] = [];
  for (const table of tables) {
    const rows = await tx.all(
      "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = CAST(? AS regclass) AND contype = 'p'",
      [table],
    );
    for (const r of rows) out.push({ table, name: String(r.conname), definition: String(r.definition) });
  }
  return out;
}

/**
 * A purge's deltas (`purge.ts`): fills `rollup_delta`, `rollup_wdelta` and `trend_delta` with
 * every figure the events copied into `rollup_events` added to a set, read off their grouped
 * copies as a rebuild reads every event's (the events are grouped per user, folder, day and
 * version first: the unpivot runs over the groups, not over each event). `trend_delta` gets no
 * row of a period the `skip` condition (SQL over `grain` and `period`, with `params`) selects:
 * those the purge deletes outright. Leaves `trend_days` filled with the other periods' days; the
 * caller empties the scratch tables.
 */
export async function groupedDeltas(
  tx: Queryable,
  dialect: DialectName,
  skip?: { readonly sql: string; readonly params: readonly SqlValue[] },
): Promise<void> {
  const sql = DELTA_SQL[dialect];
  await tx.run(sql.udv);
  await tx.run(sql.uk, bound(sql.uk, ""));
  await fillDays(tx);
  // The trend statements read the day rows and the week rows off the days `trend_days` lists.
  if (skip !== undefined) await tx.run(`DELETE FROM trend_days WHERE ${skip.sql}`, [...skip.params]);
  await fillTargets(tx, sql, DELTAS, false, "");
  await tx.run("DROP TABLE rebuild_udv");
  await tx.run("DROP TABLE rebuild_uk");
}
