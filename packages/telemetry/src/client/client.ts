/**
 * The telemetry client: turns the language server's `telemetry/event` payloads into at most one
 * `diagnostic_load` event per workspace folder per month per batch, and delivers the batches.
 *
 * Life of a load:
 * 1. `record(root, payload)` keeps the latest payload of each project root for 1 s, then merges
 *    it into its folder's aggregate (`aggregation.ts`, `event.ts`); the state is persisted
 *    (`persistence.ts`);
 * 2. every hour (and at shutdown) the aggregates are *sealed* into one outgoing batch — as many as
 *    the caps allow (`caps.ts`: 60 a day OR 3000 a month; the rest keep aggregating) — and the
 *    batch is persisted before it is sent, so a crash re-sends the same events with the same
 *    `$insert_id`;
 * 3. the batch is sent in one request; network errors, 5xx and 429 retry with exponential back-off
 *    and jitter, never sooner than `Retry-After` (`delivery.ts`); any other answer drops it. The
 *    last batch sent is kept, with its UTC day, for the user to see.
 *
 * Modes: `send` does all of the above; `local` aggregates and shows (`pendingEvents`) but never
 * seals or sends; `off` collects nothing and deletes what is pending.
 *
 * Every public method catches and logs: telemetry must never break the editor.
 */
import { MAX_BATCH_EVENTS, validateEvent } from "../validate.js";
import type { TrackEvent } from "../schema.js";
import { Aggregator, type FolderView } from "./aggregation.js";
import { capReached, capRoom, countSealed, rollCaps, type CapLimits } from "./caps.js";
import { backoffDelay, checkResult, outcomeOf, type BackoffPolicy, type LastSent, type Outbox } from "./delivery.js";
import { buildEvent, calendarDay, distinctId, normalizeEnvironment, type EnvironmentProperties } from "./event.js";
import { StatePersistence, emptyState, type ClientState } from "./persistence.js";
import type { Clock, HostEnvironment, Logger, SendResult, Sender, Store } from "./types.js";

/** What the client does with loads: send them, only aggregate them for the user to see, or nothing. */
export type CollectionMode = "send" | "local" | "off";

/** Configuration of a `TelemetryClient`. Only `store`, `sender`, `environment`, `token` and `mode` are required. */
export interface TelemetryClientOptions {
  readonly store: Store;
  readonly sender: Sender;
  readonly environment: Partial<HostEnvironment>;
  /** Project token of the sink (sent as the `token` property, as `/track` requires). */
  readonly token: string;
  /** The mode at start. */
  readonly mode: CollectionMode;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Default 1 hour. */
  readonly flushIntervalMs?: number;
  /** Per-root debounce of `record`; default 1000 ms (Oso's). */
  readonly debounceMs?: number;
  /** Default 60 events per calendar day (UTC). */
  readonly dailyCap?: number;
  /** Default 3000 events per calendar month (UTC). */
  readonly monthlyCap?: number;
  /** First retry delay; default 30 s, doubled per failure. */
  readonly retryBaseMs?: number;
  /** Longest retry delay (before `Retry-After`); default 6 hours. */
  readonly retryMaxMs?: number;
  /** Random source for the back-off jitter; default `Math.random`. */
  readonly random?: () => number;
  /** Prefix of the store keys; default `polarTelemetry`. */
  readonly storeKeyPrefix?: string;
}

/** The real clock; timers are unref'd so a pending flush never keeps a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const t = setTimeout(callback, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const HOUR = 60 * 60 * 1000;
/** setTimeout's largest delay (~24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
const MODES: readonly CollectionMode[] = ["send", "local", "off"];

/** See the module comment. Construct it, call `start()`, feed it `record()`, and `shutdown()` at the end. */
export class TelemetryClient {
  private readonly sender: Sender;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly environment: EnvironmentProperties;
  private readonly token: string;
  private readonly flushIntervalMs: number;
  private readonly limits: CapLimits;
  private readonly backoff: BackoffPolicy;
  private readonly random: () => number;
  private readonly persistence: StatePersistence;
  private readonly aggregator: Aggregator;

