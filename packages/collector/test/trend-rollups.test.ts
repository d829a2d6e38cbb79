/**
 * The per-day and per-week rollups on SQLite and PostgreSQL: folded in many small steps over
 * several days and weeks, every cell (series × grain × period × version) equals a recomputation
 * from the events sent, in the live set (every event) and the shared set (complete days only);
 * a purge rebuilds them from what remains; an upgrade from migration 3 folds the events stored
 * before it.
 */
import { describe, expect, it } from "vitest";
import type { ValidEvent } from "@polar-ide/telemetry";
import type { SetReader } from "../src/db/queries.js";
import { weekOf } from "../src/db/trend-sql.js";
import { COLUMNS } from "../src/db/columns.js";
import type { SqlValue } from "../src/db/driver.js";
import { encodeEvents } from "../src/db/insert.js";
import { MIGRATIONS, Store, openDb } from "../src/index.js";
import { Harness } from "./harness.js";
import { hex, makeEvent, withDatabases } from "./helpers.js";

const databases = withDatabases();

type Ev = ReturnType<typeof makeEvent>;
const CODE = "ParseError::UnrecognizedEOF";
const VERSIONS = ["0.27.3", "0.28.0"];

/** Every cell of the series `dim`/`key`, recomputed from (day, event) pairs: "grain|period|version" → figures. */
function expected(sent: readonly { day: string; event: Ev }[], dim: string, key: string) {
  const cells = new Map<string, { users: Set<unknown>; total: number; events: number }>();
  const value = (e: Ev): number => {
    const p = e.properties;
    if (dim === "all") return 1;
    if (dim === "load") return Number(p[key === "success" ? "load_success_count" : "load_failure_count"] ?? 0);
    return Number(p[key.replace("::", "_") + "_count"] ?? 0);
  };
  for (const { day, event } of sent) {
    const v = value(event);
    if (v === 0) continue;
    for (const [grain, period] of [
      ["day", day],
      ["week", weekOf(day)],
    ]) {
      for (const version of ["", String(event.properties.extversion)]) {
        const id = `${grain}|${period}|${version}`;
        const c = cells.get(id) ?? { users: new Set(), total: 0, events: 0 };
        c.users.add(event.properties.distinct_id);
        c.total += v;
        c.events++;
        cells.set(id, c);
      }
    }
  }
  return Object.fromEntries(
    [...cells].map(([id, c]) => [id, { users: c.users.size, total: c.total, events: c.events }]),
  );
}

async function got(reader: SetReader, dim: string, key: string) {
  return Object.fromEntries(
    (await reader.trend(dim, key)).map((r) => [
      `${r.grain}|${r.period}|${r.version}`,
      { users: r.users, total: r.total, events: r.events },
    ]),
  );
}

const SERIES: [string, string][] = [
  ["all", ""],
  ["load", "success"],
  ["load", "failure"],
  ["code", CODE],
];

describe.each(databases.backends)("trend rollups on %s", (_name, makeDb) => {
  it("equal a recomputation from the events, per day and per week, per version, in both sets", async () => {
    const h = await Harness.start(await makeDb(), 2, "2026-10-29");
    try {
      let seed = 7;
      const rand = (m: number): number => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % m;
      };
      const sent: { day: string; event: Ev }[] = [];
      // Thursday 29 October to Tuesday 10 November 2026: three ISO weeks.
      const days = ["2026-10-29", "2026-10-31", "2026-11-01", "2026-11-02", "2026-11-05", "2026-11-09", "2026-11-10"];
      for (const day of days) {
        h.day = day;
        const batch: Ev[] = [];
        for (let i = 0; i < 12; i++) {
          const fails = rand(3) === 0;
          batch.push(
            makeEvent({
              user: rand(7),
              codes: fails ? { [CODE]: 1 + rand(4) } : {},
              successes: fails ? rand(3) : 1 + rand(3),
              failures: fails ? 1 + rand(2) : 0,
              env: { extversion: VERSIONS[rand(2)]! },
            }),
          );
        }
        sent.push(...batch.map((event) => ({ day, event })));
        await h.send(batch);
        await h.store.refresh(5);
        await h.store.refreshShared(day, 5);
        const closed = sent.filter((s) => s.day < day);
        for (const [dim, key] of SERIES) {
          expect(await got(h.store.live(), dim, key)).toEqual(expected(sent, dim, key));
          expect(await got(h.store.shared(), dim, key)).toEqual(expected(closed, dim, key));
        }
      }
      expect(
        Object.keys(await got(h.store.live(), "all", ""))
          .filter((id) => /^week\|.*\|$/.test(id))
          .sort(),
      ).toEqual(["week|2026-10-26|", "week|2026-11-02|", "week|2026-11-09|"]);

      // A purge rebuilds the series from what remains.
      expect(await h.store.purge("2026-11-02")).toBe(36);
      await h.store.refreshShared("2026-11-11");
      const kept = sent.filter((s) => s.day >= "2026-11-02");
      for (const [dim, key] of SERIES) {
        expect(await got(h.store.live(), dim, key)).toEqual(expected(kept, dim, key));
        expect(await got(h.store.shared(), dim, key)).toEqual(expected(kept, dim, key));
      }
    } finally {
      await h.close();
    }
  });

  it("folds the events stored before migration 4 once it runs", async () => {
    const store = new Store(openDb(await makeDb()));
    try {
      expect(await store.migrate(3)).toEqual([1, 2, 3]);
      const events = [1, 2, 3].map((user) => makeEvent({ user }) as unknown as ValidEvent);
      // Stored the way migration 3's collector stored them (events and the shared queue; it had
      // no inbox), and folded: its rollups counted them.
      const values = JSON.parse(encodeEvents(events)) as SqlValue[][];
      await store.db.transaction(async (tx) => {
        for (const row of values) {
          const id = hex(16);
          await tx.run(
            `INSERT INTO events (id, day, ${COLUMNS.map((c) => c.name).join(", ")}) VALUES (?, ?, ${row.map(() => "?").join(", ")})`,
            [id, "2026-11-03", ...row],
          );
          await tx.run("INSERT INTO pending_shared (day, id) VALUES (?, ?)", ["2026-11-03", id]);
        }
      });
      await store.db.run(
        "INSERT INTO rollup_key (dim, key, users, total, events, workspaces) VALUES ('all', '', 3, 3, 3, 3)",
      );
      expect(await store.totals()).toEqual({ events: 3, users: 3, workspaces: 3 });
      expect(await store.migrate()).toEqual(MIGRATIONS.filter((m) => m.id > 3).map((m) => m.id));
      await store.refresh();
      await store.refreshShared("2026-11-04");
      // The old rollups were rebuilt too: nothing counted twice.
      expect(await store.totals()).toEqual({ events: 3, users: 3, workspaces: 3 });
      for (const reader of [store.live(), store.shared()]) {
        expect(await got(reader, "all", "")).toEqual(
          expected(
            events.map((event) => ({ day: "2026-11-03", event: event as unknown as Ev })),
            "all",
            "",
          ),
        );
      }
    } finally {
      await store.close();
    }
  });
});
