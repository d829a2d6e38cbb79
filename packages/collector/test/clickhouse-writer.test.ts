/**
 * The ClickHouse write path (`src/db/clickhouse/writer.ts`, `shard.ts`, `cells.ts`, migration 2),
 * on a real two-shard cluster:
 * - the collector's CityHash64 is ClickHouse's, byte for byte, at every length;
 * - each event lands on the shard the `Distributed` table would send it to, and the table's
 *   sharding key is the one the collector computes (`SHARDING_KEY`);
 * - the cells the collector computes are those of migration 1's `DEFAULT`, for varied events;
 * - a `shards=` list that is not the cluster is refused before anything is stored;
 * - a group whose insert fails on one shard leaves nothing on the other (all or nothing), and
 *   the retry stores every event once;
 * - migration 2 carries the stored events over unchanged (same dashboard), and reverting it
 *   restores migration 1's table with the same dashboard.
 */
import { randomBytes } from "node:crypto";
import type { ClickHouseClient } from "@clickhouse/client";
import type { EventProperties } from "@polar-ide/telemetry";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ClickHouseStore, dashboardData } from "../src/index.js";
import { COLUMNS } from "../src/db/columns.js";
import { CLICKHOUSE_MIGRATIONS } from "../src/db/clickhouse/migrations.js";
import { SHARDING_KEY, cityHash64, discoverShards } from "../src/db/clickhouse/shard.js";
import { encodeEvent, storedRow } from "../src/db/clickhouse/writer.js";
import { databaseOf, shardClients, startClickHouse, type ClickHouseCluster } from "./clickhouse-harness.js";
import { form, Harness } from "./harness.js";
import { makeEvent } from "./helpers.js";

let cluster: ClickHouseCluster;
beforeAll(async () => {
  cluster = await startClickHouse(2);
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
});

