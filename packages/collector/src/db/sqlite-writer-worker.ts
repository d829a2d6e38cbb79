/**
 * The SQLite writer thread (see `sqlite-writer.ts`): owns the one connection that writes to the
 * database file, so that the inserts, the commits and their fsyncs never block the main thread,
 * which keeps answering HTTP and validating batches.
 *
 * Batches are grouped here: every batch posted while a group was committing (or in the same turn
 * of this thread's event loop) joins the next group, one transaction (`GroupCommit`) writing one
 * inbox row per day (`inbox.ts`); a group is answered after an fsync of the log that began after
 * its commit (`wal-sync.ts`: started as soon as the group committed, beside the previous group's).
 * Materialising the inbox into `events` runs here too, in steps:
 * when the main thread asks (every read, purge and rebuild materialises everything first), and
 * on its own past `inboxHighWater` events (`InboxBacklog`, the rule `Store` applies too when it
 * writes the inbox itself), so that a flood cannot grow the inbox without bound.
 * Each batch is answered only after the commit that holds it; a group the database refuses is
 * retried batch by batch, so a failing batch fails alone. Rollup steps, purges and compactions
 * run on the same connection, between groups (better-sqlite3 is synchronous: one at a time).
 */
import { Worker, parentPort, workerData } from "node:worker_threads";
import { openDb } from "./driver.js";
import { GroupCommit } from "./group-commit.js";
import { compact, requeueAll, rollupStep } from "./ingest.js";
import { InboxBacklog, inboxEvents, materialise, writeInbox } from "./inbox.js";
import type { DayBatch } from "./insert.js";
import { purgeBefore } from "./purge.js";
import { rebuildSets } from "./rebuild.js";
import { LIVE, SHARED } from "./rollup-sql.js";
import { WalSync } from "./wal-sync.js";
import {
  CHECKPOINTER_READY,
  type CheckpointerData,
  type WriterAnswers,
  type WriterData,
  type WriterMessage,
} from "./writer-protocol.js";

const port = parentPort;
if (port === null) throw new Error("sqlite-writer-worker.js runs as a worker thread only");
const data = workerData as WriterData;
const db = openDb(`sqlite:${data.file}`, { sqlite: { writer: true } });
const wal = new WalSync(`${data.file}-wal`);

/**
 * Milliseconds between the checkpointer's PASSIVE checkpoints. Each one copies every page written
 * since the last (a page rewritten by several commits in between is copied once) and fsyncs the
 * log and the database file. Every 100 ms, that thread spent 23–41 µs of CPU per ingest request
 * and ran up to 20 fsyncs a second beside the log's; every 500 ms, 7–14 µs (bench:collector-style
 * ingest, two runs of three alternations, load average 17–22; issue 12). The log grows further
 * between two checkpoints (the largest log of a bench run: 3–36 MiB against 1–24 before), still
 * bounded by the restart mark (`walRestartFrames`) and, should this thread fall behind, the
 * writer's backstop.
 */
const CHECKPOINT_INTERVAL_MS = 500;

/**
 * The checkpointer thread (`sqlite-checkpoint-worker.ts`): this thread's connection checkpoints
 * only past ~100 MiB of log (the writer's backstop, `WRITER_WAL_BACKSTOP_PAGES` in driver.ts), so
 * no commit waits for the log to be copied into the database while the checkpointer keeps up.
 * Should the checkpointer stop or never start, that same backstop bounds the log: one rule, one
 * threshold (no second setting is switched on here). It ends with this thread (a crash or
 * `terminate` included).
 */
const checkpointerData: CheckpointerData = {
  file: data.file,
  intervalMs: CHECKPOINT_INTERVAL_MS,
  restartFrames: data.walRestartFrames,
};
const checkpointer = new Worker(new URL("./sqlite-checkpoint-worker.js", import.meta.url), {
  workerData: checkpointerData,
});
checkpointer.unref();
const checkpointerExited = new Promise((r) => checkpointer.once("exit", r));
/** Whether the checkpointer has opened its connection and not stopped since (in every answer). */
let checkpointerRunning = false;
let closing = false;
checkpointer.on("message", (m: unknown) => {
  if (m === CHECKPOINTER_READY) checkpointerRunning = true;
});
checkpointer.on("error", (e: Error) => {
  if (closing) return;
  process.stderr.write(
    `polar-collector: warning: the SQLite checkpointer thread failed (${e.message}); the writer checkpoints past ~100 MiB of log instead\n`,
  );
});
void checkpointerExited.then(() => {
  checkpointerRunning = false;
});

