/**
 * What the read API publishes, built from one rollup set: the operator view (live figures) and
 * the shared view (figures as of the end of the last complete UTC day). Both are k-anonymous
 * with complementary suppression (`suppress.ts`):
 * - every figure, totals included, resting on fewer than k distinct users is `null`;
 * - within every set of figures that add up to a published total (or to each other), the hidden
 *   members together rest on at least k users, so no subtraction recovers a hidden cell;
 * - keys are published only when data-independent (fixed vocabularies: buckets, features, load,
 *   severity, LSP methods) or backed by k users; other keys fold into one
 *   "other (fewer than k users)" cell per breakdown (codes: one for errors, one for warnings),
 *   itself subject to k;
 * - per-user figures (percentiles, max, the top user's share) are one user's exact value: shown
 *   only when at least k users have exactly that value.
 */
import type { CellRef, CodeRow, EventStore, Histogram, RollupReader } from "../db/backend.js";
import {
  BREAKDOWN_DIMS,
  ENVIRONMENT,
  FEATURES,
  INVALID_RULE_TYPE_CODE,
  INVALID_RULE_TYPE_KEYS,
  METHODS,
  POLAR_CHARS_BUCKETS,
  POLAR_FILES_BUCKETS,
  isWarningCode,
} from "../db/vocabulary.js";
import { suppress, type Relation, type WorkCell } from "./suppress.js";

/** Label of the cell that folds a breakdown's keys backed by fewer than k users. */
export const OTHER_KEY = "other (fewer than k users)";
/** Labels of the two folds of codes backed by fewer than k users. */
export const OTHER_ERRORS = "other errors (fewer than k users)";
export const OTHER_WARNINGS = "other warnings (fewer than k users)";

/** One published cell of a breakdown: null figures when suppressed. */
export interface Cell {
  key: string;
  users: number | null;
  total: number | null;
  events: number | null;
  suppressed: boolean;
  /** Present (true) on the cell that folds rare keys. */
  other?: true;
}

/** One published diagnostic code (or fold of rare codes). */
export interface CodeCell {
  code: string;
  suppressed: boolean;
  occurrences: number | null;
  /** Events reporting the code; null on folds (not additive over codes). */
  events: number | null;
  distinct_users: number | null;
  distinct_workspaces: number | null;
  top_user_share: number | null;
  per_user: { p50: number | null; p90: number | null; p99: number | null; max: number | null } | null;
  other?: true;
}

/** Which view, and as of when. */
export interface ViewInfo {
  view: "operator" | "shared";
  /** Shared view: the last UTC day included (events up to the end of it). */
  as_of: string | null;
  k: number;
}

/** `GET …/summary`'s answer. */
export interface Summary extends ViewInfo {
  events: number | null;
  distinct_users: number | null;
  distinct_workspaces: number | null;
  codes: { code: string; occurrences: number | null; events: number | null; distinct_users: number | null }[];
}

/** `GET …/dashboard`'s answer: everything the page draws. */
export interface Dashboard extends ViewInfo {
  totals: { events: number | null; distinct_users: number | null; distinct_workspaces: number | null };
  codes: CodeCell[];
  load: Cell[];
  severity: Cell[];
  unknown_diagnostics: Cell;
  features: Cell[];
  polar_chars: Cell[];
  polar_files: Cell[];
  invalid_rule_type: Cell[];
  lsp_methods: Cell[];
  lsp_extensions: Cell[];
  environment: Record<string, Cell[]>;
}

interface Work extends WorkCell {
  readonly key: string;
  readonly events: number | null;
  readonly totalAdditive: boolean;
  readonly other: boolean;
}

function work(
  id: string,
  key: string,
  f: { users: number; total: number; events: number | null },
  parts: CellRef[],
  opts: { other?: boolean; totalAdditive?: boolean } = {},
): Work {
  return {
    id,
    key,
    users: f.users,
    total: f.total,
    events: f.events,
    parts,
    hidden: false,
    other: opts.other ?? false,
    totalAdditive: opts.totalAdditive ?? true,
  };
}