const open: ClickHouseClient[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

/** A client per shard (on the database `url` names, or none), closed after the test. */
function clientsOf(url?: string): ClickHouseClient[] {
  const clients = shardClients(cluster, url);
  open.push(...clients);
  return clients;
}

/** Inserts through a `Distributed` table return once every shard has its rows. */
const DISTRIBUTED_SYNC = { insert_distributed_sync: 1 } as const;

async function query<T = Record<string, unknown>>(c: ClickHouseClient, q: string): Promise<T[]> {
  return (await c.query({ query: q, format: "JSONEachRow" })).json<T>();
}

/** Varied events: every code, feature, bucket edge, environment and extension set shows up. */
function variedEvents(n: number): EventProperties[] {
  const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;
  const chars = [0, 1, 999, 1000, 9999, 10000, 99999, 100000, 5_000_000];
  const files = [0, 1, 2, 3, 5, 6, 10, 11, 40];
  const out: EventProperties[] = [];
  for (let i = 0; i < n; i++) {
    const p = { ...makeEvent({ user: i % 37 }).properties } as Record<string, unknown>;
    for (const c of COLUMNS) {
      const v = c.property.value;
      if (v.type === "integer") p[c.property.name] = (i * 7 + c.name.length) % 4 === 0 ? 0 : (i + c.name.length) % 5;
      else if (v.type === "boolean") p[c.property.name] = (i + c.name.length) % 2 === 0;
      else if (v.type === "string" && v.values !== undefined) p[c.property.name] = pick(v.values, i + c.name.length);
      else if (v.type === "string-set")
        p[c.property.name] = (v.values ?? ["polar", "pol"]).filter((_, k) => ((i >> k) & 1) === 1);
    }
    p.polar_chars = pick(chars, i);
    p.polar_files = pick(files, i);
    p.$insert_id = randomBytes(16).toString("hex");
    p.distinct_id = randomBytes(32).toString("hex");
    out.push(p as EventProperties);
  }
  return out;
}

describe("the ClickHouse write path", () => {
  it("hashes like ClickHouse's cityHash64 at every length", async () => {
    const s = clientsOf()[0]!;
    const inputs = Array.from({ length: 220 }, (_, len) => randomBytes(len));
    inputs.push(Buffer.from("é€😀 distinct", "utf8"), Buffer.from("a".repeat(64)));
    const expected = await query<{ h: string }>(
      s,
      `SELECT toString(cityHash64(unhex(x))) AS h FROM (SELECT arrayJoin([${inputs.map((b) => `'${b.toString("hex")}'`).join(", ")}]) AS x)`,
    );
    expect(inputs.map((b) => cityHash64(b).toString())).toEqual(expected.map((r) => r.h));
  });

  it("stores each event on the shard the Distributed table would, by the declared sharding key", async () => {
    const url = cluster.database();
    const db = databaseOf(url);
    const h = (await Harness.startOn(url, 2, "2026-11-02")) as Harness<ClickHouseStore>;
    try {
      const shards = clientsOf(url);
      for (const s of shards) {
        const [t] = await query<{ engine_full: string }>(
          s,
          "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'events'",
        );
        expect(t!.engine_full).toContain(SHARDING_KEY);
      }
      const map = await discoverShards(shards, ["a", "b"], "polar");
      const events = Array.from({ length: 60 }, (_, i) => makeEvent({ user: i }));
      await h.send(events);
      // The same users through the Distributed table, into a copy of events_local on each shard.
      for (const s of shards) await s.command({ query: "CREATE TABLE placed AS events_local" });
      await shards[0]!.command({
        query: `CREATE TABLE placed_all AS placed ENGINE = Distributed(polar, ${db}, placed, ${SHARDING_KEY})`,
      });
      await shards[0]!.insert({
        clickhouse_settings: DISTRIBUTED_SYNC,
        table: "placed_all",
        values: events.map((e) => ({ distinct_id: String(e.properties.distinct_id) })),
        format: "JSONEachRow",
        columns: ["distinct_id"],
      });
      const placedBy = new Map<string, number>();
      const storedBy = new Map<string, number>();
      for (const [i, s] of shards.entries()) {
        for (const r of await query<{ d: string }>(s, "SELECT distinct_id AS d FROM placed")) placedBy.set(r.d, i);
        for (const r of await query<{ d: string }>(s, "SELECT distinct_id AS d FROM events_local"))
          storedBy.set(r.d, i);
      }
      expect(storedBy.size).toBe(60);
      expect(new Set(storedBy.values())).toEqual(new Set([0, 1]));
      expect(storedBy).toEqual(placedBy);
      for (const [d, i] of storedBy) expect(map.shardOf(d)).toBe(i);
    } finally {
      await h.close();
    }
  });

  it("computes the cells migration 1's DEFAULT computes", async () => {
    const url = cluster.database();
    const store = new ClickHouseStore(url);
    try {
      await store.migrate();
      const s = clientsOf(url)[0]!;
      await s.command({ query: CLICKHOUSE_MIGRATIONS[0]!.up[0]!.replace("IF NOT EXISTS events_local", "cells_check") });
      const events = variedEvents(400);
      await s.insert({
        table: "cells_check",
        values: events.map((p) => ({ day: "2026-11-02", ...storedRow(p) })),
        format: "JSONEachRow",
        columns: ["day", ...COLUMNS.map((c) => c.name)] as [string, ...string[]],
      });
      const byDefault = new Map(
        (
          await query<{ insert_id: string; cell_dim: string[]; cell_key: string[]; cell_value: string[] }>(
            s,
            "SELECT insert_id, cell_dim, cell_key, cell_value FROM cells_check",
          )
        ).map((r) => [r.insert_id, { dims: r.cell_dim, keys: r.cell_key, values: r.cell_value.map(Number) }]),
      );
      expect(byDefault.size).toBe(400);
      const dims = new Set<string>();
      for (const p of events) {
        const row = encodeEvent("2026-11-02", p);
        expect({ dims: row.cell_dim, keys: row.cell_key, values: row.cell_value }).toEqual(
          byDefault.get(String(p.$insert_id)),
        );
        for (const d of row.cell_dim as string[]) dims.add(d);
      }
      // The sample exercises every kind of cell.
      expect([...dims].sort()).toEqual(
        [
          "all",
          "code",
          "unknown",
          "load",
          "severity",
          "feature",
          "polar_chars",
          "polar_files",
          "invalid_rule_type",
          "env:os",
          "env:nodeArch",
          "env:product",
          "env:uikind",
          "env:remotename",
          "env:extversion",
          "env:vscodeversion",
          "env:isnewappinstall",
          "lsp_method",
          "lsp_extension",
        ].sort(),
      );
    } finally {
      await store.close();
    }
  });

  it("refuses a shards= list that is not the cluster's", async () => {
    const url = cluster.database();
    const only = url.replace(/shards=([^,&]+),[^&]+/, "shards=$1");
    expect(only).not.toBe(url);
    const good = (await Harness.startOn(url, 2)) as Harness<ClickHouseStore>;
    await good.close();
    const store = new ClickHouseStore(only);
    try {
      await expect(store.insertBatch("2026-11-02", [])).rejects.toThrow(/cluster "polar" has 2/);
      // Twice the same shard under two names.
      const port = cluster.httpPorts[0];
      const twice = url.replace(/shards=[^&]+/, `shards=127.0.0.1:${port},localhost:${port}`);
      const other = new ClickHouseStore(twice);
      try {
        await expect(other.insertBatch("2026-11-02", [])).rejects.toThrow(/twice/);
      } finally {
        await other.close();
      }
    } finally {
      await store.close();
    }
  });

  it("stores nothing of a group that fails on one shard, and the retry stores it once", async () => {
    const url = cluster.database();
    const h = (await Harness.startOn(url, 2, "2026-11-02")) as Harness<ClickHouseStore>;
    try {
      const shards = clientsOf(url);
      const rawRows = async (): Promise<number[]> =>
        Promise.all(
          shards.map(async (s) =>
            Number((await query<{ c: string }>(s, "SELECT count() AS c FROM events_local"))[0]!.c),
          ),
        );
      const batch = Array.from({ length: 40 }, (_, i) => makeEvent({ user: 100 + i }));
      await shards[1]!.command({ query: "DETACH TABLE events_local" });
      const r = await h.app.inject({
        method: "POST",
        url: "/track?verbose=1",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        payload: form(batch),
      });
      expect(r.statusCode).toBe(503);
      await shards[1]!.command({ query: "ATTACH TABLE events_local" });
      expect(await rawRows()).toEqual([0, 0]);
      await h.send(batch);
      await h.send(batch);
      const rows = await rawRows();
      expect(rows.every((n) => n > 0)).toBe(true);
      expect(rows[0]! + rows[1]!).toBe(40);
      expect(await h.store.countEvents()).toBe(40);
    } finally {
      await h.close();
    }
  });

  it("carries stored events over to migration 2 and back, figures unchanged", async () => {
    const url = cluster.database();
    const store = new ClickHouseStore(url);
    try {
      expect(await store.migrate(1)).toEqual([1]);
      const events = variedEvents(300);
      // Stored as migration 1 stored them: through the Distributed table, cells by the DEFAULT.
      const entry = clientsOf(url)[0]!;
      await entry.insert({
        clickhouse_settings: DISTRIBUTED_SYNC,
        table: "events",
        values: events.map((p, i) => ({ day: i % 3 === 0 ? "2026-11-01" : "2026-11-02", ...storedRow(p) })),
        format: "JSONEachRow",
        columns: ["day", ...COLUMNS.map((c) => c.name)] as [string, ...string[]],
      });
      const figures = async () => {
        await store.refresh();
        return dashboardData(store, 2);
      };
      const before = await figures();
      expect(before.totals.events).toBe(300);
      expect(await store.migrate()).toEqual([2]);
      const columns = async () =>
        (
          await query<{ name: string }>(
            entry,
            "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'events_local'",
          )
        ).length;
      expect(await columns()).toBe(10);
      expect(await figures()).toEqual(before);
      expect(await store.countEvents()).toBe(300);
      expect(await store.migrateDown(1)).toEqual([2]);
      expect(await columns()).toBeGreaterThan(60);
      expect(await figures()).toEqual(before);
      // Every stored property came back, not only what the figures read.
      const [one] = await query<Record<string, unknown>>(
        entry,
        `SELECT * FROM events WHERE insert_id = '${String(events[5]!.$insert_id)}'`,
      );
      const expected = storedRow(events[5]!);
      for (const c of COLUMNS) expect(String(one![c.name]), c.name).toBe(String(expected[c.name]));
    } finally {
      await store.close();
    }
  });
});
