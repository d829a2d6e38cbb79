/**
 * Reading one set (live or shared) from the ClickHouse cluster. The per-key figures, the
 * per-code distributions and the suppression's lookups read the newest generation of rolled-up
 * complete days (`rollup.ts`) where one covers part of the set, merged per user with the set's
 * other events (today's, for the live set), or the events alone otherwise; the trends likewise
 * read the generation's per-(cell, day, version, user) rows (a series' figures over them computed
 * once per generation) and the later events. What is computed is kept as a snapshot until the events change, and the lookups'
 * and the trends' answers with it. Summed figures read each `$insert_id` once (`uniqueEvents`,
 * `Source.rest`); distinct counts are indifferent to repeats.
 */
import type { ClickHouseClient } from "@clickhouse/client";
import type {
  BreakdownRow,
  CellRef,
  CodeRow,
  PeriodUsers,
  RollupReader,
  Totals,
  TrendRef,
  TrendRow,
} from "../backend.js";
import { n, percentile } from "../queries.js";
import { rows } from "./client.js";
import { addDays, type Grain } from "../trend-sql.js";
import { groupByPeriods } from "../trend-queries.js";
import { TREND_DIMS, type Generation } from "./rollup.js";
import { CELLS, CELL_COLUMNS, TREND_GRAINS, bind, bindDay, uniqueEvents } from "./sql.js";

/** One key's figures. */
interface KeyFigures {
  users: number;
  total: number;
  events: number;
  workspaces: number;
}

/** The per-key figures and per-code distributions of one set. */
export interface Snapshot {
  readonly keys: Map<string, Map<string, KeyFigures>>;
  readonly hist: Map<string, { value: number; users: number }[]>;
}

/**
 * What one set's events are read into while they stay unchanged: the snapshot, and the answers
 * of the suppression's and the trends' lookups (by query), so that reading the same dashboard
 * or trends again runs no query over the events.
 */
export interface SetState {
  readonly source: Source;
  readonly snapshot: Promise<Snapshot>;
  readonly lookups: Map<string, Promise<Record<string, unknown>[][]>>;
}

/** Where the reader runs its queries. */
export interface Cluster {
  /** The entry point: reads through the `Distributed` table `events`. */
  readonly entry: ClickHouseClient;
  /** Every shard: reads its `events_local`. */
  readonly shards: readonly ClickHouseClient[];
}

/** Runs `query` on every shard, in parallel. */
async function onShards(cluster: Cluster, query: string): Promise<Record<string, unknown>[][]> {
  return Promise.all(cluster.shards.map((s) => rows(s, query)));
}

/**
 * Where a set's figures come from: a generation of rolled-up days (`rollup.ts`), if one covers
 * part of the set, and the set's other events.
 */
export interface Source {
  /** The set's events (a condition on `events_local`/`events` columns): what trends read. */
  readonly where: string;
  /** The rolled tables and the last day they cover, or null. */
  readonly rolled: Generation | null;
  /**
   * The set's events not in `rolled` (all of them without it), minus those whose `$insert_id`
   * the rolled days hold: what summed figures add to the rolled ones. Two copies of an event
   * exist only where two deliveries raced past the insert-time lookup (`writer.ts`), seconds
   * apart, so on the same day or on two consecutive ones: a copy after the rolled days can
   * only repeat one on their last day, which is all this looks up.
   */
  readonly rest: string;
  /** The same events, repeats included: what distinct counts read. */
  readonly restAny: string;
  /** The cluster's name (for `cluster()` over every shard's rolled workspaces). */
  readonly cluster: string;
}

/** The source of the events matching `where`, with `rolled` covering part of them (or none). */
export function sourceOf(where: string, rolled: Generation | null, cluster: string): Source {
  if (rolled === null) return { where, rolled, rest: where, restAny: where, cluster };
  const last = bindDay(rolled.through);
  const restAny = `${where} AND day > ${last}`;
  return {
    where,
    rolled,
    restAny,
    rest: `${restAny} AND insert_id NOT IN (SELECT insert_id FROM events_local WHERE day = ${last})`,
    cluster,
  };
}

