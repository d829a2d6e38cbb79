/**
 * Builds the collector's Fastify app: server limits (timeouts, connection cap, trusted proxies),
 * the Host check, the one error handler and 404, then each group of routes in its own scope,
 * with its authorisation as that scope's hook: a route is protected by where it is registered,
 * never by what its URL looks like (the router decodes `%61pi`; a string test would not).
 */
import { STATUS_CODES } from "node:http";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { withDefaults, type Config } from "./config.js";
import type { EventStore } from "./db/backend.js";
import { hostCheck } from "./hosts.js";
import { HttpError, describeError } from "./http-error.js";
import { RateLimiter } from "./rate-limit.js";
import { Auth, noStore } from "./routes/auth.js";
import { registerApi } from "./routes/api.js";
import { registerDashboard } from "./routes/dashboard.js";
import { registerSession } from "./routes/session.js";
import { sharedApi } from "./routes/shared-api.js";
import { trackPlugin } from "./routes/track.js";

/** Status of a request the HTTP parser gave up on, by Node's error code (else 400). */
const CLIENT_ERROR_STATUS: Record<string, number> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431,
};

/** Largest request body `/track` accepts. */
export const BODY_LIMIT = 1024 * 1024;

/** Options of `buildApp` beyond the settings. */
export interface AppOptions {
  readonly config: Config;
  readonly store: EventStore;
  /** Fastify's logger (off in tests and benchmarks). */
  readonly logger?: boolean;
  /** Where log lines go when logging (tests capture them); stdout by default. */
  readonly logStream?: { write(line: string): void };
  /** The UTC day of arrival; replaceable so tests can age events. */
  readonly today?: () => string;
  /** Milliseconds clock of sessions and rate limits; replaceable so tests can expire sessions. */
  readonly now?: () => number;
}

/** Today's UTC date, `YYYY-MM-DD`. */
export function utcDay(date = new Date()): string {
  return date.toISOString().slice(0, 10);
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A clock of the UTC day (`utcDay()`) that formats a date only when the day changed (or the
 * clock went back): every stored batch asks for the day.
 */
export function dayClock(now: () => number = () => Date.now()): () => string {
  let from = 0;
  let to = 0;
  let day = "";
  return () => {
    const t = now();
    if (t < from || t >= to) {
      from = Math.floor(t / DAY_MS) * DAY_MS;
      to = from + DAY_MS;
      day = utcDay(new Date(t));
    }
    return day;
  };
}

/** Builds (but does not start) the app. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const config = withDefaults(options.config);
  const logging = options.logger === true || options.logStream !== undefined;
  const app = Fastify({
    // The source address is only used in memory by the rate limiters: the request serializer
    // keeps it (and the query string, which may carry `data=`) out of the log.
    logger: logging
      ? {
          ...(options.logStream === undefined ? {} : { stream: options.logStream }),
          serializers: {
            req: (req: { method: string; routeOptions?: { url?: string } }) => ({
              method: req.method,
              route: req.routeOptions?.url,
            }),
          },
        }
      : false,
    bodyLimit: BODY_LIMIT,
    // Proxies named by --trust-proxy: their X-Forwarded-For gives request.ip (so each client
    // gets its own rate-limit bucket) and X-Forwarded-Proto gives request.protocol.
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    // A connection idle this long is closed; a request must arrive completely (headers and
    // body) within requestTimeoutMs; keep-alive connections wait at most 5 s for a next request.
    connectionTimeout: config.idleTimeoutMs,
    keepAliveTimeout: Math.min(5_000, config.idleTimeoutMs),
    requestTimeout: config.requestTimeoutMs,
    http: {
      headersTimeout: config.requestTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      // How often Node checks the two limits above (its default, 30 s, would double them).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(config.requestTimeoutMs / 4))),
    },
    // Requests the HTTP parser rejects (malformed, too slow, headers too large) never reach a
    // route: answer with a bare status line and close (no body: the method is unknown, and a
    // body after a HEAD request would corrupt the client's next response).
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (socket.writable) {
        const status = CLIENT_ERROR_STATUS[error.code ?? ""] ?? 400;
        socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      } else socket.destroy();
    },
  });
  // Beyond the cap, new connections are closed at once: sockets are not an unbounded resource.
  app.server.maxConnections = config.maxConnections;

  // Bodies are parsed by the routes, so that malformed input gets the route's own error format.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply) => {
    const { status, message } = describeError(error, BODY_LIMIT);
    // Details of server faults stay in the log.
    if (status >= 500) request.log.error(error);
    if (error instanceof HttpError && error.retryAfter !== undefined)
      void reply.header("Retry-After", String(error.retryAfter));
    void reply.code(status).type("application/json");
    return { error: message };
  });
  // Fastify's own 404 names the method and URL; the query string may carry a payload (`data=`).
  app.setNotFoundHandler((_request, reply) => reply.code(404).type("application/json").send({ error: "not found" }));

  // Every request, every route and the 404s: the Host must be one this collector is reached by.
  const checkHost = hostCheck(config.host, config.allowedHosts);
  // A callback hook (a throw is answered as an error): no promise per request.
  app.addHook("onRequest", (request, _reply, done) => {
    checkHost(request);
    done();
  });

  const now = options.now ?? (() => Date.now());
  const today = options.today ?? dayClock();
  const auth = new Auth({
    readToken: config.readToken,
    sharedToken: config.sharedToken,
    publicSharedView: config.publicSharedView,
    now,
  });

  await app.register(trackPlugin, {
    config,
    store: options.store,
    limiter: new RateLimiter(config.rateLimit, now),
    globalLimiter: new RateLimiter(config.globalRateLimit, now),
    today,
    bodyLimit: BODY_LIMIT,
  });

  // The operator view: the read token (bearer or an operator session).
  await app.register(async (scope) => {
    scope.addHook("onSend", noStore);
    scope.addHook("onRequest", auth.guard("operator"));
    registerApi(scope, { config, store: options.store, today });
  });

  // The shared view: the shared token, the read token, or anyone with --public-shared-view.
  await app.register(async (scope) => {
    scope.addHook("onSend", noStore);
    scope.addHook("onRequest", auth.guard("shared"));
    await scope.register(sharedApi, { prefix: "/api/shared", config, store: options.store, today });
  });

  registerDashboard(app, { config, auth });
  registerSession(app, { auth });
  app.get("/healthz", async () => ({ ok: true }));
  return app;
}
