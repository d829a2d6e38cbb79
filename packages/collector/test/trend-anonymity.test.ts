/**
 * Trends over time, attacked, on SQLite and PostgreSQL, operator and shared view: every figure of
 * `/api/trends` (day and week grains, all versions and split by version, a chosen code) is
 * checked against the truth recomputed here from the events sent:
 * - primary: a shown cell rests on k users and tells the truth;
 * - differencing: a week minus its shown days, a period's all-versions cell minus its shown
 *   versions, and the dashboard's figure minus the shown days (or weeks) of its series is a sum
 *   of hidden cells — which must rest on k users together; and a hidden figure is never the sum
 *   of shown ones; a period's events minus a cell of it never singles out 1 to k − 1 users (the
 *   users never in the cell, or those with events outside it);
 * - the data is built so that each attack has something to find (a lone user's Sunday, a lone
 *   user's fork version), and the test checks that it did.
 * The shared view covers complete days and complete weeks only, and does not move when a batch
 * arrives within the day.
 */
import { describe, expect, it } from "vitest";
import type { Dashboard } from "../src/index.js";
import type { TrendCell, Trends } from "../src/read/trends.js";
import { addDays, weekOf } from "../src/db/trend-sql.js";
import { Harness } from "./harness.js";
import { READ_TOKEN, makeEvent, withDatabases } from "./helpers.js";

const databases = withDatabases();

type Ev = ReturnType<typeof makeEvent>;
const CODE = "ParseError::UnrecognizedEOF";
const FIRST = "2026-11-02"; // a Monday
const DAYS = 21;
const TODAY = addDays(FIRST, DAYS); // Monday 23 November: the shared view covers three whole weeks

/** The events of one scenario, by arrival day. */
function scenario(seed: number, users: number): { day: string; event: Ev }[] {
  let s = seed;
  const rand = (m: number): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % m;
  };
  // Wednesday 28 October: one user alone in a week of their own, before the series starts.
  const out: { day: string; event: Ev }[] = [
    { day: "2026-10-28", event: makeEvent({ user: 2, env: { extversion: "1.0.0" } }) },
  ];
  for (let d = 0; d < DAYS; d++) {
    const day = addDays(FIRST, d);
    // Sunday 15 November: one user alone (a lone day inside a busy week).
    // Tuesday 10 November: everyone loads successfully once, and user 3 alone also sends five
    // events of failed loads only — the day's events minus its successful loads' events are theirs.
    const everyone = day === "2026-11-10";
    const active = day === "2026-11-15" ? [0] : [...Array(users).keys()].filter(() => everyone || rand(3) !== 0);
    for (const u of active) {
      // User 1 runs a fork of the extension (a version nobody else has), user 2 a patched build
      // every other day (two rare versions in one period); the others move from 1.0.0 to 1.1.0
      // at their own pace.
      const version =
        u === 1 ? "1.1.0-fork" : u === 2 && d % 2 === 0 ? "1.0.0-patched" : d > 3 + (u % 9) * 2 ? "1.1.0" : "1.0.0";
      if (everyone) {
        out.push({ day, event: makeEvent({ user: u, successes: 1, failures: 0, env: { extversion: version } }) });
        for (let i = 0; u === 3 && i < 5; i++) {
          out.push({ day, event: makeEvent({ user: u, successes: 0, failures: 1, env: { extversion: version } }) });
        }
        continue;
      }
      for (let i = 0; i <= rand(2); i++) {
        const fails = rand(4) === 0;
        out.push({
          day,
          event: makeEvent({
            user: u,
            codes: fails ? { [CODE]: 1 + rand(3) } : {},
            successes: fails ? rand(2) : 1 + rand(3),
            failures: fails ? 1 + rand(2) : 0,
            env: { extversion: version },
          }),
        });
      }
    }
  }
  return out;
}

interface Truth {
  users: Set<string>;
  total: number;
  events: number;
}

const SERIES = {
  events: (): number => 1,
  loads_succeeded: (e: Ev): number => Number(e.properties.load_success_count),
  loads_failed: (e: Ev): number => Number(e.properties.load_failure_count),
  code: (e: Ev): number => Number(e.properties[CODE.replace("::", "_") + "_count"] ?? 0),
} as const;
type SeriesName = keyof typeof SERIES;