  private secret = "";
  private state: ClientState = emptyState();
  private currentMode: CollectionMode = "off";
  private started = false;
  private stopped = false;
  /** Bumped when sending stops (off or local): results of sends begun before are ignored. */
  private generation = 0;
  private flushTimer: unknown = undefined;
  private retryTimer: unknown = undefined;
  private inflight: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private capLoggedFor = "";

  constructor(options: TelemetryClientOptions) {
    this.sender = options.sender;
    this.clock = options.clock ?? systemClock;
    const log = options.log ?? (() => undefined);
    this.log = (message) => {
      try {
        log(`[telemetry] ${message}`);
      } catch {
        // A broken logger must not break the client either.
      }
    };
    this.token = String(options.token);
    this.flushIntervalMs = positive(options.flushIntervalMs, HOUR);
    this.limits = { daily: positive(options.dailyCap, 60, true), monthly: positive(options.monthlyCap, 3000, true) };
    this.backoff = { baseMs: positive(options.retryBaseMs, 30_000), maxMs: positive(options.retryMaxMs, 6 * HOUR) };
    this.random = options.random ?? Math.random;
    this.persistence = new StatePersistence(options.store, options.storeKeyPrefix ?? "polarTelemetry", this.log);
    this.environment = normalizeEnvironment(options.environment ?? {});
    try {
      this.secret = this.persistence.loadSecret();
      this.state = this.persistence.loadState(this.secret, this.clock.now());
    } catch (e) {
      this.log(`could not initialize: ${describe(e)}`);
    }
    if (!/^[0-9a-f]{64}$/.test(this.secret)) this.secret = "0".repeat(64);
    this.aggregator = new Aggregator(
      this.state.pending,
      this.secret,
      this.clock,
      positive(options.debounceMs, 1000, true),
      this.log,
      () => this.persist(),
    );
    try {
      this.currentMode = MODES.includes(options.mode) ? options.mode : "off";
      // Turned off while the editor was closed: what was pending is deleted now.
      if (this.currentMode === "off") this.discard();
    } catch (e) {
      this.log(`could not initialize: ${describe(e)}`);
    }
  }

  /** The current mode. */
  get mode(): CollectionMode {
    return this.currentMode;
  }

  /** Starts the hourly flush, and resumes a batch left unsent by the previous session. */
  start(): void {
    try {
      if (this.started || this.stopped) return;
      this.started = true;
      this.scheduleFlush();
      this.resumeOutbox();
    } catch (e) {
      this.log(`start failed: ${describe(e)}`);
    }
  }

  /**
   * Records one `telemetry/event` payload of the project root `root` (a URI string), debounced
   * per root. `folder` is the workspace folder the load is counted under (default: the root).
   */
  record(root: string, payload: unknown, folder: string = root): void {
    try {
      if (this.currentMode === "off" || this.stopped) return;
      this.aggregator.record(String(root), payload, String(folder));
    } catch (e) {
      this.log(`record failed: ${describe(e)}`);
    }
  }

  /** Merges the debounced payload of `root` (or of every root) now — e.g. when its language client stops. */
  flushRecords(root?: string): void {
    try {
      if (this.currentMode === "off") return;
      this.aggregator.merge(root);
    } catch (e) {
      this.log(`merging a load failed: ${describe(e)}`);
    }
  }

  /** Seals what is pending (within the caps) and sends it now. Resolves when done; never rejects. Does nothing unless sending. */
  flush(): Promise<void> {
    try {
      if (this.currentMode !== "send") return Promise.resolve();
      if (this.inflight !== null) return this.inflight;
      const run = this.deliver()
        .catch((e: unknown) => this.log(`flush failed: ${describe(e)}`))
        .finally(() => {
          if (this.inflight === run) this.inflight = null;
        });
      this.inflight = run;
      return run;
    } catch (e) {
      this.log(`flush failed: ${describe(e)}`);
      return Promise.resolve();
    }
  }

