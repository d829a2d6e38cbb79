/**
 * The per-day and per-week rollups (trends over time; migration 4): the unpivot of a rollup
 * step's batch into per-(dimension, key, grain, period, version, user) deltas, and the
 * statements that fold them into one set's trend tables. The one time kept is the UTC arrival
 * day; a week is the ISO week (Monday to Sunday, UTC) holding it, named by its Monday.
 *
 * Series: `all` (events), `load` (`success` / `failure`: loads) and `code` (occurrences of each
 * diagnostic code) — the same unpivot branches as the other rollups (`rollupParts`), each once
 * for all versions (version `''`) and once for the event's extension version.
 */
import type { Queryable, SqlValue } from "./driver.js";
import { partsRowsSql } from "./fold-sql.js";
import { analyzeScratch, lit, rollupParts, unpivotSql, type DialectName, type RollupSet } from "./rollup-sql.js";

/** The dimensions the trend tables keep. */
export const TREND_DIMS = ["all", "load", "code"] as const;
export type TrendDim = (typeof TREND_DIMS)[number];

/** A grain of the series. */
export type Grain = "day" | "week";
export const GRAINS: readonly Grain[] = ["day", "week"];

/** The version key of the all-versions rows (extension versions are never empty). */
export const ALL_VERSIONS = "";

const DAY_MS = 86_400_000;

/** The Monday (`YYYY-MM-DD`) of the ISO week holding `day` (UTC). */
export function weekOf(day: string): string {
  const t = Date.parse(`${day}T00:00:00Z`);
  const monday = t - ((new Date(t).getUTCDay() + 6) % 7) * DAY_MS;
  return new Date(monday).toISOString().slice(0, 10);
}

/** `day` plus `n` days. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Fills `trend_days` with the step's days and their weeks (computed here: no portable date SQL). */
export async function fillDays(tx: Queryable): Promise<void> {
  const days = (await tx.all("SELECT DISTINCT day FROM rollup_events")).map((r) => String(r.day));
  for (let i = 0; i < days.length; i += 200) {
    const slice = days.slice(i, i + 200);
    const params: SqlValue[] = slice.flatMap((d) => [d, "day", d, d, "week", weekOf(d)]);
    await tx.run(
      `INSERT INTO trend_days (day, grain, period) VALUES ${slice.map(() => "(?, ?, ?), (?, ?, ?)").join(", ")}`,
      params,
    );
  }
}

/** Fills `trend_delta` from the batch in `rollup_events` and the days in `trend_days`. */
export function buildTrendDeltaSql(dialect: DialectName): string {
  const parts = rollupParts().filter((p) => (TREND_DIMS as readonly string[]).includes(p.dim));
  // SQLite: summed per (user, day, version) before the unpivot (`fold-sql.ts`), with their events.
  const u =
    dialect === "sqlite"
      ? partsRowsSql(parts, [
          ["e.day", "day"],
          ["e.extversion", "version"],
          ["e.distinct_id", "distinct_id"],
        ])
      : unpivotSql(parts, dialect, "e.day AS day, e.extversion AS version, e.distinct_id AS distinct_id");
  const events = dialect === "sqlite" ? ["SUM(events)", ", u.events AS events"] : ["COUNT(*)", ""];
  return `INSERT INTO trend_delta (dim, key, grain, period, version, distinct_id, total, events)
SELECT dim, key, grain, period, version, distinct_id, SUM(total), ${events[0]} FROM (
SELECT u.dim AS dim, u.key AS key, t.grain AS grain, t.period AS period, CASE WHEN s.split = 1 THEN u.version ELSE ${lit(ALL_VERSIONS)} END AS version, u.distinct_id AS distinct_id, u.total AS total${events[1]}
FROM (${u}) u JOIN trend_days t ON t.day = u.day CROSS JOIN (SELECT 0 AS split UNION ALL SELECT 1 AS split) s
) x GROUP BY dim, key, grain, period, version, distinct_id`;
}

/**
 * The statements folding `trend_delta` into one set's trend tables, in order: "new user of this
 * cell" is read from the per-user table before it is updated.
 */
export function applyTrendDeltaSql(s: RollupSet): string[] {
  const same = ["dim", "key", "grain", "period", "version"].map((c) => `u.${c} = d.${c}`).join(" AND ");
  return [
    `INSERT INTO ${s.trendKey} (dim, key, grain, period, version, users, total, events)
SELECT d.dim, d.key, d.grain, d.period, d.version, SUM(CASE WHEN u.distinct_id IS NULL THEN 1 ELSE 0 END), SUM(d.total), SUM(d.events)
FROM trend_delta d LEFT JOIN ${s.trendUser} u ON ${same} AND u.distinct_id = d.distinct_id WHERE 1 = 1 GROUP BY d.dim, d.key, d.grain, d.period, d.version
ON CONFLICT (dim, key, grain, period, version) DO UPDATE SET users = ${s.trendKey}.users + excluded.users, total = ${s.trendKey}.total + excluded.total, events = ${s.trendKey}.events + excluded.events`,
    `INSERT INTO ${s.trendUser} (dim, key, grain, period, version, distinct_id, total, events)
SELECT dim, key, grain, period, version, distinct_id, total, events FROM trend_delta WHERE 1 = 1
ON CONFLICT (dim, key, grain, period, version, distinct_id) DO UPDATE SET total = ${s.trendUser}.total + excluded.total, events = ${s.trendUser}.events + excluded.events`,
  ];
}

const TREND_DELTA_SQL = { sqlite: buildTrendDeltaSql("sqlite"), postgres: buildTrendDeltaSql("postgres") };
const APPLY = new Map<string, string[]>();

/**
 * The trend part of one rollup step, inside its transaction, after the batch was copied into
 * `rollup_events` (the scratch tables are emptied by the step).
 */
export async function trendStep(tx: Queryable, set: RollupSet, dialect: DialectName): Promise<void> {
  await fillDays(tx);
  await tx.run(TREND_DELTA_SQL[dialect]);
  await analyzeScratch(tx, dialect, ["trend_delta"]);
  let apply = APPLY.get(set.trendKey);
  if (apply === undefined) {
    apply = applyTrendDeltaSql(set);
    APPLY.set(set.trendKey, apply);
  }
  for (const sql of apply) await tx.run(sql);
}
