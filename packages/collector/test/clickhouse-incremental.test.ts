/**
 * The incremental roll-up on the ClickHouse cluster (`src/db/clickhouse/rollup.ts`): a generation
 * built from the previous one plus the later days, and the one a purge leaves (the previous
 * generation minus the purged days), hold exactly the rows a build from the events alone holds.
 * Random events over several days, retried batches, rows stored twice on the same day and (two
 * deliveries racing over midnight) on the next one, purges in between.
 */
import type { ClickHouseClient } from "@clickhouse/client";
import { DIAGNOSTIC_CODES, type DiagnosticCode } from "@polar-ide/telemetry";
import { describe, expect, it } from "vitest";
import type { ClickHouseStore } from "../src/index.js";
import {
  buildGeneration,
  currentGeneration,
  groupedUserRows,
  partitionStates,
  userRows,
  type Generation,
} from "../src/db/clickhouse/rollup.js";
import { shardClients, withClickHouseCluster } from "./clickhouse-harness.js";
import { Harness } from "./harness.js";
import { randomBatch, seededRandom, type makeEvent } from "./helpers.js";

const cluster = withClickHouseCluster();

const DAYS = ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07"];

async function query(client: ClickHouseClient, sql: string): Promise<Record<string, unknown>[]> {
  return (await client.query({ query: sql, format: "JSONEachRow" })).json<Record<string, unknown>>();
}

/** Every row of a generation, per shard, in key order. */
async function contents(shards: readonly ClickHouseClient[], g: Generation): Promise<unknown> {
  return Promise.all(
    shards.map(async (s) => ({
      users: await query(s, `SELECT * FROM ${g.users} ORDER BY dim, key, distinct_id`),
      workspaces: await query(s, `SELECT * FROM ${g.workspaces} ORDER BY dim, key, workspace_folder`),
      trends: await query(s, `SELECT * FROM ${g.trends} ORDER BY dim, key, day, version, distinct_id`),
      sums:
        g.sums === null ? null : await query(s, `SELECT * FROM ${g.sums} ORDER BY dim, key, grain, period, version`),
      byUser: g.index === null ? null : await query(s, `SELECT * FROM ${g.index.users} ORDER BY distinct_id, dim, key`),
      byFolder:
        g.index === null
          ? null
          : await query(s, `SELECT * FROM ${g.index.folders} ORDER BY workspace_folder, dim, key`),
    })),
  );
}

/** The rolled tables on every shard. */
async function rolledTables(shards: readonly ClickHouseClient[]): Promise<string[][]> {
  return Promise.all(
    shards.map(async (s) =>
      (
        await query(
          s,
          "SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, 'rolled_')",
        )
      ).map((r) => String(r.name)),
    ),
  );
}

describe("incremental roll-up on the ClickHouse cluster", () => {
  for (const seed of [1, 2]) {
    it(`equals a build from the events after each new day and each purge (seed ${seed})`, async () => {
      const url = cluster().database();
      const h = (await Harness.startOn(url, 2, DAYS[0])) as Harness<ClickHouseStore>;
      const shards = shardClients(cluster(), url);
      try {
        const r = seededRandom(seed);
        const codes = DIAGNOSTIC_CODES.slice(0, 5) as DiagnosticCode[];
        const sent: ReturnType<typeof makeEvent>[][] = [];
        /** The generation now (the newest valid one). */
        const current = async (): Promise<Generation | null> =>
          currentGeneration(shards, await partitionStates(shards), null);
        /** Compares the current generation with one built from the events alone, which replaces it. */
        const compareWithFullBuild = async (): Promise<void> => {
          const g = await current();
          expect(g).not.toBeNull();
          expect(g!.sums).not.toBeNull();
          expect(g!.index).not.toBeNull();
          const incremental = await contents(shards, g!);
          for (const [i, list] of (await rolledTables(shards)).entries())
            for (const t of list) await shards[i]!.command({ query: `DROP TABLE ${t}` });
          const full = await buildGeneration(shards, g!.through);
          expect(full).toEqual(g);
          expect(await contents(shards, full!)).toEqual(incremental);
        };
        let incrementalBuilds = 0;
        let purgesKeeping = 0;
        for (const [i, day] of DAYS.entries()) {
          h.day = day;
          for (let b = 0; b < 3; b++) {
            const events = randomBatch(r, { min: 5, spread: 15, users: 30, codes });
            await h.send(events);
            sent.push(events);
            // A retried batch (skipped by the insert-time lookup).
            if (r() < 0.3) await h.send(sent[Math.floor(r() * sent.length)]!);
          }
          // Rows two deliveries racing past the lookup leave: on the same day, and over
          // midnight on the next one (copies of the previous day's rows).
          for (const s of shards) {
            await s.command({
              query: `INSERT INTO events_local SELECT * FROM events_local WHERE day = toDate('${day}') AND cityHash64(insert_id) % 7 = ${i % 7}`,
            });
            if (i > 0) {
              await s.command({
                query: `INSERT INTO events_local SELECT day + 1, insert_id, distinct_id, workspace_folder, extversion, cell_dim, cell_key,
cell_value, props_int, props_text FROM events_local WHERE day = toDate('${DAYS[i - 1]}') AND cityHash64(insert_id) % 4 = ${i % 4}`,
              });
            }
          }
          // Merged now, so that no background merge changes a partition later.
          await h.store.compact();
          const before = await current();
          const g = await buildGeneration(shards, day);
          expect(g?.through).toBe(day);
          if (before !== null) incrementalBuilds++;
          if (i === 3) {
            // Purge of the two oldest days: the generation minus them.
            await h.store.purge(DAYS[2]!);
            const after = await current();
            expect(after?.through).toBe(day);
            purgesKeeping++;
            await compareWithFullBuild();
          } else if (i === 5) {
            await h.store.purge(DAYS[3]!);
            expect((await current())?.through).toBe(day);
            purgesKeeping++;
            // Then one more day on top of the subtracted generation.
          } else if (i === 1 || i === 6) {
            await compareWithFullBuild();
          }
        }
        // Not vacuous: builds went from a previous generation, purges kept one.
        expect(incrementalBuilds).toBe(DAYS.length - 1);
        expect(purgesKeeping).toBe(2);
        // The per-user rows, summed per user in a map keyed by a hash of the cell and named back,
        // are the rows grouped by cell and user (and are those when the cells are too many).
        const last = `toDate('${DAYS[6]}')`;
        const wheres = [
          "1 = 1",
          `day > toDate('${DAYS[4]}')`,
          `day < ${last} AND insert_id NOT IN (SELECT insert_id FROM events_local WHERE day = ${last})`,
          "day < toDate('2000-01-01')",
        ];
        for (const where of wheres) {
          for (const s of shards) {
            const sorted = async (sql: string) => query(s, `SELECT * FROM (${sql}) ORDER BY dim, key, distinct_id`);
            const hashed = await userRows(where)(s);
            const grouped = await sorted(groupedUserRows(where));
            if (where.startsWith("day < toDate('2000")) expect(grouped).toEqual([]);
            else {
              expect(hashed).toContain("sumMap");
              expect(grouped.length).toBeGreaterThan(20);
            }
            expect(await sorted(hashed)).toEqual(grouped);
            expect(await userRows(where, 1)(s)).toBe(grouped.length === 0 ? hashed : groupedUserRows(where));
          }
        }
        // A purge of every rolled day leaves no generation.
        await h.store.purge("2026-12-01");
        expect((await rolledTables(shards)).flat()).toEqual([]);
      } finally {
        await h.close();
        for (const s of shards) await s.close();
      }
    }, 300_000);
  }
});