/** The truth of one series' cell: events of `days`, restricted to `versions` (null: all). */
function truth(
  sent: readonly { day: string; event: Ev }[],
  name: SeriesName,
  days: ReadonlySet<string>,
  inColumn: (version: string) => boolean,
): Truth {
  const t: Truth = { users: new Set(), total: 0, events: 0 };
  for (const { day, event } of sent) {
    if (!days.has(day) || !inColumn(String(event.properties.extversion))) continue;
    const v = SERIES[name](event);
    if (v === 0) continue;
    t.users.add(String(event.properties.distinct_id));
    t.total += v;
    t.events++;
  }
  return t;
}

const union = (list: readonly Truth[]): number => new Set(list.flatMap((t) => [...t.users])).size;

interface Published {
  cell: TrendCell | { suppressed: boolean; total: number | null };
  truth: Truth;
}

/** Counts of the attacks that found a hidden cell to attack (so that the test is not vacuous). */
interface Found {
  weekMinusDays: number;
  versionsMinusTotal: number;
  dashboardMinusDays: number;
  /** Cells whose subtraction from their period's events would single out 1 to k − 1 users. */
  periodMinusCell: number;
}

/** Checks one relation: the total's figure is the members' sum; nothing hidden is recoverable. */
function audit(name: string, total: Published | null, members: readonly Published[], k: number): boolean {
  const hidden = members.filter((m) => m.cell.suppressed);
  const shown = members.filter((m) => !m.cell.suppressed);
  const totalShown = total !== null && !total.cell.suppressed;
  if (totalShown) {
    // What a reader computes: the sum of the hidden members.
    const rest = total.cell.total! - shown.reduce((s, m) => s + m.cell.total!, 0);
    expect(rest, name).toBe(hidden.reduce((s, m) => s + m.truth.total, 0));
  }
  if (hidden.length > 0 && shown.length > 0) {
    expect(union(hidden.map((m) => m.truth)), `${name}: the hidden members rest on k users`).toBeGreaterThanOrEqual(k);
  }
  if (total !== null && !totalShown && hidden.length === 0 && members.length > 0) {
    expect.fail(`${name}: a hidden total is the sum of its shown members`);
  }
  if (totalShown && shown.length === 0 && hidden.length > 0) {
    expect(union(hidden.map((m) => m.truth)), `${name}: all hidden`).toBeGreaterThanOrEqual(k);
  }
  return totalShown && hidden.length > 0 && shown.length > 0;
}

