/**
 * Reading one rollup set (live or shared): totals, breakdowns, per-code figures with the per-user
 * distribution, and distinct users / workspaces over a union of cells (for folded and
 * suppressed cells). Raw figures: k-suppression happens in `../read/`.
 */
import type { Queryable, SqlValue } from "./driver.js";
import type { RollupReader } from "./backend.js";
import type { RollupSet } from "./rollup-sql.js";
import { SqlTrendReader, type PeriodUsers, type TrendRef, type TrendRow } from "./trend-queries.js";

/** One row of a breakdown: a key, its distinct users, summed value and events. */
export interface BreakdownRow {
  readonly key: string;
  readonly users: number;
  readonly total: number;
  readonly events: number;
}

/** How many users have each per-user total of a code, ascending by value. */
export type Histogram = readonly { readonly value: number; readonly users: number }[];

/** Per-code figures before k-suppression. */
export interface CodeRow extends BreakdownRow {
  readonly workspaces: number;
  /** Occurrences of the user with the most, over all occurrences. */
  readonly topUserShare: number;
  /** Per-user occurrences at the 50th, 90th and 99th percentile, and the maximum. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** The per-user distribution the figures above come from. */
  readonly hist: Histogram;
}

/** Totals over every event of the set. */
export interface Totals {
  readonly events: number;
  readonly users: number;
  readonly workspaces: number;
}

/** A cell of the rollups: one key of one dimension. */
export interface CellRef {
  readonly dim: string;
  readonly key: string;
}

export function n(v: unknown): number {
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : typeof v === "string" ? Number(v) : 0;
}

/** Nearest-rank percentile over per-user totals, read off a histogram. */
export function percentile(hist: Histogram, users: number, p: number): number {
  const rank = Math.max(1, Math.ceil(p * users));
  let seen = 0;
  for (const b of hist) {
    seen += b.users;
    if (seen >= rank) return b.value;
  }
  return hist.length > 0 ? hist[hist.length - 1]!.value : 0;
}

/** Read queries over one rollup set. */
export class SetReader implements RollupReader {
  private readonly trends: SqlTrendReader;

  constructor(
    private readonly db: Queryable,
    readonly set: RollupSet,
  ) {
    this.trends = new SqlTrendReader(db, set);
  }

  /** Every cell of one trend series (see `trend-queries.ts`). */
  trend(dim: string, key: string): Promise<TrendRow[]> {
    return this.trends.trend(dim, key);
  }

  /** Distinct users over a union of trend cells. */
  trendUnionUsers(cells: readonly TrendRef[]): Promise<number> {
    return this.trends.trendUnionUsers(cells);
  }

  /** Per period, distinct users of a series' versions other than `listed`. */
  trendOtherUsers(dim: string, key: string, listed: readonly string[]): Promise<PeriodUsers[]> {
    return this.trends.trendOtherUsers(dim, key, listed);
  }

  /** How many of a trend cell's users also have events outside it in its period, up to `limit`. */
  trendUsersAlsoOutside(cell: TrendRef, limit: number): Promise<number> {
    return this.trends.trendUsersAlsoOutside(cell, limit);
  }

  /** `trendUsersAlsoOutside` of several cells in one round trip each 400 cells. */
  trendUsersAlsoOutsideEach(cells: readonly TrendRef[], limit: number): Promise<number[]> {
    return this.trends.trendUsersAlsoOutsideEach(cells, limit);
  }

  /** Events, distinct users and distinct workspace folders. */
  async totals(): Promise<Totals> {
    const [r] = await this.db.all(
      `SELECT users, events, workspaces FROM ${this.set.key} WHERE dim = 'all' AND key = ''`,
    );
    return { events: n(r?.events), users: n(r?.users), workspaces: n(r?.workspaces) };
  }

