/**
 * The sender: one batch = one `POST` to a Mixpanel-compatible `/track` endpoint (real Mixpanel or
 * the self-hosted collector), form body `data=<base64 of the JSON array>`.
 *
 * Why our own ~80 lines over `fetch` instead of the official `mixpanel` npm client:
 * - back-off needs the HTTP status and `Retry-After`; `track_batch` reports only an `Error`
 *   list, so a 429 or 503 cannot be told from a 400, and `Retry-After` is lost;
 * - `track_batch` splits a batch into requests of 50 events sent concurrently; when one chunk
 *   fails the caller cannot tell which, so a retry either re-sends accepted events or loses
 *   rejected ones. One request per batch makes a batch succeed or fail as a whole, and its
 *   `$insert_id`s make a re-send after a lost answer harmless;
 * - it adds properties of its own (`mp_lib`, `$lib_version`) and can route to `/import` by `time`;
 *   here every byte sent is the schema's and nothing else;
 * - no dependency to bundle or audit, and the endpoint is plain configuration.
 */
import type { TrackEvent } from "../schema.js";
import type { SendResult, Sender } from "./types.js";

/** Configuration of `MixpanelSender`. */
export interface MixpanelSenderOptions {
  /** Full URL of the `/track` endpoint, e.g. `https://api-eu.mixpanel.com/track`. */
  readonly endpoint: string;
  /** Abort a request after this long (a network error, retried). Default 10 s. */
  readonly timeoutMs?: number;
  /** `fetch` to use (tests); default the global one. */
  readonly fetch?: typeof fetch;
  /** Clock for `Retry-After` given as an HTTP date; default `Date.now`. */
  readonly now?: () => number;
}

/** Longest `Retry-After` taken literally (a week); longer values are clamped. */
const MAX_RETRY_AFTER_MS = 7 * 24 * 60 * 60 * 1000;

/** `Retry-After` in milliseconds (delta-seconds or HTTP date), or undefined when absent/unparsable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(MAX_RETRY_AFTER_MS, Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - nowMs));
}

/** The form body of one batch: `data=<base64 JSON>&verbose=1&ip=0`. */
export function encodeTrackBody(events: readonly TrackEvent[]): string {
  const data = Buffer.from(JSON.stringify(events), "utf8").toString("base64");
  return new URLSearchParams({ data, verbose: "1", ip: "0" }).toString();
}

/** Sends batches to a Mixpanel `/track` endpoint; see the module comment for why not the `mixpanel` package. */
export class MixpanelSender implements Sender {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;

  constructor(options: MixpanelSenderOptions) {
    // `ip=0` tells Mixpanel not to geolocate by the request's address (it is a query parameter
    // of /track); `verbose=1` makes it answer with a JSON status instead of a bare "1"/"0".
    const url = new URL(options.endpoint);
    url.searchParams.set("ip", "0");
    url.searchParams.set("verbose", "1");
    this.url = url.toString();
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  async send(events: readonly TrackEvent[], signal?: AbortSignal): Promise<SendResult> {
    try {
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const response = await this.fetchImpl(this.url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: encodeTrackBody(events),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
        // Never follow a redirect: the body would be re-sent to a place nobody configured.
        redirect: "error",
      });
      const text = await response.text().catch(() => "");
      const status = response.status;
      if (status >= 200 && status < 300) {
        // verbose=1: {"status": 1} or {"status": 0, "error": "..."}; a rejected payload stays rejected.
        if (text.trim() === "0") return { kind: "drop", reason: "rejected (0)" };
        const verdict = parseVerbose(text);
        if (verdict !== null && verdict.status !== 1)
          return { kind: "drop", reason: `rejected: ${verdict.error ?? "status 0"}` };
        return { kind: "ok" };
      }
      const detail = `HTTP ${status}${text === "" ? "" : `: ${text.slice(0, 200)}`}`;
      if (status === 429 || status >= 500) {
        const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), this.now());
        return retryAfterMs === undefined
          ? { kind: "retry", reason: detail }
          : { kind: "retry", reason: detail, retryAfterMs };
      }
      return { kind: "drop", reason: detail };
    } catch (e) {
      // Connection refused, DNS, TLS, timeout, abort: all worth another try later.
      return { kind: "retry", reason: `network error: ${describe(e)}` };
    }
  }
}

function parseVerbose(text: string): { status: unknown; error?: string } | null {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === "object" && v !== null && "status" in v) {
      const r = v as { status: unknown; error?: unknown };
      return typeof r.error === "string" ? { status: r.status, error: r.error } : { status: r.status };
    }
  } catch {
    // Not JSON (e.g. a bare "1"): judged by the status code alone.
  }
  return null;
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
  }
  return String(e);
}
