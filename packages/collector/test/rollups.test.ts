/**
 * The rollups on SQLite and PostgreSQL: folded in many small steps they equal a recomputation
 * from the events sent, for the live set (every event) and the shared set (events of complete
 * days only); retention deletes old events and rebuilds both sets from the rest.
 */
import { describe, expect, it } from "vitest";
import type { ValidEvent } from "@polar-ide/telemetry";
import type { SetReader } from "../src/db/queries.js";
import { startCollector } from "../src/index.js";
import { Harness, testConfig } from "./harness.js";
import { freePort, makeEvent, withDatabases } from "./helpers.js";

const databases = withDatabases();

const CODES = [
  "ParseError::UnrecognizedEOF",
  "ValidationError::InvalidRule",
  "ValidationWarning::MissingAllowRule",
] as const;
type Ev = ReturnType<typeof makeEvent>;

/** Per-code figures recomputed from the events. */
function expected(sent: readonly Ev[]) {
  return CODES.map((code) => {
    const prop = code.replace("::", "_") + "_count";
    const perUser = new Map<unknown, number>();
    const ws = new Set<unknown>();
    let events = 0;
    for (const e of sent) {
      const v = (e.properties[prop] as number | undefined) ?? 0;
      if (v === 0) continue;
      events++;
      ws.add(e.properties.workspace_folder);
      perUser.set(e.properties.distinct_id, (perUser.get(e.properties.distinct_id) ?? 0) + v);
    }
    const totals = [...perUser.values()].sort((a, b) => a - b);
    const total = totals.reduce((a, b) => a + b, 0);
    const at = (p: number) => totals[Math.max(1, Math.ceil(p * totals.length)) - 1];
    return {
      code,
      total,
      events,
      users: totals.length,
      workspaces: ws.size,
      max: totals[totals.length - 1],
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
    };
  })
    .filter((c) => c.events > 0)
    .sort((a, b) => a.code.localeCompare(b.code));
}

async function got(reader: SetReader) {
  return (await reader.codes())
    .map((c) => ({
      code: c.key,
      total: c.total,
      events: c.events,
      users: c.users,
      workspaces: c.workspaces,
      max: c.max,
      p50: c.p50,
      p90: c.p90,
      p99: c.p99,
    }))
    .sort((a, b) => a.code.localeCompare(b.code));
}

const totalsOf = (sent: readonly Ev[]) => ({
  events: sent.length,
  users: new Set(sent.map((e) => e.properties.distinct_id)).size,
  workspaces: new Set(sent.map((e) => e.properties.workspace_folder)).size,
});

describe.each(databases.backends)("rollups on %s", (_name, makeDb) => {
  it("keep both sets equal to a recomputation from the events, across many small steps and days", async () => {
    const h = await Harness.start(await makeDb(), 2, "2026-11-01");
    try {
      let seed = 42;
      const rand = (m: number): number => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % m;
      };
      const sent: { day: string; event: Ev }[] = [];
      for (let b = 0; b < 6; b++) {
        h.day = `2026-11-0${1 + Math.floor(b / 2)}`;
        const batch = [];
        for (let i = 0; i < 15; i++) {
          const chosen: Partial<Record<(typeof CODES)[number], number>> = {};
          for (const c of CODES) if (rand(3) === 0) chosen[c] = 1 + rand(6);
          batch.push(makeEvent({ user: rand(9), workspace: rand(12), codes: chosen }));
        }
        sent.push(...batch.map((event) => ({ day: h.day, event })));
        await h.send(batch);
        await h.store.refresh(4);
        await h.store.refreshShared(h.day, 4);
        const all = sent.map((s) => s.event);
        const before = sent.filter((s) => s.day < h.day).map((s) => s.event);
        expect(await got(h.store.live())).toEqual(expected(all));
        expect(await h.store.live().totals()).toEqual(totalsOf(all));
        expect(await got(h.store.shared())).toEqual(expected(before));
        expect(await h.store.shared().totals()).toEqual(
          before.length === 0 ? { events: 0, users: 0, workspaces: 0 } : totalsOf(before),
        );
      }
    } finally {
      await h.close();
    }
  });

  it("folds closed days into the shared set in the background, before anyone reads it", async () => {
    const collector = await startCollector({ ...testConfig(await makeDb()), port: await freePort() });
    try {
      const events = [1, 2, 3].map((user) => makeEvent({ user }) as unknown as ValidEvent);
      // Events of a day long closed, stored the way ingest stores them.
      expect(await collector.store.insertBatch("2026-01-01", events)).toBe(3);
      const deadline = Date.now() + 30_000;
      // Read the shared tables directly: reading through the API would fold them itself.
      while ((await collector.store.shared().totals()).events < 3 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 250));
      expect(await collector.store.shared().totals()).toEqual({ events: 3, users: 3, workspaces: 3 });
    } finally {
      await collector.close();
    }
  });

  it("stores only the arrival day, and purges events older than the retention from both sets", async () => {
    const h = await Harness.start(await makeDb(), 2, "2025-01-10");
    try {
      await h.send([makeEvent({ user: 1, codes: { "ParseError::ExtraToken": 1 } }), makeEvent({ user: 2 })]);
      h.day = "2026-01-10";
      await h.send([makeEvent({ user: 3 }), makeEvent({ user: 4 })]);
      expect((await h.summary()).events).toBe(4);
      h.day = "2026-01-11";
      expect((await h.summary("shared")).events).toBe(4);
      const days = await h.store.db.all("SELECT DISTINCT day FROM events ORDER BY day");
      expect(days.map((r) => r.day)).toEqual(["2025-01-10", "2026-01-10"]);
      expect(await h.store.purge("2025-06-01")).toBe(2);
      expect(await h.summary()).toMatchObject({ events: 2, distinct_users: 2, distinct_workspaces: 2 });
      expect(await h.summary("shared")).toMatchObject({ events: 2, distinct_users: 2, distinct_workspaces: 2 });
      expect(await h.store.live().codes()).toEqual([]);
      expect(await h.store.shared().codes()).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