/**
 * Runs a write (committed with `synchronous = NORMAL`), then waits for an fsync of the log that
 * began after it: only then is it answered. An fsync that fails ends the thread (whatever it
 * held is answered 503 by the main thread): nothing is acknowledged on top of it.
 */
async function durable<T>(write: Promise<T>): Promise<T> {
  const result = await write;
  await wal.sync().catch(() => process.exit(1));
  return result;
}

/** Events in the inbox: the flood rule (`inbox.ts`), and every step, the main thread's too. */
const backlog = new InboxBacklog(data.inboxHighWater, (chunk) => materialise(db, chunk));
// What an earlier thread left (a crash, or a restart): counted once the schema is there.
void inboxEvents(db).then(
  (n) => backlog.added(n),
  () => undefined,
);

// While a group waits for its fsync, the next one is written (SQLite runs one at a time).
const groups = new GroupCommit<DayBatch, number>(
  async (batches) => {
    const counts = await durable(writeInbox(db, batches));
    backlog.added(counts.reduce((a, n) => a + n, 0));
    return counts;
  },
  { concurrency: 2, maxEvents: data.maxEvents },
);

/** Answers of this turn of the loop (a group's batches are answered together): one message. */
let answered: { ids: number[]; values: number[]; failures: WriterAnswers["failures"][number][] } | null = null;

function answers(): NonNullable<typeof answered> {
  if (answered === null) {
    answered = { ids: [], values: [], failures: [] };
    setImmediate(() => {
      const out: WriterAnswers = {
        ...answered!,
        groups: { ...groups.stats },
        syncs: wal.stats.syncs,
        checkpointer: checkpointerRunning,
      };
      answered = null;
      port!.postMessage(out);
    });
  }
  return answered;
}

function answer(id: number, work: Promise<number>): void {
  work.then(
    (value) => {
      const a = answers();
      a.ids.push(id);
      a.values.push(value);
    },
    (e: unknown) => {
      const err = e as { message?: unknown; code?: unknown };
      answers().failures.push({
        id,
        message: typeof err.message === "string" ? err.message : String(e),
        ...(typeof err.code === "string" ? { code: err.code } : {}),
      });
    },
  );
}

/** A request other than an insert (inserts come packed: see the message handler below). */
function handle(request: WriterMessage["other"][number]): Promise<number> {
  switch (request.op) {
    case "materialise":
      return backlog.materialise(request.chunk).then((m) => m.events);
    case "fold":
      return durable(rollupStep(db, request.set === "live" ? LIVE : SHARED, request.chunk, request.before));
    case "purge":
      return durable(purgeBefore(db, request.cutoff));
    case "compact":
      return durable(compact(db).then(() => 0));
    case "requeue":
      return durable(db.transaction((tx) => requeueAll(tx)).then(() => 0));
    case "rebuild":
      return durable(rebuildSets(db, request.before).then(() => 0));
    case "close":
      // Ends the thread once every batch is answered (the main thread waits for its exit).
      return groups
        .drain()
        .then(() => {
          closing = true;
          checkpointer.postMessage("close");
          return checkpointerExited;
        })
        .then(() => db.close())
        .then(() => {
          port!.close();
          return 0;
        });
  }
}

// Requests come in messages (one per turn of the main thread's loop, or per answer that freed a
// slot): the batches of one message are submitted together, before its other requests, and so
// share a group.
port.on("message", (message: WriterMessage) => {
  for (let i = 0; i < message.ids.length; i++) {
    const events = message.events[i]!;
    try {
      answer(message.ids[i]!, groups.submit({ day: message.days[i]!, rows: message.rows[i]!, events }, events));
    } catch (e) {
      answer(message.ids[i]!, Promise.reject(e));
    }
  }
  for (const request of message.other) {
    try {
      answer(request.id, handle(request));
    } catch (e) {
      answer(request.id, Promise.reject(e));
    }
  }
});