/**
 * Per (dim, key, user) of a shard: events and summed value (`e`, `t`), over the rolled days and
 * the set's other events, restricted to the cells matching `cells` (a condition on `dim` and
 * `key`).
 */
function userCells(source: Source, cells = "1 = 1"): string {
  const fresh = `SELECT dim, key, distinct_id, toUInt64(1) AS e, value AS t FROM ${uniqueEvents(source.rest, CELL_COLUMNS)} ${CELLS} WHERE ${cells}`;
  if (source.rolled === null) return fresh;
  return `SELECT dim, key, distinct_id, toUInt64(events) AS e, total AS t FROM ${source.rolled.users} WHERE ${cells}
UNION ALL ${fresh}`;
}

/**
 * Per shard, the per-cell figures of a generation (per cell and, for codes, per user total: the
 * histogram), in the rows `computeSnapshot` adds up: computed once per generation.
 */
export function rolledFigures(cluster: Cluster, rolled: Generation): Promise<Record<string, unknown>[][]> {
  return onShards(
    cluster,
    `SELECT dim, key, v, count() AS users, sum(e) AS events, sum(t) AS total FROM (
SELECT dim, key, if(dim = 'code', total, 0) AS v, events AS e, total AS t FROM ${rolled.users}
) GROUP BY dim, key, v`,
  );
}

/**
 * What the set's events after the rolled days change in the generation's figures (rows as
 * `rolledFigures`', added to them): per (cell, user) of those events, as if the user were new in
 * the cell (one more user, at the user's new total); then, for each pair the generation already
 * holds (the generation's rows of those users only, joined with the small side), that user is
 * taken out again at both totals and put back at their sum.
 */
function deltaQuery(source: Source, rolled: Generation): string {
  const fresh = `(SELECT dim, key, distinct_id, count() AS e, sum(value) AS t FROM ${uniqueEvents(source.rest, CELL_COLUMNS)} ${CELLS}
GROUP BY dim, key, distinct_id)`;
  return `SELECT dim, key, v, sum(d) AS users, sum(de) AS events, sum(dt) AS total FROM (
SELECT dim, key, if(dim = 'code', t, 0) AS v, toInt64(1) AS d, e AS de, t AS dt FROM ${fresh}
UNION ALL
SELECT dim, key, x.1 AS v, x.2 AS d, toUInt64(0) AS de, toInt64(0) AS dt FROM (
SELECT dim, key, pt, t FROM (
SELECT dim, key, distinct_id, total AS pt FROM ${rolled.users} WHERE distinct_id IN (SELECT distinct_id FROM events_local WHERE ${source.rest})
) ANY INNER JOIN ${fresh} USING (dim, key, distinct_id)
) ARRAY JOIN [(if(dim = 'code', t, 0), toInt64(-1)), (if(dim = 'code', pt, 0), toInt64(-1)), (if(dim = 'code', pt + t, 0), toInt64(1))] AS x
) GROUP BY dim, key, v`;
}

/**
 * Computes the snapshot of a set's events: from the events alone, or the generation's figures
 * (`figuresOf`: `rolledFigures`, kept per generation) changed by the later events.
 */
