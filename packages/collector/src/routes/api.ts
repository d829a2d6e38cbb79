/**
 * The operator's read API (bearer read token or dashboard session): the live figures of every
 * stored event — the operator's own data — still k-suppressed in what they publish (see
 * `../read/views.ts`). The shared view (a daily snapshot) is `shared-api.ts`.
 */
import type { FastifyInstance } from "fastify";
import type { Config } from "../config.js";
import type { EventStore } from "../db/backend.js";
import { operatorDashboard, summaryOf, type Dashboard, type Summary } from "../read/views.js";
import { operatorTrends } from "../read/trends.js";
import { parseTrendQuery } from "./trends.js";

export type { Summary, Dashboard, Cell, CodeCell } from "../read/views.js";
export type { Trends, TrendSeries, TrendCell } from "../read/trends.js";

interface ApiDeps {
  readonly config: Config;
  readonly store: EventStore;
  /** Today's UTC day (`YYYY-MM-DD`): the last day of the live trends. */
  readonly today: () => string;
}

/** The operator view's summary. */
export async function summary(store: EventStore, k: number): Promise<Summary> {
  return summaryOf(await operatorDashboard(store, k));
}

/** Everything the dashboard draws, operator view. */
export async function dashboardData(store: EventStore, k: number): Promise<Dashboard> {
  return operatorDashboard(store, k);
}

/**
 * Registers `/api/summary`, `/api/dashboard` and `/api/trends`. The caller registers them inside a scope whose
 * onRequest hook checks the read token (`app.ts`): authorisation follows the matched route.
 */
export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  app.get("/api/summary", async () => summary(deps.store, deps.config.k));
  app.get("/api/dashboard", async () => dashboardData(deps.store, deps.config.k));
  app.get("/api/trends", async (request) =>
    operatorTrends(deps.store, deps.config.k, deps.today(), parseTrendQuery(request.query)),
  );
}
