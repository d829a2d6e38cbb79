/**
 * The collector's storage facade: one object per database (or per collector sharing one
 * PostgreSQL) over the query layer, written once for SQLite and PostgreSQL:
 * - `insert.ts`, `group-commit.ts` — storing batches, many per transaction;
 * - `ingest.ts` — rollup steps, compaction;
 * - `purge.ts` — purge by subtraction;
 * - `rollup-sql.ts` — the generated unpivot and fold statements;
 * - `queries.ts` — reading one rollup set;
 * - `vocabulary.ts` — dimensions, keys and the relations between figures.
 *
 * Two rollup sets are kept, each a fold of `events`: the live set (every stored event, the
 * operator's view) and the shared set (only events of complete UTC days, the shared view).
 * Reads fold what is queued first, so they never see stale figures; purging subtracts the purged
 * events from both sets.
 */
import type { ValidEvent } from "@polar-ide/telemetry";
import type { EventStore } from "./backend.js";
import { sharedSqliteFile, type Db } from "./driver.js";
import { GroupCommit } from "./group-commit.js";
import { compact, hasPending, requeueAll, rollupStep } from "./ingest.js";
import { insertGroup, type DayBatch } from "./insert.js";
import { migrate } from "./migrations.js";
import { purgeBefore } from "./purge.js";
import { SetReader, type BreakdownRow, type CodeRow, type Totals } from "./queries.js";
import { SqliteWriter } from "./sqlite-writer.js";
import { LIVE, SHARED, type RollupSet } from "./rollup-sql.js";

export type { BreakdownRow, CodeRow, Totals, CellRef, Histogram } from "./queries.js";
export { FEATURES, ENVIRONMENT, POLAR_CHARS_BUCKETS, POLAR_FILES_BUCKETS } from "./vocabulary.js";

/** Events folded per rollup transaction: bounds the time one step holds the lock. */
const ROLLUP_CHUNK = 20_000;
/** Most events in one group commit. */
const GROUP_MAX_EVENTS = 5_000;

/** The storage of one collector (or of many sharing one PostgreSQL). */
export class Store implements EventStore {
  /** One rollup at a time per process and set (the database lock covers other processes). */
  private readonly rolling = new Map<string, Promise<number>>();
  /** When the last batch was stored (ms): the background rollup waits for quiet moments. */
  lastWriteAt = 0;

  /** Batches waiting for (or in) a group commit on this thread (PostgreSQL, in-memory SQLite). */
  private readonly writes: GroupCommit<DayBatch, number>;
  /**
   * An SQLite file: every write (batches, rollup steps, purge, compaction) goes through the
   * writer thread, off the thread that answers HTTP; `db` only reads (`sqlite-writer.ts`).
   */
  readonly writer: SqliteWriter | null;

  constructor(readonly db: Db) {
    const file = sharedSqliteFile(db);
    this.writer = file === null ? null : new SqliteWriter(file, GROUP_MAX_EVENTS);
    this.writes = new GroupCommit((batches) => insertGroup(db, batches), {
      // SQLite has one writer; PostgreSQL commits a few groups at once (from its pool).
      concurrency: db.dialect.name === "sqlite" ? 1 : 4,
      maxEvents: GROUP_MAX_EVENTS,
    });
  }

  /** Applies pending migrations (up to `target`, default all). */
  migrate(target?: number): Promise<number[]> {
    return migrate(this.db, target);
  }

  /**
   * Stores a validated batch, all or nothing, skipping events whose `$insert_id` is already
   * stored. Batches arriving together share one transaction (`group-commit.ts`); resolves after
   * the commit that holds this batch, with the number of its events newly stored.
   */
  insertBatch(day: string, events: readonly ValidEvent[]): Promise<number> {
    this.lastWriteAt = Date.now();
    if (events.length === 0) return Promise.resolve(0);
    if (this.writer !== null) return this.writer.insert(day, events);
    return this.writes.submit({ day, events }, events.length);
  }