export async function computeSnapshot(
  cluster: Cluster,
  source: Source,
  figuresOf: (rolled: Generation) => Promise<Record<string, unknown>[][]>,
): Promise<Snapshot> {
  // One pass: per user and cell, then per cell (and, for codes, per user total: the histogram).
  const keyQuery =
    source.rolled === null
      ? `SELECT dim, key, if(dim = 'code', t, 0) AS v, count() AS users, sum(e) AS events, sum(t) AS total FROM (
SELECT dim, key, distinct_id, sum(e) AS e, sum(t) AS t FROM (${userCells(source)}) GROUP BY dim, key, distinct_id
) GROUP BY dim, key, v`
      : deltaQuery(source, source.rolled);
  // A workspace folder could (in hostile data) appear under users of two shards: count it once.
  const freshWorkspaces = `SELECT dim, key, workspace_folder FROM events ${CELLS} WHERE ${source.restAny} AND (dim = 'all' OR dim = 'code')`;
  const workspaceQuery = `SELECT dim, key, uniqExact(workspace_folder) AS workspaces FROM (${
    source.rolled === null
      ? freshWorkspaces
      : `SELECT dim, key, workspace_folder FROM cluster('${source.cluster}', currentDatabase(), '${source.rolled.workspaces}')
UNION ALL ${freshWorkspaces}`
  }) GROUP BY dim, key`;
  const [perShardDelta, perShardRolled, workspaces] = await Promise.all([
    onShards(cluster, keyQuery),
    source.rolled === null ? [] : figuresOf(source.rolled),
    rows(cluster.entry, workspaceQuery),
  ]);
  const perShardKeys = [...perShardRolled, ...perShardDelta];
  const keys = new Map<string, Map<string, KeyFigures>>();
  const cell = (dim: string, key: string): KeyFigures => {
    let byKey = keys.get(dim);
    if (byKey === undefined) keys.set(dim, (byKey = new Map()));
    let f = byKey.get(key);
    if (f === undefined) byKey.set(key, (f = { users: 0, total: 0, events: 0, workspaces: 0 }));
    return f;
  };
  // A user's events all live on one shard: users, totals and events add up over shards.
  const byValue = new Map<string, Map<number, number>>();
  for (const shard of perShardKeys) {
    for (const r of shard) {
      const f = cell(String(r.dim), String(r.key));
      f.users += n(r.users);
      f.total += n(r.total);
      f.events += n(r.events);
      if (String(r.dim) !== "code") continue;
      const key = String(r.key);
      let m = byValue.get(key);
      if (m === undefined) byValue.set(key, (m = new Map()));
      m.set(n(r.v), (m.get(n(r.v)) ?? 0) + n(r.users));
    }
  }
  for (const r of workspaces) cell(String(r.dim), String(r.key)).workspaces = n(r.workspaces);
  const hist = new Map<string, { value: number; users: number }[]>();
  for (const [key, m] of byValue) {
    hist.set(
      key,
      [...m]
        .filter(([, users]) => users !== 0)
        .map(([value, users]) => ({ value, users }))
        .sort((a, b) => a.value - b.value),
    );
  }
  return { keys, hist };
}

/** Matches a union of cells (a condition on `dim` and `key`, after `CELLS`). */
function anyCell(cells: readonly CellRef[]): string {
  return cells.map((c) => `(dim = ${bind(c.dim)} AND key = ${bind(c.key)})`).join(" OR ");
}

/**
 * Whether an event has any of `cells` (a condition on its cell arrays, before `CELLS`): the
 * lookups keep only such events before unpivoting them, instead of unpivoting every event. An
 * event holds each cell at most once.
 */
function hasAnyCell(cells: readonly CellRef[]): string {
  return `arrayExists((d_, k_) -> ${cells.map((c) => `(d_ = ${bind(c.dim)} AND k_ = ${bind(c.key)})`).join(" OR ")}, cell_dim, cell_key)`;
}

/** A row per grain and version (`TREND_GRAINS`). */
const GRAINS = TREND_GRAINS;

/**
 * Per shard, the trend rows of `cells` of the events matching `where`: one row per event, cell,
 * grain and version, with the event's value (`v`) and `e` = 1. Each `$insert_id` once, on the
 * earliest day it was stored (as the other backends and the rolled days count it: two copies of an
 * event lie on the same day or on two consecutive ones).
 */
function eventTrendRows(where: string, cells: readonly CellRef[], days: Days = ALL_DAYS): string {
  const columns = [...CELL_COLUMNS, "day", "extversion"];
  const earliest = `(insert_id, day) NOT IN (SELECT insert_id, day + 1 FROM events_local WHERE ${where} AND ${days("day + 1")})`;
  return `SELECT distinct_id, dim, key, v, e, t.1 AS grain, t.2 AS period, t.3 AS version FROM (
SELECT distinct_id, day, extversion, dim, key, toInt64(value) AS v, toInt64(1) AS e FROM ${uniqueEvents(`${where} AND ${days("day")} AND ${hasAnyCell(cells)} AND ${earliest}`, columns)} ${CELLS} WHERE ${anyCell(cells)}
) ${GRAINS}`;
}