/** The published form of a cell. */
function publish(c: Work): Cell {
  const cell: Cell = {
    key: c.key,
    users: c.hidden ? null : c.users,
    total: c.hidden || !c.totalAdditive ? null : c.total,
    events: c.hidden ? null : c.events,
    suppressed: c.hidden,
  };
  if (c.other) cell.other = true;
  return cell;
}

/** A per-user value, shown only when at least k users have exactly it. */
function shared(hist: Histogram, value: number, k: number): number | null {
  const bucket = hist.find((b) => b.value === value);
  return bucket !== undefined && bucket.users >= k ? value : null;
}

/** Builds one view from a rollup set. */
export async function buildView(reader: RollupReader, k: number, info: Omit<ViewInfo, "k">): Promise<Dashboard> {
  const totals = await reader.totals();
  const codes = await reader.codes();
  const b = await reader.breakdown(BREAKDOWN_DIMS);
  const cells: Work[] = [];
  const add = (c: Work): Work => {
    cells.push(c);
    return c;
  };
  const T = add(
    work("all", "", { users: totals.users, total: totals.events, events: totals.events }, [{ dim: "all", key: "" }]),
  );

  /** A breakdown over a fixed vocabulary: every key, always (their presence says nothing). */
  const fixed = (dim: string, keys: readonly string[]): Work[] => {
    const by = new Map((b.get(dim) ?? []).map((r) => [r.key, r]));
    return keys.map((key) => {
      const r = by.get(key) ?? { users: 0, total: 0, events: 0 };
      return add(work(`${dim}\u0000${key}`, key, r, [{ dim, key }]));
    });
  };
  /** A breakdown over open keys: keys backed by k users, then one fold of the rest. */
  const open = async (dim: string, partition: boolean): Promise<Work[]> => {
    const rows = b.get(dim) ?? [];
    const kept = rows
      .filter((r) => r.users >= k)
      .sort((x, y) => y.users - x.users || y.events - x.events || x.key.localeCompare(y.key));
    const rare = rows.filter((r) => r.users < k);
    const parts = rare.map((r) => ({ dim, key: r.key }));
    const out = kept.map((r) => add(work(`${dim}\u0000${r.key}`, r.key, r, [{ dim, key: r.key }])));
    const sum = (f: (r: (typeof rows)[number]) => number): number => rare.reduce((s, r) => s + f(r), 0);
    out.push(
      add(
        work(
          `${dim}\u0000\u0001other`,
          OTHER_KEY,
          {
            users: await reader.unionUsers(parts),
            total: partition ? sum((r) => r.total) : 0,
            events: partition ? sum((r) => r.events) : null,
          },
          parts,
          { other: true, totalAdditive: partition },
        ),
      ),
    );
    return out;
  };

  // Codes: those backed by k users one by one; the rest folded per severity.
  const codeWork = new Map<string, { cell: Work; row: CodeRow | null; workspaces: number }>();
  const errorCells: Work[] = [];
  const warningCells: Work[] = [];
  for (const c of codes.filter((c) => c.users >= k)) {
    const cell = add(work(`code\u0000${c.key}`, c.key, c, [{ dim: "code", key: c.key }]));
    codeWork.set(c.key, { cell, row: c, workspaces: c.workspaces });
    (isWarningCode(c.key) ? warningCells : errorCells).push(cell);
  }
  for (const [label, warning] of [
    [OTHER_ERRORS, false],
    [OTHER_WARNINGS, true],
  ] as const) {
    const rare = codes.filter((c) => c.users < k && isWarningCode(c.key) === warning);
    const parts = rare.map((c) => ({ dim: "code", key: c.key }));
    const cell = add(
      work(
        `code\u0000\u0001${label}`,
        label,
        { users: await reader.unionUsers(parts), total: rare.reduce((s, c) => s + c.total, 0), events: null },
        parts,
        { other: true },
      ),
    );
    codeWork.set(label, { cell, row: null, workspaces: await reader.unionWorkspaces(parts) });
    (warning ? warningCells : errorCells).push(cell);
  }

  const load = fixed("load", ["success", "failure"]);
  const severity = fixed("severity", ["error", "warning"]);
  const unknown = fixed("unknown", [""])[0]!;
  const features = fixed("feature", FEATURES);
  const polarChars = fixed("polar_chars", POLAR_CHARS_BUCKETS);
  const polarFiles = fixed("polar_files", POLAR_FILES_BUCKETS);
  const irt = fixed("invalid_rule_type", INVALID_RULE_TYPE_KEYS);
  const methods = fixed("lsp_method", METHODS);
  const extensions = await open("lsp_extension", false);
  const environment: Record<string, Work[]> = {};
  for (const e of ENVIRONMENT) {
    environment[e] = e === "isnewappinstall" ? fixed(`env:${e}`, ["true", "false"]) : await open(`env:${e}`, true);
  }

  // The relations between published figures (see suppress.ts).
  const relations: Relation[] = [];
  for (const [name, list] of [
    ["polar_chars", polarChars],
    ["polar_files", polarFiles],
    ...Object.entries(environment),
  ] as const) {
    relations.push({ name: `partition ${name}`, total: T, members: list });
  }
  const errorRelation = [...errorCells, unknown];
  relations.push({ name: "error_count", total: severity[0]!, members: errorRelation });
  relations.push({ name: "warning_count", total: severity[1]!, members: warningCells });
  const irtCode = codeWork.get(INVALID_RULE_TYPE_CODE)?.cell;
  if (irtCode !== undefined) {
    relations.push({ name: "invalid_rule_type", total: irtCode, members: irt });
    // Substituting the split for the code into error_count gives a relation of its own.
    relations.push({
      name: "error_count with invalid_rule_type split",
      total: severity[0]!,
      members: [...errorRelation.filter((c) => c !== irtCode), ...irt],
    });
  }
  relations.push({ name: "loads by trigger", total: null, members: [...methods, ...load] });

  // Complements: a cell that is not part of a partition still splits the events (and users) in
  // two with the total: "total minus the cell" is the events outside it, resting on the users
  // with an event outside it, and "users minus the cell's users" counts the users never in it.
  // Either resting on 1 to k − 1 users hides the cell. (None at all — everyone is in the cell —
  // reveals no one's figure, and is allowed.)
  const overlapping = [
    ...load,
    ...severity,
    unknown,
    ...features,
    ...irt,
    ...methods,
    ...extensions,
    ...errorCells,
    ...warningCells,
  ];
  // The users-never-in-it count is derivable for every cell, partitions included.
  const risky = (m: number): boolean => m > 0 && m < k;
  const whole: Work[] = [];
  for (const c of cells) {
    if (c === T || c.users < k || T.users < k) continue;
    const never = T.users - c.users;
    if (risky(never)) c.hidden = true;
    else if (never === 0 && !c.other && overlapping.includes(c)) whole.push(c);
  }
  for (const c of whole) {
    // Everyone is in the cell: the events outside it belong to the users who also have others.
    // None outside: nobody; fewer than k events outside: fewer than k users (but some).
    const outside = totals.events - (c.events ?? 0);
    if (outside === 0) continue;
    if (outside < k || risky(await reader.usersAlsoOutside(c.parts[0]!, k))) c.hidden = true;
  }

  await suppress(cells, relations, k, (parts) => reader.unionUsers(parts));

  const codeCells: CodeCell[] = [];
  const order = [...codeWork.values()].sort(
    (x, y) =>
      Number(x.cell.other) - Number(y.cell.other) ||
      Number(x.cell.hidden) - Number(y.cell.hidden) ||
      (x.cell.hidden ? 0 : y.cell.total - x.cell.total) ||
      x.cell.key.localeCompare(y.cell.key),
  );
  for (const { cell, row, workspaces } of order) {
    const ok = !cell.hidden;
    let perUser: CodeCell["per_user"] = null;
    let top: number | null = null;
    if (ok && row !== null) {
      const max = shared(row.hist, row.max, k);
      perUser = {
        p50: shared(row.hist, row.p50, k),
        p90: shared(row.hist, row.p90, k),
        p99: shared(row.hist, row.p99, k),
        max,
      };
      top = max === null ? null : row.topUserShare;
    }
    const c: CodeCell = {
      code: cell.key,
      suppressed: !ok,
      occurrences: ok ? cell.total : null,
      events: ok ? cell.events : null,
      distinct_users: ok ? cell.users : null,
      // All workspaces minus the code's is the workspaces never with it: 1 to k − 1 of them hide
      // the figure (a workspace belongs to one user).
      distinct_workspaces: ok && !risky(totals.workspaces - workspaces) ? workspaces : null,
      top_user_share: top,
      per_user: perUser,
    };
    if (cell.other) c.other = true;
    codeCells.push(c);
  }
  // Open breakdowns are ordered after suppression: shown keys by size, then hidden keys by name,
  // then the fold — a hidden key's place among the shown ones would bound its figures.
  const arrange = (list: readonly Work[]): Cell[] =>
    [...list]
      .sort(
        (x, y) =>
          Number(x.other) - Number(y.other) ||
          Number(x.hidden) - Number(y.hidden) ||
          (x.hidden ? 0 : y.users - x.users || (y.events ?? 0) - (x.events ?? 0)) ||
          x.key.localeCompare(y.key),
      )
      .map(publish);
  const env: Record<string, Cell[]> = {};
  for (const [name, list] of Object.entries(environment))
    env[name] = name === "isnewappinstall" ? list.map(publish) : arrange(list);
  return {
    ...info,
    k,
    totals: {
      events: T.hidden ? null : totals.events,
      distinct_users: T.hidden ? null : totals.users,
      distinct_workspaces: T.hidden ? null : totals.workspaces,
    },
    codes: codeCells,
    load: load.map(publish),
    severity: severity.map(publish),
    unknown_diagnostics: publish(unknown),
    features: features.map(publish),
    polar_chars: polarChars.map(publish),
    polar_files: polarFiles.map(publish),
    invalid_rule_type: irt.map(publish),
    lsp_methods: methods.map(publish),
    lsp_extensions: arrange(extensions),
    environment: env,
  };
}

