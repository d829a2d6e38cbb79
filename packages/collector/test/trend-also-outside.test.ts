/**
 * `trendUsersAlsoOutsideEach` (the batched "users of a trend cell with events outside it" of
 * `/api/trends`, one statement per 400 cells) on SQLite and PostgreSQL: on random events, every
 * cell of every series, in a random order, each twice, more than one statement takes, equals a
 * recount from the events sent and the cell-by-cell `trendUsersAlsoOutside`, in both sets.
 */
import { describe, expect, it } from "vitest";
import type { SetReader } from "../src/db/queries.js";
import { ALSO_OUTSIDE_CHUNK, type TrendRef } from "../src/db/trend-queries.js";
import { weekOf } from "../src/db/trend-sql.js";
import { Harness } from "./harness.js";
import { makeEvent, seededRandom, withDatabases } from "./helpers.js";

const databases = withDatabases();

type Ev = ReturnType<typeof makeEvent>;
const CODE = "ParseError::UnrecognizedEOF";
const VERSIONS = ["0.27.3", "0.28.0", "0.29.1"];
const SERIES: [string, string][] = [
  ["all", ""],
  ["load", "success"],
  ["load", "failure"],
  ["code", CODE],
];

/** Whether an event counts in the series `dim`/`key`. */
function inSeries(e: Ev, dim: string, key: string): boolean {
  const p = e.properties;
  if (dim === "all") return true;
  if (dim === "load") return Number(p[key === "success" ? "load_success_count" : "load_failure_count"] ?? 0) > 0;
  return Number(p[key.replace("::", "_") + "_count"] ?? 0) > 0;
}

/** The recount: users of the cell with more events in its period (all versions) than in it, up to `limit`. */
function recount(sent: readonly { day: string; event: Ev }[], cell: TrendRef, limit: number): number {
  const inCell = new Map<unknown, number>();
  const inPeriod = new Map<unknown, number>();
  for (const { day, event } of sent) {
    const period = cell.grain === "day" ? day : weekOf(day);
    if (period !== cell.period) continue;
    const user = event.properties.distinct_id;
    inPeriod.set(user, (inPeriod.get(user) ?? 0) + 1);
    if (cell.version !== "" && event.properties.extversion !== cell.version) continue;
    if (inSeries(event, cell.dim, cell.key)) inCell.set(user, (inCell.get(user) ?? 0) + 1);
  }
  let n = 0;
  for (const [user, events] of inCell) if (events < inPeriod.get(user)!) n++;
  return Math.min(n, limit);
}

/** Every cell of the series the reader holds. */
async function cellsOf(reader: SetReader): Promise<TrendRef[]> {
  const out: TrendRef[] = [];
  for (const [dim, key] of SERIES) {
    for (const r of await reader.trend(dim, key))
      out.push({ dim, key, grain: r.grain, period: r.period, version: r.version });
  }
  return out;
}

describe.each(databases.backends)("batched trend lookups on %s", (_name, makeDb) => {
  it("equal a recount from the events and the cell-by-cell lookup, in both sets", async () => {
    const h = await Harness.start(await makeDb(), 2, "2026-10-29");
    try {
      const rand = seededRandom(12);
      const pick = (m: number): number => Math.floor(rand() * m);
      const sent: { day: string; event: Ev }[] = [];
      // 30 days from Thursday 29 October 2026: five ISO weeks, enough cells for two statements.
      for (let d = 0; d < 30; d++) {
        const day = new Date(Date.parse("2026-10-29T00:00:00Z") + d * 86_400_000).toISOString().slice(0, 10);
        h.day = day;
        const batch: Ev[] = [];
        for (let i = 0, n = 4 + pick(12); i < n; i++) {
          const fails = pick(3) === 0;
          batch.push(
            makeEvent({
              user: pick(9),
              codes: fails ? { [CODE]: 1 + pick(4) } : {},
              successes: fails ? pick(2) : 1 + pick(3),
              failures: fails ? 1 + pick(2) : 0,
              env: { extversion: VERSIONS[pick(VERSIONS.length)]! },
            }),
          );
        }
        sent.push(...batch.map((event) => ({ day, event })));
        await h.send(batch);
      }
      await h.store.refresh();
      await h.store.refreshShared("2026-11-20");
      const closed = sent.filter((s) => s.day < "2026-11-20");
      for (const [reader, events] of [
        [h.store.live(), sent],
        [h.store.shared(), closed],
      ] as const) {
        // Every cell twice (more than one statement takes), shuffled: the answers come back in
        // the cells' order, not the table's.
        const cells = [...(await cellsOf(reader)), ...(await cellsOf(reader))];
        for (let i = cells.length - 1; i > 0; i--) {
          const j = pick(i + 1);
          [cells[i], cells[j]] = [cells[j]!, cells[i]!];
        }
        expect(cells.length).toBeGreaterThan(ALSO_OUTSIDE_CHUNK);
        for (const limit of [1, 3, 1000]) {
          const batched = await reader.trendUsersAlsoOutsideEach(cells, limit);
          const truth = cells.map((c) => recount(events, c, limit));
          expect(batched).toEqual(truth);
          // Some cells have users with events outside, some none, some more than the limit.
          if (limit === 3) expect(new Set(truth).size).toBe(4);
        }
        const sample = cells.slice(0, 60);
        expect(await reader.trendUsersAlsoOutsideEach(sample, 3)).toEqual(
          await Promise.all(sample.map((c) => reader.trendUsersAlsoOutside(c, 3))),
        );
      }
    } finally {
      await h.close();
    }
  });
});
