/**
 * Delivery: the sealed batch (the outbox), what a send attempt returned, and the back-off between
 * attempts. `backoffDelay` is pure (time and randomness are arguments), so its schedule is
 * tested on its own.
 */
import type { TrackEvent } from "../schema.js";
import type { SendResult } from "./types.js";

/** The batch being delivered: sealed once, re-sent unchanged until it is accepted or dropped. */
export interface Outbox {
  readonly events: readonly TrackEvent[];
  /** Failed attempts so far. */
  readonly attempts: number;
  /** Local time (ms) before which no retry is made. */
  readonly notBefore: number;
}

/** How a batch that left the machine fared (shown to the user; never sent). */
export type SendOutcome = "accepted" | "rejected" | "failed";

/** The last batch handed to the sender: exactly its events, and the UTC day only (no time). */
export interface LastSent {
  readonly day: string;
  readonly outcome: SendOutcome;
  readonly events: readonly TrackEvent[];
}

/** Back-off parameters: first delay, and the longest (before `Retry-After`). */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * The wait before retry number `attempts` (1 = the first retry), in whole milliseconds:
 * exponential (`baseMs · 2^(attempts-1)`, at most `maxMs`) with "equal jitter" — between half and
 * all of it, as `random` goes from 0 to 1 — so that clients which failed together do not retry
 * together; and never sooner than the sink's `Retry-After`.
 */
export function backoffDelay(attempts: number, policy: BackoffPolicy, random: number, retryAfterMs?: number): number {
  const n = Number.isFinite(attempts) ? Math.max(1, Math.floor(attempts)) : 1;
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 40));
  const jitter = Number.isFinite(random) ? Math.min(1, Math.max(0, random)) : 0.5;
  const after = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) ? Math.max(0, retryAfterMs) : 0;
  return Math.ceil(Math.max(exp / 2 + jitter * (exp / 2), after));
}

/** A sender's answer, checked: anything that is not a `SendResult` counts as a failure to retry. */
export function checkResult(r: unknown): SendResult {
  if (typeof r === "object" && r !== null && !Array.isArray(r)) {
    const v = r as Record<string, unknown>;
    if (v.kind === "ok") return { kind: "ok" };
    const reason = typeof v.reason === "string" ? v.reason : String(v.kind);
    if (v.kind === "drop") return { kind: "drop", reason };
    if (v.kind === "retry") {
      const after = v.retryAfterMs;
      return typeof after === "number" && Number.isFinite(after) && after >= 0
        ? { kind: "retry", reason, retryAfterMs: after }
        : { kind: "retry", reason };
    }
  }
  return { kind: "retry", reason: "sender returned no result" };
}

/** The outcome shown for a result. */
export function outcomeOf(result: SendResult): SendOutcome {
  return result.kind === "ok" ? "accepted" : result.kind === "drop" ? "rejected" : "failed";
}
