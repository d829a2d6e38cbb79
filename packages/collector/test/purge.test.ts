/**
 * Purge by subtraction (`src/db/purge.ts`): on random events (users, folders, codes, file
 * extensions, versions, days across a week boundary), some already folded into the live or the
 * shared set and some still queued, purging before a random day leaves every rollup table of
 * both sets (per user, per folder, per key, histograms, trends) exactly as a rebuild from the
 * remaining events would, on SQLite and PostgreSQL — also when the purge stops after any of its
 * chunks (each one transaction), which catches trend rows of a period deleted outright while
 * some of its events stay.
 */
import fc from "fast-check";
import type { DiagnosticCode, ValidEvent } from "@polar-ide/telemetry";
import { describe, expect, it } from "vitest";
import type { Store } from "../src/index.js";
import type { Db } from "../src/db/driver.js";
import { purgeBefore } from "../src/db/purge.js";
import { ROLLUP_TABLES, emptyStore, onMigratedStore, rollupSnapshot, validEvent, withDatabases } from "./helpers.js";

const databases = withDatabases();

/** Monday 2026-10-26 to Tuesday 2026-11-03: two ISO weeks. */
const DAYS = ["2026-10-26", "2026-10-28", "2026-10-31", "2026-11-01", "2026-11-02", "2026-11-03"];
const TODAY = "2026-11-03";
const CODES: DiagnosticCode[] = [
  "ParseError::UnrecognizedEOF",
  "ValidationError::InvalidRuleType",
  "ValidationWarning::MissingAllowRule",
];

const eventArb = fc.record({
  day: fc.integer({ min: 0, max: DAYS.length - 1 }),
  user: fc.integer({ min: 0, max: 6 }),
  workspace: fc.integer({ min: 0, max: 4 }),
  codes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: CODES.length, maxLength: CODES.length }),
  extensions: fc.subarray(["polar", "other"]),
  version: fc.constantFrom("0.27.3", "0.28.0"),
  os: fc.constantFrom("linux", "darwin"),
});