  /** Groups committed so far and the batches they held (the benchmark prints them). */
  get groupStats(): { readonly groups: number; readonly batches: number; readonly fallbacks: number } {
    return this.writer?.groups ?? this.writes.stats;
  }

  private fold(set: RollupSet, chunk: number, before: string | null): Promise<number> {
    const name = `${set.name}:${before ?? ""}`;
    const running = this.rolling.get(name);
    if (running !== undefined) return running;
    const run = (async () => {
      let total = 0;
      for (;;) {
        // Cheap check first: most reads find nothing queued and need no lock.
        if (!(await hasPending(this.db, set, before))) return total;
        const done =
          this.writer === null
            ? await rollupStep(this.db, set, chunk, before)
            : await this.writer.fold(set.name, chunk, before);
        // Let requests in between steps.
        await new Promise((r) => setImmediate(r));
        total += done;
        if (done === 0) return total;
      }
    })();
    const tracked = run.finally(() => this.rolling.delete(name));
    this.rolling.set(name, tracked);
    return tracked;
  }

  /**
   * Folds every queued event into the live rollups, `chunk` events per transaction; resolves
   * with the number folded. The background timer uses small chunks so that, on SQLite (one
   * thread), a step never holds up ingest for long.
   */
  refresh(chunk = ROLLUP_CHUNK): Promise<number> {
    return this.fold(LIVE, chunk, null);
  }

  /** Folds the events of every day before `today` (`YYYY-MM-DD`) into the shared rollups. */
  refreshShared(today: string, chunk = ROLLUP_CHUNK): Promise<number> {
    return this.fold(SHARED, chunk, today);
  }

  /** Reads the live set (call `refresh` first). */
  live(): SetReader {
    return new SetReader(this.db, LIVE);
  }

  /** Reads the shared set (call `refreshShared` first). */
  shared(): SetReader {
    return new SetReader(this.db, SHARED);
  }

  /**
   * Deletes events that arrived before `cutoffDay` (YYYY-MM-DD), subtracts them from both rollup
   * sets (`purge.ts`) and compacts (see `compact`). Returns the number of events deleted.
   */
  async purge(cutoffDay: string): Promise<number> {
    const deleted = await this.purgeEvents(cutoffDay);
    await this.compact();
    return deleted;
  }

  /** The purge without the compaction (the benchmark times them apart). */
  purgeEvents(cutoffDay: string): Promise<number> {
    return this.writer?.purge(cutoffDay) ?? purgeBefore(this.db, cutoffDay);
  }

  /** Leaves neither deleted rows nor arrival order where the database engine keeps them (see `ingest.ts`). */
  compact(): Promise<void> {
    return this.writer?.compact() ?? compact(this.db);
  }

  /** Empties the rollups and queues every event again (after a bulk load that bypassed ingest). */
  async rebuildRollups(): Promise<void> {
    if (this.writer !== null) await this.writer.requeue();
    else await this.db.transaction((tx) => requeueAll(tx));
  }

  /** Events, distinct users and distinct workspace folders (live set). */
  totals(): Promise<Totals> {
    return this.live().totals();
  }

  /** Live breakdowns. */
  breakdown(dims: readonly string[]): Promise<Map<string, BreakdownRow[]>> {
    return this.live().breakdown(dims);
  }

  /** Live per-code figures. */
  codes(): Promise<CodeRow[]> {
    return this.live().codes();
  }

  /** Number of stored events (tests and the benchmark). */
  async countEvents(): Promise<number> {
    const [r] = await this.db.all("SELECT COUNT(*) AS c FROM events");
    return Number(r?.c ?? 0);
  }

  /** Every stored `$insert_id` (tests). */
  async insertIds(): Promise<Set<string>> {
    return new Set((await this.db.all("SELECT insert_id FROM events")).map((r) => String(r.insert_id)));
  }

  /** Closes the database once every submitted batch is answered. */
  async close(): Promise<void> {
    await this.writes.drain();
    await this.writer?.close();
    await this.db.close();
  }
}
