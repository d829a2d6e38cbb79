/**
 * `POST /track` (and `GET /track?data=`), Mixpanel's ingestion protocol: `data=<base64 JSON>`
 * form bodies or JSON bodies, `verbose=1` answers. A batch is stored all or nothing, and
 * acknowledged only after its transaction committed.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { MAX_BATCH_EVENTS, validateBatch } from "@polar-ide/telemetry";
import type { Config } from "../config.js";
import type { EventStore } from "../db/backend.js";
import { StorageUnavailable } from "../db/sqlite-writer.js";
import { HttpError, describeError } from "../http-error.js";
import { sourceKey, type RateLimiter } from "../rate-limit.js";
import { decodeData, decodeFormBody, parseJson } from "./track-payload.js";

export { HttpError } from "../http-error.js";

interface TrackDeps {
  readonly config: Config;
  readonly store: EventStore;
  /** Requests per minute per source. */
  readonly limiter: RateLimiter;
  /** Events per minute from everyone (one key, "all"). */
  readonly globalLimiter: RateLimiter;
  readonly today: () => string;
  /** Largest body, for the 413 message. */
  readonly bodyLimit: number;
}

/** Mixpanel's verbose answer to a stored batch, serialised once. */
const STORED_VERBOSE = JSON.stringify({ status: 1, error: null });

/** A query parameter given once (`?data=a&data=b` is refused, not a 500). */
function param(request: FastifyRequest, name: string): string | undefined {
  const v = (request.query as Record<string, unknown>)[name];
  if (v === undefined || typeof v === "string") return v;
  throw new HttpError(400, `the ${name} parameter is given more than once`);
}

function verbose(request: FastifyRequest): boolean {
  const v = (request.query as Record<string, unknown>).verbose;
  return v === "1" || (Array.isArray(v) && v.includes("1"));
}

/** The payload of a request: the decoded JSON of `data`, or the JSON body. */
function payloadOf(request: FastifyRequest): unknown {
  if (request.method === "GET") {
    const data = param(request, "data");
    if (data === undefined) throw new HttpError(400, "missing data parameter");
    return decodeData(data);
  }
  const body = typeof request.body === "string" ? request.body : "";
  const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") return decodeFormBody(body);
  if (type === "application/json") return parseJson(body, "the body");
  throw new HttpError(
    415,
    "the body must be application/x-www-form-urlencoded (data=<base64 JSON>) or application/json",
  );
}

/**
 * Registers `/track` in its own scope: the per-source rate limit runs before the body is read,
 * and errors are answered in Mixpanel's format (`0`, or `{"status":0,"error":…}` with `verbose=1`).
 */
export async function trackPlugin(app: FastifyInstance, deps: TrackDeps): Promise<void> {
  const tokens = new Set(deps.config.projectTokens);

  // A callback hook (a throw is answered as an error): no promise per request.
  app.addHook("onRequest", (request, _reply, done) => {
    const wait = deps.limiter.take(sourceKey(request.ip));
    if (wait > 0) throw new HttpError(429, `too many requests; retry after ${wait} s`, wait);
    done();
  });

  app.setErrorHandler((error: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply) => {
    const { status, message } = describeError(error, deps.bodyLimit);
    if (status >= 500) request.log.error(error);
    if (error instanceof HttpError && error.retryAfter !== undefined)
      void reply.header("Retry-After", String(error.retryAfter));
    const v = verbose(request);
    void reply.code(status).type(v ? "application/json" : "text/plain");
    return v ? { status: 0, error: message } : "0";
  });

  /** Stores the request's batch; throws an HttpError for anything else. */
  const store = async (request: FastifyRequest): Promise<void> => {
    const payload = payloadOf(request);
    const list = Array.isArray(payload) ? (payload as unknown[]) : [payload];
    if (list.length > MAX_BATCH_EVENTS) {
      throw new HttpError(413, `a batch holds at most ${MAX_BATCH_EVENTS} events, got ${list.length}`);
    }
    // The token is checked before anything else about the events: strangers learn nothing.
    for (let i = 0; i < list.length; i++) {
      const ev = list[i] as { properties?: { token?: unknown } } | null;
      const props = typeof ev === "object" && ev !== null ? ev.properties : undefined;
      const token = typeof props === "object" && props !== null ? props.token : undefined;
      if (typeof token !== "string" || !tokens.has(token)) {
        throw new HttpError(401, `event ${i}: ${token === undefined ? "missing" : "unknown"} project token`);
      }
    }
    // Everyone's events together: protects the database from a flood spread over many sources.
    const wait = deps.globalLimiter.take("all", list.length);
    if (wait > 0) throw new HttpError(429, `the collector is busy; retry after ${wait} s`, wait);
    const result = validateBatch(payload);
    if (!result.ok) throw new HttpError(400, result.message);
    try {
      await deps.store.insertBatch(deps.today(), result.events);
    } catch (e) {
      // The client retries a 5xx; a retried event is counted once ($insert_id).
      request.log.error(e);
      throw new HttpError(
        503,
        e instanceof StorageUnavailable
          ? `${e.message}; retry the batch (its events are counted once)`
          : "the batch could not be stored (nothing of it was kept); retry later",
      );
    }
  };

  const answer = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    await store(request);
    return verbose(request) ? reply.type("application/json").send(STORED_VERBOSE) : reply.type("text/plain").send("1");
  };
  app.post("/track", answer);
  // GET stores (Mixpanel's track() sends GET); HEAD must not, so it gets no route.
  app.get("/track", { exposeHeadRoute: false }, answer);
}