/** The summary is the dashboard's totals and codes: one suppression decision for both. */
export function summaryOf(d: Dashboard): Summary {
  return {
    view: d.view,
    as_of: d.as_of,
    k: d.k,
    events: d.totals.events,
    distinct_users: d.totals.distinct_users,
    distinct_workspaces: d.totals.distinct_workspaces,
    codes: d.codes.map((c) => ({
      code: c.code,
      occurrences: c.occurrences,
      events: c.events,
      distinct_users: c.distinct_users,
    })),
  };
}

/** The UTC day before `day` (`YYYY-MM-DD`). */
export function dayBefore(day: string): string {
  const t = Date.parse(`${day}T00:00:00Z`);
  return new Date(t - 86_400_000).toISOString().slice(0, 10);
}

/**
 * The operator view: every stored event, live (the operator's own data; still k-suppressed in
 * what it publishes, since the page or the API may be shown to others).
 */
export async function operatorDashboard(store: EventStore, k: number): Promise<Dashboard> {
  await store.refresh();
  return buildView(store.live(), k, { view: "operator", as_of: null });
}

/**
 * The shared view: a snapshot as of the end of the last complete UTC day before `today`. It
 * changes once a day, so polling before and after one user's batch reveals nothing until the
 * day closes, and then only summed with everyone's contributions of that day.
 */
export async function sharedDashboard(store: EventStore, k: number, today: string): Promise<Dashboard> {
  await store.refreshShared(today);
  return buildView(store.shared(), k, { view: "shared", as_of: dayBefore(today) });
}
