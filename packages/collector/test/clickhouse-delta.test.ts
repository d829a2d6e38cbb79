/**
 * The live set's read after a batch on the ClickHouse cluster (`deltaSnapshot` in
 * `src/db/clickhouse/reader.ts`): the snapshot brought forward from the previous one by the
 * batch's users and folders equals the snapshot a store computes whole from the same events.
 * Batch after batch on the same day, from users seen on earlier days and new ones, retried
 * batches, rows stored twice behind the insert-time lookup (today, and over midnight as copies of
 * yesterday's events), on both shards; every figure of the dashboard and the suppression's
 * "users also outside" of every cell (those of the cells every user is in are carried over).
 */
import type { ClickHouseClient } from "@clickhouse/client";
import { DIAGNOSTIC_CODES, type DiagnosticCode } from "@polar-ide/telemetry";
import { describe, expect, it } from "vitest";
import { ClickHouseStore, type RollupReader } from "../src/index.js";
import { BREAKDOWN_DIMS } from "../src/db/vocabulary.js";
import { shardClients, withClickHouseCluster } from "./clickhouse-harness.js";
import { Harness } from "./harness.js";
import { makeEvent, randomBatch, seededRandom } from "./helpers.js";

const cluster = withClickHouseCluster();

const DAYS = ["2026-11-01", "2026-11-02", "2026-11-03"];
const TODAY = "2026-11-04";

/** The figures a dashboard reads, and "users also outside" of every cell. */
async function figures(reader: RollupReader): Promise<unknown> {
  const dims = ["all", "code", ...BREAKDOWN_DIMS];
  const breakdown = await reader.breakdown(dims);
  const outside = [];
  for (const [dim, list] of breakdown) {
    for (const c of list)
      outside.push({ dim, key: c.key, n: await reader.usersAlsoOutside({ dim, key: c.key }, 1000) });
  }
  return { totals: await reader.totals(), breakdown: [...breakdown], codes: await reader.codes(), outside };
}

async function tables(shards: readonly ClickHouseClient[]): Promise<string[]> {
  const r = await shards[0]!.query({
    query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, 'rolled_by')",
    format: "JSONEachRow",
  });
  return (await r.json<{ name: string }>()).map((t) => t.name).sort();
}

describe("the live set after a batch on the ClickHouse cluster", () => {
  for (const seed of [1, 2]) {
    it(`brought forward by each batch equals the set computed whole (seed ${seed})`, async () => {
      const url = cluster().database();
      const h = (await Harness.startOn(url, 2, DAYS[0])) as Harness<ClickHouseStore>;
      const shards = shardClients(cluster(), url);
      const whole = () => new ClickHouseStore(url);
      try {
        const r = seededRandom(seed);
        const codes = DIAGNOSTIC_CODES.slice(0, 4) as DiagnosticCode[];
        const sent: ReturnType<typeof randomBatch>[] = [];
        // Every user seen on earlier days has a successful load: `load/success` is a cell every
        // user is in (the suppression's batched "users also outside", carried over by a delta).
        h.day = DAYS[0]!;
        const seen = Array.from({ length: 30 }, (_, user) => makeEvent({ user, workspace: user * 2 }));
        await h.send(seen);
        sent.push(seen);
        for (const day of DAYS) {
          h.day = day;
          for (let b = 0; b < 3; b++) {
            const events = randomBatch(r, { min: 5, spread: 10, users: 30, codes });
            await h.send(events);
            sent.push(events);
          }
        }
        h.day = TODAY;
        await h.store.refreshShared(TODAY);
        expect(await tables(shards)).toHaveLength(2);
        // The first read computes the set whole (and lists today's events: the delta's base).
        await figures(h.store.live());
        expect(h.store.snapshots).toEqual({ whole: 2, delta: 0, carried: 0 }); // the shared set, then the live one
        for (let b = 0; b < 8; b++) {
          // Users seen on earlier days (0–29), and every other batch a new one (a success, then
          // a failure: in `load/success`, and outside it).
          const events = randomBatch(r, { min: 2, spread: 6, users: 30, codes });
          if (b % 2 === 1) {
            const user = 30 + b;
            events.push(makeEvent({ user, workspace: user * 2 }));
            events.push(makeEvent({ user, workspace: user * 2 + 1, codes: { [codes[0]!]: 2 } }));
          }
          await h.send(events);
          sent.push(events);
          // A retried batch: skipped by the insert-time lookup, or (b = 3) stored again behind
          // it (two deliveries racing); b = 5: copies of yesterday's events stored today (over
          // midnight), which no figure counts twice.
          if (r() < 0.5) await h.send(sent[Math.floor(r() * sent.length)]!);
          if (b === 3 || b === 5) {
            for (const s of shards) {
              await s.command({
                query:
                  b === 3
                    ? `INSERT INTO events_local SELECT * FROM events_local WHERE day = toDate('${TODAY}') AND cityHash64(insert_id) % 3 = 0`
                    : `INSERT INTO events_local SELECT day + 1, insert_id, distinct_id, workspace_folder, extversion, cell_dim, cell_key,
cell_value, props_int, props_text FROM events_local WHERE day = toDate('${DAYS[2]}') AND cityHash64(insert_id) % 3 = 0`,
              });
            }
          }
          // b = 6: today's parts merged into one, which holds events of earlier reads and the
          // batch's: only the latter are added.
          if (b === 6) await h.store.compact();
          const before = h.store.snapshots.delta;
          const got = await figures(h.store.live());
          expect(h.store.snapshots.delta).toBe(before + 1);
          const other = whole();
          try {
            expect(got).toEqual(await figures(other.live()));
            expect(other.snapshots).toEqual({ whole: 1, delta: 0, carried: 0 });
          } finally {
            await other.close();
          }
        }
        // Not vacuous: every event sent is in the live set once, today's from both kinds of users.
        const totals = await h.store.live().totals();
        expect(totals.events).toBe(new Set(sent.flat().map((e) => e.properties.$insert_id)).size);
        expect(h.store.snapshots.whole).toBe(2);
        expect(h.store.snapshots.carried).toBeGreaterThan(4);
        const success = await h.store.live().usersAlsoOutside({ dim: "load", key: "success" }, 1000);
        expect(success).toBeGreaterThan(4);
      } finally {
        await h.close();
        for (const s of shards) await s.close();
      }
    }, 600_000);
  }
});
