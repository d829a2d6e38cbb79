/**
 * The read API (bearer read token or dashboard session). Every figure resting on fewer than k
 * distinct users is suppressed (`null`), except where `/api/summary`'s fixed format keeps a number.
 */
import type { FastifyInstance } from "fastify";
import type { Config } from "../config.js";
import {
  ENVIRONMENT,
  FEATURES,
  POLAR_CHARS_BUCKETS,
  POLAR_FILES_BUCKETS,
  type BreakdownRow,
  type Store,
} from "../db/store.js";
import { isAuthorized } from "./auth.js";
import { HttpError } from "./track.js";

interface ApiDeps {
  readonly config: Config;
  readonly store: Store;
}

/** `GET /api/summary`'s answer. */
export interface Summary {
  events: number;
  distinct_users: number;
  distinct_workspaces: number;
  codes: { code: string; occurrences: number; events: number; distinct_users: number | null }[];
}

/** One cell of a breakdown: null figures when fewer than k users back it. */
export interface Cell {
  key: string;
  users: number | null;
  total: number | null;
  events: number | null;
  suppressed: boolean;
}

function cell(row: BreakdownRow, k: number): Cell {
  const ok = row.users >= k;
  return {
    key: row.key,
    users: ok ? row.users : null,
    total: ok ? row.total : null,
    events: ok ? row.events : null,
    suppressed: !ok,
  };
}

function ordered(rows: readonly BreakdownRow[], order: readonly string[] | null): BreakdownRow[] {
  if (order === null)
    return [...rows].sort((a, b) => b.users - a.users || b.events - a.events || a.key.localeCompare(b.key));
  const by = new Map(rows.map((r) => [r.key, r]));
  return order.map((key) => by.get(key) ?? { key, users: 0, total: 0, events: 0 });
}

/** Builds the summary from the store. */
export async function summary(store: Store, k: number): Promise<Summary> {
  await store.refresh();
  const totals = await store.totals();
  const codes = await store.codes();
  return {
    events: totals.events,
    distinct_users: totals.users,
    distinct_workspaces: totals.workspaces,
    codes: codes.map((c) => ({
      code: c.key,
      occurrences: c.total,
      events: c.events,
      distinct_users: c.users >= k ? c.users : null,
    })),
  };
}

/** Everything the dashboard draws. */
export async function dashboardData(store: Store, k: number): Promise<Record<string, unknown>> {
  await store.refresh();
  const totals = await store.totals();
  const codes = await store.codes();
  const dims = [
    "feature",
    "load",
    "severity",
    "unknown",
    "polar_chars",
    "polar_files",
    "invalid_rule_type",
    "lsp_method",
    "lsp_extension",
    ...ENVIRONMENT.map((e) => `env:${e}`),
  ];
  const b = await store.breakdown(dims);
  const get = (d: string): BreakdownRow[] => b.get(d) ?? [];
  const environment: Record<string, Cell[]> = {};
  for (const e of ENVIRONMENT) environment[e] = ordered(get(`env:${e}`), null).map((r) => cell(r, k));
  return {
    k,
    totals: { events: totals.events, distinct_users: totals.users, distinct_workspaces: totals.workspaces },
    codes: codes.map((c) => {
      const ok = c.users >= k;
      return {
        code: c.key,
        suppressed: !ok,
        occurrences: ok ? c.total : null,
        events: ok ? c.events : null,
        distinct_users: ok ? c.users : null,
        distinct_workspaces: ok ? c.workspaces : null,
        top_user_share: ok ? c.topUserShare : null,
        per_user: ok ? { p50: c.p50, p90: c.p90, p99: c.p99, max: c.max } : null,
      };
    }),
    load: ordered(get("load"), ["success", "failure"]).map((r) => cell(r, k)),
    severity: ordered(get("severity"), ["error", "warning"]).map((r) => cell(r, k)),
    unknown_diagnostics: ordered(get("unknown"), [""]).map((r) => cell(r, k))[0],
    features: ordered(get("feature"), FEATURES).map((r) => cell(r, k)),
    polar_chars: ordered(get("polar_chars"), POLAR_CHARS_BUCKETS).map((r) => cell(r, k)),
    polar_files: ordered(get("polar_files"), POLAR_FILES_BUCKETS).map((r) => cell(r, k)),
    invalid_rule_type: ordered(get("invalid_rule_type"), [
      "with user-defined rule types",
      "built-in rule types only",
    ]).map((r) => cell(r, k)),
    lsp_methods: ordered(get("lsp_method"), null).map((r) => cell(r, k)),
    lsp_extensions: ordered(get("lsp_extension"), null).map((r) => cell(r, k)),
    environment,
  };
}

/** Registers `/api/*`. */
export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  app.addHook("onRequest", async (request) => {
    if (request.url.startsWith("/api/") && !isAuthorized(request, deps.config.readToken)) {
      throw new HttpError(401, "a valid read token is required (Authorization: Bearer <token>)");
    }
  });
  app.get("/api/summary", async () => summary(deps.store, deps.config.k));
  app.get("/api/dashboard", async () => dashboardData(deps.store, deps.config.k));
}