/** Which days a lookup reads: a condition on the day expression given. */
type Days = (day: string) => string;

const ALL_DAYS: Days = () => "1 = 1";

/** The days of the periods `refs` name (a day; the seven days of a week). */
function daysOf(refs: readonly { readonly grain: Grain; readonly period: string }[]): Days {
  const ranges = new Map<string, string>();
  for (const r of refs) ranges.set(`${r.grain}|${r.period}`, r.grain === "day" ? r.period : addDays(r.period, 6));
  return (day) =>
    ranges.size === 0
      ? "1 = 0"
      : `(${[...ranges]
          .map(([id, last]) => `(${day} >= ${bindDay(id.slice(id.indexOf("|") + 1))} AND ${day} <= ${bindDay(last)})`)
          .join(" OR ")})`;
}

/**
 * Per shard, the trend rows of `cells` of the rolled days (`rollup.ts`, the trends table: per
 * cell, day, version and user) matching `days` (a condition on `day`): as `eventTrendRows`', one
 * per user instead of per event (`v` summed, `e` the user's events).
 */
function rolledTrendRows(rolled: Generation, cells: readonly CellRef[], days = "1 = 1"): string {
  return `SELECT distinct_id, dim, key, v, e, t.1 AS grain, t.2 AS period, t.3 AS version FROM (
SELECT distinct_id, day, version AS extversion, dim, key, total AS v, events AS e FROM ${rolled.trends} WHERE (${anyCell(cells)}) AND ${days}
) ${GRAINS}`;
}

/** Whether the rolled trends table holds `cells` (it holds the dims the trends follow only). */
function rolledHolds(source: Source, cells: readonly CellRef[]): source is Source & { rolled: Generation } {
  return source.rolled !== null && cells.every((c) => TREND_DIMS.includes(c.dim));
}

/**
 * Per shard, the trend rows of `cells` of a set (`distinct_id, dim, key, v, e, grain, period,
 * version`; `e` events, `v` summed value): the rolled days' per-user rows and the rows of the
 * set's later events, or the set's events alone.
 */
function trendRows(source: Source, cells: readonly CellRef[], days: Days = ALL_DAYS): string {
  if (!rolledHolds(source, cells)) return eventTrendRows(source.where, cells, days);
  return `${rolledTrendRows(source.rolled, cells, days("day"))}
UNION ALL ${eventTrendRows(source.rest, cells, days)}`;
}

/** Per (grain, period, version) of trend rows: users, summed value, events. */
function trendFigures(trendRowsOf: string): string {
  return `SELECT grain, period, version, uniqExact(distinct_id) AS users, sum(v) AS total, sum(e) AS events
FROM (${trendRowsOf}) GROUP BY grain, period, version`;
}

/**
 * Per shard, the per-(grain, period, version) figures of one series of a generation: its rows of
 * the sums table (`rollup.ts`: computed when the days were rolled up), or computed from the
 * per-user rows when the generation has none. Kept per generation by the store.
 */
export function rolledTrend(
  cluster: Cluster,
  rolled: Generation,
  dim: string,
  key: string,
): Promise<Record<string, unknown>[][]> {
  if (rolled.sums !== null) {
    return onShards(
      cluster,
      `SELECT grain, toString(period) AS period, version, users, total, events FROM ${rolled.sums} WHERE dim = ${bind(dim)} AND key = ${bind(key)}`,
    );
  }
  return onShards(cluster, trendFigures(rolledTrendRows(rolled, [{ dim, key }])));
}

/** Adds up per-shard counts of disjoint users, grouped by `key`. */
function addUp<T>(
  perShard: Record<string, unknown>[][],
  key: (r: Record<string, unknown>) => string,
  make: (r: Record<string, unknown>) => T,
  add: (into: T, r: Record<string, unknown>) => void,
): T[] {
  const out = new Map<string, T>();
  for (const shard of perShard) {
    for (const r of shard) {
      const k = key(r);
      const cur = out.get(k);
      if (cur === undefined) out.set(k, make(r));
      else add(cur, r);
    }
  }
  return [...out.values()];
}

