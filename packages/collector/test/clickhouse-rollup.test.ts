/**
 * The rolled-up days on the ClickHouse cluster (`src/db/clickhouse/rollup.ts`) give the figures
 * the events give: on random events over several days (retried batches, and rows stored twice
 * behind the insert-time lookup on the same day and on the next one, as two deliveries racing
 * over midnight leave them), every figure and lookup of the live set (a generation of the
 * complete days merged with today's events) and of the shared set (the generation alone) equals
 * what the same store answers from the events once the generation is gone.
 */
import type { ClickHouseClient } from "@clickhouse/client";
import { DIAGNOSTIC_CODES, type DiagnosticCode } from "@polar-ide/telemetry";
import { describe, expect, it } from "vitest";
import type { ClickHouseStore, RollupReader } from "../src/index.js";
import type { CellRef, TrendRef } from "../src/db/backend.js";
import { BREAKDOWN_DIMS } from "../src/db/vocabulary.js";
import { shardClients, withClickHouseCluster } from "./clickhouse-harness.js";
import { Harness } from "./harness.js";
import { makeEvent, randomBatch, seededRandom } from "./helpers.js";

const cluster = withClickHouseCluster();

const DAYS = ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"];

async function query(client: ClickHouseClient, sql: string): Promise<Record<string, unknown>[]> {
  return (await client.query({ query: sql, format: "JSONEachRow" })).json<Record<string, unknown>>();
}

/** Every figure and lookup of a reader, the lookups over cells drawn with `seed`. */
async function figures(reader: RollupReader, seed: number): Promise<unknown> {
  const r = seededRandom(seed);
  const dims = ["all", "code", ...BREAKDOWN_DIMS];
  const breakdown = await reader.breakdown(dims);
  const cells: CellRef[] = [...breakdown].flatMap(([dim, list]) => list.map((c) => ({ dim, key: c.key })));
  cells.push({ dim: "env:os", key: "no such os" });
  const pick = (from: readonly CellRef[]): CellRef[] => from.filter(() => r() < 0.3);
  const codes = cells.filter((c) => c.dim === "code" || c.dim === "all");
  const unions = [];
  for (let i = 0; i < 12; i++) {
    const cellsOfUnion = pick(cells);
    unions.push({ cells: cellsOfUnion, users: await reader.unionUsers(cellsOfUnion) });
    const codesOfUnion = pick(codes);
    unions.push({ cells: codesOfUnion, workspaces: await reader.unionWorkspaces(codesOfUnion) });
  }
  const outside = [];
  for (const c of cells) outside.push({ c, n: await reader.usersAlsoOutside(c, 1000) });
  // The trends: every series the trends follow, and their lookups over cells drawn from them.
  const series: CellRef[] = [
    { dim: "all", key: "" },
    { dim: "load", key: "success" },
    { dim: "load", key: "failure" },
    ...cells.filter((c) => c.dim === "code"),
  ];
  const trends = [];
  const trendCells: TrendRef[] = [];
  for (const s of series) {
    const rows = await reader.trend(s.dim, s.key);
    const sorted = rows.sort((a, b) =>
      `${a.grain}|${a.period}|${a.version}`.localeCompare(`${b.grain}|${b.period}|${b.version}`),
    );
    trends.push({ ...s, rows: sorted });
    trendCells.push(
      ...rows.map((row) => ({ dim: s.dim, key: s.key, grain: row.grain, period: row.period, version: row.version })),
    );
  }
  const trendLookups = [];
  for (let i = 0; i < 8; i++) {
    const of = trendCells.filter(() => r() < 0.2);
    trendLookups.push({ union: of, users: await reader.trendUnionUsers(of) });
  }
  for (const s of series) trendLookups.push({ s, other: await reader.trendOtherUsers(s.dim, s.key, ["0.1.0"]) });
  for (const c of trendCells.filter(() => r() < 0.2).slice(0, 12)) {
    trendLookups.push({ c, outside: await reader.trendUsersAlsoOutside(c, 1000) });
  }
  return {
    totals: await reader.totals(),
    breakdown: [...breakdown],
    codes: await reader.codes(),
    unions,
    outside,
    trends,
    trendLookups,
  };
}

