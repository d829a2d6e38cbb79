/**
 * SQL builders of the rollups: the unpivot of a batch of events into per-(dimension, key, user)
 * deltas, generated from the telemetry schema, and the statements that fold those deltas into
 * one set of rollup tables (the live set or the shared set).
 */
import { CODE_PROPERTIES, DIAGNOSTIC_CODES, LSP_METHODS, lspMethodProperty } from "@polar-ide/telemetry";
import { columnName } from "./columns.js";
import type { Queryable } from "./driver.js";
import { ENVIRONMENT, FEATURES, INVALID_RULE_TYPE_CODE } from "./vocabulary.js";

/** One set of rollup tables and the queue that feeds it. */
export interface RollupSet {
  readonly name: "live" | "shared";
  /** Per (dimension, key, user): summed value and events. */
  readonly user: string;
  /** Per (dimension, key, workspace folder): presence. */
  readonly workspace: string;
  /** Per (dimension, key): users, total, events, workspaces — what reads touch. */
  readonly key: string;
  /** Per code: how many users have each per-user total. */
  readonly hist: string;
  /** Per (dimension, key, grain, period, version, user): summed value and events (`trend-sql.ts`). */
  readonly trendUser: string;
  /** Per (dimension, key, grain, period, version): users, total, events. */
  readonly trendKey: string;
}

/** The operator's live figures: every stored event. */
export const LIVE: RollupSet = {
  name: "live",
  user: "rollup_user",
  workspace: "rollup_workspace",
  key: "rollup_key",
  hist: "rollup_hist",
  trendUser: "rollup_trend_user",
  trendKey: "rollup_trend_key",
};

/** The shared view: only events of complete UTC days (folded once the day is over). */
export const SHARED: RollupSet = {
  name: "shared",
  user: "shared_user",
  workspace: "shared_workspace",
  key: "shared_key",
  hist: "shared_hist",
  trendUser: "shared_trend_user",
  trendKey: "shared_trend_key",
};

/** Scratch tables of one rollup step (emptied at its start and end, under the rollup lock). */
export const SCRATCH = [
  "rollup_batch",
  "rollup_events",
  "rollup_delta",
  "rollup_wdelta",
  "trend_days",
  "trend_delta",
] as const;

export function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** One branch of the unpivot: which events count towards a (dimension, key), and with what value. */
export interface Part {
  readonly dim: string;
  /** SQL expression of the key. */
  readonly key: string;
  /** SQL expression of the value summed into `total`. */
  readonly total: string;
  readonly where: string;
}

/** The unpivot of one event into rollup rows, generated from the schema. */
export function rollupParts(): Part[] {
  const parts: Part[] = [{ dim: "all", key: "''", total: "1", where: "1 = 1" }];
  for (const code of DIAGNOSTIC_CODES) {
    const col = columnName(CODE_PROPERTIES.get(code)!);
    parts.push({ dim: "code", key: lit(code), total: `e.${col}`, where: `e.${col} > 0` });
  }
  parts.push({
    dim: "unknown",
    key: "''",
    total: "e.unknown_diagnostic_count",
    where: "e.unknown_diagnostic_count > 0",
  });
  for (const [key, col] of [
    ["success", "load_success_count"],
    ["failure", "load_failure_count"],
  ] as const) {
    parts.push({ dim: "load", key: lit(key), total: `e.${col}`, where: `e.${col} > 0` });
  }
  for (const [key, col] of [
    ["error", "error_count"],
    ["warning", "warning_count"],
  ] as const) {
    parts.push({ dim: "severity", key: lit(key), total: `e.${col}`, where: `e.${col} > 0` });
  }
  for (const f of FEATURES) parts.push({ dim: "feature", key: lit(f), total: "1", where: `e.${f} > 0` });
  parts.push({
    dim: "polar_chars",
    key: `CASE WHEN e.polar_chars = 0 THEN '0' WHEN e.polar_chars < 1000 THEN '1–999' WHEN e.polar_chars < 10000 THEN '1k–9.9k' WHEN e.polar_chars < 100000 THEN '10k–99k' ELSE '100k+' END`,
    total: "1",
    where: "1 = 1",
  });
  parts.push({
    dim: "polar_files",
    key: `CASE WHEN e.polar_files = 0 THEN '0' WHEN e.polar_files = 1 THEN '1' WHEN e.polar_files = 2 THEN '2' WHEN e.polar_files <= 5 THEN '3–5' WHEN e.polar_files <= 10 THEN '6–10' ELSE '11+' END`,
    total: "1",
    where: "1 = 1",
  });
  const irt = columnName(CODE_PROPERTIES.get(INVALID_RULE_TYPE_CODE)!);
  parts.push({
    dim: "invalid_rule_type",
    key: "CASE WHEN e.rule_types > 0 THEN 'with user-defined rule types' ELSE 'built-in rule types only' END",
    total: `e.${irt}`,
    where: `e.${irt} > 0`,
  });
  for (const env of ENVIRONMENT) {
    const col = columnName(env);
    const key = env === "isnewappinstall" ? `CASE WHEN e.${col} = 1 THEN 'true' ELSE 'false' END` : `e.${col}`;
    parts.push({ dim: `env:${env}`, key, total: "1", where: "1 = 1" });
  }
  for (const m of LSP_METHODS) {
    const col = columnName(lspMethodProperty(m));
    parts.push({ dim: "lsp_method", key: lit(m), total: `e.${col}`, where: `e.${col} > 0` });
  }
  return parts;
}