  /**
   * Changes the mode. `off` takes effect at once: debounced payloads, pending aggregates and the
   * unsent batch are deleted (from memory and the store) and a send in progress is aborted.
   * `local` aborts a send in progress and keeps everything, unsent, for the user to see.
   */
  setMode(mode: CollectionMode): void {
    try {
      if (mode === this.currentMode || !MODES.includes(mode)) return;
      const wasSending = this.currentMode === "send";
      this.currentMode = mode;
      if (wasSending) {
        this.generation++;
        this.abort?.abort();
        this.clearTimer("retryTimer");
      }
      if (mode === "off") this.discard();
      if (mode === "send" && this.started) this.resumeOutbox();
    } catch (e) {
      this.log(`switching telemetry to ${mode} failed: ${describe(e)}`);
    }
  }

  /**
   * The events that would be sent if everything pending were flushed now, debounced payloads
   * included: the sealed batch first (exactly as it will be re-sent), then one event per folder.
   */
  pendingEvents(): TrackEvent[] {
    try {
      if (this.currentMode === "off") return [];
      const events: TrackEvent[] = this.state.outbox === null ? [] : copyEvents(this.state.outbox.events);
      for (const folder of this.aggregator.preview()) events.push(this.eventOf(folder));
      return events;
    } catch (e) {
      this.log(`listing pending events failed: ${describe(e)}`);
      return [];
    }
  }

  /** `pendingEvents()` as the JSON array that is sent (pretty-printed for reading). */
  pendingPayload(): string {
    try {
      return JSON.stringify(this.pendingEvents(), null, 2);
    } catch (e) {
      this.log(`rendering pending events failed: ${describe(e)}`);
      return "[]";
    }
  }

  /** The last batch handed to the sender: its exact events, the UTC day, and how it fared; null before the first. */
  lastSent(): LastSent | null {
    const last = this.state.lastSent;
    return last === null ? null : { ...last, events: copyEvents(last.events) };
  }

  /** Resolves once every state change so far has reached the store. */
  persisted(): Promise<void> {
    return this.persistence.flushed();
  }

  /**
   * Stops timers, merges debounced payloads, makes one last delivery attempt (unless a back-off
   * is running: the batch then waits, persisted, for the next session) and waits for the store.
   */
  async shutdown(): Promise<void> {
    try {
      if (this.stopped) return;
      this.flushRecords();
      this.stopped = true;
      this.clearTimer("flushTimer");
      this.clearTimer("retryTimer");
      if (this.inflight !== null) await this.inflight;
      await this.flush();
      this.clearTimer("retryTimer");
      await this.persisted();
    } catch (e) {
      this.log(`shutdown failed: ${describe(e)}`);
    }
  }

  // -------------------------------------------------------------------------------------------

  /** An event of one folder: both identifiers of the folder's month, so no event mixes two months. */
  private eventOf(folder: FolderView): TrackEvent {
    return buildEvent(folder.aggregate, {
      distinctId: distinctId(this.secret, folder.month),
      workspaceFolder: folder.id,
      environment: this.environment,
      token: this.token,
    });
  }

  private sending(generation: number, box?: Outbox): boolean {
    return (
      this.currentMode === "send" && generation === this.generation && (box === undefined || this.state.outbox === box)
    );
  }

  private async deliver(): Promise<void> {
    const generation = this.generation;
    // Bounded: each round sends one batch; more rounds only when loads arrived meanwhile.
    for (let round = 0; round < 10; round++) {
      if (!this.sending(generation)) return;
      if (this.state.outbox === null && !this.seal()) return;
      const box = this.state.outbox;
      if (box === null) return;
      const now = this.clock.now();
      if (box.notBefore > now) {
        this.scheduleRetry(box.notBefore - now);
        return;
      }
      // The sealed batch (and its $insert_ids) is in the store before any byte leaves.
      await this.persisted();
      if (!this.sending(generation, box)) return;
      const result = await this.attempt(box);
      // Sending stopped (or shut down and restarted) meanwhile: nothing of this batch is kept.
      if (!this.sending(generation, box)) return;
      this.state.lastSent = { day: calendarDay(this.clock.now()), outcome: outcomeOf(result), events: box.events };
      if (result.kind === "ok" || result.kind === "drop") {
        if (result.kind === "ok") this.log(`sent ${box.events.length} event(s)`);
        else this.log(`dropped ${box.events.length} event(s): ${result.reason}`);
        this.state.outbox = null;
        this.persist();
        continue;
      }
      const attempts = box.attempts + 1;
      const delay = backoffDelay(attempts, this.backoff, this.random(), result.retryAfterMs);
      this.state.outbox = { ...box, attempts, notBefore: this.clock.now() + delay };
      this.persist();
      this.log(`send failed (${result.reason}); retry ${attempts} in ${Math.round(delay / 1000)} s`);
      this.scheduleRetry(delay);
      return;
    }
  }

