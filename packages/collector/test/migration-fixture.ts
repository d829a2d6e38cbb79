/**
 * What the SQL migration tests share (`events-by-day.test.ts`, `queues-by-day.test.ts`): a filled
 * database — rollups folded, events still queued for both sets, a retried batch — and, after the
 * migration under test, the checks that it still behaves: the queued events fold to what a
 * rebuild makes, a retried batch counts once, a purge equals a rebuild from the remaining events.
 */
import { expect } from "vitest";
import type { Store } from "../src/index.js";
import { rebuildSets } from "../src/db/rebuild.js";
import { BREAKDOWN_DIMS } from "../src/db/vocabulary.js";
import type { Db, SqlValue } from "../src/db/driver.js";
import { randomBatch, rollupSnapshot, seededRandom } from "./helpers.js";

export const DAYS = ["2026-10-29", "2026-10-30", "2026-11-01", "2026-11-02", "2026-11-03"] as const;
/** The shared set's bound: the days before it are complete. */
export const BOUND = "2026-11-03";
export const CODES = ["ParseError::UnrecognizedEOF", "ValidationError::InvalidRuleType"] as const;

/** Every figure the read API answers from both sets, as plain data (trend cells in a fixed order). */
export async function figures(store: Store): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, reader] of [
    ["live", store.live()],
    ["shared", store.shared()],
  ] as const) {
    const breakdown = await reader.breakdown(["all", "code", ...BREAKDOWN_DIMS]);
    const trends: Record<string, unknown> = {};
    for (const [dim, key] of [["all", ""], ...CODES.map((c) => ["code", c])] as const)
      trends[`${dim}:${key}`] = (await reader.trend(dim, key)).map((t) => JSON.stringify(t)).sort();
    out[name] = { totals: await reader.totals(), codes: await reader.codes(), breakdown: [...breakdown], trends };
  }
  return JSON.parse(JSON.stringify(out, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v)));
}

/** Every row of `sql`'s answer, as sorted JSON (integers the same whichever driver read them). */
export async function rows(db: Db, sql: string): Promise<string[]> {
  return (await db.all(sql))
    .map((r) => JSON.stringify(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])))
    .sort();
}

/** The query plan of `sql`, one line per step (SQLite). */
export async function plan(db: Db, sql: string, params: readonly SqlValue[] = []): Promise<string> {
  return (await db.all(`EXPLAIN QUERY PLAN ${sql}`, params)).map((r) => String(r.detail)).join("\n");
}

/**
 * Fills a migrated store: a batch a day, folded for both sets, then the last day's late events and
 * a retry of part of the second day's batch, left queued. Returns the batches sent per day.
 */
export async function fillWithQueued(store: Store, seed: number): Promise<Record<string, unknown>[][]> {
  const r = seededRandom(seed);
  const sent: Record<string, unknown>[][] = [];
  for (const day of DAYS) {
    const batch = randomBatch(r, { min: 20, spread: 20, users: 12, codes: CODES, versions: 2 });
    sent.push(batch);
    await store.insertBatch(day, batch as never);
  }
  await store.refresh();
  await store.refreshShared(BOUND);
  const late = randomBatch(r, { min: 15, spread: 5, users: 12, codes: CODES, versions: 2 });
  await store.insertBatch(DAYS[4]!, [...late, ...sent[1]!.slice(0, 5)] as never);
  await store.materialiseInbox();
  return sent;
}

/**
 * After a migration: the queued events fold (the live queue empties) and every figure equals a rebuild from the events; a
 * retried batch (of `sent`, as `fillWithQueued` returned it) is counted once; a purge of the days
 * before the third equals a rebuild from the remaining events.
 */
export async function expectFoldRetryPurge(store: Store, sent: readonly Record<string, unknown>[][]): Promise<void> {
  await store.refresh();
  await store.refreshShared(BOUND);
  expect(await store.db.all("SELECT id FROM pending_rollup")).toEqual([]);
  const folded = await figures(store);
  const foldedRows = await rollupSnapshot(store);
  await store.rebuild(BOUND);
  expect(await rollupSnapshot(store)).toEqual(foldedRows);
  expect(await figures(store)).toEqual(folded);

  const stored = await store.countEvents();
  await store.insertBatch(DAYS[2]!, sent[2]!.slice(0, 7) as never);
  await store.materialiseInbox();
  expect(await store.countEvents()).toBe(stored);

  await store.purge(DAYS[2]!);
  const purged = await rollupSnapshot(store);
  await rebuildSets(store.db, BOUND);
  expect(await rollupSnapshot(store)).toEqual(purged);
  expect((await store.db.all("SELECT MIN(day) AS d FROM events"))[0]!.d).toBe(DAYS[2]);
}
