/**
 * Durable acknowledgements without holding the SQLite writer: the writer's connection commits
 * with `synchronous = NORMAL` (the commit is written to the write-ahead log, not fsynced), then
 * waits for an fsync of the log that STARTED after its commit returned, and only then answers.
 * That is what `synchronous = FULL` guarantees (an acknowledged commit survives a crash of the
 * machine), but the fsync runs on libuv's thread pool while the writer already inserts the next
 * group, a group's fsync starts as soon as it has committed even while an earlier one runs
 * (`FSYNCS_IN_FLIGHT`), and commits waiting for a later fsync share it.
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

/**
 * fsyncs of the log that may run at once (issue 12, the p99 of ingest). With one at a time, a
 * group committed while the previous group's fsync ran waited for that fsync to end and then for
 * its own, and the requests behind it waited for both groups' answers: an acknowledgement took
 * about two and a half fsyncs (the writer's groups: fsync wait p50 8–12 ms for an fsync of
 * 6–12 ms, under load). Two at once: each group's fsync starts as soon as it has committed, beside
 * the one still running (libuv's pool has four threads; the kernel serves both), and a group is
 * answered one fsync after its commit (group time p50 20 → 7–10 ms, same runs).
 */
export const FSYNCS_IN_FLIGHT = 2;

/**
 * Shares fsyncs of one file among the commits waiting for one: a caller waits for an fsync that
 * starts after its call — one it starts itself when fewer than `inFlight` run, or else the one
 * queued to start when one of them ends, shared by every caller arriving until then.
 */
export class WalSync {
  /** The fsync that callers arriving now will wait for (queued: it has not started yet). */
  private next: Promise<void> | null = null;
  /** fsyncs started and not finished. */
  private running = 0;
  /** Callers of queued fsyncs, woken when a running one ends. */
  private readonly freed: (() => void)[] = [];
  /** The fsync of the log's directory entry: once, before the first acknowledgement. */
  private dir: Promise<void> | null = null;
  /** fsyncs done so far (tests, the benchmark). */
  readonly stats = { syncs: 0 };

  constructor(
    private readonly file: string,
    private readonly fsync: (path: string) => Promise<void> = keptOpenFsync(),
    private readonly inFlight = FSYNCS_IN_FLIGHT,
  ) {}

  /** Resolves once an fsync that started after this call has completed (rejects if it failed). */
  sync(): Promise<void> {
    if (this.next !== null) return this.next;
    if (this.running < this.inFlight) return this.start();
    this.next = new Promise<void>((resolve) => this.freed.push(resolve)).then(() => {
      // From here on, callers need a later fsync: this one may begin before their commit.
      this.next = null;
      return this.start();
    });
    return this.next;
  }

  /** Starts an fsync now (its `open`/`fsync` is queued after every write already returned). */
  private start(): Promise<void> {
    this.running++;
    const run = this.flush();
    void run
      .catch(() => undefined)
      .then(() => {
        this.running--;
        this.freed.shift()?.();
      });
    return run;
  }

  private async flush(): Promise<void> {
    await this.fsync(this.file);
    // Once: the directory entry of the log (created when the database was opened).
    if (this.dir === null) this.dir = this.fsync(dirname(this.file));
    try {
      await this.dir;
    } catch (e) {
      this.dir = null;
      throw e;
    }
    this.stats.syncs++;
  }
}
