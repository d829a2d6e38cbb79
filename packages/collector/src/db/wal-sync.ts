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
import { open, type FileHandle } from "node:fs/promises";
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

/**
 * An fsync by path that opens each file once and keeps its descriptor for the next fsyncs: one
 * trip to libuv's thread pool per fsync instead of three (open, fsync, close).
 *
 * Safe for the log because its file is never replaced while the writer's connection is open:
 * SQLite deletes it only when the last connection closes, and otherwise truncates or overwrites
 * it in place (a log that starts over, `journal_size_limit`, a TRUNCATE checkpoint), so the kept
 * descriptor always names the file SQLite writes. A descriptor that failed is dropped, and the
 * next fsync opens the file again.
 */
export function keptOpenFsync(): (path: string) => Promise<void> {
  const handles = new Map<string, Promise<FileHandle>>();
  return async (path) => {
    let handle = handles.get(path);
    if (handle === undefined) {
      handle = open(path, "r");
      handles.set(path, handle);
    }
    try {
      await (await handle).sync();
    } catch (e) {
      handles.delete(path);
      await handle.then((h) => h.close()).catch(() => undefined);
      throw e;
    }
  };
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
    private readonly fsync: (path: string) => Promise<void> = keptOpenFsync(),
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
