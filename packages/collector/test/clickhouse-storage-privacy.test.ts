/**
 * Nothing finer than a day at rest on the ClickHouse cluster (issue 9's promises, as far as
 * ClickHouse 18.16 allows; `storage-privacy.test.ts` holds them on SQLite and PostgreSQL):
 * - every insert is a part whose number follows arrival; after the compaction (the daily purge)
 *   a day is one part per shard, its rows ordered by `$insert_id`, no column and no storage order
 *   following arrival, and the replaced parts' files are gone from the disks;
 * - a purged event's values are in no file of any shard's folder (data, temporary files, logs)
 *   once the purge resolves.
 * The shards load the shipped `clickhouse/polar.xml` (with the tests' 1 s lifetime on top).
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { describe, expect, it } from "vitest";
import type { ClickHouseStore } from "../src/index.js";
import { databaseOf, shardClients, withClickHouseCluster } from "./clickhouse-harness.js";
import { Harness, sendInArrivalOrder } from "./harness.js";
import { kendallTau, makeEvent } from "./helpers.js";

const cluster = withClickHouseCluster();

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

async function query(client: ClickHouseClient, sql: string): Promise<Record<string, unknown>[]> {
  return (await client.query({ query: sql, format: "JSONEachRow" })).json<Record<string, unknown>>();
}

describe("storage on the ClickHouse cluster", () => {
  const open = async (day: string) => {
    const url = cluster().database();
    const db = databaseOf(url);
    const h = (await Harness.startOn(url, 2, day)) as Harness<ClickHouseStore>;
    const shards = shardClients(cluster(), url);
    return {
      h,
      db,
      shards,
      async close() {
        await h.close();
        for (const s of shards) await s.close();
      },
    };
  };

  it("keeps a complete day in one part per shard, in $insert_id order, after the compaction", async () => {
    const t = await open("2026-11-02");
    const { h, shards, db } = t;
    try {
      const N = 40;
      const { arrival, sent } = await sendInArrivalOrder(h, N, { firstUser: 2000, seed: 11 });
      const partsOf = (s: ClickHouseClient, active: boolean) =>
        query(
          s,
          `SELECT name, toString(min_date) AS day, min_block_number AS block FROM system.parts
WHERE database = currentDatabase() AND table = 'events_local' AND active = ${active ? 1 : 0}`,
        );
      // Before: parts numbered in arrival order (one per request, until merges fold neighbours
      // together): on each shard, its rows sorted by arrival have ever-growing part numbers. The
      // compaction undoes it.
      let parts = 0;
      for (const s of shards) {
        const active = await partsOf(s, true);
        parts += active.length;
        const blocks = new Map(active.map((p) => [String(p.name), Number(p.block)]));
        const located = (await query(s, "SELECT insert_id, _part AS part FROM events_local"))
          .map((r) => ({ rank: arrival.get(String(r.insert_id))!, block: blocks.get(String(r.part))! }))
          .sort((a, b) => a.rank - b.rank);
        for (let i = 1; i < located.length; i++)
          expect(located[i]!.block).toBeGreaterThanOrEqual(located[i - 1]!.block);
      }
      expect(parts).toBeGreaterThan(2);

      await h.store.compact();
      for (const [i, s] of shards.entries()) {
        const active = await partsOf(s, true);
        expect(active.map((p) => p.day)).toEqual(["2026-11-02"]);
        expect(await partsOf(s, false)).toEqual([]);
        // On disk too: the table's folder holds that one part (and the server's bookkeeping).
        const dir = join(cluster().folders[i]!, "data", "data", db, "events_local");
        const entries = readdirSync(dir).filter((f) => statSync(join(dir, f)).isDirectory() && f !== "detached");
        expect(entries).toEqual([String(active[0]!.name)]);
      }
      // Neither the storage order (a scan without ORDER BY) nor any column follows arrival.
      for (const s of shards) {
        const scan = await query(s, "SELECT insert_id FROM events_local");
        expect(scan.length).toBeGreaterThan(3);
        expect(
          Math.abs(kendallTau(scan.map((r, i): [number, number] => [arrival.get(String(r.insert_id))!, i]))),
        ).toBeLessThan(0.6);
      }
      const all = (await Promise.all(shards.map((s) => query(s, "SELECT * FROM events_local")))).flat();
      expect(all).toHaveLength(N);
      for (const column of Object.keys(all[0]!)) {
        const pairs = all.map((r): [number, string | number] => [
          arrival.get(String(r.insert_id))!,
          JSON.stringify(r[column]),
        ]);
        expect(Math.abs(kendallTau(pairs)), `events_local.${column}`).toBeLessThan(0.5);
      }
      // Deduplication by $insert_id is intact: a retried batch adds only its new event.
      await h.send([...sent.slice(0, 3), makeEvent({ user: 1 })]);
      expect(await h.store.countEvents()).toBe(N + 1);
      expect((await h.summary()).events).toBe(N + 1);
    } finally {
      await t.close();
    }
  }, 180_000);

  it("leaves no byte of a purged event in any shard's folder once the purge resolves", async () => {
    const t = await open("2025-01-10");
    const { h } = t;
    try {
      // Alone on its day (one row in its part), with fixed random-looking values: LZ4 stores them
      // as they are, so the bytes can be searched (a compressed repeat would not be).
      const gone = makeEvent({ user: 626262, codes: { "ParseError::ExtraToken": 2 } });
      const fixed = (seed: string): string => createHash("sha256").update(seed).digest("hex");
      Object.assign(gone.properties, {
        distinct_id: fixed("gone user"),
        workspace_folder: fixed("gone workspace"),
        $insert_id: fixed("gone event").slice(0, 32),
      });
      const secrets = [fixed("gone user"), fixed("gone workspace"), fixed("gone event").slice(0, 32)];
      await h.send([gone]);
      h.day = "2026-01-10";
      await h.send(Array.from({ length: 6 }, (_, u) => makeEvent({ user: 20 + u })));
      await h.summary("operator");
      h.day = "2026-01-11";
      await h.summary("shared");
      const bytes = (): string =>
        cluster()
          .folders.flatMap(files)
          .map((f) => readFileSync(f).toString("latin1"))
          .join("");
      for (const s of secrets) expect(bytes(), s).toContain(s);
      expect(await h.store.purge("2025-06-01")).toBe(1);
      const after = bytes();
      for (const s of secrets) expect(after, s).not.toContain(s);
      expect(await h.store.countEvents()).toBe(6);
      expect((await h.summary()).events).toBe(6);
    } finally {
      await t.close();
    }
  }, 180_000);
});
