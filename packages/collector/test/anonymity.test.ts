/**
 * k-anonymity that holds in every published figure, attacked: for the operator view and the
 * shared view, on SQLite and PostgreSQL.
 * - primary suppression: no published figure rests on fewer than k users (checked against the
 *   truth, recomputed here from what was sent);
 * - differencing: for every relation a reader knows (a partition adds up to the event total;
 *   error codes plus unknown diagnostics add up to `error_count`; warning codes to
 *   `warning_count`; the invalid-rule-type split to its code; loads by trigger to loads), the
 *   published total minus the shown members is a sum of hidden members — which must rest on at
 *   least k users, never on one user or a few;
 * - a single user's rare key (an unusual extension version) is never published;
 * - a single user's maximum (and top share, and high percentiles) is not published;
 * - the shared view does not move when one user's batch arrives within the day.
 */
import { describe, expect, it } from "vitest";
import { DIAGNOSTIC_CODES, LSP_METHODS, codeProperty, lspMethodProperty } from "@polar-ide/telemetry";
import type { Cell, CodeCell, Dashboard } from "../src/index.js";
import { Harness } from "./harness.js";
import { makeEvent, withDatabases, type EventSpec } from "./helpers.js";

const databases = withDatabases();

type Ev = ReturnType<typeof makeEvent>;
const num = (e: Ev, p: string): number => (typeof e.properties[p] === "number" ? (e.properties[p] as number) : 0);
const user = (e: Ev): string => String(e.properties.distinct_id);
const isWarning = (code: string): boolean => code.startsWith("ValidationWarning::");

/** Per cell, the users with at least one event outside it (behind "total minus the cell"). */
const OUTSIDE = new WeakMap<Map<string, Set<string>>, Map<string, Set<string>>>();

/** The true user set of every cell, recomputed from the events sent (independently of the SQL). */
function truth(events: readonly Ev[]): Map<string, Set<string>> {
  const cells = new Map<string, Set<string>>();
  const membership: [Ev, Set<string>][] = [];
  let current = new Set<string>();
  const add = (id: string, e: Ev): void => {
    const s = cells.get(id) ?? new Set<string>();
    s.add(user(e));
    cells.set(id, s);
    current.add(id);
  };
  const bucket = (v: number, edges: [number, string][], last: string): string =>
    edges.find(([limit]) => v <= limit)?.[1] ?? last;
  for (const e of events) {
    current = new Set<string>();
    membership.push([e, current]);
    add("all", e);
    for (const f of ["resource_blocks", "actors", "resources", "roles", "permissions", "relations"])
      if (num(e, f) > 0) add(`feature:${f}`, e);
    for (const ext of e.properties.LSP_file_extensions as string[]) add(`lsp_extension:${ext}`, e);
    for (const code of DIAGNOSTIC_CODES) if (num(e, codeProperty(code)) > 0) add(`code:${code}`, e);
    if (num(e, "unknown_diagnostic_count") > 0) add("unknown", e);
    if (num(e, "error_count") > 0) add("severity:error", e);
    if (num(e, "warning_count") > 0) add("severity:warning", e);
    if (num(e, "load_success_count") > 0) add("load:success", e);
    if (num(e, "load_failure_count") > 0) add("load:failure", e);
    for (const m of LSP_METHODS) if (num(e, lspMethodProperty(m)) > 0) add(`lsp_method:${m}`, e);
    if (num(e, codeProperty("ValidationError::InvalidRuleType")) > 0)
      add(
        `invalid_rule_type:${num(e, "rule_types") > 0 ? "with user-defined rule types" : "built-in rule types only"}`,
        e,
      );
    add(
      `polar_chars:${bucket(
        num(e, "polar_chars"),
        [
          [0, "0"],
          [999, "1–999"],
          [9999, "1k–9.9k"],
          [99999, "10k–99k"],
        ],
        "100k+",
      )}`,
      e,
    );
    add(
      `polar_files:${bucket(
        num(e, "polar_files"),
        [
          [0, "0"],
          [1, "1"],
          [2, "2"],
          [5, "3–5"],
          [10, "6–10"],
        ],
        "11+",
      )}`,
      e,
    );
    for (const env of ["os", "nodeArch", "product", "uikind", "remotename", "extversion", "vscodeversion"])
      add(`env:${env}:${String(e.properties[env])}`, e);
    add(`env:isnewappinstall:${e.properties.isnewappinstall === true ? "true" : "false"}`, e);
  }
  const outside = new Map<string, Set<string>>();
  for (const id of cells.keys()) {
    const users = new Set<string>();
    for (const [e, ids] of membership) if (!ids.has(id)) users.add(user(e));
    outside.set(id, users);
  }
  OUTSIDE.set(cells, outside);
  return cells;
}