const FROM_BATCH = "FROM rollup_events e";

/** The SQL dialect a statement is generated for. */
export type DialectName = "sqlite" | "postgres";

/**
 * `exprs[i]` for branch `i` (`b.n`), as nested CASEs that halve the range (a flat CASE of ~60
 * WHENs costs ~30 comparisons per row and column); a range where every expression is the same
 * is that expression.
 */
export function pick(exprs: readonly string[], lo = 0, hi = exprs.length): string {
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
 * The unpivot of the batch (`rollup_events e`), each event read once: a `SELECT` of one row per
 * event and part that counts it, with columns `dim`, `key`, `total` and then `extra` (expressions
 * over `e` with their aliases). A `UNION ALL` of one `SELECT` per part would scan the wide rows
 * of the batch once per part (~60 times).
 *
 * PostgreSQL: a lateral `VALUES` list of the parts per event. SQLite has no `LATERAL`: the batch
 * is crossed with a constant table of the parts' numbers, and each column picks its part's
 * expression (the event's row stays the current row of the outer loop, decoded once).
 */
export function unpivotSql(parts: readonly Part[], dialect: DialectName, extra: string): string {
  if (dialect === "postgres") {
    const rows = parts.map((p) => `(${lit(p.dim)}, ${p.key}, ${p.total}, ${p.where})`).join(",\n");
    return `SELECT v.dim AS dim, v.key AS key, v.total AS total, ${extra} ${FROM_BATCH}
CROSS JOIN LATERAL (VALUES ${rows}) AS v (dim, key, total, ok) WHERE v.ok`;
  }
  const branches = parts.map((p, i) => `SELECT ${i} AS n, ${lit(p.dim)} AS dim`).join(" UNION ALL ");
  return `SELECT b.dim AS dim, ${pick(parts.map((p) => p.key))} AS key, ${pick(parts.map((p) => p.total))} AS total, ${extra} ${FROM_BATCH}
CROSS JOIN (${branches}) b WHERE ${pick(parts.map((p) => p.where))}`;
}

/**
 * Fresh statistics of scratch tables just filled (PostgreSQL; SQLite plans without them): the
 * statements joining a delta to the rollups are planned on its real size, not on what autovacuum
 * last saw — often an empty table, and a plan for an empty `rollup_delta` once kept a purge
 * statement running for 8 minutes. Only the `dim` column is sampled (the row count is updated
 * whatever the columns): sampled distinct ids or keys would stay in `pg_statistic` after the
 * deltas are emptied, and after a purge of their events.
 */
export async function analyzeScratch(tx: Queryable, dialect: DialectName, tables: readonly string[]): Promise<void> {
  if (dialect === "postgres") await tx.run(`ANALYZE ${tables.map((t) => `${t} (dim)`).join(", ")}`);
}

/** Fills `rollup_delta` from the batch copied into `rollup_events`. */
export function buildDeltaSql(dialect: DialectName): string {
  const u = unpivotSql(rollupParts(), dialect, "e.distinct_id AS distinct_id");
  return `INSERT INTO rollup_delta (dim, key, distinct_id, total, events)
SELECT dim, key, distinct_id, SUM(total), COUNT(*) FROM (${u}) u GROUP BY dim, key, distinct_id`;
}

/**
 * Fills `rollup_wdelta` (workspace presence, for the `all` and `code` dimensions) with the events
 * of each folder that count towards each cell (a purge subtracts them, `purge.ts`).
 */
export function buildWorkspaceDeltaSql(dialect: DialectName): string {
  const parts = rollupParts().filter((p) => p.dim === "all" || p.dim === "code");
  const u = unpivotSql(parts, dialect, "e.workspace_folder AS workspace_folder");
  return `INSERT INTO rollup_wdelta (dim, key, workspace_folder, events) SELECT dim, key, workspace_folder, COUNT(*) FROM (${u}) u GROUP BY dim, key, workspace_folder`;
}

/** The batch's file-extension rows: a set per event, unpivoted in code (no portable split). */
export const EXTENSIONS_OF_BATCH = `SELECT e.distinct_id AS distinct_id, e.lsp_file_extensions AS exts ${FROM_BATCH} WHERE e.lsp_file_extensions <> ''`;

/**
 * The statements of one rollup step after the deltas are computed, in order, for one set.
 * Every statement that reads the per-user table runs before the one that updates it: "new user
 * for this key" and "the user's previous total" are read from the state before the step.
 */
export function applyDeltaSql(s: RollupSet): string[] {
  const joinUser = `LEFT JOIN ${s.user} u ON u.dim = d.dim AND u.key = d.key AND u.distinct_id = d.distinct_id`;
  return [
    // Per-user distribution of each code: the user's old total loses one user, the new one gains one.
    `INSERT INTO ${s.hist} (dim, key, value, users)
SELECT d.dim, d.key, u.total, -COUNT(*) FROM rollup_delta d ${joinUser} WHERE d.dim = 'code' AND u.total IS NOT NULL GROUP BY d.dim, d.key, u.total
ON CONFLICT (dim, key, value) DO UPDATE SET users = ${s.hist}.users + excluded.users`,
    `INSERT INTO ${s.hist} (dim, key, value, users)
SELECT d.dim, d.key, COALESCE(u.total, 0) + d.total, COUNT(*) FROM rollup_delta d ${joinUser} WHERE d.dim = 'code' GROUP BY d.dim, d.key, COALESCE(u.total, 0) + d.total
ON CONFLICT (dim, key, value) DO UPDATE SET users = ${s.hist}.users + excluded.users`,
    `DELETE FROM ${s.hist} WHERE users = 0`,
    `INSERT INTO ${s.key} (dim, key, users, total, events, workspaces)
SELECT d.dim, d.key, SUM(CASE WHEN u.distinct_id IS NULL THEN 1 ELSE 0 END), SUM(d.total), SUM(d.events), 0 FROM rollup_delta d ${joinUser} WHERE 1 = 1 GROUP BY d.dim, d.key
ON CONFLICT (dim, key) DO UPDATE SET users = ${s.key}.users + excluded.users, total = ${s.key}.total + excluded.total, events = ${s.key}.events + excluded.events`,
    `INSERT INTO ${s.key} (dim, key, users, total, events, workspaces)
SELECT w.dim, w.key, 0, 0, 0, COUNT(*) FROM rollup_wdelta w LEFT JOIN ${s.workspace} r ON r.dim = w.dim AND r.key = w.key AND r.workspace_folder = w.workspace_folder
WHERE r.workspace_folder IS NULL GROUP BY w.dim, w.key
ON CONFLICT (dim, key) DO UPDATE SET workspaces = ${s.key}.workspaces + excluded.workspaces`,
    `INSERT INTO ${s.user} (dim, key, distinct_id, total, events) SELECT dim, key, distinct_id, total, events FROM rollup_delta WHERE 1 = 1
ON CONFLICT (dim, key, distinct_id) DO UPDATE SET total = ${s.user}.total + excluded.total, events = ${s.user}.events + excluded.events`,
    `INSERT INTO ${s.workspace} (dim, key, workspace_folder, events) SELECT dim, key, workspace_folder, events FROM rollup_wdelta WHERE 1 = 1
ON CONFLICT (dim, key, workspace_folder) DO UPDATE SET events = ${s.workspace}.events + excluded.events`,
  ];
}

/** Every table of one set (to empty it for a rebuild). */
export function setTables(s: RollupSet): string[] {
  return [s.user, s.workspace, s.key, s.hist, s.trendUser, s.trendKey];
}
