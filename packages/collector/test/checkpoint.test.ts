/**
 * The SQLite checkpointer thread (`src/db/sqlite-checkpoint-worker.ts`): the writer's connection
 * checkpoints only past ~100 MiB of log (`WRITER_WAL_BACKSTOP_PAGES`, a backstop), so without
 * the checkpointer these tests' log would only grow. These tests write through the writer thread with nobody else touching the file, and
 * require that the log is copied into the database file and starts over (its header's
 * checkpoint sequence number moves) while writes go on, and that nothing acknowledged is lost.
 *
 * The writer and checkpointer threads run the built code (`dist/db/…`): built first.
 */
import { openSync, readSync, closeSync, statSync } from "node:fs";
import { validateBatch, type ValidEvent } from "@polar-ide/telemetry";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { WRITER_WAL_BACKSTOP_PAGES } from "../src/db/driver.js";
import { Store, openDb } from "../src/index.js";
import { makeEvent, sqliteUrl, buildCollectorFirst } from "./helpers.js";

buildCollectorFirst();

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});

function valid(events: unknown[]): readonly ValidEvent[] {
  const r = validateBatch(events);
  if (!r.ok) throw new Error(r.message);
  return r.events;
}

/** The checkpoint sequence number in a log's header: it moves each time the log starts over. */
function logGeneration(wal: string): number {
  const fd = openSync(wal, "r");
  try {
    const header = Buffer.alloc(16);
    if (readSync(fd, header, 0, 16, 0) < 16) return -1;
    return header.readUInt32BE(12);
  } finally {
    closeSync(fd);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the SQLite checkpointer thread", () => {
  it("copies the log into the database file and starts it over while writes go on", async () => {
    const db = sqliteUrl();
    cleanups.push(db.cleanup);
    const file = db.url.slice("sqlite:".length);
    // A small restart mark, and materialisation right away, so that a few hundred events write
    // thousands of frames.
    const store = new Store(openDb(db.url), { walRestartFrames: 200, inboxHighWater: 10 });
    let user = 0;
    try {
      await store.migrate();
      const before = statSync(file).size;
      // The first write starts the writer (and its checkpointer).
      await store.insertBatch("2026-11-01", valid([makeEvent({ user: user++ })]));
      const first = logGeneration(`${file}-wal`);
      const generations = new Set<number>([first]);
      const deadline = Date.now() + 20_000;
      // Writes go on (four batches at a time) until the log has started over twice.
      while (generations.size < 3 && Date.now() < deadline) {
        await Promise.all(
          Array.from({ length: 4 }, () =>
            store.insertBatch("2026-11-01", valid(Array.from({ length: 5 }, () => makeEvent({ user: user++ })))),
          ),
        );
        generations.add(logGeneration(`${file}-wal`));
        await sleep(5);
      }
      // The checkpointer started and still runs (without it the writer's backstop would still
      // bound the log, and a long enough run would see the log start over all the same).
      expect(store.writer?.checkpointer).toBe(true);
      expect(generations.size).toBeGreaterThanOrEqual(3);
      // ...and it was the checkpointer that started the log over, not the writer's backstop
      // (~100 MiB of log, the file then cut back to 64 MiB): the log's file, which keeps the
      // largest size the log reached, stayed far below it.
      expect(statSync(`${file}-wal`).size).toBeLessThan((WRITER_WAL_BACKSTOP_PAGES * 4096) / 2);
      // The pages reached the database file (nothing but the checkpointer copies them there).
      expect(statSync(file).size).toBeGreaterThan(before);
      expect(await store.countEvents()).toBe(user);
    } finally {
      await store.close();
    }
    // Everything acknowledged is in the file, as a fresh connection sees it.
    const check = new Database(file, { readonly: true });
    try {
      expect((check.prepare("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n).toBe(user);
    } finally {
      check.close();
    }
  }, 60_000);
});