/** The reader of one set. */
export class ClickHouseReader implements RollupReader {
  constructor(
    private readonly cluster: Cluster,
    /** The set's state for the events as they are now (checked once per reader: one request). */
    private readonly load: () => Promise<SetState>,
    /** `rolledTrend` of a generation's series, kept per generation. */
    private readonly rolledTrendOf: (
      rolled: Generation,
      dim: string,
      key: string,
    ) => Promise<Record<string, unknown>[][]>,
  ) {}

  private state: Promise<SetState> | null = null;

  private current(): Promise<SetState> {
    this.state ??= this.load();
    return this.state;
  }

  private async snapshot(): Promise<Snapshot> {
    return (await this.current()).snapshot;
  }

  /** A lookup's rows (per shard, or `[rows]` of the entry point), run once per state of the events. */
  private async lookup(where: "shards" | "entry", query: string): Promise<Record<string, unknown>[][]> {
    const { lookups } = await this.current();
    const key = `${where}\u0000${query}`;
    let answer = lookups.get(key);
    if (answer === undefined) {
      answer = where === "shards" ? onShards(this.cluster, query) : rows(this.cluster.entry, query).then((r) => [r]);
      lookups.set(key, answer);
      answer.catch(() => lookups.delete(key));
    }
    return answer;
  }

  async totals(): Promise<Totals> {
    const all = (await this.snapshot()).keys.get("all")?.get("");
    return { events: all?.events ?? 0, users: all?.users ?? 0, workspaces: all?.workspaces ?? 0 };
  }

  async breakdown(dims: readonly string[]): Promise<Map<string, BreakdownRow[]>> {
    const s = await this.snapshot();
    const out = new Map<string, BreakdownRow[]>();
    for (const dim of dims) {
      const list = [...(s.keys.get(dim) ?? new Map<string, KeyFigures>())].map(([key, f]) => ({
        key,
        users: f.users,
        total: f.total,
        events: f.events,
      }));
      list.sort((a, b) => a.key.localeCompare(b.key));
      out.set(dim, list);
    }
    return out;
  }

  async codes(): Promise<CodeRow[]> {
    const s = await this.snapshot();
    const out: CodeRow[] = [];
    for (const [key, f] of s.keys.get("code") ?? new Map<string, KeyFigures>()) {
      const h = s.hist.get(key) ?? [];
      const max = h.length > 0 ? h[h.length - 1]!.value : 0;
      out.push({
        key,
        users: f.users,
        total: f.total,
        events: f.events,
        workspaces: f.workspaces,
        topUserShare: f.total === 0 ? 0 : max / f.total,
        p50: percentile(h, f.users, 0.5),
        p90: percentile(h, f.users, 0.9),
        p99: percentile(h, f.users, 0.99),
        max,
        hist: h,
      });
    }
    out.sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
    return out;
  }

  async unionUsers(cells: readonly CellRef[]): Promise<number> {
    if (cells.length === 0) return 0;
    const { source } = await this.current();
    const rolled =
      source.rolled === null ? "" : `SELECT distinct_id FROM ${source.rolled.users} WHERE ${anyCell(cells)} UNION ALL `;
    // A user's events all live on one shard: the shards' counts add up.
    const perShard = await this.lookup(
      "shards",
      `SELECT uniqExact(distinct_id) AS n FROM (${rolled}SELECT distinct_id FROM events_local WHERE ${source.restAny} AND ${hasAnyCell(cells)})`,
    );
    return perShard.reduce((sum, r) => sum + n(r[0]?.n), 0);
  }

  async unionWorkspaces(cells: readonly CellRef[]): Promise<number> {
    if (cells.length === 0) return 0;
    const { source } = await this.current();
    const rolled =
      source.rolled === null
        ? ""
        : `SELECT workspace_folder FROM cluster('${source.cluster}', currentDatabase(), '${source.rolled.workspaces}') WHERE ${anyCell(cells)} UNION ALL `;
    const [answer] = await this.lookup(
      "entry",
      `SELECT uniqExact(workspace_folder) AS n FROM (${rolled}SELECT workspace_folder FROM events WHERE ${source.restAny} AND ${hasAnyCell(cells)})`,
    );
    return n(answer?.[0]?.n);
  }

