/**
 * The collector's storage facade: one object per database (or per collector sharing one
 * PostgreSQL) over the query layer, written once for SQLite and PostgreSQL:
 * - `inbox.ts`, `insert.ts`, `group-commit.ts` — storing batches, many per transaction, in the
 *   inbox, and materialising the inbox into `events` and the rollup queues;
 * - `ingest.ts` — rollup steps, compaction;
 * - `purge.ts` — purge by subtraction;
 * - `rollup-sql.ts` — the generated unpivot and fold statements;
 * - `queries.ts` — reading one rollup set;
 * - `vocabulary.ts` — dimensions, keys and the relations between figures.
 *
 * Two rollup sets are kept, each a fold of `events`: the live set (every stored event, the
 * operator's view) and the shared set (only events of complete UTC days, the shared view).
 * Reads materialise the inbox and fold what is queued first, so they never see stale figures;
 * purging, rebuilding and compacting materialise the inbox first too; purging subtracts the
 * purged events from both sets.
 */
import type { ValidEvent } from "@polar-ide/telemetry";
import type { EventStore } from "./backend.js";
import { sharedSqliteFile, type Db } from "./driver.js";
import { GroupCommit } from "./group-commit.js";
import { compact, hasPending, requeueAll, rollupStep } from "./ingest.js";
import { InboxBacklog, inboxHasRows, materialise, writeInbox } from "./inbox.js";
import { encodeEvents, type DayBatch } from "./insert.js";
import { migrate } from "./migrations.js";
import { purgeBefore } from "./purge.js";
import { rebuildSets } from "./rebuild.js";
import { SetReader, type BreakdownRow, type CodeRow, type Totals } from "./queries.js";
import { SqliteWriter } from "./sqlite-writer.js";
import { LIVE, SHARED, type RollupSet } from "./rollup-sql.js";

export type { BreakdownRow, CodeRow, Totals, CellRef, Histogram } from "./queries.js";
export { FEATURES, ENVIRONMENT, POLAR_CHARS_BUCKETS, POLAR_FILES_BUCKETS } from "./vocabulary.js";

/** Events folded per rollup transaction: bounds the time one step holds the lock. */
const ROLLUP_CHUNK = 20_000;
/** Most events in one group commit. */
const GROUP_MAX_EVENTS = 5_000;
/** Events per inbox materialisation step (one transaction). */
const MATERIALISE_CHUNK = 5_000;
/**
 * Inbox events past which the process writing the inbox (the SQLite writer thread; `Store` on
 * PostgreSQL) materialises some on its own, between groups (the flood rule, `InboxBacklog`).
 * Below it a burst stays in the inbox, one row per group, until the background job (when ingest
 * is quiet, and at least every 30 s: `server.ts`) or a read materialises it. On SQLite,
 * materialising costs 90–115 µs of writer CPU per event (each event dirties a page of five
 * B-trees: `events`, its `$insert_id` and day indexes, both rollup queues), 450–570 µs per
 * 5-event request against ~65 µs for the whole request path (inbox row, commit, fsync,
 * messages). At 50 000 the mark was crossed six seconds into a benchmark burst, and from then on
 * materialisation took most of the writer's CPU: 143–161 against 67–77 µs per request below
 * the mark (issue 12, same load, alternated). 300 000 is 30 s of a burst at ~10 000 events/s: a
 * backstop for a collector run without the flood guard (2 000 events/s by default, which the
 * background job drains every 30 s), at ~380 bytes of inbox per event (~115 MiB). A read after
 * a flood waits for the fold of every waiting event anyway (~400 µs each), five times their
 * materialisation: the mark barely changes how long that read takes.
 */
const INBOX_HIGH_WATER = 300_000;

/**
 * Frames in an SQLite file's log past which the checkpointer makes the writer start it over:
 * ~40 MiB of 4 KiB pages (where SQLite's automatic checkpoint of the writer used to run).
 */
const WAL_RESTART_FRAMES = 10_000;