async function get<T>(h: Harness, url: string): Promise<T> {
  const r = await h.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${READ_TOKEN}` } });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as T;
}

/** Fetches both grains of one view and audits every cell and relation against the truth. */
async function attack(
  h: Harness,
  view: "operator" | "shared",
  sent: readonly { day: string; event: Ev }[],
  k: number,
  found: Found,
): Promise<void> {
  const prefix = view === "operator" ? "/api" : "/api/shared";
  const dashboard = await get<Dashboard>(h, `${prefix}/dashboard`);
  const day = await get<Trends>(h, `${prefix}/trends?grain=day&split=version&code=${encodeURIComponent(CODE)}`);
  const week = await get<Trends>(h, `${prefix}/trends?grain=week&split=version&code=${encodeURIComponent(CODE)}`);
  // The unsplit answer is the split answer's first column.
  const plain = await get<Trends>(h, `${prefix}/trends?grain=week&code=${encodeURIComponent(CODE)}`);
  expect(plain.series).toEqual([week.series[0]]);

  const listed = day.series.filter((s) => s.version !== null).map((s) => s.version!);
  expect(week.series.map((s) => s.label)).toEqual(day.series.map((s) => s.label));
  const inColumn = (i: number) => (v: string) => {
    const s = day.series[i]!;
    return s.other === true ? !listed.includes(v) : s.version === null || s.version === v;
  };
  const daysOf = (grain: "day" | "week", period: string): Set<string> =>
    new Set(
      grain === "day"
        ? [period]
        : [...Array(7).keys()]
            .map((i) => addDays(period, i))
            .filter((d) => d <= (view === "shared" ? day.through : TODAY)),
    );

  for (const name of Object.keys(SERIES) as SeriesName[]) {
    const cells = (t: Trends, grain: "day" | "week", i: number): Published[] =>
      t.periods.map((p, j) => {
        const cell = t.series[i]![name]![j]!;
        return { cell, truth: truth(sent, name, daysOf(grain, p), inColumn(i)) };
      });
    day.series.forEach((_, i) => {
      const byDay = cells(day, "day", i);
      const byWeek = cells(week, "week", i);
      // Primary suppression, and shown figures tell the truth.
      for (const { cell, truth: t } of [...byDay, ...byWeek]) {
        if (cell.suppressed) continue;
        expect(t.users.size).toBeGreaterThanOrEqual(k);
        expect(cell).toEqual({ users: t.users.size, total: t.total, events: t.events, suppressed: false });
      }
      // A week minus its days.
      week.periods.forEach((w, j) => {
        const members = day.periods.flatMap((d, x) => (weekOf(d) === w ? [byDay[x]!] : []));
        if (audit(`${view} ${name} column ${i} week ${w}`, byWeek[j]!, members, k)) found.weekMinusDays++;
      });
      // The dashboard's figure minus the days, and minus the weeks and the days after them.
      const figure =
        name === "events"
          ? i === 0
            ? dashboard.totals.events
            : (dashboard.environment.extversion!.find((c) =>
                day.series[i]!.other === true ? c.other === true : c.key === day.series[i]!.version,
              )?.events ?? undefined)
          : i !== 0
            ? undefined
            : name === "code"
              ? dashboard.codes.find((c) => c.code === CODE)?.occurrences
              : dashboard.load.find((c) => c.key === (name === "loads_succeeded" ? "success" : "failure"))!.total;
      if (figure !== undefined) {
        const stored = new Set(sent.map((s) => s.day).filter((d) => d <= day.through));
        const all = truth(sent, name, stored, inColumn(i));
        const pinned: Published = { cell: { suppressed: figure === null, total: figure }, truth: all };
        // Stored days before the first published one are as good as hidden.
        const before = new Set([...stored].filter((d) => d < day.periods[0]!));
        const early: Published[] =
          before.size === 0
            ? []
            : [{ cell: { suppressed: true, total: null }, truth: truth(sent, name, before, inColumn(i)) }];
        if (audit(`${view} ${name} column ${i}: dashboard minus days`, pinned, [...early, ...byDay], k))
          found.dashboardMinusDays++;
        const afterWeeks = day.periods.flatMap((d, x) => (week.periods.includes(weekOf(d)) ? [] : [byDay[x]!]));
        audit(`${view} ${name} column ${i}: dashboard minus weeks`, pinned, [...early, ...byWeek, ...afterWeeks], k);
      }
    });
    // A period's events (all versions) minus a cell of the same period: the users never in the
    // cell (all users minus the cell's users) and, when there are none, the events outside it
    // (all events minus the cell's events), whose users are all in the cell too. Either may rest on
    // 1 to k − 1 users, which no relation of the series itself covers: such a cell must be hidden.
    for (const [t, grain] of [
      [day, "day"],
      [week, "week"],
    ] as const) {
      t.periods.forEach((p, j) => {
        if (t.series[0]!.events[j]!.suppressed) return;
        const days = daysOf(grain, p);
        const inPeriod = sent.filter((s) => days.has(s.day));
        const periodUsers = new Set(inPeriod.map((s) => String(s.event.properties.distinct_id)));
        t.series.forEach((series, i) => {
          if (name === "events" && i === 0) return;
          const inCell = (e: Ev): boolean => inColumn(i)(String(e.properties.extversion)) && SERIES[name](e) !== 0;
          const cellUsers = new Set(
            inPeriod.filter((s) => inCell(s.event)).map((s) => String(s.event.properties.distinct_id)),
          );
          const never = [...periodUsers].filter((u) => !cellUsers.has(u)).length;
          // The events series' own versions add up to its all-versions cell: that relation is audited above.
          const outside =
            never === 0 && name !== "events"
              ? new Set(inPeriod.filter((s) => !inCell(s.event)).map((s) => String(s.event.properties.distinct_id)))
                  .size
              : 0;
          if ((never > 0 && never < k) || (outside > 0 && outside < k)) {
            found.periodMinusCell++;
            expect(
              series[name]![j]!.suppressed,
              `${view} ${name} column ${i} ${grain} ${p}: the period's events minus the cell single out ${never || outside} user(s)`,
            ).toBe(true);
          }
        });
      });
    }
    // A period's all versions minus its versions.
    for (const [t, grain] of [
      [day, "day"],
      [week, "week"],
    ] as const) {
      t.periods.forEach((_, j) => {
        const column = (i: number): Published => cells(t, grain, i)[j]!;
        const members = t.series.slice(1).map((_, i) => column(i + 1));
        if (audit(`${view} ${name} ${grain} ${t.periods[j]} versions`, column(0), members, k))
          found.versionsMinusTotal++;
      });
    }
  }
}

