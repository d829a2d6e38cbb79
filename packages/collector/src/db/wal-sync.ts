/**
 * Durable acknowledgements without holding the SQLite writer: the writer's connection commits
 * with `synchronous = NORMAL` (the commit is written to the write-ahead log, not fsynced), then
 * waits for an fsync of the log that STARTED after its commit returned, and only then answers.
 * That is what `synchronous = FULL` guarantees (an acknowledged commit survives a crash of the
 * machine), but the fsync runs on libuv's thread pool while the writer already inserts the next
 * group, and groups committed during one fsync share the next.
 *
 * Safe because the log is append-only between checkpoints and its frames are chained by
 * checksums: after a crash SQLite replays the log up to the first frame that did not reach the
 * disk, so what an fsync covered is kept, and what follows is dropped whole, never half
 * (checkpoints, which the checkpointer thread runs from its own connection,
 * `sqlite-checkpoint-worker.ts`, fsync the log before copying it and the database after).
 */
import { open } from "node:fs/promises";
import { dirname } from "node:path";

/** fsyncs a file by path (a fresh descriptor: fsync flushes the file, whichever descriptor wrote it). */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Shares fsyncs of one file among the commits waiting for one. */
export class WalSync {
  /** The fsync that callers arriving now will wait for (it has not started yet). */
  private next: Promise<void> | null = null;
  /** The last fsync started. */
  private running: Promise<void> = Promise.resolve();
  private dirSynced = false;
  /** fsyncs done so far (tests, the benchmark). */
  readonly stats = { syncs: 0 };

  constructor(
    private readonly file: string,
    private readonly fsync: (path: string) => Promise<void> = fsyncPath,
  ) {}

  /** Resolves once an fsync that started after this call has completed (rejects if it failed). */
  sync(): Promise<void> {
    if (this.next === null) {
      this.next = this.running
        .catch(() => undefined)
        .then(() => {
          // From here on, callers need a later fsync: this one may have begun before their commit.
          this.next = null;
          this.running = this.flush();
          return this.running;
        });
    }
    return this.next;
  }

  private async flush(): Promise<void> {
    await this.fsync(this.file);
    // Once: the directory entry of the log (created when the database was opened).
    if (!this.dirSynced) {
      await this.fsync(dirname(this.file));
      this.dirSynced = true;
    }
    this.stats.syncs++;
  }
}
