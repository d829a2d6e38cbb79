/**
 * The rollup fold (`rollupStep`, `src/db/ingest.ts`) on random events, on SQLite and PostgreSQL:
 * folding the queue in random chunk sizes leaves every table of both sets exactly as folding it
 * at once does, and both equal a recount from the events (per-user, per-folder and per-day
 * figures counted with plain `GROUP BY`s over `events`; per-key figures, histograms and trend
 * keys recounted from the per-user tables).
 */
import fc from "fast-check";
import type { DiagnosticCode, ValidEvent } from "@polar-ide/telemetry";
import { describe, expect, it } from "vitest";
import type { Store } from "../src/index.js";
import { rollupStep } from "../src/db/ingest.js";
import { LIVE, SHARED, type RollupSet } from "../src/db/rollup-sql.js";
import { weekOf } from "../src/db/trend-sql.js";
import { emptyStore, onMigratedStore, rollupSnapshot, validEvent, withDatabases } from "./helpers.js";

const databases = withDatabases();

/** Across an ISO week boundary (2026-11-02 is a Monday). */
const DAYS = ["2026-10-30", "2026-11-01", "2026-11-02", "2026-11-04"];
const TODAY = "2026-11-05";
const CODES: DiagnosticCode[] = ["ParseError::UnrecognizedEOF", "ValidationWarning::MissingAllowRule"];

const eventArb = fc.record({
  day: fc.integer({ min: 0, max: DAYS.length - 1 }),
  user: fc.integer({ min: 0, max: 5 }),
  workspace: fc.integer({ min: 0, max: 3 }),
  codes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: CODES.length, maxLength: CODES.length }),
  extensions: fc.subarray(["polar", "other"]),
  version: fc.constantFrom("0.27.3", "0.28.0"),
});

