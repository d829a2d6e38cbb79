/**
 * The ClickHouse cluster backend's own contracts, on a real two-shard cluster:
 * - concurrent batches are stored together (group commit), each event once;
 * - a retried batch whose events live on both shards counts once, retried at once, later the
 *   same day, or the next day; and rows stored twice behind the insert-time lookup (two
 *   deliveries racing) still count once before any merge collapses them;
 * - retention drops whole day partitions on every shard;
 * - migrations apply once on every shard;
 * - values reach SQL bound, never spliced (a key full of quotes is just a key);
 * - lookups answered from the kept state of the events are answered afresh once they change.
 */
import type { ClickHouseClient } from "@clickhouse/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ClickHouseStore } from "../src/index.js";
import { shardClients, withClickHouseCluster } from "./clickhouse-harness.js";
import { Harness } from "./harness.js";
import { makeEvent } from "./helpers.js";

const cluster = withClickHouseCluster();

describe("ClickHouse cluster", () => {
  let h: Harness<ClickHouseStore>;
  let shards: ClickHouseClient[];

  beforeEach(async () => {
    const url = cluster().database();
    h = (await Harness.startOn(url, 2, "2026-11-02")) as Harness<ClickHouseStore>;
    shards = shardClients(cluster(), url);
  });
  afterEach(async () => {
    await h.close();
    for (const s of shards) await s.close();
  });

  /** Rows physically stored on each shard (retries included). */
  const rawRows = async (): Promise<number[]> =>
    Promise.all(
      shards.map(async (s) => {
        const [r] = await (
          await s.query({ query: "SELECT count() AS c FROM events_local", format: "JSONEachRow" })
        ).json<{ c: string }>();
        return Number(r!.c);
      }),
    );

  /** 40 users' events: with a hash of distinct_id, both shards get some. */
  const spread = () =>
    Array.from({ length: 40 }, (_, i) => makeEvent({ user: i, codes: { "ParseError::UnrecognizedEOF": 1 + (i % 3) } }));

  it("counts a batch spread over both shards once, however often and whenever it is retried", async () => {
    const batch = spread();
    await h.send(batch);
    const first = await rawRows();
    expect(first.every((n) => n > 0)).toBe(true);
    expect(first.reduce((a, b) => a + b, 0)).toBe(40);
    const before = await h.summary();
    expect(before.events).toBe(40);

    await h.send(batch);
    await Promise.all([h.send(batch), h.send(batch), h.send(batch)]);
    h.day = "2026-11-03";
    await h.send(batch);
    expect(await h.store.countEvents()).toBe(40);
    expect(await h.summary()).toEqual(before);
    // The shared view (days before 2026-11-03) has the batch once, on the day it first arrived.
    expect((await h.summary("shared")).events).toBe(40);
    h.day = "2026-11-02";
    expect((await h.summary("shared")).events).toBeNull();
  });

  it("counts rows stored twice behind the insert-time lookup once, before and after merges", async () => {
    await h.send(spread());
    const summary = await h.summary();
    const dashboard = await h.dashboard();
    // What two deliveries racing past the lookup leave: every row a second time on its shard.
    for (const s of shards) await s.command({ query: "INSERT INTO events_local SELECT * FROM events_local" });
    expect((await rawRows()).reduce((a, b) => a + b, 0)).toBe(80);
    expect(await h.store.countEvents()).toBe(40);
    expect(await h.summary()).toEqual(summary);
    expect(await h.dashboard()).toEqual(dashboard);
    await h.store.compact();
    expect((await rawRows()).reduce((a, b) => a + b, 0)).toBe(40);
    expect(await h.dashboard()).toEqual(dashboard);
  });

  it("stores concurrent batches together (group commit), each counted once", async () => {
    const batches = Array.from({ length: 30 }, (_, b) =>
      Array.from({ length: 5 }, (_, i) => makeEvent({ user: b * 5 + i })),
    );
    // Every batch twice, all at once: the copies share groups or follow them.
    await Promise.all([...batches, ...batches].map((b) => h.send(b)));
    expect(await h.store.countEvents()).toBe(150);
    expect((await h.summary()).events).toBe(150);
    expect((await rawRows()).reduce((a, b) => a + b, 0)).toBe(150);
  });

  it("purges by dropping whole day partitions on every shard", async () => {
    const days = ["2026-10-30", "2026-10-31", "2026-11-01"];
    for (const [i, day] of days.entries()) {
      h.day = day;
      await h.send(Array.from({ length: 10 + i }, (_, u) => makeEvent({ user: u })));
    }
    const partitions = async (): Promise<string[]> => {
      const all = new Set<string>();
      for (const s of shards) {
        const rows = await (
          await s.query({
            query:
              "SELECT DISTINCT toString(min_date) AS d FROM system.parts WHERE database = currentDatabase() AND table = 'events_local' AND active",
            format: "JSONEachRow",
          })
        ).json<{ d: string }>();
        for (const r of rows) all.add(r.d);
      }
      return [...all].sort();
    };
    expect(await partitions()).toEqual(days);
    expect(await h.store.purge("2026-10-31")).toBe(10);
    expect(await partitions()).toEqual(days.slice(1));
    expect(await h.store.countEvents()).toBe(23);
    expect((await h.summary()).events).toBe(23);
    expect(await h.store.purge("2026-10-31")).toBe(0);
  });

  it("applies each migration once on every shard", async () => {
    expect(await h.store.migrate()).toEqual([]);
    for (const s of shards) {
      const rows = await (
        await s.query({ query: "SELECT id FROM schema_migrations", format: "JSONEachRow" })
      ).json<{ id: number }>();
      expect(rows.map((r) => Number(r.id))).toEqual([1, 2]);
    }
  });

  it("answers lookups afresh once the events change, whatever it kept", async () => {
    await h.send([makeEvent({ user: 1 }), makeEvent({ user: 2, env: { os: "darwin" } })]);
    const linux = [{ dim: "env:os", key: "linux" }];
    const read = async () => {
      await h.store.refresh();
      const reader = h.store.live();
      const events = (await reader.trend("all", "")).find((r) => r.grain === "day" && r.version === "")?.events;
      return {
        users: await reader.unionUsers(linux),
        outside: await reader.usersAlsoOutside({ dim: "env:os", key: "darwin" }, 5),
        events,
      };
    };
    expect(await read()).toEqual({ users: 1, outside: 0, events: 2 });
    expect(await read()).toEqual({ users: 1, outside: 0, events: 2 });
    // User 2 also on linux now: a user of the darwin cell with events outside it.
    await h.send([makeEvent({ user: 3 }), makeEvent({ user: 2 })]);
    expect(await read()).toEqual({ users: 3, outside: 1, events: 4 });
    // Rows written behind the store's back change what is stored too.
    for (const s of shards) await s.command({ query: "ALTER TABLE events_local DROP PARTITION '2026-11-02'" });
    expect(await read()).toEqual({ users: 0, outside: 0, events: undefined });
  });

  it("binds values: a key of quotes and backslashes is a key, not SQL", async () => {
    await h.send([makeEvent({ user: 1 }), makeEvent({ user: 2 })]);
    await h.store.refresh();
    const reader = h.store.live();
    for (const key of ["x') OR 1=1 --", "\\' OR '1'='1", "'; DROP TABLE events_local; --"]) {
      expect(await reader.unionUsers([{ dim: "env:os", key }])).toBe(0);
      expect(await reader.usersAlsoOutside({ dim: "env:os", key }, 5)).toBe(0);
    }
    expect(await reader.unionUsers([{ dim: "env:os", key: "linux" }])).toBe(2);
    expect(await h.store.countEvents()).toBe(2);
  });
});
