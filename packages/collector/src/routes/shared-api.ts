/**
 * The SHARED view's read API, as a Fastify plugin with relative routes (`GET /summary`,
 * `GET /dashboard`); the app registers it under `/api/shared` with its own authentication.
 *
 * The shared view is what may be shown beyond the operator: k-anonymous with complementary
 * suppression, computed as a snapshot as of the end of the last complete UTC day, so that it
 * changes once a day (see `../read/views.ts`).
 */
import type { FastifyPluginAsync } from "fastify";
import type { Config } from "../config.js";
import type { EventStore } from "../db/backend.js";
import { sharedDashboard, summaryOf } from "../read/views.js";
import { sharedTrends } from "../read/trends.js";
import { parseTrendQuery } from "./trends.js";

/** Options of the shared-view plugin. */
export interface SharedApiOptions {
  readonly config: Pick<Config, "k">;
  readonly store: EventStore;
  /** Today's UTC day (`YYYY-MM-DD`); replaceable so tests can move the clock. */
  readonly today?: () => string;
}

/** Registers `GET /summary`, `GET /dashboard` and `GET /trends` of the shared view (relative to the prefix). */
export const sharedApi: FastifyPluginAsync<SharedApiOptions> = async (app, options) => {
  const today = options.today ?? (() => new Date().toISOString().slice(0, 10));
  app.get("/summary", async () => summaryOf(await sharedDashboard(options.store, options.config.k, today())));
  app.get("/dashboard", async () => sharedDashboard(options.store, options.config.k, today()));
  app.get("/trends", async (request) =>
    sharedTrends(options.store, options.config.k, today(), parseTrendQuery(request.query)),
  );
};
