/**
 * Trends over time: per-day and per-week series of events, loads (succeeded / failed, and the
 * success rate) and one diagnostic code's occurrences, for all extension versions and split by
 * version — built from one rollup set's trend tables, k-anonymous per cell with complementary
 * suppression (`suppress.ts`):
 * - a cell (one series, one period, one version column) resting on fewer than k users is hidden;
 * - the relations a reader can subtract along are audited together, whichever grain or split was
 *   asked for (the answer is cut from one decision over both grains and every version):
 *   a week adds up to its days; a period's all-versions cell adds up to its listed versions plus
 *   the "other versions" fold; and the days (and the weeks) of a series add up to the matching
 *   figure of the dashboard of the same view (total events, an extension version's events, loads
 *   that succeeded / failed, a code's occurrences), whose suppression is taken as given;
 * - version columns are the extension versions the dashboard lists (backed by k users); the rest
 *   fold into one "other versions" column, itself a cell per period;
 * - as on the dashboard, a cell is hidden when the users of its period outside it are 1 to k − 1
 *   (the users never in it), or when everyone is in it and the events outside it rest on 1 to
 *   k − 1 users.
 * Distinct users of overlapping cells (a week and its days, a version and all versions) are not
 * additive and not audited against each other beyond that.
 *
 * The shared view covers complete UTC days only, and complete weeks only: a week-to-date cell
 * would move by one day's contributions from one day to the next.
 */
import { dayBefore, operatorDashboard, sharedDashboard, type Dashboard, type ViewInfo } from "./views.js";
import type { EventStore, RollupReader, TrendRef, TrendRow } from "../db/backend.js";
import { ALL_VERSIONS, addDays, weekOf, type Grain } from "../db/trend-sql.js";
import { suppress, type Relation, type WorkCell } from "./suppress.js";

/** Label of the column folding the extension versions of fewer than k users. */
export const OTHER_VERSIONS = "other versions (fewer than k users)";

/** One published cell of a series: null figures when suppressed. */
export interface TrendCell {
  /** Distinct users in the period. */
  users: number | null;
  /** The series' sum: events, loads, or the code's occurrences. */
  total: number | null;
  /** Events counted in it (events reporting such loads, or the code). */
  events: number | null;
  suppressed: boolean;
}

/** One version column: every series, one cell per period. */
export interface TrendSeries {
  /** The extension version; null for all versions (and for the fold of rare versions). */
  version: string | null;
  /** Present (true) on the column folding the versions of fewer than k users. */
  other?: true;
  label: string;
  events: TrendCell[];
  loads_succeeded: TrendCell[];
  loads_failed: TrendCell[];
  /** Loads that succeeded over all loads, where both figures are shown (and not both zero). */
  success_rate: (number | null)[];
  /** The chosen code's occurrences (`total`), events and users; null without `code`. */
  code: TrendCell[] | null;
}

/** `GET …/trends`'s answer. */
export interface Trends extends ViewInfo {
  grain: Grain;
  /** The first day of each period: every day, or every week's Monday (ISO weeks, UTC). */
  periods: string[];
  /** The last day the series cover. */
  through: string;
  code: string | null;
  split: "version" | null;
  /** All versions first; with `split=version`, then each listed version and the fold. */
  series: TrendSeries[];
}

/** What a reader asks for. */
export interface TrendQuery {
  readonly grain: Grain;
  readonly code: string | null;
  readonly split: "version" | null;
}

/** The last day the series cover, and which weeks are published. */
export interface TrendWindow {
  /** The last day covered (the first is the first stored day's Monday). */
  readonly through: string;
  /** Publish only weeks that end by `through` (the shared view). */
  readonly completeWeeksOnly: boolean;
}

interface Work extends WorkCell<TrendRef> {
  readonly events: number;
  readonly other: boolean;
}

/** A dashboard figure the series add up to: its suppression is given, never changed here. */
interface Pinned {
  readonly hidden: boolean;
}

interface Column {
  readonly version: string | null;
  readonly other: boolean;
  /** The dashboard cell the column's events add up to. */
  readonly events: Pinned | null;
}

/** Every day from `from` to `through`, inclusive. */
function daysBetween(from: string, through: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= through; d = addDays(d, 1)) out.push(d);
  return out;
}

const cellId = (grain: Grain, period: string, column: number): string => `${grain}|${period}|${column}`;

