/**
 * `src/db/wal-sync.ts`: a commit is answered only after an fsync of the log that STARTED after
 * the commit; commits waiting together share one fsync; a failed fsync fails its waiters only.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WalSync, fsyncPath, keptOpenFsync } from "../src/db/wal-sync.js";

/** An fsync the test finishes by hand, recording when each started. */
function manualFsync(): { fsync: (path: string) => Promise<void>; started: string[]; finish: (ok?: boolean) => void } {
  const waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const started: string[] = [];
  return {
    started,
    fsync: (path) =>
      new Promise<void>((resolve, reject) => {
        started.push(path);
        waiting.push({ resolve, reject });
      }),
    finish: (ok = true) => {
      const w = waiting.shift()!;
      if (ok) w.resolve();
      else w.reject(new Error("EIO"));
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("WalSync", () => {
  it("answers a commit only after an fsync that began after it, and shares fsyncs (one at a time)", async () => {
    const m = manualFsync();
    const wal = new WalSync("/db/t.db-wal", m.fsync, 1);
    const done: string[] = [];
    // Commit A: an fsync starts for it.
    const a = wal.sync().then(() => done.push("a"));
    await tick();
    expect(m.started).toEqual(["/db/t.db-wal"]);
    // Commits B and C while A's fsync runs: that fsync may have begun before their writes.
    const b = wal.sync().then(() => done.push("b"));
    const c = wal.sync().then(() => done.push("c"));
    await tick();
    expect(m.started).toHaveLength(1);
    m.finish(); // the log
    await tick();
    m.finish(); // its directory, the first time only
    await a;
    expect(done).toEqual(["a"]);
    // B and C share the next fsync, begun after A's finished.
    await tick();
    expect(m.started).toEqual(["/db/t.db-wal", "/db", "/db/t.db-wal"]);
    expect(done).toEqual(["a"]);
    m.finish();
    await Promise.all([b, c]);
    expect(done).toEqual(["a", "b", "c"]);
    expect(wal.stats.syncs).toBe(2);
  });

  it("starts a commit's fsync beside a running one, and queues one shared fsync past the limit", async () => {
    const m = manualFsync();
    const wal = new WalSync("/db/t.db-wal", m.fsync, 2);
    const done: string[] = [];
    const a = wal.sync().then(() => done.push("a"));
    await tick();
    m.finish(); // the log
    await tick();
    m.finish(); // its directory, the first time only
    await a;
    // Commit B: its fsync starts at once. Commit C while B's runs: C's starts at once too, beside it.
    const b = wal.sync().then(() => done.push("b"));
    const c = wal.sync().then(() => done.push("c"));
    await tick();
    expect(m.started).toEqual(["/db/t.db-wal", "/db", "/db/t.db-wal", "/db/t.db-wal"]);
    // D and E while two run: they share one fsync, queued until one of the two ends.
    const d = wal.sync().then(() => done.push("d"));
    const e = wal.sync().then(() => done.push("e"));
    await tick();
    expect(m.started).toHaveLength(4);
    m.finish(); // B's
    await b;
    await tick();
    expect(m.started).toHaveLength(5);
    expect(done).toEqual(["a", "b"]);
    // An fsync that began before D's commit (C's) does not answer D.
    m.finish(); // C's
    await c;
    await tick();
    expect(done).toEqual(["a", "b", "c"]);
    // F, after the queued one started: it needs a later fsync (one of the two slots is free).
    const f = wal.sync().then(() => done.push("f"));
    await tick();
    expect(m.started).toHaveLength(6);
    m.finish(); // D and E's
    await Promise.all([d, e]);
    expect(done).toEqual(["a", "b", "c", "d", "e"]);
    m.finish(); // F's
    await f;
    expect(wal.stats.syncs).toBe(5);
  });

  it("fails the commits waiting for an fsync that failed, and syncs again for the next", async () => {
    const m = manualFsync();
    const wal = new WalSync("/db/t.db-wal", m.fsync);
    const a = wal.sync();
    await tick();
    m.finish(false);
    await expect(a).rejects.toThrow("EIO");
    const b = wal.sync();
    await tick();
    expect(m.started).toEqual(["/db/t.db-wal", "/db/t.db-wal"]);
    m.finish();
    await tick();
    m.finish();
    await expect(b).resolves.toBeUndefined();
  });
});

describe("fsyncPath", () => {
  const dir = mkdtempSync(join(tmpdir(), "polar-walsync-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fsyncs a file and a directory, and refuses a missing file", async () => {
    const file = join(dir, "t.db-wal");
    writeFileSync(file, "frames");
    await expect(fsyncPath(file)).resolves.toBeUndefined();
    await expect(fsyncPath(dir)).resolves.toBeUndefined();
    await expect(fsyncPath(join(dir, "missing"))).rejects.toThrow(/ENOENT/);
  });
});

describe("keptOpenFsync", () => {
  const dir = mkdtempSync(join(tmpdir(), "polar-walsync-kept-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("opens a file once and fsyncs it through the same descriptor after", async () => {
    const fsync = keptOpenFsync();
    const file = join(dir, "t.db-wal");
    writeFileSync(file, "frames");
    await expect(fsync(file)).resolves.toBeUndefined();
    appendFileSync(file, " more frames");
    await expect(fsync(file)).resolves.toBeUndefined();
    expect(readFileSync(file, "utf8")).toBe("frames more frames");
    // Its name gone, the file is still reachable through the kept descriptor: no second open.
    unlinkSync(file);
    await expect(fsync(file)).resolves.toBeUndefined();
    // A fresh one opens by name, and refuses a missing file (then opens again next time).
    const other = keptOpenFsync();
    await expect(other(file)).rejects.toThrow(/ENOENT/);
    writeFileSync(file, "again");
    await expect(other(file)).resolves.toBeUndefined();
  });
});