/** The true users behind a published cell (a fold: every key of its dimension below k). */
function usersOf(cells: Map<string, Set<string>>, id: string, k: number): Set<string> {
  if (!id.endsWith("\u0001other")) return cells.get(id) ?? new Set();
  const prefix = id.slice(0, -"\u0001other".length);
  const out = new Set<string>();
  for (const [cid, users] of cells) {
    if (!cid.startsWith(prefix) || users.size >= k) continue;
    for (const u of users) out.add(u);
  }
  return out;
}

function codeUsers(cells: Map<string, Set<string>>, c: CodeCell, k: number): Set<string> {
  if (c.other !== true) return cells.get(`code:${c.code}`) ?? new Set();
  const warning = c.code.includes("warnings");
  const out = new Set<string>();
  for (const code of DIAGNOSTIC_CODES) {
    const users = cells.get(`code:${code}`);
    if (users !== undefined && users.size < k && isWarning(code) === warning) for (const u of users) out.add(u);
  }
  return out;
}

interface Member {
  id: string;
  users: Set<string>;
  /** The additive figure as published (null: hidden). */
  value: number | null;
}

/** Every relation a reader of the dashboard knows, as published values plus true user sets. */
function relations(
  d: Dashboard,
  cells: Map<string, Set<string>>,
  k: number,
): { name: string; total: number | null; members: Member[] }[] {
  const cell = (prefix: string, c: Cell, figure: "events" | "total"): Member => ({
    id: `${prefix}${c.key}`,
    users: c.other === true ? usersOf(cells, `${prefix}\u0001other`, k) : (cells.get(`${prefix}${c.key}`) ?? new Set()),
    value: c[figure],
  });
  const out: { name: string; total: number | null; members: Member[] }[] = [];
  const partitions: [string, string, Cell[]][] = [
    ["polar_chars", "polar_chars:", d.polar_chars],
    ["polar_files", "polar_files:", d.polar_files],
    ...Object.entries(d.environment).map(([e, list]): [string, string, Cell[]] => [e, `env:${e}:`, list]),
  ];
  for (const [name, prefix, list] of partitions) {
    out.push({ name: `${name} (events)`, total: d.totals.events, members: list.map((c) => cell(prefix, c, "events")) });
    out.push({ name: `${name} (total)`, total: d.totals.events, members: list.map((c) => cell(prefix, c, "total")) });
  }
  const code = (c: CodeCell): Member => ({ id: `code:${c.code}`, users: codeUsers(cells, c, k), value: c.occurrences });
  const unknown = cell("unknown", { ...d.unknown_diagnostics, key: "" }, "total");
  const errors = [
    ...d.codes.filter((c) => !(c.other === true ? c.code.includes("warnings") : isWarning(c.code))).map(code),
    unknown,
  ];
  out.push({ name: "error_count", total: d.severity[0]!.total, members: errors });
  out.push({
    name: "warning_count",
    total: d.severity[1]!.total,
    members: d.codes.filter((c) => (c.other === true ? c.code.includes("warnings") : isWarning(c.code))).map(code),
  });
  const irt = d.codes.find((c) => c.code === "ValidationError::InvalidRuleType");
  const split = d.invalid_rule_type.map((c) => cell("invalid_rule_type:", c, "total"));
  if (irt !== undefined) {
    out.push({ name: "invalid_rule_type", total: irt.occurrences, members: split });
    out.push({
      name: "error_count, invalid_rule_type split",
      total: d.severity[0]!.total,
      members: [...errors.filter((m) => m.id !== "code:ValidationError::InvalidRuleType"), ...split],
    });
  }
  // Loads by trigger = successful + failed loads: no total, every member counts.
  const methods = d.lsp_methods.map((c) => cell("lsp_method:", c, "total"));
  const loads = d.load.map((c) => cell("load:", c, "total"));
  out.push({ name: "loads by trigger", total: 0, members: [...methods, ...loads] });
  return out;
}

