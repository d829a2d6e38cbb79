/**
 * Group commit (`src/db/group-commit.ts`, `src/db/insert.ts`): batches that arrive together share
 * one transaction, each is answered only after that transaction committed, a batch the database
 * refuses fails alone, retried batches (even within one group) are counted once, and many
 * concurrent requests, some invalid, are each answered right with nothing lost.
 */
import type { ValidEvent } from "@polar-ide/telemetry";
import { validateBatch } from "@polar-ide/telemetry";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GroupCommit } from "../src/db/group-commit.js";
import { Harness, form } from "./harness.js";
import { makeEvent, withDatabases } from "./helpers.js";

const databases = withDatabases();

/** Validated events, as the route hands them to the store. */
function valid(events: unknown[]): readonly ValidEvent[] {
  const r = validateBatch(events);
  if (!r.ok) throw new Error(r.message);
  return r.events;
}

describe("GroupCommit", () => {
  it("answers each batch only after the write of its group resolved, with its own result", async () => {
    const writes: { batches: readonly number[]; finish: () => void }[] = [];
    const gc = new GroupCommit<number, number>(
      (batches) =>
        new Promise((resolve) => {
          writes.push({ batches, finish: () => resolve(batches.map((b) => b * 10)) });
        }),
      { concurrency: 1, maxEvents: 100 },
    );
    const answered: number[] = [];
    const all = [1, 2, 3].map((b) => gc.submit(b, 1).then((r) => answered.push(r)));
    await new Promise((r) => setImmediate(r));
    expect(writes.map((w) => w.batches)).toEqual([[1, 2, 3]]);
    // Later arrivals wait for the group in flight (concurrency 1), then form the next group.
    const later = [4, 5].map((b) => gc.submit(b, 1).then((r) => answered.push(r)));
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    expect(answered).toEqual([]);
    writes[0]!.finish();
    await Promise.all(all);
    expect(answered).toEqual([10, 20, 30]);
    await new Promise((r) => setImmediate(r));
    expect(writes.map((w) => w.batches)).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    writes[1]!.finish();
    await Promise.all(later);
    expect(answered).toEqual([10, 20, 30, 40, 50]);
    await gc.drain();
  });

  it("retries each batch of a failed group alone, so one bad batch fails only itself", async () => {
    const calls: (readonly number[])[] = [];
    const gc = new GroupCommit<number, string>(
      async (batches) => {
        calls.push(batches);
        if (batches.includes(13)) throw new Error("refused 13");
        return batches.map((b) => `ok ${b}`);
      },
      { concurrency: 1, maxEvents: 100 },
    );
    const results = await Promise.allSettled([1, 13, 2].map((b) => gc.submit(b, 1)));
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      "ok 1",
      "refused 13",
      "ok 2",
    ]);
    expect(calls).toEqual([[1, 13, 2], [1], [13], [2]]);
    expect(gc.stats.fallbacks).toBe(1);
  });

  it("caps a group's events, and a larger batch forms a group alone", async () => {
    const calls: (readonly number[])[] = [];
    const gc = new GroupCommit<number, number>(
      async (batches) => {
        calls.push(batches);
        return [...batches];
      },
      { concurrency: 1, maxEvents: 10 },
    );
    await Promise.all([4, 4, 4, 30, 1].map((b) => gc.submit(b, b)));
    expect(calls).toEqual([[4, 4], [4], [30], [1]]);
  });
});

