/**
 * When loads run. A notification requests a load; the load runs once the connection has handled
 * every message already queued (a full event-loop turn without a new load request), or after
 * MAX_LOAD_DELAY_MS: a burst of edits is analysed once, for the newest versions, and the
 * superseded versions are never published. A merged load names the last notification's method
 * and the URIs of all of them (one telemetry event per load).
 */
import type { LspMethod } from "@polar-ide/telemetry/protocol";
import { runSafeNotification, type Logger } from "./run-safe.js";

/** Longest a load waits for a burst of notifications to end. */
export const MAX_LOAD_DELAY_MS = 50;

/** The notifications received since the last load, merged. */
export interface PendingLoad {
  /** null: a load no client notification asked for (the application's classes changed): no telemetry. */
  method: LspMethod | null;
  readonly uris: string[];
}

export class LoadScheduler {
  private pending: PendingLoad | null = null;
  /** Event-loop turns since the last load request (-1: a request in this turn). */
  private quietTurns = 0;

  /**
   * @param run the load; it runs inside `runSafeNotification`, so a throw is logged, not fatal.
   * @param now a milliseconds clock, for the MAX_LOAD_DELAY_MS cap.
   */
  constructor(
    private readonly run: (load: PendingLoad) => void,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  /** Requests a load for a notification with `method` about `uris`. */
  request(method: LspMethod | null, uris: readonly string[]): void {
    if (this.pending !== null) {
      if (method !== null) this.pending.method = method;
      this.pending.uris.push(...uris);
      this.quietTurns = -1;
      return;
    }
    this.pending = { method, uris: [...uris] };
    this.quietTurns = -1;
    const started = this.now();
    const tick = (): void => {
      // Run after one full event-loop turn without a new request. The connection handles one queued
      // message per turn and schedules the next one after the handler that requested this load, so
      // the turn right after a request does not yet tell whether more messages are queued.
      this.quietTurns++;
      if (this.quietTurns >= 1 || this.now() - started >= MAX_LOAD_DELAY_MS) {
        const load = this.pending;
        this.pending = null;
        if (load !== null) runSafeNotification(this.logger, () => this.run(load), "Polar load failed");
        return;
      }
      setImmediate(tick);
    };
    setImmediate(tick);
  }
}