/** Asserts every promise on one published dashboard. */
function attack(d: Dashboard, events: readonly Ev[], k: number): void {
  const cells = truth(events);
  const all = cells.get("all") ?? new Set();
  // Totals rest on every user.
  if (all.size < k) expect(d.totals).toEqual({ events: null, distinct_users: null, distinct_workspaces: null });
  // Primary: no shown cell rests on fewer than k users.
  for (const [prefix, list] of [
    ["load:", d.load],
    ["severity:", d.severity],
    ["feature:", d.features],
    ["polar_chars:", d.polar_chars],
    ["polar_files:", d.polar_files],
    ["invalid_rule_type:", d.invalid_rule_type],
    ["lsp_method:", d.lsp_methods],
    ...Object.entries(d.environment).map(([e, l]) => [`env:${e}:`, l] as const),
  ] as const) {
    for (const c of list) {
      if (c.suppressed || prefix === "feature:") continue;
      const users = c.other === true ? usersOf(cells, `${prefix}\u0001other`, k) : cells.get(`${prefix}${c.key}`);
      expect(users?.size ?? 0, `${prefix}${c.key}`).toBeGreaterThanOrEqual(k);
      expect(c.users).toBe(users?.size);
    }
  }
  for (const c of d.codes) {
    if (c.suppressed) continue;
    expect(codeUsers(cells, c, k).size, c.code).toBeGreaterThanOrEqual(k);
  }
  // Complements: total minus a shown cell (events outside it; users never in it) rests on no
  // one or on at least k users.
  const outside = OUTSIDE.get(cells)!;
  const users = d.totals.distinct_users;
  if (users !== null) {
    const shown: [string, number][] = [];
    for (const [prefix, list] of [
      ["load:", d.load],
      ["severity:", d.severity],
      ["feature:", d.features],
      ["invalid_rule_type:", d.invalid_rule_type],
      ["lsp_method:", d.lsp_methods],
      ["lsp_extension:", d.lsp_extensions],
      ["polar_chars:", d.polar_chars],
      ["polar_files:", d.polar_files],
      ...Object.entries(d.environment).map(([e, l]) => [`env:${e}:`, l] as const),
    ] as const) {
      for (const c of list) if (!c.suppressed && c.other !== true) shown.push([`${prefix}${c.key}`, c.users!]);
    }
    if (!d.unknown_diagnostics.suppressed) shown.push(["unknown", d.unknown_diagnostics.users!]);
    for (const c of d.codes) if (!c.suppressed && c.other !== true) shown.push([`code:${c.code}`, c.distinct_users!]);
    for (const [id, u] of shown) {
      const never = users - u;
      expect(never === 0 || never >= k, `users never in ${id}: ${never}`).toBe(true);
      const out = outside.get(id)?.size ?? users;
      expect(out === 0 || out >= k, `users with events outside ${id}: ${out}`).toBe(true);
    }
  }
  // The order of an open breakdown says nothing about hidden keys: shown keys first.
  // (isnewappinstall has a fixed vocabulary in a fixed order.)
  const open = Object.entries(d.environment).filter(([e]) => e !== "isnewappinstall");
  for (const list of [d.lsp_extensions, ...open.map(([, l]) => l)]) {
    // (The fold is always last, shown or not.)
    const keys = list.filter((c) => c.other !== true);
    const firstHidden = keys.findIndex((c) => c.suppressed);
    if (firstHidden >= 0) expect(keys.slice(firstHidden).every((c) => c.suppressed)).toBe(true);
    expect(list[list.length - 1]!.other).toBe(true);
  }
  // Workspaces never with a code: none, or at least k.
  const ws = d.totals.distinct_workspaces;
  for (const c of d.codes) {
    if (ws === null || c.distinct_workspaces === null) continue;
    const never = ws - c.distinct_workspaces;
    expect(never === 0 || never >= k, `workspaces never with ${c.code}: ${never}`).toBe(true);
  }
  // Differencing: whatever a subtraction yields is a sum over at least k users.
  for (const r of relations(d, cells, k)) {
    if (r.total === null) continue;
    const hidden = r.members.filter((m) => m.value === null);
    if (hidden.length === 0) continue;
    const union = new Set(hidden.flatMap((m) => [...m.users]));
    expect(union.size, `${r.name}: hidden ${hidden.map((m) => m.id).join(", ")}`).toBeGreaterThanOrEqual(k);
  }
}