  /**
   * The cells every user of the set is in (but `all`): those the suppression asks
   * `usersAlsoOutside` about, one after the other.
   */
  private async wholeCells(): Promise<CellRef[]> {
    const { keys } = await this.snapshot();
    const everyone = keys.get("all")?.get("")?.users ?? 0;
    return [...keys]
      .filter(([dim]) => dim !== "all")
      .flatMap(([dim, byKey]) => [...byKey].filter(([, f]) => f.users === everyone).map(([key]) => ({ dim, key })));
  }

  async usersAlsoOutside(cell: CellRef, limit: number): Promise<number> {
    const { source } = await this.current();
    const cap = Math.max(1, Math.floor(limit));
    // A cell every user is in: one query answers it for all such cells (run once per state of
    // the events), per user their events everywhere and in each of those cells.
    const whole = await this.wholeCells();
    const at = whole.findIndex((c) => c.dim === cell.dim && c.key === cell.key);
    if (at >= 0) {
      const each = whole.map((c) => `sumIf(e, dim = ${bind(c.dim)} AND key = ${bind(c.key)})`);
      const perShard = await this.lookup(
        "shards",
        `SELECT ${each.map((_, i) => `countIf(i${i} > 0 AND i${i} < everywhere) AS c${i}`).join(", ")} FROM (
SELECT distinct_id, sumIf(e, dim = 'all') AS everywhere, ${each.map((sum, i) => `${sum} AS i${i}`).join(", ")}
FROM (${userCells(source, `dim = 'all' OR ${anyCell(whole)}`)})
GROUP BY distinct_id)`,
      );
      return Math.min(
        cap,
        perShard.reduce((s, r) => s + n(r[0]?.[`c${at}`]), 0),
      );
    }
    return this.usersAlsoOutsideAlone(cell, cap);
  }

  /** `usersAlsoOutside` of one cell by a query of its own (what the batched answer must equal). */
  async usersAlsoOutsideAlone(cell: CellRef, limit: number): Promise<number> {
    const { source } = await this.current();
    const cap = Math.max(1, Math.floor(limit));
    const inCell = `dim = ${bind(cell.dim)} AND key = ${bind(cell.key)}`;
    // Per user of the cell: their events (those of the cell `all`), and those in the cell.
    const counts = await this.lookup(
      "shards",
      `SELECT count() AS n FROM (
SELECT distinct_id, sumIf(e, dim = 'all') AS everywhere, sumIf(e, ${inCell}) AS inside
FROM (${userCells(source, `(dim = 'all' OR (${inCell}))`)})
GROUP BY distinct_id HAVING inside > 0 AND inside < everywhere LIMIT ${cap})`,
    );
    return Math.min(
      cap,
      counts.reduce((s, r) => s + n(r[0]?.n), 0),
    );
  }

  async trend(dim: string, key: string): Promise<TrendRow[]> {
    const { source } = await this.current();
    const series = [{ dim, key }];
    let perShard: Record<string, unknown>[][];
    if (rolledHolds(source, series)) {
      // The generation's figures (kept per generation), and those of the later events, with the
      // users of a week both hold counted over both (the rolled days of that week: a few rows).
      const after = addDays(source.rolled.through, 1);
      const straddling = `toString(toMonday(${bindDay(after)}))`;
      const [rolled, fresh] = await Promise.all([
        this.rolledTrendOf(source.rolled, dim, key),
        this.lookup(
          "shards",
          `SELECT grain, period, version, users, total, events, grain = 'week' AND period = ${straddling} AS straddles FROM (${trendFigures(
            `${eventTrendRows(source.rest, series)}
UNION ALL SELECT distinct_id, dim, key, toInt64(0) AS v, toInt64(0) AS e, grain, period, version FROM (${rolledTrendRows(
              source.rolled,
              series,
              `day >= toMonday(${bindDay(after)})`,
            )}) WHERE grain = 'week'`,
          )})`,
        ),
      ]);
      perShard = rolled.map((shard, i) => {
        const byId = new Map(
          shard.map((r) => [`${String(r.grain)}\u0000${String(r.period)}\u0000${String(r.version)}`, { ...r }]),
        );
        for (const r of fresh[i] ?? []) {
          const id = `${String(r.grain)}\u0000${String(r.period)}\u0000${String(r.version)}`;
          const had = byId.get(id);
          if (had === undefined) byId.set(id, r);
          else {
            had.users = n(r.straddles) === 1 ? n(r.users) : n(had.users) + n(r.users);
            had.total = n(had.total) + n(r.total);
            had.events = n(had.events) + n(r.events);
          }
        }
        return [...byId.values()];
      });
    } else {
      perShard = await this.lookup("shards", trendFigures(eventTrendRows(source.where, series)));
    }
    return addUp(
      perShard,
      (r) => `${String(r.grain)}\u0000${String(r.period)}\u0000${String(r.version)}`,
      (r) => ({
        grain: String(r.grain) as Grain,
        period: String(r.period),
        version: String(r.version),
        users: n(r.users),
        total: n(r.total),
        events: n(r.events),
      }),
      (into, r) => {
        into.users += n(r.users);
        into.total += n(r.total);
        into.events += n(r.events);
      },
    );
  }