  /** Users, summed values and events per key of one or more dimensions. */
  async breakdown(dims: readonly string[]): Promise<Map<string, BreakdownRow[]>> {
    const rows = await this.db.all(
      `SELECT dim, key, users, total, events FROM ${this.set.key} WHERE dim IN (${dims.map(() => "?").join(", ")})`,
      dims,
    );
    const out = new Map<string, BreakdownRow[]>(dims.map((d) => [d, []]));
    for (const r of rows) {
      out.get(String(r.dim))?.push({ key: String(r.key), users: n(r.users), total: n(r.total), events: n(r.events) });
    }
    for (const list of out.values()) list.sort((a, b) => a.key.localeCompare(b.key));
    return out;
  }

  /** Every diagnostic code that occurred, with per-user distribution figures, most frequent first. */
  async codes(): Promise<CodeRow[]> {
    const rows = await this.db.all(
      `SELECT key, users, total, events, workspaces FROM ${this.set.key} WHERE dim = 'code'`,
    );
    const hist = new Map<string, { value: number; users: number }[]>();
    for (const h of await this.db.all(
      `SELECT key, value, users FROM ${this.set.hist} WHERE dim = 'code' ORDER BY key, value`,
    )) {
      const list = hist.get(String(h.key)) ?? [];
      list.push({ value: n(h.value), users: n(h.users) });
      hist.set(String(h.key), list);
    }
    const out: CodeRow[] = [];
    for (const r of rows) {
      const key = String(r.key);
      const users = n(r.users);
      const total = n(r.total);
      const h = hist.get(key) ?? [];
      const max = h.length > 0 ? h[h.length - 1]!.value : 0;
      out.push({
        key,
        users,
        total,
        events: n(r.events),
        workspaces: n(r.workspaces),
        topUserShare: total === 0 ? 0 : max / total,
        p50: percentile(h, users, 0.5),
        p90: percentile(h, users, 0.9),
        p99: percentile(h, users, 0.99),
        max,
        hist: h,
      });
    }
    out.sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
    return out;
  }

  private static where(cells: readonly CellRef[]): { sql: string; params: SqlValue[] } {
    return {
      sql: cells.map(() => "(dim = ? AND key = ?)").join(" OR "),
      params: cells.flatMap((c) => [c.dim, c.key]),
    };
  }

  /** Distinct users over a union of cells. */
  async unionUsers(cells: readonly CellRef[]): Promise<number> {
    if (cells.length === 0) return 0;
    const w = SetReader.where(cells);
    const [r] = await this.db.all(
      `SELECT COUNT(*) AS c FROM (SELECT DISTINCT distinct_id FROM ${this.set.user} WHERE ${w.sql}) t`,
      w.params,
    );
    return n(r?.c);
  }

  /**
   * How many of a cell's users also have events outside it (more events in all than in the
   * cell), counted up to `limit`. With the users never in the cell, they are the users behind
   * "total minus the cell".
   */
  async usersAlsoOutside(cell: CellRef, limit: number): Promise<number> {
    // A correlated lookup per user of the cell (primary key), stopping at `limit` matches: both
    // planners walk the cell's range and stop early, where a join would read every user's total.
    const [r] = await this.db.all(
      `SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM ${this.set.user} c
WHERE c.dim = ? AND c.key = ? AND c.events < (SELECT a.events FROM ${this.set.user} a WHERE a.dim = 'all' AND a.key = '' AND a.distinct_id = c.distinct_id)
LIMIT ${Math.max(1, Math.floor(limit))}) t`,
      [cell.dim, cell.key],
    );
    return n(r?.n);
  }

  /** Distinct workspace folders over a union of cells (dimensions `all` and `code` only). */
  async unionWorkspaces(cells: readonly CellRef[]): Promise<number> {
    if (cells.length === 0) return 0;
    const w = SetReader.where(cells);
    const [r] = await this.db.all(
      `SELECT COUNT(*) AS c FROM (SELECT DISTINCT workspace_folder FROM ${this.set.workspace} WHERE ${w.sql}) t`,
      w.params,
    );
    return n(r?.c);
  }
}