  /** One request; whatever the sender does, a `SendResult`. */
  private async attempt(box: Outbox): Promise<SendResult> {
    const controller = new AbortController();
    this.abort = controller;
    try {
      return checkResult(await this.sender.send(box.events, controller.signal));
    } catch (e) {
      return { kind: "retry", reason: `sender failed: ${describe(e)}` };
    } finally {
      if (this.abort === controller) this.abort = null;
    }
  }

  /** Moves pending aggregates into a new outbox batch, within the caps. Returns whether a batch was sealed. */
  private seal(): boolean {
    if (this.aggregator.size === 0) return false;
    const now = this.clock.now();
    this.state.caps = rollCaps(this.state.caps, now);
    const room = Math.min(capRoom(this.state.caps, this.limits), MAX_BATCH_EVENTS);
    if (room <= 0) {
      const day = calendarDay(now);
      if (this.capLoggedFor !== day) {
        this.capLoggedFor = day;
        const which = capReached(this.state.caps, this.limits) ?? "daily";
        this.log(`${which} cap reached; ${this.aggregator.size} folder(s) keep aggregating until it resets`);
      }
      return false;
    }
    const events: TrackEvent[] = [];
    for (const folder of this.aggregator.take(room)) {
      const event = this.eventOf(folder);
      const check = validateEvent(event);
      if (!check.ok) {
        // A bug, not user input: never send what the collector would reject (and say why).
        this.log(`discarded an invalid event: ${check.message}`);
        continue;
      }
      events.push(event);
    }
    if (events.length === 0) {
      this.persist();
      return false;
    }
    this.state.caps = countSealed(this.state.caps, events.length);
    this.state.outbox = { events, attempts: 0, notBefore: 0 };
    this.persist();
    return true;
  }

  private resumeOutbox(): void {
    const box = this.state.outbox;
    if (this.currentMode === "send" && box !== null) this.scheduleRetry(Math.max(0, box.notBefore - this.clock.now()));
  }

  private scheduleFlush(): void {
    if (this.stopped) return;
    this.flushTimer = this.clock.setTimeout(
      () => {
        this.flushTimer = undefined;
        this.flushRecords();
        void this.flush().finally(() => this.scheduleFlush());
      },
      Math.min(this.flushIntervalMs, MAX_TIMER_MS),
    );
  }

  private scheduleRetry(delay: number): void {
    if (this.stopped) return;
    this.clearTimer("retryTimer");
    this.retryTimer = this.clock.setTimeout(
      () => {
        this.retryTimer = undefined;
        void this.flush();
      },
      Math.min(Math.max(0, delay), MAX_TIMER_MS),
    );
  }

  private clearTimer(which: "flushTimer" | "retryTimer"): void {
    const handle = this[which];
    this[which] = undefined;
    if (handle !== undefined) this.clock.clearTimeout(handle);
  }

  /**
   * Forgets everything collected — not the cap counters (so switching off and on cannot lift a
   * cap) and not the record of the last batch sent (it already left; the user may want to see it).
   */
  private discard(): void {
    this.aggregator.discard();
    this.clearTimer("retryTimer");
    this.state.outbox = null;
    this.persist();
  }

  private persist(): void {
    this.persistence.save(this.state);
  }
}

function positive(v: number | undefined, fallback: number, allowZero = false): number {
  return typeof v === "number" && Number.isFinite(v) && (v > 0 || (allowZero && v === 0)) ? v : fallback;
}

function copyEvents(events: readonly TrackEvent[]): TrackEvent[] {
  return JSON.parse(JSON.stringify(events)) as TrackEvent[];
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
