/**
 * The SQLite writer thread (`src/db/sqlite-writer.ts`, `sqlite-writer-worker.ts`): every write to
 * an SQLite file goes through it, so the thread answering HTTP never waits for a commit, a lock
 * or an fsync; a writer that dies or a database that refuses answers 503 with a clear message,
 * stores nothing half, and the next batch is stored (by a new thread after a crash).
 *
 * The writer thread runs the built code (`dist/db/sqlite-writer-worker.js`): built first.
 */
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { Harness, form } from "./harness.js";
import { makeEvent, sqliteUrl, buildCollectorFirst } from "./helpers.js";

buildCollectorFirst();

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});

/** A second connection to the same file: holds the write lock, or changes the schema. */
function otherConnection(url: string): Database.Database {
  const db = new Database(url.slice("sqlite:".length));
  db.pragma("busy_timeout = 5000");
  return db;
}

describe("the SQLite writer thread", () => {
  let h: Harness;
  let url: string;
  beforeEach(async () => {
    const db = sqliteUrl();
    cleanups.push(db.cleanup);
    url = db.url;
    h = await Harness.start(url);
  });
  afterEach(async () => {
    await h.close();
  });

  const post = (events: unknown[]) =>
    h.app.inject({
      method: "POST",
      url: "/track?verbose=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: form(events),
    });

  it("stores every batch through the one writer thread, in groups", async () => {
    const batches = Array.from({ length: 30 }, (_, i) => [makeEvent({ user: i }), makeEvent({ user: i + 50 })]);
    const responses = await Promise.all(batches.map((b) => post(b)));
    for (const r of responses) expect(r.json()).toEqual({ status: 1, error: null });
    expect(h.store.writer).not.toBeNull();
    expect(h.store.writer!.stats.started).toBe(1);
    expect(h.store.groupStats.batches).toBe(30);
    expect(h.store.groupStats.groups).toBeLessThan(30);
    // Each answer followed an fsync of the log (the writer commits with synchronous = NORMAL):
    // groups committed during one fsync share the next.
    const syncs = h.store.writer!.syncs;
    expect(syncs).toBeGreaterThan(0);
    expect(syncs).toBeLessThanOrEqual(h.store.groupStats.groups);
    expect(await h.store.countEvents()).toBe(60);
    // The rollups are folded by the writer too: the reads see every event.
    expect((await h.summary()).events).toBe(60);
  });

  it("keeps answering HTTP while the writer waits for the database", async () => {
    const lock = otherConnection(url);
    lock.exec("BEGIN IMMEDIATE");
    try {
      let answered = false;
      const pending = post([makeEvent({ user: 1 })]).then((r) => {
        answered = true;
        return r;
      });
      // The writer is blocked on the lock; this thread is not.
      await new Promise((r) => setTimeout(r, 100));
      const started = performance.now();
      const health = await h.app.inject({ method: "GET", url: "/healthz" });
      expect(health.statusCode).toBe(200);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(answered).toBe(false);
      lock.exec("COMMIT");
      expect((await pending).json()).toEqual({ status: 1, error: null });
    } finally {
      if (lock.inTransaction) lock.exec("ROLLBACK");
      lock.close();
    }
    expect(await h.store.countEvents()).toBe(1);
  });

  it("answers 503 when the writer thread dies, stores nothing of the batch, and recovers", async () => {
    const lock = otherConnection(url);
    lock.exec("BEGIN IMMEDIATE");
    const batch = [makeEvent({ user: 1 }), makeEvent({ user: 2 })];
    let r;
    try {
      const pending = post(batch);
      // The batch is in the writer, which waits for the lock: kill the thread.
      await new Promise((r) => setTimeout(r, 100));
      await h.store.writer!.terminate();
      r = await pending;
    } finally {
      lock.exec("ROLLBACK");
      lock.close();
    }
    expect(r.statusCode).toBe(503);
    const body = r.json<{ status: number; error: string }>();
    expect(body.status).toBe(0);
    expect(body.error).toMatch(/^the SQLite writer thread stopped .*retry the batch/);
    expect(await h.store.countEvents()).toBe(0);
    // The client retries: a new thread stores it, once.
    expect((await post(batch)).json()).toEqual({ status: 1, error: null });
    expect((await post(batch)).json()).toEqual({ status: 1, error: null });
    expect(h.store.writer!.stats.started).toBe(2);
    expect(await h.store.countEvents()).toBe(2);
    expect((await h.summary()).events).toBe(2);
  });

  it("answers 503 when the database refuses a group, and keeps nothing of it", async () => {
    // The group's inbox row is refused: nothing of the group may be acknowledged.
    const other = otherConnection(url);
    other.exec(`CREATE TRIGGER refuse BEFORE INSERT ON inbox BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    const batches = [[makeEvent({ user: 1 })], [makeEvent({ user: 2 }), makeEvent({ user: 3 })]];
    const refused = await Promise.all(batches.map((b) => post(b)));
    for (const r of refused) {
      expect(r.statusCode).toBe(503);
      expect(r.json()).toEqual({
        status: 0,
        error: "the batch could not be stored (nothing of it was kept); retry later",
      });
    }
    expect(await h.store.countEvents()).toBe(0);
    expect(other.prepare("SELECT COUNT(*) AS n FROM inbox").get()).toEqual({ n: 0 });
    other.exec("DROP TRIGGER refuse");
    other.close();
    for (const b of batches) expect((await post(b)).json()).toEqual({ status: 1, error: null });
    expect(await h.store.countEvents()).toBe(3);
    expect((await h.summary()).events).toBe(3);
  });
});
