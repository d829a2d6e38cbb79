/**
 * The operator's read API (bearer read token or dashboard session): the live figures of every
 * stored event — the operator's own data — still k-suppressed in what they publish (see
 * `../read/views.ts`). The shared view (a daily snapshot) is `shared-api.ts`.
 */
import type { FastifyInstance } from "fastify";
import type { Config } from "../config.js";
import type { EventStore } from "../db/backend.js";
import { operatorDashboard, summaryOf, type Dashboard, type Summary } from "../read/views.js";

export type { Summary, Dashboard, Cell, CodeCell } from "../read/views.js";

interface ApiDeps {
  readonly config: Config;
  readonly store: EventStore;
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
 * Registers `/api/summary` and `/api/dashboard`. The caller registers them inside a scope whose
 * onRequest hook checks the read token (`app.ts`): authorisation follows the matched route.
 */
export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  app.get("/api/summary", async () => summary(deps.store, deps.config.k));
  app.get("/api/dashboard", async () => dashboardData(deps.store, deps.config.k));
}