/** A random population: a few common values, some rare ones, codes of every frequency. */
function population(seed: number, users: number): Ev[] {
  let s = seed;
  const rand = (m: number): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % m;
  };
  const codes = DIAGNOSTIC_CODES.slice(0, 12);
  const events: Ev[] = [];
  for (let u = 0; u < users; u++) {
    const n = 1 + rand(3);
    for (let i = 0; i < n; i++) {
      const spec: EventSpec = {
        user: seed * 1000 + u,
        codes: {},
        unknown: rand(6) === 0 ? 1 + rand(3) : 0,
        gauges: { polar_chars: [0, 500, 5000, 50_000, 500_000][rand(5)]!, polar_files: rand(14), rule_types: rand(2) },
        env: {
          os: ["linux", "darwin", "win32"][Math.min(2, rand(4))]!,
          vscodeversion: rand(10) === 0 ? `1.${90 + rand(9)}.0` : "1.100.3",
          extversion: rand(8) === 0 ? `0.27.${rand(20)}` : "0.28.0",
          isnewappinstall: rand(15) === 0,
        },
        method: LSP_METHODS[rand(7) < 5 ? 1 : rand(4)]!,
      };
      for (const [j, code] of codes.entries()) if (rand(3 + j * 2) === 0) spec.codes![code] = 1 + rand(4);
      events.push(makeEvent(spec));
    }
  }
  return events;
}

