/**
 * Builds the collector's Fastify app: content parsers and the one error handler first, then the
 * store (data access), then the routes (`/track`, read API, dashboard).
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Config } from "./config.js";
import type { Store } from "./db/store.js";
import { RateLimiter } from "./rate-limit.js";
import { registerTrack, HttpError } from "./routes/track.js";
import { registerApi } from "./routes/api.js";
import { sharedApi } from "./routes/shared-api.js";
import { registerDashboard } from "./routes/dashboard.js";

/** Largest request body `/track` accepts. */
export const BODY_LIMIT = 1024 * 1024;

/** Options of `buildApp` beyond the settings. */
export interface AppOptions {
  readonly config: Config;
  readonly store: Store;
  /** Fastify's logger (off in tests and benchmarks). */
  readonly logger?: boolean;
  /** The UTC day of arrival; replaceable so tests can age events. */
  readonly today?: () => string;
}

/** Today's UTC date, `YYYY-MM-DD`. */
export function utcDay(date = new Date()): string {
  return date.toISOString().slice(0, 10);
}

/** Builds (but does not start) the app. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // The source address is only used in memory by the rate limiter: the request serializer
    // keeps it (and the query string, which may carry `data=`) out of the log.
    logger: options.logger
      ? {
          serializers: {
            req: (req: { method: string; routeOptions?: { url?: string } }) => ({
              method: req.method,
              route: req.routeOptions?.url,
            }),
          },
        }
      : false,
    bodyLimit: BODY_LIMIT,
  });

  // Bodies are parsed by the routes, so that malformed input gets the route's own error format.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let status = error instanceof HttpError ? error.status : (error.statusCode ?? 500);
    let message = error.message;
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") message = `the request body is larger than ${BODY_LIMIT} bytes`;
    if (status < 400 || status > 599) status = 500;
    if (status >= 500) {
      // Details of server faults stay in the log.
      request.log.error(error);
      message = "internal error";
    }
    if (error instanceof HttpError && error.retryAfter !== undefined)
      void reply.header("Retry-After", String(error.retryAfter));
    if (request.url.startsWith("/track")) {
      const verbose = new URL(request.url, "http://x").searchParams.get("verbose") === "1";
      void reply.code(status).type(verbose ? "application/json" : "text/plain");
      return verbose ? { status: 0, error: message } : "0";
    }
    void reply.code(status).type("application/json");
    return { error: message };
  });

  const limiter = new RateLimiter(options.config.rateLimit);
  registerTrack(app, {
    config: options.config,
    store: options.store,
    limiter,
    today: options.today ?? (() => utcDay()),
  });
  registerApi(app, { config: options.config, store: options.store });
  // The shared view, behind the same read-token check as the operator API until it gets its own.
  await app.register(sharedApi, {
    prefix: "/api/shared",
    config: options.config,
    store: options.store,
    ...(options.today === undefined ? {} : { today: options.today }),
  });
  registerDashboard(app, { config: options.config });
  app.get("/healthz", async () => ({ ok: true }));
  return app;
}