/** Settings of a `Store` (tests and benchmarks; the defaults serve). */
export interface StoreOptions {
  /** Inbox events past which materialisation starts without waiting for a read. */
  readonly inboxHighWater?: number;
  /** SQLite file: frames in the log past which the checkpointer makes it start over (`WriterData`). */
  readonly walRestartFrames?: number;
}

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

  /** One materialisation of the inbox at a time per process. */
  private materialising: Promise<number> | null = null;
  /** The inbox's flood rule when this thread writes it (no writer thread: `inbox.ts`). */
  private readonly backlog: InboxBacklog;

  constructor(
    readonly db: Db,
    options: StoreOptions = {},
  ) {
    const file = sharedSqliteFile(db);
    const highWater = options.inboxHighWater ?? INBOX_HIGH_WATER;
    this.writer =
      file === null
        ? null
        : new SqliteWriter(file, GROUP_MAX_EVENTS, highWater, options.walRestartFrames ?? WAL_RESTART_FRAMES);
    this.backlog = new InboxBacklog(highWater, (chunk) => materialise(db, chunk));
    this.writes = new GroupCommit(
      async (batches) => {
        const counts = await writeInbox(db, batches);
        // Keeps the inbox bounded under a flood (the writer thread applies the same rule).
        this.backlog.added(counts.reduce((a, n) => a + n, 0));
        return counts;
      },
      {
        // SQLite has one writer; PostgreSQL commits a few groups at once (from its pool).
        concurrency: db.dialect.name === "sqlite" ? 1 : 4,
        maxEvents: GROUP_MAX_EVENTS,
      },
    );
  }

  /** Applies pending migrations (up to `target`, default all). */
  migrate(target?: number): Promise<number[]> {
    return migrate(this.db, target);
  }

  /**
   * Stores a validated batch in the inbox, all or nothing; batches arriving together share one
   * transaction (`group-commit.ts`). Resolves once the commit that holds this batch is durable,
   * with the number of its events accepted; an event whose `$insert_id` is already stored is
   * dropped when the inbox is materialised, and counts in no figure.
   */
  insertBatch(day: string, events: readonly ValidEvent[]): Promise<number> {
    this.lastWriteAt = Date.now();
    if (events.length === 0) return Promise.resolve(0);
    let rows: string;
    try {
      rows = encodeEvents(events);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    if (this.writer !== null) return this.writer.insert(day, rows, events.length);
    return this.writes.submit({ day, rows, events: events.length }, events.length);
  }

  /**
   * Materialises the whole inbox into `events` and the rollup queues, `MATERIALISE_CHUNK` events
   * per transaction; resolves with the number of events taken from it.
   */
  materialiseInbox(): Promise<number> {
    if (this.materialising !== null) return this.materialising;
    const run = (async () => {
      let total = 0;
      // Cheap check first: most reads find the inbox empty.
      while (await inboxHasRows(this.db)) {
        const done =
          this.writer === null
            ? (await this.backlog.materialise(MATERIALISE_CHUNK)).events
            : await this.writer.materialise(MATERIALISE_CHUNK);
        total += done;
        if (done === 0) break;
        // Let requests in between steps.
        await new Promise((r) => setImmediate(r));
      }
      return total;
    })();
    this.materialising = run.finally(() => (this.materialising = null));
    return this.materialising;
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
      // Acknowledged batches still in the inbox count too.
      await this.materialiseInbox();
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
  async purgeEvents(cutoffDay: string): Promise<number> {
    // Events of the purged days may still be in the inbox: they go too.
    await this.materialiseInbox();
    return this.writer?.purge(cutoffDay) ?? purgeBefore(this.db, cutoffDay);
  }

  /** Leaves neither deleted rows nor arrival order where the database engine keeps them (see `ingest.ts`). */
  async compact(): Promise<void> {
    // The inbox empty first: its deleted rows are then what compaction clears.
    await this.materialiseInbox();
    await (this.writer?.compact() ?? compact(this.db));
  }

  /** Empties the rollups and queues every event again (after a bulk load that bypassed ingest). */
  async rebuildRollups(): Promise<void> {
    await this.materialiseInbox();
    if (this.writer !== null) await this.writer.requeue();
    else await this.db.transaction((tx) => requeueAll(tx));
  }

  /**
   * Rebuilds both rollup sets from the stored events, set-based (`rebuild.ts`: a few grouped
   * scans instead of the fold): the live set from every event, the shared set from the days
   * before `today` (`YYYY-MM-DD`); later days stay queued for the shared set.
   */
  async rebuild(today: string): Promise<void> {
    await this.materialiseInbox();
    if (this.writer !== null) await this.writer.rebuild(today);
    else await rebuildSets(this.db, today);
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

  /** Number of stored events, the inbox materialised first (tests and the benchmark). */
  async countEvents(): Promise<number> {
    await this.materialiseInbox();
    const [r] = await this.db.all("SELECT COUNT(*) AS c FROM events");
    return Number(r?.c ?? 0);
  }

  /** Every stored `$insert_id` (tests). */
  async insertIds(): Promise<Set<string>> {
    await this.materialiseInbox();
    return new Set((await this.db.all("SELECT insert_id FROM events")).map((r) => String(r.insert_id)));
  }

  /** Closes the database once every submitted batch is answered. */
  async close(): Promise<void> {
    await this.writes.drain();
    await this.writer?.close();
    await this.db.close();
  }
}
