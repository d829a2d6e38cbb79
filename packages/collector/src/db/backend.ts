/**
 * The storage interface the collector's routes, views and background jobs depend on, whatever
 * the backend: the SQL `Store` (SQLite, PostgreSQL; `store.ts`) and the ClickHouse cluster
 * (`clickhouse/`). Every backend keeps the same contracts:
 * - a batch is stored all or nothing, and an event whose `$insert_id` is already stored never
 *   counts twice in any figure;
 * - time is the UTC day of arrival only;
 * - two rollup sets are readable: the live set (every stored event) and the shared set (events
 *   of complete UTC days before `today`), read through a `RollupReader` (raw figures: the
 *   k-suppression is the shared code of `../read/`);
 * - purge deletes whole days of arrival before a cutoff.
 */
import type { ValidEvent } from "@polar-ide/telemetry";
import type { BreakdownRow, CellRef, CodeRow, Totals } from "./queries.js";
import type { TrendReader } from "./trend-queries.js";

export type { BreakdownRow, CellRef, CodeRow, Histogram, Totals } from "./queries.js";
export type { PeriodUsers, TrendReader, TrendRef, TrendRow } from "./trend-queries.js";

/**
 * Raw figures of one rollup set (live or shared): what `../read/views.ts` reads, and the
 * per-day and per-week series `../read/trends.ts` reads (`TrendReader`, `trend-queries.ts`).
 */
export interface RollupReader extends TrendReader {
  /** Events, distinct users and distinct workspace folders. */
  totals(): Promise<Totals>;
  /** Users, summed values and events per key of one or more dimensions (keys ascending). */
  breakdown(dims: readonly string[]): Promise<Map<string, BreakdownRow[]>>;
  /** Every diagnostic code that occurred, with per-user distribution figures, most frequent first. */
  codes(): Promise<CodeRow[]>;
  /** Distinct users over a union of cells. */
  unionUsers(cells: readonly CellRef[]): Promise<number>;
  /**
   * How many of a cell's users also have events outside it (more events in all than in the
   * cell), counted up to `limit`.
   */
  usersAlsoOutside(cell: CellRef, limit: number): Promise<number>;
  /** Distinct workspace folders over a union of cells (dimensions `all` and `code` only). */
  unionWorkspaces(cells: readonly CellRef[]): Promise<number>;
}

/** The storage of one collector (or of many sharing one database or cluster). */
export interface EventStore {
  /** When the last batch was stored (ms): the background rollup waits for quiet moments. */
  readonly lastWriteAt: number;
  /** Applies pending migrations (up to `target`, default all); resolves with the versions applied. */
  migrate(target?: number): Promise<number[]>;
  /**
   * Stores a validated batch that arrived on `day` (`YYYY-MM-DD`), all or nothing, skipping (or
   * never counting) events whose `$insert_id` is already stored. Resolves once the batch is
   * durable, with the number of its events accepted (the SQL store deduplicates when it
   * materialises its inbox, after the answer: duplicates are accepted, and counted nowhere).
   */
  insertBatch(day: string, events: readonly ValidEvent[]): Promise<number>;
  /** Brings the live set up to date (`chunk`: events per step where the backend folds in steps). */
  refresh(chunk?: number): Promise<number>;
  /** Brings the shared set up to date with every day before `today` (`YYYY-MM-DD`). */
  refreshShared(today: string, chunk?: number): Promise<number>;
  /** Reads the live set (call `refresh` first). */
  live(): RollupReader;
  /** Reads the shared set (call `refreshShared` first). */
  shared(): RollupReader;
  /** Deletes the events that arrived before `cutoffDay`; resolves with how many. */
  purge(cutoffDay: string): Promise<number>;
  /** Leaves no deleted rows where the engine would keep them. */
  compact(): Promise<void>;
  /** Number of stored events (each `$insert_id` once). */
  countEvents(): Promise<number>;
  /** Every stored `$insert_id`. */
  insertIds(): Promise<Set<string>>;
  close(): Promise<void>;
}
