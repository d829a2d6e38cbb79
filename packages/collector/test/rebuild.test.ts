/**
 * The set-based rebuild (`rebuildSets`, `src/db/rebuild.ts`) on random events, on SQLite and
 * PostgreSQL: it leaves every table of both rollup sets, and the shared set's queue, exactly as
 * folding every event does (`rollupStep`, the incremental fold: live set, then the shared set up
 * to a day), whatever the events' users, folders, days (some on or after the shared set's
 * bound), codes, loads, LSP methods, file extensions, size buckets, rule types and environment.
 */
import fc from "fast-check";
import { DIAGNOSTIC_CODES, LSP_METHODS, validateBatch, type ValidEvent } from "@polar-ide/telemetry";
import { describe, expect, it } from "vitest";
import type { Store } from "../src/index.js";
import { rollupStep } from "../src/db/ingest.js";
import { rebuildSets } from "../src/db/rebuild.js";
import { LIVE, SHARED } from "../src/db/rollup-sql.js";
import { emptyStore, makeEvent, onMigratedStore, rollupSnapshot, withDatabases } from "./helpers.js";

const databases = withDatabases();

/** Across an ISO week boundary (2026-11-02 is a Monday); the last two on or after `BOUND`. */
const DAYS = ["2026-10-30", "2026-11-01", "2026-11-02", "2026-11-04", "2026-11-05", "2026-11-06"];
const BOUND = "2026-11-05";
const CODES = [
  "ParseError::UnrecognizedEOF",
  "ValidationError::InvalidRuleType",
  "ValidationWarning::MissingAllowRule",
] as const;

const eventArb = fc.record({
  day: fc.integer({ min: 0, max: DAYS.length - 1 }),
  user: fc.integer({ min: 0, max: 6 }),
  workspace: fc.integer({ min: 0, max: 4 }),
  codes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: CODES.length, maxLength: CODES.length }),
  unknown: fc.integer({ min: 0, max: 2 }),
  extensions: fc.subarray(["polar", "other"]),
  method: fc.constantFrom(...LSP_METHODS),
  version: fc.constantFrom("0.27.3", "0.28.0", "0.29.1"),
  os: fc.constantFrom("linux", "darwin"),
  newInstall: fc.boolean(),
  chars: fc.constantFrom(0, 500, 5_000, 50_000, 500_000),
  files: fc.integer({ min: 0, max: 12 }),
  ruleTypes: fc.integer({ min: 0, max: 2 }),
  roles: fc.integer({ min: 0, max: 1 }),
});
type RandomEvent = typeof eventArb extends fc.Arbitrary<infer T> ? T : never;

function event(e: RandomEvent): ValidEvent {
  const codes: Partial<Record<(typeof DIAGNOSTIC_CODES)[number], number>> = {};
  CODES.forEach((c, i) => {
    if (e.codes[i]! > 0) codes[c] = e.codes[i]!;
  });
  const r = validateBatch([
    makeEvent({
      user: e.user,
      workspace: e.workspace,
      codes,
      unknown: e.unknown,
      extensions: e.extensions,
      method: e.method,
      gauges: { polar_chars: e.chars, polar_files: e.files, rule_types: e.ruleTypes, roles: e.roles },
      env: { extversion: e.version, os: e.os, isnewappinstall: e.newInstall },
    }),
  ]);
  if (!r.ok) throw new Error(r.message);
  return r.events[0]!;
}

/** The shared set's queue, sorted. */
async function queued(store: Store): Promise<string[]> {
  return (await store.db.all("SELECT day, id FROM pending_shared"))
    .map((r) => `${String(r.day)} ${String(r.id)}`)
    .sort();
}

async function run(store: Store, events: readonly RandomEvent[]): Promise<void> {
  await emptyStore(store);
  const byDay = new Map<string, ValidEvent[]>();
  for (const e of events) byDay.set(DAYS[e.day]!, [...(byDay.get(DAYS[e.day]!) ?? []), event(e)]);
  for (const [day, batch] of byDay) expect(await store.insertBatch(day, batch)).toBe(batch.length);
  await store.materialiseInbox();

  // The incremental fold, in steps of 7 events.
  while ((await rollupStep(store.db, LIVE, 7, null)) > 0);
  while ((await rollupStep(store.db, SHARED, 7, BOUND)) > 0);
  const folded = await rollupSnapshot(store);
  const foldedQueue = await queued(store);
  expect(await store.db.all("SELECT id FROM pending_rollup")).toEqual([]);

  await rebuildSets(store.db, BOUND);
  expect(await rollupSnapshot(store)).toEqual(folded);
  expect(await queued(store)).toEqual(foldedQueue);
  expect(await store.db.all("SELECT id FROM pending_rollup")).toEqual([]);
  // Nothing of the rebuild's scratch work is left behind.
  for (const t of ["trend_days", "rollup_delta", "trend_delta"])
    expect(await store.db.all(`SELECT * FROM ${t}`)).toEqual([]);
}

describe.each(databases.backends)("the set-based rebuild on %s", (name, makeDb) => {
  it("equals the incremental fold of every event (random events)", async () => {
    await onMigratedStore(await makeDb(), (store) =>
      fc.assert(
        fc.asyncProperty(fc.array(eventArb, { minLength: 1, maxLength: 60 }), (events) => run(store, events)),
        { numRuns: name === "sqlite" ? 30 : 10 },
      ),
    );
  });

  it("runs through the store (the SQLite writer thread) with batches still in the inbox", async () => {
    await onMigratedStore(await makeDb(), async (store) => {
      await emptyStore(store);
      const events = fc.sample(eventArb, { numRuns: 80, seed: 12 });
      const byDay = new Map<string, ValidEvent[]>();
      for (const e of events) byDay.set(DAYS[e.day]!, [...(byDay.get(DAYS[e.day]!) ?? []), event(e)]);
      for (const [day, batch] of byDay) await store.insertBatch(day, batch);
      await store.refresh();
      await store.refreshShared(BOUND);
      const folded = await rollupSnapshot(store);
      // Rollups and queue spoilt: the rebuild starts from the events alone.
      for (const t of ["rollup_key", "shared_trend_user", "pending_shared"]) await store.db.run(`DELETE FROM ${t}`);
      await store.db.run("UPDATE rollup_user SET total = total + 1");
      // Retried batches, still in the inbox: materialised first, and counted once.
      for (const [day, batch] of byDay) await store.insertBatch(day, batch.slice(0, 1));
      await store.rebuild(BOUND);
      expect(await rollupSnapshot(store)).toEqual(folded);
      expect(await queued(store)).toEqual(
        (await store.db.all("SELECT day, id FROM events WHERE day >= ?", [BOUND]))
          .map((r) => `${String(r.day)} ${String(r.id)}`)
          .sort(),
      );
    });
  });

  it("rebuilds empty sets from no events", async () => {
    await onMigratedStore(await makeDb(), async (store) => {
      await emptyStore(store);
      await rebuildSets(store.db, BOUND);
      for (const rows of Object.values(await rollupSnapshot(store))) expect(rows).toEqual([]);
    });
  });
});
