/**
 * `POST /track` (and `GET /track?data=`), Mixpanel's ingestion protocol: `data=<base64 JSON>`
 * form bodies or JSON bodies, `verbose=1` answers. A batch is stored all or nothing, and
 * acknowledged only after its transaction committed.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { MAX_BATCH_EVENTS, validateBatch } from "@polar-ide/telemetry";
import type { Config } from "../config.js";
import type { Store } from "../db/store.js";
import type { RateLimiter } from "../rate-limit.js";

/** An error answered with its status (and, for 429, a `Retry-After`). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

interface TrackDeps {
  readonly config: Config;
  readonly store: Store;
  readonly limiter: RateLimiter;
  readonly today: () => string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes Mixpanel's base64 `data` (standard or URL-safe alphabet) strictly. */
function decodeData(data: string): unknown {
  // A form body that was not URL-encoded turns '+' into ' ' (Mixpanel's clients do not encode).
  const b64 = data.replace(/ /g, "+").replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, "");
  if (b64.length === 0 || !BASE64.test(b64) || b64.length % 4 === 1)
    throw new HttpError(400, "data is not valid base64");
  return parseJson(Buffer.from(b64, "base64").toString("utf8"), "data");
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, `${what} is not valid JSON`);
  }
}

/** The payload of a request: the decoded JSON of `data`, or the JSON body. */
function payloadOf(request: FastifyRequest): unknown {
  const query = request.query as Record<string, string | undefined>;
  if (request.method === "GET") {
    if (query.data === undefined) throw new HttpError(400, "missing data parameter");
    return decodeData(query.data);
  }
  const body = typeof request.body === "string" ? request.body : "";
  const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") {
    let data: string | null;
    try {
      data = new URLSearchParams(body).get("data");
    } catch {
      throw new HttpError(400, "the form body is malformed");
    }
    if (data === null) throw new HttpError(400, "the form body has no data field");
    return decodeData(data);
  }
  if (type === "application/json") return parseJson(body, "the body");
  throw new HttpError(
    415,
    "the body must be application/x-www-form-urlencoded (data=<base64 JSON>) or application/json",
  );
}

/** Registers `/track`. */
export function registerTrack(app: FastifyInstance, deps: TrackDeps): void {
  const tokens = new Set(deps.config.projectTokens);

  const handler = async (request: FastifyRequest): Promise<unknown> => {
    const wait = deps.limiter.take(request.ip);
    if (wait > 0) throw new HttpError(429, `too many requests; retry after ${wait} s`, wait);
    const payload = payloadOf(request);
    const list = Array.isArray(payload) ? (payload as unknown[]) : [payload];
    if (list.length > MAX_BATCH_EVENTS) {
      throw new HttpError(413, `a batch holds at most ${MAX_BATCH_EVENTS} events, got ${list.length}`);
    }
    // The token is checked before anything else about the events: strangers learn nothing.
    for (let i = 0; i < list.length; i++) {
      const ev = list[i] as { properties?: { token?: unknown } } | null;
      const token = typeof ev === "object" && ev !== null ? ev.properties?.token : undefined;
      if (typeof token !== "string" || !tokens.has(token)) {
        throw new HttpError(401, `event ${i}: ${token === undefined ? "missing" : "unknown"} project token`);
      }
    }
    const result = validateBatch(payload);
    if (!result.ok) throw new HttpError(400, result.message);
    await deps.store.insertBatch(deps.today(), result.events);
    const verbose = (request.query as Record<string, string | undefined>).verbose === "1";
    return verbose ? { status: 1, error: null } : "1";
  };

  app.post("/track", async (request, reply) => {
    const r = await handler(request);
    return reply.type(typeof r === "string" ? "text/plain" : "application/json").send(r);
  });
  app.get("/track", async (request, reply) => {
    const r = await handler(request);
    return reply.type(typeof r === "string" ? "text/plain" : "application/json").send(r);
  });
}