/** Builds the trends of one view. `dashboard` is the same view's dashboard (the totals the series add up to). */
export async function buildTrends(
  reader: RollupReader,
  k: number,
  dashboard: Dashboard,
  query: TrendQuery,
  window: TrendWindow,
): Promise<Trends> {
  const eventsRows = await reader.trend("all", "");
  const allVersions = eventsRows.filter((r) => r.version === ALL_VERSIONS);
  const firstStored = allVersions
    .filter((r) => r.grain === "day")
    .reduce((min, r) => (r.period < min ? r.period : min), window.through);
  const start = weekOf(firstStored);
  const days = daysBetween(start, window.through);
  const weeks: string[] = [];
  for (let w = start; w <= window.through; w = addDays(w, 7)) {
    if (!window.completeWeeksOnly || addDays(w, 6) <= window.through) weeks.push(w);
  }
  const periods: Record<Grain, string[]> = { day: days, week: weeks };
  // Published from the first week backed by k users (earlier cells are all hidden: fewer than k
  // users in their week); audited over every stored day.
  const firstWeek =
    allVersions
      .filter((r) => r.grain === "week" && r.users >= k)
      .reduce<string | null>((min, r) => (min === null || r.period < min ? r.period : min), null) ??
    weekOf(window.through);
  const published: Record<Grain, string[]> = {
    day: days.filter((d) => d >= firstWeek),
    week: weeks.filter((w) => w >= firstWeek),
  };

  // Version columns: the versions the dashboard lists, then the fold of the rest.
  const extversion = dashboard.environment.extversion ?? [];
  const listed = extversion.filter((c) => c.other !== true);
  const otherCell = extversion.find((c) => c.other === true);
  const columns: Column[] = [
    { version: null, other: false, events: { hidden: dashboard.totals.events === null } },
    ...listed.map((c) => ({ version: c.key, other: false, events: { hidden: c.suppressed } })),
    { version: null, other: true, events: otherCell === undefined ? null : { hidden: otherCell.suppressed } },
  ];
  const listedVersions = listed.map((c) => c.key);

  /** Builds, audits and publishes one series over every grain, period and column. */
  const series = async (
    dim: string,
    key: string,
    rows: readonly TrendRow[],
    pinned: Pinned | null,
    base: Map<string, Work> | null,
  ): Promise<Map<string, Work>> => {
    const byId = new Map(rows.map((r) => [`${r.grain}|${r.period}|${r.version}`, r]));
    const listedSet = new Set(listedVersions);
    const rareRows = new Map<string, TrendRow[]>();
    for (const r of rows) {
      if (r.version === ALL_VERSIONS || listedSet.has(r.version)) continue;
      const list = rareRows.get(`${r.grain}|${r.period}`) ?? [];
      list.push(r);
      rareRows.set(`${r.grain}|${r.period}`, list);
    }
    // Users of the "other versions" fold: one rare version's row says it; several need a union
    // (a lookup per period, or one scan of the series when many periods need one).
    const otherUsers = new Map<string, number>();
    const unions: [string, TrendRow[]][] = [];
    for (const [id, list] of rareRows) {
      if (list.length === 1) otherUsers.set(id, list[0]!.users);
      else unions.push([id, list]);
    }
    if (unions.length > 50) {
      for (const r of await reader.trendOtherUsers(dim, key, listedVersions))
        otherUsers.set(`${r.grain}|${r.period}`, r.users);
    } else {
      for (const [id, list] of unions) {
        otherUsers.set(
          id,
          await reader.trendUnionUsers(
            list.map((r) => ({ dim, key, grain: r.grain, period: r.period, version: r.version })),
          ),
        );
      }
    }
    const cells = new Map<string, Work>();
    for (const grain of ["day", "week"] as const) {
      for (const period of periods[grain]) {
        columns.forEach((col, i) => {
          let users: number, total: number, events: number, parts: TrendRef[];
          if (col.other) {
            const rare = rareRows.get(`${grain}|${period}`) ?? [];
            users = otherUsers.get(`${grain}|${period}`) ?? 0;
            total = rare.reduce((s, r) => s + r.total, 0);
            events = rare.reduce((s, r) => s + r.events, 0);
            parts = rare.map((r) => ({ dim, key, grain, period, version: r.version }));
          } else {
            const version = col.version ?? ALL_VERSIONS;
            const r = byId.get(`${grain}|${period}|${version}`);
            users = r?.users ?? 0;
            total = r?.total ?? 0;
            events = r?.events ?? 0;
            parts = [{ dim, key, grain, period, version }];
          }
          const id = cellId(grain, period, i);
          cells.set(id, { id, users, total, events, parts, hidden: false, other: col.other });
        });
      }
    }
    const at = (grain: Grain, period: string, column: number): Work => cells.get(cellId(grain, period, column))!;

    // The users of the period outside the cell: never in it (1 to k − 1 hide it), or, when
    // everyone is in it, those with events outside it (the period's events minus the cell's).
    const lookups: Work[] = [];
    for (const c of cells.values()) {
      if (c.users < k) continue;
      const [grain, period] = c.id.split("|") as [Grain, string];
      const all = (base ?? cells).get(cellId(grain, period, 0))!;
      if (c === all || all.users < k) continue;
      const never = all.users - c.users;
      if (never > 0 && never < k) c.hidden = true;
      if (never !== 0 || base === null) continue;
      const outside = all.events - c.events;
      if (outside === 0) continue;
      if (c.other || outside < k) c.hidden = true;
      else lookups.push(c);
    }
    // Whether those users are 1 to k − 1: read from the data only, so asked all at once.
    const refs = lookups.map((c) => c.parts[0]!);
    const also = await reader.trendUsersAlsoOutsideEach(refs, k);
    lookups.forEach((c, i) => {
      if (also[i]! > 0 && also[i]! < k) c.hidden = true;
    });

    const relations: Relation<TrendRef>[] = [];
    const members = (grain: Grain, period: string): Work[] => columns.map((_, i) => at(grain, period, i)).slice(1);
    for (const grain of ["day", "week"] as const) {
      for (const period of periods[grain]) {
        relations.push({
          name: `versions ${grain} ${period}`,
          total: at(grain, period, 0),
          members: members(grain, period),
        });
      }
    }
    const covered = new Set<string>();
    for (const week of weeks) {
      const inWeek = daysBetween(week, addDays(week, 6)).filter((d) => d <= window.through);
      for (const d of inWeek) covered.add(d);
      columns.forEach((_, i) => {
        relations.push({
          name: `week ${week} column ${i}`,
          total: at("week", week, i),
          members: inWeek.map((d) => at("day", d, i)),
        });
      });
    }
    // Every day (and every published week with the days after them) adds up to the dashboard's figure.
    columns.forEach((col, i) => {
      const figure = dim === "all" ? col.events : i === 0 ? pinned : null;
      if (figure === null) return;
      const total: WorkCell<TrendRef> = {
        id: `dashboard ${dim} ${key} ${i}`,
        users: Number.MAX_SAFE_INTEGER,
        total: 0,
        parts: [],
        hidden: figure.hidden,
      };
      relations.push({ name: `all days, column ${i}`, total, members: days.map((d) => at("day", d, i)) });
      relations.push({
        name: `all weeks, column ${i}`,
        total,
        members: [
          ...weeks.map((w) => at("week", w, i)),
          ...days.filter((d) => !covered.has(d)).map((d) => at("day", d, i)),
        ],
      });
    });
    // The dashboard's figures are given: `suppress` may mark them, but what the dashboard
    // publishes does not change (a shown one rests on k users, so hiding every day suffices).
    await suppress([...cells.values()], relations, k, (parts) => reader.trendUnionUsers(parts));
    return cells;
  };

  const publish = (c: Work): TrendCell =>
    c.hidden
      ? { users: null, total: null, events: null, suppressed: true }
      : { users: c.users, total: c.total, events: c.events, suppressed: false };

  const events = await series("all", "", eventsRows, null, null);
  const succeeded = await series(
    "load",
    "success",
    await reader.trend("load", "success"),
    { hidden: dashboard.load.find((c) => c.key === "success")?.suppressed ?? true },
    events,
  );
  const failed = await series(
    "load",
    "failure",
    await reader.trend("load", "failure"),
    { hidden: dashboard.load.find((c) => c.key === "failure")?.suppressed ?? true },
    events,
  );
  let code: Awaited<ReturnType<typeof series>> | null = null;
  if (query.code !== null) {
    const cell = dashboard.codes.find((c) => c.code === query.code && c.other !== true);
    // A code the dashboard folds has fewer than k users: every cell of its series is hidden.
    code = await series(
      "code",
      query.code,
      await reader.trend("code", query.code),
      { hidden: cell === undefined || cell.suppressed },
      events,
    );
  }

  const grain = query.grain;
  const shownColumns = query.split === "version" ? columns.map((_, i) => i) : [0];
  const out: TrendSeries[] = shownColumns.map((i) => {
    const col = columns[i]!;
    const cellsOf = (s: Map<string, Work>): TrendCell[] =>
      published[grain].map((p) => publish(s.get(cellId(grain, p, i))!));
    const ok = cellsOf(succeeded);
    const bad = cellsOf(failed);
    const s: TrendSeries = {
      version: col.version,
      label: col.other ? OTHER_VERSIONS : (col.version ?? "all versions"),
      events: cellsOf(events),
      loads_succeeded: ok,
      loads_failed: bad,
      success_rate: ok.map((c, j) => {
        const f = bad[j]!;
        if (c.total === null || f.total === null || c.total + f.total === 0) return null;
        return c.total / (c.total + f.total);
      }),
      code: code === null ? null : cellsOf(code),
    };
    if (col.other) s.other = true;
    return s;
  });
  return {
    view: dashboard.view,
    as_of: dashboard.as_of,
    k,
    grain,
    periods: published[grain],
    through: window.through,
    code: query.code,
    split: query.split,
    series: out,
  };
}

/** The operator view's trends: every stored event, live, through `today`. */
export async function operatorTrends(store: EventStore, k: number, today: string, query: TrendQuery): Promise<Trends> {
  const dashboard = await operatorDashboard(store, k);
  return buildTrends(store.live(), k, dashboard, query, {
    through: today,
    completeWeeksOnly: false,
  });
}

/** The shared view's trends: complete UTC days before `today`, complete weeks only. */
export async function sharedTrends(store: EventStore, k: number, today: string, query: TrendQuery): Promise<Trends> {
  const dashboard = await sharedDashboard(store, k, today);
  const through = dayBefore(today);
  return buildTrends(store.shared(), k, dashboard, query, {
    through,
    completeWeeksOnly: true,
  });
}
