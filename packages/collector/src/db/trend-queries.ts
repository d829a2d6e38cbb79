/**
 * Reading one set's per-day and per-week rollups (`trend-sql.ts`): the cells of one series,
 * distinct users over unions of cells, and the "total minus the cell" check. Raw figures:
 * k-suppression happens in `../read/trends.ts`.
 */
import type { Queryable, SqlValue } from "./driver.js";
import type { RollupSet } from "./rollup-sql.js";
import { ALL_VERSIONS, type Grain } from "./trend-sql.js";

/** One cell of the trend tables. */
export interface TrendRef {
  readonly dim: string;
  readonly key: string;
  readonly grain: Grain;
  /** The day, or the week's Monday (`YYYY-MM-DD`). */
  readonly period: string;
  /** The extension version; `''` for all versions. */
  readonly version: string;
}

/**
 * A union of cells grouped by series, grain and version, each with its periods: one term per group
 * (a period list, not one term per cell) in every backend's union-of-cells statement.
 */
export function groupByPeriods(cells: readonly TrendRef[]): { ref: TrendRef; periods: Set<string> }[] {
  const groups = new Map<string, { ref: TrendRef; periods: Set<string> }>();
  for (const c of cells) {
    const g = `${c.dim}\u0000${c.key}\u0000${c.grain}\u0000${c.version}`;
    const group = groups.get(g) ?? { ref: c, periods: new Set<string>() };
    group.periods.add(c.period);
    groups.set(g, group);
  }
  return [...groups.values()];
}

/** Raw figures of one cell of a series. */
export interface TrendRow {
  readonly grain: Grain;
  readonly period: string;
  readonly version: string;
  readonly users: number;
  readonly total: number;
  readonly events: number;
}

/** Distinct users of a series' versions outside a list, per period. */
export interface PeriodUsers {
  readonly grain: Grain;
  readonly period: string;
  readonly users: number;
}

/** What a rollup reader offers for trends (part of `RollupReader`). */
export interface TrendReader {
  /** Every cell of one series (`all`/`''`, `load`/`success`|`failure`, `code`/<code>): every grain, period and version. */
  trend(dim: string, key: string): Promise<TrendRow[]>;
  /** Distinct users over a union of cells. */
  trendUnionUsers(cells: readonly TrendRef[]): Promise<number>;
  /** Per grain and period, distinct users of the series' versions other than `listed` (the "other versions" fold). */
  trendOtherUsers(dim: string, key: string, listed: readonly string[]): Promise<PeriodUsers[]>;
  /**
   * How many of a cell's users have more events in the period (all versions) than in the cell,
   * counted up to `limit`: with the users never in the cell, the users behind "events minus the cell".
   */
  trendUsersAlsoOutside(cell: TrendRef, limit: number): Promise<number>;
  /**
   * `trendUsersAlsoOutside` of several cells, in their order, in as few round trips as the backend
   * allows (a series has a check for most of its ~1 300 cells, and one statement each cost more
   * than the lookups themselves on SQLite and PostgreSQL).
   */
  trendUsersAlsoOutsideEach(cells: readonly TrendRef[], limit: number): Promise<number[]>;
}

/** Cells per statement of `trendUsersAlsoOutsideEach` (five parameters each). */
export const ALSO_OUTSIDE_CHUNK = 400;

function num(v: unknown): number {
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : typeof v === "string" ? Number(v) : 0;
}

/** The trend queries of one SQL rollup set. */
export class SqlTrendReader implements TrendReader {
  constructor(
    private readonly db: Queryable,
    private readonly set: RollupSet,
  ) {}

  async trend(dim: string, key: string): Promise<TrendRow[]> {
    const rows = await this.db.all(
      `SELECT grain, period, version, users, total, events FROM ${this.set.trendKey} WHERE dim = ? AND key = ?`,
      [dim, key],
    );
    return rows.map((r) => ({
      grain: String(r.grain) as Grain,
      period: String(r.period),
      version: String(r.version),
      users: num(r.users),
      total: num(r.total),
      events: num(r.events),
    }));
  }