describe.each(databases.backends)("k-anonymity on %s", (_name, makeDb) => {
  it.each([
    [1, 2, 9],
    [2, 3, 14],
    [3, 5, 30],
    [4, 5, 7],
  ])("resists differencing of totals and partitions (seed %i, k = %i, %i users)", async (seed, k, users) => {
    const h = await Harness.start(await makeDb(), k);
    try {
      const events = population(seed, users);
      await h.send(events);
      const operator = await h.dashboard("operator");
      attack(operator, events, k);
      // The shared view of the next day holds the same events: the same promises.
      h.day = "2026-11-02";
      const shared = await h.dashboard("shared");
      expect(shared.as_of).toBe("2026-11-01");
      attack(shared, events, k);
      // Both endpoints publish one decision: the summary is the dashboard's totals and codes.
      const s = await h.summary("operator");
      expect(s.events).toBe(operator.totals.events);
      expect(s.codes.map((c) => [c.code, c.occurrences])).toEqual(operator.codes.map((c) => [c.code, c.occurrences]));
    } finally {
      await h.close();
    }
  });

  it("hides the complement: errors − warnings − unknown − shown codes cannot give a rare code", async () => {
    const k = 3;
    const h = await Harness.start(await makeDb(), k);
    try {
      const events: Ev[] = [];
      // Five users with a common error and unknown diagnostics; one user alone with a rare code.
      for (let u = 1; u <= 5; u++)
        events.push(makeEvent({ user: u, codes: { "ParseError::UnrecognizedEOF": u }, unknown: 1 }));
      for (let u = 1; u <= 4; u++)
        events.push(makeEvent({ user: u, codes: { "ValidationWarning::MissingAllowRule": 2 } }));
      events.push(makeEvent({ user: 6, codes: { "ValidationError::DuplicateResourceBlockDeclaration": 7 } }));
      await h.send(events);
      const d = await h.dashboard();
      attack(d, events, k);
      const s = await h.summary();
      // The rare code's name appears nowhere; its fold is hidden, and so is a second cell.
      expect(JSON.stringify(d)).not.toContain("DuplicateResourceBlockDeclaration");
      expect(JSON.stringify(s)).not.toContain("DuplicateResourceBlockDeclaration");
      const errorTotal = d.severity[0]!.total;
      const shown = d.codes.filter((c) => !isWarning(c.code) && c.other !== true && c.occurrences !== null);
      const unknown = d.unknown_diagnostics.total;
      if (errorTotal !== null && unknown !== null) {
        // Whatever is left after subtracting the shown figures is not the lone user's 7.
        const rest = errorTotal - unknown - shown.reduce((a, c) => a + c.occurrences!, 0);
        expect(d.codes.filter((c) => !isWarning(c.code) && c.suppressed).length).toBeGreaterThanOrEqual(2);
        expect(rest).not.toBe(7);
      }
    } finally {
      await h.close();
    }
  });

  it("never publishes a rare key: one user's fork version folds into 'other', itself below k", async () => {
    const k = 3;
    const h = await Harness.start(await makeDb(), k);
    try {
      const events: Ev[] = [];
      for (let u = 1; u <= 6; u++) events.push(makeEvent({ user: u, env: { extversion: "0.28.0" } }));
      events.push(makeEvent({ user: 7, env: { extversion: "0.27.3-acmefork" } }));
      await h.send(events);
      for (const view of ["operator", "shared"] as const) {
        if (view === "shared") h.day = "2026-11-02";
        const d = await h.dashboard(view);
        const s = await h.summary(view);
        expect(JSON.stringify(d)).not.toContain("acmefork");
        expect(JSON.stringify(s)).not.toContain("acmefork");
        const versions = d.environment.extversion!;
        expect(versions.map((c) => c.key)).toEqual(["0.28.0", "other (fewer than k users)"]);
        const other = versions[1]!;
        expect(other).toMatchObject({ other: true, suppressed: true, users: null, events: null });
        // total − "0.28.0" would be the fork's events: the common key is hidden as well.
        expect(versions[0]!.suppressed).toBe(true);
        attack(d, events, k);
      }
      // Two more fork users make the fold k users strong: it is shown, still without the key.
      h.day = "2026-11-01";
      await h.send([8, 9].map((u) => makeEvent({ user: u, env: { extversion: `0.27.${u}-acmefork` } })));
      const d = await h.dashboard();
      expect(JSON.stringify(d)).not.toContain("acmefork");
      expect(d.environment.extversion).toEqual([
        { key: "0.28.0", users: 6, total: 6, events: 6, suppressed: false },
        { key: "other (fewer than k users)", users: 3, total: 3, events: 3, suppressed: false, other: true },
      ]);
    } finally {
      await h.close();
    }
  });

  it("hides a cell everyone is in when the events outside it are one user's", async () => {
    const k = 3;
    const h = await Harness.start(await makeDb(), k);
    try {
      // Every user's policy has roles; only user 1 also loads policies without (six times).
      const events: Ev[] = [1, 2, 3, 4, 5].map((user) => makeEvent({ user, gauges: { roles: 2 } }));
      for (let i = 0; i < 6; i++) events.push(makeEvent({ user: 1, gauges: { roles: 0 } }));
      await h.send(events);
      const d = await h.dashboard();
      // events − events with roles = user 1's six loads without: the cell is hidden (no
      // relation involves features: only the complement rule can hide it).
      expect(d.features.find((c) => c.key === "roles")!.suppressed).toBe(true);
      expect(d.features.find((c) => c.key === "resource_blocks")!.suppressed).toBe(false);
      attack(d, events, k);
    } finally {
      await h.close();
    }
  });

  it("publishes a maximum, top share or percentile only when k users share that exact value", async () => {
    const k = 3;
    const h = await Harness.start(await makeDb(), k);
    try {
      const events: Ev[] = [];
      for (let u = 1; u <= 4; u++) events.push(makeEvent({ user: u, codes: { "ParseError::UnrecognizedEOF": 1 } }));
      events.push(makeEvent({ user: 5, codes: { "ParseError::UnrecognizedEOF": 50 } }));
      // Unknown diagnostics of k users: the error relation hides them (next to the empty fold
      // of rare error codes) rather than the code under test.
      for (let u = 1; u <= 3; u++) events.push(makeEvent({ user: u, unknown: 1 }));
      for (let u = 1; u <= 3; u++)
        events.push(makeEvent({ user: u, codes: { "ValidationWarning::MissingAllowRule": 4 } }));
      await h.send(events);
      const d = await h.dashboard();
      const eof = d.codes.find((c) => c.code === "ParseError::UnrecognizedEOF")!;
      // One user has 50: neither the max nor the top share (50/54) nor p90/p99 (= 50) is shown.
      expect(eof.per_user).toEqual({ p50: 1, p90: null, p99: null, max: null });
      expect(eof.top_user_share).toBeNull();
      expect(JSON.stringify(d)).not.toMatch(/\b50\b/);
      // Three users share the top value 4: shown.
      const mar = d.codes.find((c) => c.code === "ValidationWarning::MissingAllowRule");
      if (mar !== undefined && !mar.suppressed) {
        expect(mar.per_user).toEqual({ p50: 4, p90: 4, p99: 4, max: 4 });
        expect(mar.top_user_share).toBeCloseTo(4 / 12);
      }
      attack(d, events, k);
    } finally {
      await h.close();
    }
  });

  it("shared view: a snapshot as of the last complete day, identical before and after a batch", async () => {
    const k = 2;
    const h = await Harness.start(await makeDb(), k, "2026-11-01");
    try {
      const first = [1, 2, 3, 4].map((u) => makeEvent({ user: u, codes: { "ParseError::UnrecognizedEOF": u } }));
      await h.send(first);
      // Day 1 is not complete: the shared view holds nothing yet.
      const empty = await h.dashboard("shared");
      expect(empty.as_of).toBe("2026-10-31");
      expect(empty.totals).toEqual({ events: null, distinct_users: null, distinct_workspaces: null });
      // The operator sees the live figures.
      expect((await h.dashboard("operator")).totals.events).toBe(4);

      h.day = "2026-11-02";
      const before = await h.dashboard("shared");
      const beforeSummary = await h.summary("shared");
      expect(before.as_of).toBe("2026-11-01");
      expect(before.totals).toEqual({ events: 4, distinct_users: 4, distinct_workspaces: 4 });
      // One user's hourly batch, then another's: nothing moves until the day closes.
      const late = [
        makeEvent({ user: 9, codes: { "ParseError::UnrecognizedEOF": 100 }, env: { os: "darwin" } }),
        makeEvent({ user: 10, codes: { "ParseError::ExtraToken": 1 } }),
      ];
      await h.send([late[0]!]);
      expect(await h.dashboard("shared")).toEqual(before);
      expect(await h.summary("shared")).toEqual(beforeSummary);
      await h.send([late[1]!]);
      expect(await h.dashboard("shared")).toEqual(before);
      expect((await h.dashboard("operator")).totals.events).toBe(6);

      // The day closes: both batches appear, summed with everyone's.
      h.day = "2026-11-03";
      const after = await h.dashboard("shared");
      expect(after.as_of).toBe("2026-11-02");
      expect(after.totals).toEqual({ events: 6, distinct_users: 6, distinct_workspaces: 6 });
      attack(after, [...first, ...late], k);
    } finally {
      await h.close();
    }
  });
});
