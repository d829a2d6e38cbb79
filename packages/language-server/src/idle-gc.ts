/**
 * A full garbage collection once the server has gone quiet after loads.
 *
 * Each load of a big policy leaves garbage behind (an edit of a 50k-line file allocates ~1.4 MB,
 * a full load far more), and V8 starts a full collection only when the heap reaches a limit it
 * raises as the heap grows. So a server that has just taken a burst of edits sits idle holding
 * garbage as resident memory: measured in-process (issue 13), 227 MB resident / 152 MB heap after
 * 100 edits of a 50k-line file, 158 MB / 64 MB after one full collection. Shrinking the heap with
 * V8 flags instead (`--heap-growing-percent`, `--optimize-for-size`) moved the full collections
 * onto the edit path and tripled the edit p95 (`bench/server-memory.mjs`), so the collection runs
 * here, when nobody waits: IDLE_GC_DELAY_MS after the last load, and only when the heap has grown
 * by IDLE_GC_MIN_GROWTH_BYTES since the last one (a small workspace never pays for it).
 *
 * The collection compacts the whole heap (V8's `--compact-on-every-full-gc`, set for that one
 * collection only). A plain full collection frees the garbage but evacuates only the few most
 * fragmented pages, so the heap keeps its committed size: measured on a 50k-line file after 80
 * edits and 30 outlines (issue 13), 56 MB of live heap in 94 MB committed after a plain one, 66 MB
 * committed after a compacting one, and the server's resident set 175 → 146 MB. V8 has no API for
 * one compacting collection (`gc({flavor: "last-resort"})` is not in Node 20's V8), hence the flag.
 *
 * Needs `gc`, which V8 exposes with `--expose-gc` (one of SERVER_NODE_FLAGS, `node-flags.ts`); a
 * server started without it does nothing here.
 */
import { getHeapStatistics, setFlagsFromString } from "node:v8";

/** Quiet time after the last load before collecting. */
export const IDLE_GC_DELAY_MS = 2_000;

/** Heap growth since the last collection below which an idle collection is not worth its pause. */
export const IDLE_GC_MIN_GROWTH_BYTES = 16 * 1024 * 1024;

/** What the collector needs from the runtime; injectable for tests. */
export interface IdleGcHost {
  /** A full, synchronous, compacting collection; undefined when V8 does not expose one. */
  readonly gc: (() => void) | undefined;
  /** Bytes of heap in use. */
  heapUsed(): number;
  /** Bytes of heap committed (what the heap holds of the resident set). */
  heapCommitted(): number;
  setTimer(run: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
}

/** A full collection by `gc` that compacts every page it can (see the header). */
export function compactingCollection(gc: () => void): void {
  setFlagsFromString("--compact-on-every-full-gc");
  try {
    gc();
  } finally {
    setFlagsFromString("--no-compact-on-every-full-gc");
  }
}

/** The process's own `gc` (exposed by `--expose-gc`), compacting; heap figures and timers. */
export function processIdleGcHost(): IdleGcHost {
  const exposed = (globalThis as { gc?: unknown }).gc;
  return {
    gc: typeof exposed === "function" ? () => compactingCollection(exposed as () => void) : undefined,
    heapUsed: () => getHeapStatistics().used_heap_size,
    heapCommitted: () => getHeapStatistics().total_heap_size,
    setTimer: (run, ms) => setTimeout(run, ms).unref(),
    clearTimer: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
  };
}

export class IdleCollector {
  private timer: unknown = null;
  private heapAfterLast: number;

  /**
   * @param collected told the heap in use, and the heap committed, before and after each idle collection (for the log).
   */
  constructor(
    private readonly host: IdleGcHost = processIdleGcHost(),
    private readonly collected: (
      used: { before: number; after: number },
      committed: { before: number; after: number },
    ) => void = () => {},
  ) {
    this.heapAfterLast = host.heapUsed();
  }

  /** Whether this process can collect at all (`--expose-gc`). */
  get enabled(): boolean {
    return this.host.gc !== undefined;
  }

  /** A load ran: collect once nothing else has run for IDLE_GC_DELAY_MS. */
  loaded(): void {
    if (this.host.gc === undefined) return;
    if (this.timer !== null) this.host.clearTimer(this.timer);
    this.timer = this.host.setTimer(() => this.idle(), IDLE_GC_DELAY_MS);
  }

  /** Stops a pending collection (the connection is closing). */
  dispose(): void {
    if (this.timer !== null) this.host.clearTimer(this.timer);
    this.timer = null;
  }

  private idle(): void {
    this.timer = null;
    const gc = this.host.gc;
    if (gc === undefined) return;
    const before = this.host.heapUsed();
    // V8's own collections since the last one count too: only garbage grown since then is worth a pause.
    if (before - this.heapAfterLast < IDLE_GC_MIN_GROWTH_BYTES) return;
    const committed = this.host.heapCommitted();
    gc();
    this.heapAfterLast = this.host.heapUsed();
    this.collected({ before, after: this.heapAfterLast }, { before: committed, after: this.host.heapCommitted() });
  }
}