  async trendUnionUsers(cells: readonly TrendRef[]): Promise<number> {
    if (cells.length === 0) return 0;
    // One OR term per (dim, key, grain, version) with the periods as an IN list: SQLite bounds
    // the depth of an expression, and a long OR chain of single cells would exceed it.
    const terms: string[] = [];
    const params: SqlValue[] = [];
    for (const { ref, periods } of groupByPeriods(cells)) {
      terms.push(
        `(dim = ? AND key = ? AND grain = ? AND version = ? AND period IN (${[...periods].map(() => "?").join(", ")}))`,
      );
      params.push(ref.dim, ref.key, ref.grain, ref.version, ...periods);
    }
    const [r] = await this.db.all(
      `SELECT COUNT(*) AS c FROM (SELECT DISTINCT distinct_id FROM ${this.set.trendUser} WHERE ${terms.join(" OR ")}) t`,
      params,
    );
    return num(r?.c);
  }

  async trendOtherUsers(dim: string, key: string, listed: readonly string[]): Promise<PeriodUsers[]> {
    const excluded = [ALL_VERSIONS, ...listed];
    const rows = await this.db.all(
      `SELECT grain, period, COUNT(DISTINCT distinct_id) AS users FROM ${this.set.trendUser}
WHERE dim = ? AND key = ? AND version NOT IN (${excluded.map(() => "?").join(", ")}) GROUP BY grain, period`,
      [dim, key, ...excluded],
    );
    return rows.map((r) => ({ grain: String(r.grain) as Grain, period: String(r.period), users: num(r.users) }));
  }

  /** The users of the cell named `cell` (a row of the statement) with more events in its period (all versions) than in it, up to `limit`. */
  private alsoOutsideSql(cell: string, limit: number): string {
    const t = this.set.trendUser;
    return `SELECT COUNT(*) FROM (SELECT 1 AS one FROM ${t} c
WHERE c.dim = ${cell}.dim AND c.key = ${cell}.key AND c.grain = ${cell}.grain AND c.period = ${cell}.period AND c.version = ${cell}.version
AND c.events < (SELECT a.events FROM ${t} a WHERE a.dim = 'all' AND a.key = '' AND a.grain = c.grain AND a.period = c.period AND a.version = '' AND a.distinct_id = c.distinct_id)
LIMIT ${Math.max(1, Math.floor(limit))}) t`;
  }

  async trendUsersAlsoOutside(cell: TrendRef, limit: number): Promise<number> {
    const t = this.set.trendUser;
    const [r] = await this.db.all(
      `SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM ${t} c
WHERE c.dim = ? AND c.key = ? AND c.grain = ? AND c.period = ? AND c.version = ?
AND c.events < (SELECT a.events FROM ${t} a WHERE a.dim = 'all' AND a.key = '' AND a.grain = c.grain AND a.period = c.period AND a.version = '' AND a.distinct_id = c.distinct_id)
LIMIT ${Math.max(1, Math.floor(limit))}) t`,
      [cell.dim, cell.key, cell.grain, cell.period, cell.version],
    );
    return num(r?.n);
  }

  async trendUsersAlsoOutsideEach(cells: readonly TrendRef[], limit: number): Promise<number[]> {
    // One statement per chunk: the cells as a VALUES list, each looked up by a correlated
    // subquery that walks the cell's range of the primary key and stops at `limit` matches. The
    // chunks are sent at once: PostgreSQL answers them on several pool connections.
    const chunks: { from: number; cells: readonly TrendRef[] }[] = [];
    for (let i = 0; i < cells.length; i += ALSO_OUTSIDE_CHUNK)
      chunks.push({ from: i, cells: cells.slice(i, i + ALSO_OUTSIDE_CHUNK) });
    const answers = await Promise.all(
      chunks.map(async ({ from, cells: chunk }) => {
        const rows = await this.db.all(
          `WITH v (i, dim, key, grain, period, version) AS (VALUES ${chunk.map((_, j) => `(${from + j}, ?, ?, ?, ?, ?)`).join(", ")})
SELECT v.i AS i, (${this.alsoOutsideSql("v", limit)}) AS n FROM v`,
          chunk.flatMap((c) => [c.dim, c.key, c.grain, c.period, c.version]),
        );
        const byIndex = new Map(rows.map((r) => [num(r.i), num(r.n)]));
        return chunk.map((_, j) => byIndex.get(from + j) ?? 0);
      }),
    );
    return answers.flat();
  }
}