describe("rolled-up days on the ClickHouse cluster", () => {
  for (const seed of [1, 2]) {
    it(`answer what the events answer (random events, seed ${seed})`, async () => {
      const url = cluster().database();
      const h = (await Harness.startOn(url, 2, DAYS[0])) as Harness<ClickHouseStore>;
      const shards = shardClients(cluster(), url);
      try {
        const r = seededRandom(seed);
        const codes = DIAGNOSTIC_CODES.slice(0, 5) as DiagnosticCode[];
        const sent: { day: string; events: ReturnType<typeof makeEvent>[] }[] = [];
        for (const day of DAYS) {
          h.day = day;
          for (let b = 0; b < 4; b++) {
            const events = randomBatch(r, { min: 5, spread: 20, users: 40, codes, versions: 4 });
            await h.send(events);
            sent.push({ day, events });
            // Retried later: the same day or the next (skipped by the insert-time lookup).
            if (r() < 0.3) {
              const again = sent[Math.floor(r() * sent.length)]!;
              await h.send(again.events);
            }
          }
        }
        // Rows two deliveries racing past the lookup leave: on the same day, and (over
        // midnight) on the next one, on the shard that has the original.
        for (const s of shards) {
          await s.command({
            query: "INSERT INTO events_local SELECT * FROM events_local WHERE cityHash64(insert_id) % 7 = 0",
          });
          await s.command({
            query: `INSERT INTO events_local SELECT day + 1, insert_id, distinct_id, workspace_folder, extversion, cell_dim, cell_key,
cell_value, props_int, props_text FROM events_local WHERE cityHash64(insert_id) % 5 = 1 AND day < toDate('${DAYS[DAYS.length - 1]}')`,
          });
        }
        // Merges collapse the copies on the same day in the background, changing the partitions
        // (and so which generation is current): collapsed now, before the roll-up. The copies
        // over midnight stay (two partitions).
        await h.store.compact();
        const today = DAYS[DAYS.length - 1]!;
        h.day = today;
        // Rolled: the complete days in a generation, today's events merged with it.
        await h.store.refreshShared(today);
        const rolled = (
          await Promise.all(
            shards.map((s) =>
              query(
                s,
                "SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, 'rolled_')",
              ),
            ),
          )
        ).map((list) => list.map((t) => String(t.name)).sort());
        for (const list of rolled) {
          expect(list).toHaveLength(6);
          expect(list[0]).toMatch(/^rolled_byfolder_20261103_/);
          expect(list[1]).toMatch(/^rolled_byuser_20261103_/);
          expect(list[2]).toMatch(/^rolled_sums_20261103_/);
          expect(list[3]).toMatch(/^rolled_trends_20261103_/);
          expect(list[4]).toMatch(/^rolled_users_20261103_/);
        }
        const sharedRolled = await figures(h.store.shared(), seed);
        await h.store.refresh();
        const liveRolled = await figures(h.store.live(), seed);
        // A generation without trend sums and index tables (as an older collector built it): the
        // trends are computed from its per-user rows, the same; the next roll-up adds them.
        for (const [i, s] of shards.entries())
          for (const t of rolled[i]!.slice(0, 3)) await s.command({ query: `DROP TABLE ${t}` });
        expect(await figures(h.store.live(), seed)).toEqual(liveRolled);
        await h.store.refreshShared(today);
        for (const [i, s] of shards.entries()) {
          const names = await query(
            s,
            "SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, 'rolled_')",
          );
          expect(names.map((t) => String(t.name)).sort()).toEqual(rolled[i]);
        }
        // From the events: the generation dropped behind the store's back.
        for (const [i, s] of shards.entries())
          for (const t of rolled[i]!) await s.command({ query: `DROP TABLE ${t}` });
        const sharedFresh = await figures(h.store.shared(), seed);
        await h.store.refresh();
        const liveFresh = await figures(h.store.live(), seed);
        expect(liveRolled).toEqual(liveFresh);
        expect(sharedRolled).toEqual(sharedFresh);
        // Not vacuous: today's events and the repeats over midnight are in the live set.
        const totals = (liveFresh as { totals: { events: number } }).totals;
        expect(totals.events).toBe(sent.reduce((s, b) => s + b.events.length, 0));
        expect((sharedFresh as { totals: { events: number } }).totals.events).toBeLessThan(totals.events);
      } finally {
        await h.close();
        for (const s of shards) await s.close();
      }
    }, 600_000);
  }
});