const scenarioArb = fc.record({
  // Up to 60 events (fast-check's default size draws ~10 at most): a user with several purged
  // rows of a week that keeps later days, whose figures must be summed before subtracting.
  events: fc.array(eventArb, { minLength: 1, maxLength: 60, size: "max" }),
  /** How many events each set folds before the purge (in steps of 7), as a share of all. */
  liveFolded: fc.integer({ min: 0, max: 100 }),
  sharedFolded: fc.integer({ min: 0, max: 100 }),
  /** Purge before this day (index into DAYS, or past the last day). */
  cutoff: fc.integer({ min: 0, max: DAYS.length }),
  chunk: fc.constantFrom(3, 1_000),
  /** Stop the purge after this many chunks (as a crash between two would), or 0: let it finish. */
  stopAfter: fc.integer({ min: 0, max: 6 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

const STOPPED = "stopped between two chunks";

/** `db` for a purge that stops (throws) instead of starting its transaction after the first `n`. */
function stopping(db: Db, n: number): Db {
  let started = 0;
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "exclusive")
        return (...args: Parameters<Db["exclusive"]>) =>
          ++started > n ? Promise.reject(new Error(STOPPED)) : target.exclusive(...args);
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function run(store: Store, s: Scenario): Promise<void> {
  await emptyStore(store);
  const byDay = new Map<string, ValidEvent[]>();
  for (const e of s.events) {
    const day = DAYS[e.day]!;
    byDay.set(day, [...(byDay.get(day) ?? []), validEvent(CODES, e)]);
  }
  for (const [day, events] of byDay) expect(await store.insertBatch(day, events)).toBe(events.length);
  // Out of the inbox into events and the queues (reads and purges do this themselves).
  await store.materialiseInbox();
  // Fold part of the events into each set: the rest stays queued through the purge.
  const live = Math.floor((s.events.length * s.liveFolded) / 100);
  for (let done = 0; done < live; done += 7) await store.refresh(Math.min(7, live - done));
  const shared = Math.floor((s.events.length * s.sharedFolded) / 100);
  for (let done = 0; done < shared; done += 7) await store.refreshShared(TODAY, Math.min(7, shared - done));

  const cutoff = DAYS[s.cutoff] ?? "2026-12-01";
  const expectedGone = s.events.filter((e) => DAYS[e.day]! < cutoff).length;
  if (s.stopAfter === 0) {
    expect(await purgeBefore(store.db, cutoff, s.chunk)).toBe(expectedGone);
    expect(await store.countEvents()).toBe(s.events.length - expectedGone);
  } else {
    // Every chunk is a transaction: the rollups after any of them must equal a rebuild too (a
    // day or week whose rows went outright must really have no event left).
    // (A purge of fewer chunks finishes.)
    await purgeBefore(stopping(store.db, s.stopAfter), cutoff, s.chunk).catch((e: unknown) => {
      if (!(e instanceof Error) || e.message !== STOPPED) throw e;
    });
    expect(await store.countEvents()).toBeGreaterThanOrEqual(s.events.length - expectedGone);
  }
  await store.refresh();
  await store.refreshShared(TODAY);
  const purged = await rollupSnapshot(store);

  // From scratch: empty both sets, fold every remaining event again.
  await store.rebuildRollups();
  await store.refresh();
  await store.refreshShared(TODAY);
  expect(purged).toEqual(await rollupSnapshot(store));
}

describe.each(databases.backends)("purge on %s", (name, makeDb) => {
  it("leaves the rollups of both sets equal to a rebuild from the remaining events (random data)", async () => {
    await onMigratedStore(await makeDb(), (store) =>
      fc.assert(
        fc.asyncProperty(scenarioArb, (s) => run(store, s)),
        { numRuns: name === "sqlite" ? 40 : 12 },
      ),
    );
  });

  it("subtracts a purged user's codes, folders and trends: nothing of them is left", async () => {
    await onMigratedStore(await makeDb(), async (store) => {
      // One old event of user 6 only (on its own folder), and newer events of others.
      const old = validEvent(CODES, {
        user: 6,
        workspace: 4,
        codes: [2, 0, 1],
        extensions: ["other"],
        version: "0.27.3",
        os: "darwin",
      });
      await store.insertBatch("2026-10-26", [old]);
      const recent = [0, 1, 2].map((u) =>
        validEvent(CODES, {
          user: u,
          workspace: u,
          codes: [1, 0, 0],
          extensions: ["polar"],
          version: "0.28.0",
          os: "linux",
        }),
      );
      await store.insertBatch("2026-11-02", recent);
      await store.refresh();
      await store.refreshShared(TODAY);
      expect(await store.purge("2026-10-27")).toBe(1);
      await store.refresh();
      await store.refreshShared(TODAY);
      expect(await store.live().totals()).toEqual({ events: 3, users: 3, workspaces: 3 });
      expect(await store.shared().totals()).toEqual({ events: 3, users: 3, workspaces: 3 });
      const codes = await store.codes();
      expect(codes.map((c) => c.key)).toEqual(["ParseError::UnrecognizedEOF"]);
      expect(codes[0]).toMatchObject({ users: 3, total: 3, workspaces: 3, hist: [{ value: 1, users: 3 }] });
      const ext = (await store.breakdown(["lsp_extension", "env:os"])).get("lsp_extension")!;
      expect(ext.map((r) => r.key)).toEqual(["polar"]);
      for (const t of ROLLUP_TABLES) {
        const rows = await store.db.all(`SELECT * FROM ${t}`);
        expect(JSON.stringify(rows), t).not.toContain(old.properties.distinct_id as string);
        expect(JSON.stringify(rows), t).not.toContain("2026-10-26");
      }
    });
  });
});
