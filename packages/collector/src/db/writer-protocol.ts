/**
 * The messages between the collector's main thread and its SQLite writer thread
 * (`sqlite-writer.ts` posts requests, `sqlite-writer-worker.ts` answers each by its id).
 */
/** What the writer thread does: every write of the collector to an SQLite file. */
export type WriterRequest =
  /**
   * Store a validated batch in the inbox (grouped with whatever else is waiting into one
   * transaction): `rows` is its stored form (`encodeEvents`), one string, so that posting it
   * copies a string instead of cloning event objects.
   */
  | { readonly id: number; readonly op: "insert"; readonly day: string; readonly rows: string; readonly events: number }
  /** One materialisation step of the inbox (`inbox.ts`); answers the number of events taken. */
  | { readonly id: number; readonly op: "materialise"; readonly chunk: number }
  /** One rollup step of a set (`ingest.ts`); answers the number of events folded. */
  | {
      readonly id: number;
      readonly op: "fold";
      readonly set: "live" | "shared";
      readonly chunk: number;
      readonly before: string | null;
    }
  /** Deletes events of days before `cutoff` (`purge.ts`); answers how many. */
  | { readonly id: number; readonly op: "purge"; readonly cutoff: string }
  /** Checkpoints and truncates the write-ahead log (`ingest.ts` `compact`). */
  | { readonly id: number; readonly op: "compact" }
  /** Empties the rollups and queues every event again. */
  | { readonly id: number; readonly op: "requeue" }
  /** Rebuilds both rollup sets from the events, set-based (`rebuild.ts`); the shared set up to `before`. */
  | { readonly id: number; readonly op: "rebuild"; readonly before: string }
  /** Answers once every batch is answered, closes the connection and ends the thread. */
  | { readonly id: number; readonly op: "close" };

/**
 * What the main thread posts: the requests gathered while the writer held two messages (or of
 * one turn of its loop), so that batches that arrived together reach the writer together. The
 * inserts, by far the most, go packed as parallel arrays (one string per batch, no object per
 * request: structured cloning an object costs per property, ~3 µs per request of the main
 * thread's time with answers); the writer submits them before the other requests of the message.
 */
export interface WriterMessage {
  /** The inserts' ids, days, stored forms (`encodeEvents`) and event counts, index by index. */
  readonly ids: readonly number[];
  readonly days: readonly string[];
  readonly rows: readonly string[];
  readonly events: readonly number[];
  /** Every other request, in the order made. */
  readonly other: readonly Exclude<WriterRequest, { readonly op: "insert" }>[];
}

/** Group commits so far (`GroupCommit.stats`). */
export interface GroupStats {
  readonly groups: number;
  readonly batches: number;
  readonly fallbacks: number;
}

/**
 * The answers of one turn of the writer's loop (a group's batches are answered together), with
 * its group-commit figures at that moment: the requests that succeeded as parallel arrays of ids
 * and values, the failures one object each.
 */
export interface WriterAnswers {
  readonly ids: readonly number[];
  readonly values: readonly number[];
  readonly failures: readonly { readonly id: number; readonly message: string; readonly code?: string }[];
  readonly groups: GroupStats;
  /** fsyncs of the log so far (`wal-sync.ts`). */
  readonly syncs: number;
  /** Whether the checkpointer thread has opened its connection and not stopped since. */
  readonly checkpointer: boolean;
}

/** What the writer thread is started with. */
export interface WriterData {
  /** The SQLite file (never `:memory:`: the main thread reads the same file). */
  readonly file: string;
  /** Most events in one group commit. */
  readonly maxEvents: number;
  /**
   * Most events the inbox holds before the writer materialises some between groups, whatever
   * else is waiting (reads materialise everything first anyway).
   */
  readonly inboxHighWater: number;
  /** Frames in the log past which the checkpointer makes the writer start it over. */
  readonly walRestartFrames: number;
}

/** The one message the checkpointer thread posts: its connection is open, its timer set. */
export const CHECKPOINTER_READY = "ready";

/** What the checkpointer thread (`sqlite-checkpoint-worker.ts`) is started with. */
export interface CheckpointerData {
  /** The SQLite file whose log is checkpointed. */
  readonly file: string;
  /** Milliseconds between checkpoints. */
  readonly intervalMs: number;
  /** Frames in the log past which a checkpoint makes the writer start the log over. */
  readonly restartFrames: number;
}