  async trendUnionUsers(cells: readonly TrendRef[]): Promise<number> {
    if (cells.length === 0) return 0;
    const terms = groupByPeriods(cells).map(
      ({ ref, periods }) =>
        `(dim = ${bind(ref.dim)} AND key = ${bind(ref.key)} AND grain = ${bind(ref.grain)} AND version = ${bind(ref.version)} AND period IN (${[...periods].map((p) => `toString(${bindDay(p)})`).join(", ")}))`,
    );
    const series = [...new Map(cells.map((c) => [`${c.dim}\u0000${c.key}`, { dim: c.dim, key: c.key }])).values()];
    const perShard = await this.lookup(
      "shards",
      `SELECT uniqExact(distinct_id) AS n FROM (${trendRows((await this.current()).source, series, daysOf(cells))}) WHERE ${terms.join(" OR ")}`,
    );
    return perShard.reduce((sum, r) => sum + n(r[0]?.n), 0);
  }

  async trendOtherUsers(dim: string, key: string, listed: readonly string[]): Promise<PeriodUsers[]> {
    const excluded = ["", ...listed].map(bind).join(", ");
    const perShard = await this.lookup(
      "shards",
      `SELECT grain, period, uniqExact(distinct_id) AS users FROM (${trendRows((await this.current()).source, [{ dim, key }])})
WHERE version NOT IN (${excluded}) GROUP BY grain, period`,
    );
    return addUp(
      perShard,
      (r) => `${String(r.grain)}\u0000${String(r.period)}`,
      (r) => ({ grain: String(r.grain) as Grain, period: String(r.period), users: n(r.users) }),
      (into, r) => {
        into.users += n(r.users);
      },
    );
  }

  async trendUsersAlsoOutside(cell: TrendRef, limit: number): Promise<number> {
    const cap = Math.max(1, Math.floor(limit));
    const perShard = await this.lookup(
      "shards",
      `SELECT count() AS n FROM (
SELECT distinct_id, sumIf(e, dim = 'all') AS everywhere, sumIf(e, dim = ${bind(cell.dim)} AND key = ${bind(cell.key)}) AS inside
FROM (${trendRows((await this.current()).source, [{ dim: "all", key: "" }, cell], daysOf([cell]))})
WHERE grain = ${bind(cell.grain)} AND period = toString(${bindDay(cell.period)}) AND version = ${bind(cell.version)}
GROUP BY distinct_id HAVING inside > 0 AND inside < everywhere LIMIT ${cap})`,
    );
    return Math.min(
      cap,
      perShard.reduce((sum, r) => sum + n(r[0]?.n), 0),
    );
  }

  /** `trendUsersAlsoOutside` of each cell, one after the other (not batched yet on ClickHouse). */
  async trendUsersAlsoOutsideEach(cells: readonly TrendRef[], limit: number): Promise<number[]> {
    const out: number[] = [];
    for (const cell of cells) out.push(await this.trendUsersAlsoOutside(cell, limit));
    return out;
  }
}