describe.each(databases.backends)("trends k-anonymity on %s", (_name, makeDb) => {
  it.each([
    [1, 2, 8],
    [2, 3, 14],
    [3, 5, 24],
  ])("resists week − days, versions − total, dashboard − days (seed %i, k = %i, %i users)", async (seed, k, users) => {
    const h = await Harness.start(await makeDb(), k, FIRST);
    try {
      const sent = scenario(seed, users);
      for (const d of new Set(sent.map((s) => s.day))) {
        h.day = d;
        await h.send(sent.filter((s) => s.day === d).map((s) => s.event));
      }
      h.day = TODAY;
      const found: Found = { weekMinusDays: 0, versionsMinusTotal: 0, dashboardMinusDays: 0, periodMinusCell: 0 };
      await attack(h, "operator", sent, k, found);
      await attack(h, "shared", sent, k, found);
      // Each attack had hidden cells next to shown ones to try.
      expect(found.weekMinusDays).toBeGreaterThan(0);
      expect(found.versionsMinusTotal).toBeGreaterThan(0);
      expect(found.dashboardMinusDays).toBeGreaterThan(0);
      expect(found.periodMinusCell).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });

  it("hides a day whose events minus its successful loads' events are one user's", async () => {
    const k = 2;
    const h = await Harness.start(await makeDb(), k, FIRST);
    try {
      // Monday: users 0–3 each load successfully once; user 3 alone also sends three events of
      // failed loads only. Tuesday: users 4–7 load successfully, users 4 and 5 also fail once, so
      // over both days the users with events outside the successful loads are three (the
      // dashboard may show its figure) while on Monday they are one.
      const monday = [0, 1, 2, 3].map((u) => makeEvent({ user: u, successes: 1, failures: 0 }));
      for (let i = 0; i < 3; i++) monday.push(makeEvent({ user: 3, successes: 0, failures: 1 }));
      const tuesday = [4, 5, 6, 7].map((u) => makeEvent({ user: u, successes: 1, failures: 0 }));
      tuesday.push(
        makeEvent({ user: 4, successes: 0, failures: 1 }),
        makeEvent({ user: 5, successes: 0, failures: 1 }),
      );
      h.day = FIRST;
      await h.send(monday);
      // Read on Tuesday: no empty day after it whose hiding could hide Monday by chance.
      h.day = addDays(FIRST, 1);
      await h.send(tuesday);
      const dashboard = await get<Dashboard>(h, "/api/dashboard");
      expect(dashboard.load.find((c) => c.key === "success")?.suppressed).toBe(false);
      const trends = await get<Trends>(h, "/api/trends?grain=day");
      expect(trends.periods).toEqual([FIRST, addDays(FIRST, 1)]);
      const all = trends.series[0]!;
      // The day's events are shown; its successful loads would give user 3's events by subtraction.
      expect(all.events[0]).toMatchObject({ users: 4, events: 7, suppressed: false });
      expect(all.loads_succeeded[0]!.suppressed).toBe(true);
    } finally {
      await h.close();
    }
  });

  it("shared view: complete days and weeks only, identical before and after a batch of today", async () => {
    const h = await Harness.start(await makeDb(), 2, FIRST);
    try {
      const sent = scenario(4, 6);
      for (const d of new Set(sent.map((s) => s.day))) {
        h.day = d;
        await h.send(sent.filter((s) => s.day === d).map((s) => s.event));
      }
      // Wednesday 18 November: the week of the 16th is not complete.
      h.day = "2026-11-18";
      const before = await get<Trends>(h, "/api/shared/trends?grain=day&split=version");
      const weeks = await get<Trends>(h, "/api/shared/trends?grain=week");
      expect(before.through).toBe("2026-11-17");
      expect(before.periods.at(-1)).toBe("2026-11-17");
      expect(weeks.periods).toEqual(["2026-11-02", "2026-11-09"]);
      await h.send([makeEvent({ user: 3 }), makeEvent({ user: 4 }), makeEvent({ user: 5 })]);
      expect(await get<Trends>(h, "/api/shared/trends?grain=day&split=version")).toEqual(before);
      expect(await get<Trends>(h, "/api/shared/trends?grain=week")).toEqual(weeks);
      // The operator's live view has today, and the week in progress.
      const live = await get<Trends>(h, "/api/trends?grain=week");
      expect(live.periods).toEqual(["2026-11-02", "2026-11-09", "2026-11-16"]);
    } finally {
      await h.close();
    }
  });
});