describe.each(databases.backends)("group commit on %s", (_name, makeDb) => {
  let h: Harness;
  beforeEach(async () => {
    h = await Harness.start(await makeDb());
  });
  afterEach(async () => {
    await h.close();
  });

  it("stores batches submitted together in one transaction", async () => {
    const before = h.store.groupStats.groups;
    const batches = Array.from({ length: 20 }, (_, i) => valid([makeEvent({ user: i }), makeEvent({ user: i + 100 })]));
    const counts = await Promise.all(batches.map((b) => h.store.insertBatch("2026-11-01", b)));
    expect(counts).toEqual(batches.map(() => 2));
    expect(h.store.groupStats.groups - before).toBe(1);
    expect(await h.store.countEvents()).toBe(40);
  });

  it("a batch the store cannot hold fails alone; the others of its group are stored", async () => {
    const good = Array.from({ length: 5 }, (_, i) => valid([makeEvent({ user: i })]));
    // Past the validator, a counter that is not a number would be refused by the database (NOT
    // NULL): the store refuses it before the inbox, where an acknowledged batch must be storable.
    const [ev] = valid([makeEvent({ user: 99 })]);
    const bad: readonly ValidEvent[] = [{ properties: { ...ev!.properties, total_rules: Number.NaN } }];
    const results = await Promise.allSettled([
      ...good.slice(0, 2).map((b) => h.store.insertBatch("2026-11-01", b)),
      h.store.insertBatch("2026-11-01", bad),
      ...good.slice(2).map((b) => h.store.insertBatch("2026-11-01", b)),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
    const stored = await h.store.insertIds();
    for (const b of good) expect(stored.has(b[0]!.properties.$insert_id as string)).toBe(true);
    expect(stored.has(bad[0]!.properties.$insert_id as string)).toBe(false);
    expect(stored.size).toBe(5);
    const refused = results[2]!;
    expect(refused.status === "rejected" ? (refused.reason as Error).message : "").toBe(
      "event 0: total_rules is not a finite number",
    );
  });

  it("counts a batch retried within one group, and across groups, once", async () => {
    const batch = valid([makeEvent({ user: 1 }), makeEvent({ user: 2 }), makeEvent({ user: 2 })]);
    // The same batch three times in one group (a client retrying while the first is in flight):
    // each copy is accepted into the inbox; materialising keeps one of each event.
    const counts = await Promise.all([1, 2, 3].map(() => h.store.insertBatch("2026-11-01", batch)));
    expect(counts).toEqual([3, 3, 3]);
    expect(await h.store.countEvents()).toBe(3);
    // Once more in a later group, after the first copies were materialised.
    expect(await h.store.insertBatch("2026-11-01", batch)).toBe(3);
    expect(await h.store.countEvents()).toBe(3);
    // A batch repeating one event of its own stores it once.
    const [ev] = valid([makeEvent({ user: 3 })]);
    expect(await h.store.insertBatch("2026-11-01", [ev!, ev!])).toBe(2);
    expect(await h.store.countEvents()).toBe(4);
    const s = await h.summary();
    expect(s.events).toBe(4);
    expect(s.distinct_users).toBe(3);
  });

  it("answers many concurrent requests, some invalid, each right, and loses nothing", async () => {
    const requests = Array.from({ length: 120 }, (_, i) => {
      const events = Array.from({ length: 1 + (i % 5) }, (_, j) => makeEvent({ user: (i * 7 + j) % 40 }));
      const kind = i % 6 === 0 ? "invalid" : i % 6 === 1 ? "retry" : "valid";
      if (kind === "invalid") (events[events.length - 1]!.properties as Record<string, unknown>).time = 1730000000;
      return { kind, events };
    });
    // "retry" requests resend the batch of the request before them.
    const bodies = requests.map((r, i) => (r.kind === "retry" ? requests[i - 1]!.events : r.events));
    const responses = await Promise.all(
      bodies.map((events) =>
        h.app.inject({
          method: "POST",
          url: "/track?verbose=1",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          payload: form(events),
        }),
      ),
    );
    const expected = new Set<string>();
    responses.forEach((r, i) => {
      const invalid =
        requests[i]!.kind === "invalid" || (requests[i]!.kind === "retry" && requests[i - 1]!.kind === "invalid");
      if (invalid) {
        expect(r.statusCode, `request ${i}`).toBe(400);
        expect(r.json()).toEqual({
          status: 0,
          error: `event ${bodies[i]!.length - 1}: property "time" is not allowed: timestamps are never collected`,
        });
      } else {
        expect(r.statusCode, `request ${i}`).toBe(200);
        expect(r.json()).toEqual({ status: 1, error: null });
        for (const e of bodies[i]!) expected.add(e.properties.$insert_id as string);
      }
    });
    const stored = await h.store.insertIds();
    expect([...stored].sort()).toEqual([...expected].sort());
    expect((await h.summary()).events).toBe(expected.size);
  });
});