const scenarioArb = fc.record({
  events: fc.array(eventArb, { minLength: 1, maxLength: 50 }),
  /** Chunk sizes of the stepwise fold, used in turn until the queue is empty. */
  chunks: fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 6 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

/** Rows of `sql` as sorted JSON (numbers as numbers on both backends). */
async function rows(store: Store, sql: string): Promise<string[]> {
  return (await store.db.all(sql))
    .map((r) => JSON.stringify(Object.values(r).map((v) => (typeof v === "string" ? v : Number(v)))))
    .sort();
}

/** Folds everything queued for `set` in the given chunk sizes (in turn); returns the steps. */
async function foldInChunks(store: Store, set: RollupSet, chunks: readonly number[]): Promise<number> {
  let steps = 0;
  for (let i = 0; ; i++) {
    const n = await rollupStep(store.db, set, chunks[i % chunks.length]!, set === SHARED ? TODAY : null);
    if (n === 0) return steps;
    steps++;
  }
}

/** Checks one set against a recount from `events` (and its own per-user tables). */
async function expectRecount(store: Store, s: RollupSet): Promise<void> {
  // Per user, per folder, per day: straight from the events.
  expect(await rows(store, `SELECT distinct_id, events, total FROM ${s.user} WHERE dim = 'all'`)).toEqual(
    await rows(store, "SELECT distinct_id, COUNT(*) AS events, COUNT(*) AS total FROM events GROUP BY distinct_id"),
  );
  expect(await rows(store, `SELECT workspace_folder, events FROM ${s.workspace} WHERE dim = 'all'`)).toEqual(
    await rows(store, "SELECT workspace_folder, COUNT(*) AS events FROM events GROUP BY workspace_folder"),
  );
  expect(
    await rows(store, `SELECT distinct_id, total, events FROM ${s.user} WHERE dim = 'code' AND key = '${CODES[0]}'`),
  ).toEqual(
    await rows(
      store,
      "SELECT distinct_id, SUM(parseerror_unrecognizedeof_count) AS total, COUNT(*) AS events FROM events WHERE parseerror_unrecognizedeof_count > 0 GROUP BY distinct_id",
    ),
  );
  expect(
    await rows(
      store,
      `SELECT period, distinct_id, events FROM ${s.trendUser} WHERE dim = 'all' AND grain = 'day' AND version = ''`,
    ),
  ).toEqual(await rows(store, "SELECT day, distinct_id, COUNT(*) AS events FROM events GROUP BY day, distinct_id"));
  // Weeks: recounted from the days (the ISO week of each day, computed here).
  const perWeek = new Map<string, number>();
  for (const r of await store.db.all("SELECT day, distinct_id, extversion FROM events")) {
    const k = JSON.stringify([weekOf(String(r.day)), String(r.extversion), String(r.distinct_id)]);
    perWeek.set(k, (perWeek.get(k) ?? 0) + 1);
  }
  expect(
    await rows(
      store,
      `SELECT period, version, distinct_id, events FROM ${s.trendUser} WHERE dim = 'all' AND grain = 'week' AND version <> ''`,
    ),
  ).toEqual([...perWeek].map(([k, n]) => JSON.stringify([...(JSON.parse(k) as string[]), n])).sort());
  // Per key: users, sums and folders from the per-user and per-folder tables.
  expect(await rows(store, `SELECT dim, key, users, total, events FROM ${s.key}`)).toEqual(
    await rows(
      store,
      `SELECT dim, key, COUNT(*) AS users, SUM(total) AS total, SUM(events) AS events FROM ${s.user} GROUP BY dim, key HAVING SUM(events) > 0`,
    ),
  );
  expect(await rows(store, `SELECT dim, key, workspaces FROM ${s.key} WHERE dim IN ('all', 'code')`)).toEqual(
    await rows(store, `SELECT dim, key, COUNT(*) AS workspaces FROM ${s.workspace} GROUP BY dim, key`),
  );
  expect(await rows(store, `SELECT dim, key, value, users FROM ${s.hist}`)).toEqual(
    await rows(
      store,
      `SELECT dim, key, total, COUNT(*) AS users FROM ${s.user} WHERE dim = 'code' GROUP BY dim, key, total`,
    ),
  );
  expect(await rows(store, `SELECT dim, key, grain, period, version, users, total, events FROM ${s.trendKey}`)).toEqual(
    await rows(
      store,
      `SELECT dim, key, grain, period, version, COUNT(*) AS users, SUM(total) AS total, SUM(events) AS events FROM ${s.trendUser} GROUP BY dim, key, grain, period, version`,
    ),
  );
}

async function run(store: Store, s: Scenario): Promise<void> {
  await emptyStore(store);
  const byDay = new Map<string, ValidEvent[]>();
  for (const e of s.events) byDay.set(DAYS[e.day]!, [...(byDay.get(DAYS[e.day]!) ?? []), validEvent(CODES, e)]);
  for (const [day, events] of byDay) expect(await store.insertBatch(day, events)).toBe(events.length);
  // Out of the inbox into events and the queues (reads and purges do this themselves).
  await store.materialiseInbox();

  // Stepwise, in the scenario's chunk sizes.
  const steps = await foldInChunks(store, LIVE, s.chunks);
  expect(steps).toBeGreaterThanOrEqual(Math.ceil(s.events.length / Math.max(...s.chunks)));
  if (s.chunks[0]! < s.events.length) expect(steps).toBeGreaterThan(1);
  await foldInChunks(store, SHARED, [...s.chunks].reverse());
  const stepwise = await rollupSnapshot(store);
  await expectRecount(store, LIVE);
  await expectRecount(store, SHARED);

  // At once: the same rollups.
  await store.rebuildRollups();
  expect(await foldInChunks(store, LIVE, [1_000_000])).toBe(1);
  expect(await foldInChunks(store, SHARED, [1_000_000])).toBe(1);
  expect(await rollupSnapshot(store)).toEqual(stepwise);
}

describe.each(databases.backends)("the rollup fold on %s", (name, makeDb) => {
  it("folded in random chunk sizes equals folded at once and a recount from the events", async () => {
    await onMigratedStore(await makeDb(), (store) =>
      fc.assert(
        fc.asyncProperty(scenarioArb, (s) => run(store, s)),
        { numRuns: name === "sqlite" ? 30 : 8 },
      ),
    );
  });
});
