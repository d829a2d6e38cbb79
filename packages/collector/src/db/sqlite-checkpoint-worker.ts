/**
 * The SQLite checkpointer thread, started by the writer thread (`sqlite-writer-worker.ts`): it
 * copies the write-ahead log into the database file with PASSIVE checkpoints from its own
 * connection, so that the writer does not stop to checkpoint (its connection checkpoints only
 * past ~100 MiB of log, a backstop for when this thread cannot keep up: driver.ts).
 *
 * Why (issue 12): with SQLite's automatic checkpoints, the commit that crossed the threshold
 * copied ~40 MiB of log into the database and fsynced it on the writer thread, while every group
 * behind it waited — the burst's tail latency. A PASSIVE checkpoint takes no write lock: the
 * writer keeps appending to the log while pages are copied here. When a checkpoint has copied
 * the whole log, the writer's next transaction starts the log again from its beginning (SQLite
 * does that by itself), so the log stays bounded as long as this thread keeps up.
 *
 * Durability is unchanged (`wal-sync.ts`): an acknowledgement still waits for an fsync of the
 * log that began after its commit. A checkpoint only copies frames that are already in the log,
 * and SQLite fsyncs the log before copying and the database file before it records the frames as
 * copied (this connection's `synchronous` is FULL, never OFF), so the database file never holds
 * a page the log does not hold durably, and the log is restarted only over frames that are in
 * the fsynced database file.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { CHECKPOINTER_READY, type CheckpointerData } from "./writer-protocol.js";

/** One checkpoint's result (`PRAGMA wal_checkpoint`). */
interface CheckpointResult {
  readonly busy: number;
  readonly log: number;
  readonly checkpointed: number;
}

const port = parentPort;
if (port === null) throw new Error("sqlite-checkpoint-worker.js runs as a worker thread only");
const data = workerData as CheckpointerData;
const RESTART_WAIT_MS = 10;
const db = new Database(data.file);
// Checkpoints fsync the log before copying and the database after (FULL and NORMAL both do).
db.pragma("synchronous = FULL");
// This connection never writes, so it never checkpoints on its own: only here, on a timer.
db.pragma("wal_autocheckpoint = 0");

// A RESTART checkpoint waits this long, at most, for the writer's transaction and the readers.
db.pragma(`busy_timeout = ${RESTART_WAIT_MS}`);

function checkpoint(mode: "PASSIVE" | "RESTART"): CheckpointResult | undefined {
  return (db.pragma(`wal_checkpoint(${mode})`) as CheckpointResult[])[0];
}

function tick(): void {
  try {
    const r = checkpoint("PASSIVE");
    // Under a steady flood the writer appends while the log is copied, so the log is never wholly
    // copied at the moment the writer begins a transaction, and it grows without end. Past
    // `restartFrames`, a RESTART checkpoint copies what is left (a few frames: the PASSIVE one
    // just ran) holding the write lock, so the writer's next transaction starts the log over.
    if (r !== undefined && r.log >= data.restartFrames) checkpoint("RESTART");
  } catch {
    // A checkpoint that could not run (the file is being closed): the next one copies it.
  }
  setTimeout(tick, data.intervalMs);
}
setTimeout(tick, data.intervalMs);
// The writer reports whether this thread runs (tests require it: without this thread the log
// would still be bounded, by the writer's backstop, so only this message tells them apart).
port.postMessage(CHECKPOINTER_READY);

port.on("message", (message: unknown) => {
  if (message === "close") {
    db.close();
    process.exit(0);
  }
});
