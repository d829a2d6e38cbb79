/**
 * Group commit: batches that arrive close together share one transaction, so that the cost of a
 * commit (on SQLite with `synchronous = FULL`, an fsync of the write-ahead log; on PostgreSQL a
 * round trip and a WAL flush) is paid once per group instead of once per batch.
 *
 * A batch waits for the group that holds it to commit: its promise resolves only then, so an
 * acknowledged batch is durable. A group is formed from every batch submitted before the next
 * turn of the event loop (`setImmediate`) and, while the database is busy committing earlier
 * groups (at most `concurrency` at once), from everything that arrives meanwhile: the busier the
 * database, the larger the groups.
 *
 * All or nothing still holds per batch: when a group's transaction fails, nothing of it was
 * stored, and each of its batches is retried alone, in its own transaction, so that one batch
 * that cannot be stored fails itself only.
 */

/** How groups are formed. */
export interface GroupCommitOptions {
  /** Most groups committing at once (SQLite: 1, it has one writer). */
  readonly concurrency: number;
  /** Most events in one group (a larger batch forms a group alone). */
  readonly maxEvents: number;
}

interface Waiting<B, R> {
  readonly batch: B;
  readonly size: number;
  readonly resolve: (r: R) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Queues batches and writes them in groups with `write` (one transaction per call, resolving
 * with one result per batch, in order).
 */
export class GroupCommit<B, R> {
  private queue: Waiting<B, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];
  /** Groups written so far, and the batches they held (for tests and the benchmark). */
  readonly stats = { groups: 0, batches: 0, fallbacks: 0 };

  constructor(
    private readonly write: (batches: readonly B[]) => Promise<R[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Queues a batch of `size` events; resolves with its result once its group committed. */
  submit(batch: B, size: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ batch, size, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every submitted batch is answered. */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.options.concurrency) return;
    this.scheduled = true;
    // Let every request already read in this turn of the event loop join the group.
    setImmediate(() => {
      this.scheduled = false;
      if (this.queue.length > 0 && this.inFlight < this.options.concurrency) void this.flush();
    });
  }

  private take(): Waiting<B, R>[] {
    let events = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || events + this.queue[n]!.size <= this.options.maxEvents)) {
      events += this.queue[n]!.size;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async flush(): Promise<void> {
    const group = this.take();
    this.inFlight++;
    // More may be written at once (PostgreSQL): start the next group without waiting.
    this.schedule();
    try {
      let results: R[] | null = null;
      let failure: unknown = null;
      try {
        results = await this.write(group.map((w) => w.batch));
      } catch (e) {
        failure = e;
      }
      this.stats.groups++;
      this.stats.batches += group.length;
      if (results !== null) {
        group.forEach((w, i) => w.resolve(results[i]!));
      } else if (group.length === 1) {
        group[0]!.reject(failure);
      } else {
        // Nothing of the group was stored: each batch again, alone, in its own transaction.
        this.stats.fallbacks++;
        for (const w of group) {
          try {
            const [r] = await this.write([w.batch]);
            w.resolve(r!);
          } catch (e) {
            w.reject(e);
          }
        }
      }
    } finally {
      this.inFlight--;
      this.schedule();
      if (this.queue.length === 0 && this.inFlight === 0) for (const f of this.idle.splice(0)) f();
    }
  }
}
