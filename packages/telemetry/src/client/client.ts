/**
 * The telemetry client: turns the language server's `telemetry/event` payloads into at most one
 * `diagnostic_load` event per workspace folder per batch, and delivers the batches.
 *
 * Life of a load:
 * 1. `record(root, payload)` keeps the latest payload of each project root for 1 s (Oso's
 *    debounce: a burst of loads counts once, as the last one);
 * 2. then it is merged into its folder's aggregate (`event.ts`) and the state is persisted;
 * 3. every hour (and at shutdown) the aggregates are *sealed* into one outgoing batch — as many as
 *    the caps allow (60 a day OR 3000 a month; the rest keep aggregating) — and the batch is
 *    persisted before it is sent, so a crash re-sends the same events with the same `$insert_id`;
 * 4. the batch is sent in one request; network errors, 5xx and 429 retry with exponential back-off
 *    and jitter (never sooner than `Retry-After`), any other answer drops it.
 *
 * Every public method catches and logs: telemetry must never break the editor.
 */
import { MAX_BATCH_EVENTS, validateEvent } from "../validate.js";
import type { TrackEvent } from "../schema.js";
import {
  addLoad,
  buildEvent,
  calendarDay,
  calendarMonth,
  cloneAggregate,
  distinctId,
  emptyAggregate,
  hasLoads,
  newSecret,
  normalizeEnvironment,
  parseAggregate,
  workspaceFolderId,
  type EnvironmentProperties,
  type FolderAggregate,
} from "./event.js";
import type { Clock, HostEnvironment, Logger, SendResult, Sender, Store } from "./types.js";

/** Configuration of a `TelemetryClient`. Only `store`, `sender`, `machineId`, `environment`, `token` and `enabled` are required. */
export interface TelemetryClientOptions {
  readonly store: Store;
  readonly sender: Sender;
  /** `vscode.env.machineId`; only its salted monthly hash ever leaves the client. */
  readonly machineId: string;
  readonly environment: Partial<HostEnvironment>;
  /** Project token of the sink (sent as the `token` property, as `/track` requires). */
  readonly token: string;
  /** Whether collection is on at start (both VS Code's switch and the extension's). */
  readonly enabled: boolean;
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

/** The batch being delivered: sealed once, re-sent unchanged until it is accepted or dropped. */
interface Outbox {
  readonly events: TrackEvent[];
  attempts: number;
  /** Local time before which no retry is made (back-off). */
  notBefore: number;
}

/** Events sealed in the current day and month (local bookkeeping, never sent). */
interface CapCounters {
  day: string;
  dayCount: number;
  month: string;
  monthCount: number;
}

/** The persisted state (JSON). Folders are keyed by their HMAC, so not even the local store holds a path. */
interface PersistedState {
  readonly v: 1;
  readonly pending: [string, FolderAggregate][];
  readonly outbox: Outbox | null;
  readonly caps: CapCounters;
}

interface Debounced {
  readonly folder: string;
  readonly payload: unknown;
  readonly timer: unknown;
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

/** See the module comment. Construct it, call `start()`, feed it `record()`, and `shutdown()` at the end. */
export class TelemetryClient {
  private readonly store: Store;
  private readonly sender: Sender;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly machineId: string;
  private readonly environment: EnvironmentProperties;
  private readonly token: string;
  private readonly flushIntervalMs: number;
  private readonly debounceMs: number;
  private readonly dailyCap: number;
  private readonly monthlyCap: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly random: () => number;
  private readonly stateKey: string;
  private readonly secretKey: string;

  private secret = "";
  private on = false;
  private started = false;
  private stopped = false;
  /** Bumped when collection is turned off: results of sends begun before are ignored. */
  private generation = 0;
  private pending = new Map<string, FolderAggregate>();
  private outbox: Outbox | null = null;
  private caps: CapCounters = { day: "", dayCount: 0, month: "", monthCount: 0 };
  private readonly debounced = new Map<string, Debounced>();
  private flushTimer: unknown = undefined;
  private retryTimer: unknown = undefined;
  private inflight: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private writes: Promise<void> = Promise.resolve();
  private capLoggedFor = "";
  /**
   * `$insert_id`s promised by `pendingEvents()` to folders that have only a debounced payload yet,
   * so the preview shows the id that the folder's aggregate will then carry.
   */
  private readonly reservedIds = new Map<string, string>();

  constructor(options: TelemetryClientOptions) {
    this.store = options.store;
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
    this.machineId = String(options.machineId);
    this.token = String(options.token);
    this.flushIntervalMs = positive(options.flushIntervalMs, HOUR);
    this.debounceMs = positive(options.debounceMs, 1000, true);
    this.dailyCap = positive(options.dailyCap, 60, true);
    this.monthlyCap = positive(options.monthlyCap, 3000, true);
    this.retryBaseMs = positive(options.retryBaseMs, 30_000);
    this.retryMaxMs = positive(options.retryMaxMs, 6 * HOUR);
    this.random = options.random ?? Math.random;
    const prefix = options.storeKeyPrefix ?? "polarTelemetry";
    this.stateKey = `${prefix}.state`;
    this.secretKey = `${prefix}.secret`;
    this.environment = normalizeEnvironment(options.environment ?? {});
    try {
      this.secret = this.loadSecret();
      this.loadState();
      this.on = options.enabled === true;
      if (!this.on) {
        // Turned off while the editor was closed: what was pending is deleted now.
        this.discard();
      }
    } catch (e) {
      this.log(`could not initialize: ${describe(e)}`);
      if (this.secret === "") this.secret = newSecret();
    }
  }

  /** Whether collection is on. */
  get enabled(): boolean {
    return this.on;
  }

  /** Starts the hourly flush, and resumes a batch left unsent by the previous session. */
  start(): void {
    try {
      if (this.started || this.stopped) return;
      this.started = true;
      this.scheduleFlush();
      if (this.on && this.outbox !== null) this.scheduleRetry(Math.max(0, this.outbox.notBefore - this.clock.now()));
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
      if (!this.on || this.stopped) return;
      const previous = this.debounced.get(root);
      if (previous !== undefined) this.clock.clearTimeout(previous.timer);
      const timer = this.clock.setTimeout(() => this.flushRecords(root), this.debounceMs);
      this.debounced.set(root, { folder: String(folder), payload, timer });
    } catch (e) {
      this.log(`record failed: ${describe(e)}`);
    }
  }

  /** Merges the debounced payload of `root` (or of every root) now — e.g. when its language client stops. */
  flushRecords(root?: string): void {
    try {
      const roots = root === undefined ? [...this.debounced.keys()] : [root];
      for (const r of roots) {
        const entry = this.debounced.get(r);
        if (entry === undefined) continue;
        this.debounced.delete(r);
        this.clock.clearTimeout(entry.timer);
        if (!this.on) continue;
        const id = workspaceFolderId(this.secret, entry.folder);
        const aggregate = this.pending.get(id) ?? emptyAggregate(this.reservedIds.get(id));
        this.reservedIds.delete(id);
        const problem = addLoad(aggregate, entry.payload);
        if (problem !== null) {
          this.log(`ignored a telemetry payload: ${problem}`);
          continue;
        }
        this.pending.set(id, aggregate);
        this.persist();
      }
    } catch (e) {
      this.log(`merging a load failed: ${describe(e)}`);
    }
  }

  /** Seals what is pending (within the caps) and sends it now. Resolves when done; never rejects. */
  flush(): Promise<void> {
    try {
      if (!this.on) return Promise.resolve();
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
   * Turns collection on or off. Off takes effect at once: debounced payloads, pending aggregates
   * and the unsent batch are deleted (from memory and the store) and a send in progress is aborted.
   */
  setEnabled(enabled: boolean): void {
    try {
      if (enabled === this.on) return;
      this.on = enabled;
      if (!enabled) {
        this.generation++;
        this.abort?.abort();
        this.discard();
      }
    } catch (e) {
      this.log(`switching telemetry ${enabled ? "on" : "off"} failed: ${describe(e)}`);
    }
  }

  /**
   * The events that would be sent if everything pending were flushed now, debounced payloads
   * included: the sealed batch first (exactly as it will be re-sent), then one event per folder.
   */
  pendingEvents(): TrackEvent[] {
    try {
      if (!this.on) return [];
      const events: TrackEvent[] = this.outbox === null ? [] : this.outbox.events.map(copyEvent);
      const preview = new Map<string, FolderAggregate>();
      for (const [id, a] of this.pending) preview.set(id, cloneAggregate(a));
      for (const entry of this.debounced.values()) {
        const id = workspaceFolderId(this.secret, entry.folder);
        let aggregate = preview.get(id);
        if (aggregate === undefined) {
          aggregate = emptyAggregate(this.reservedIds.get(id));
          this.reservedIds.set(id, aggregate.insertId);
        }
        if (addLoad(aggregate, entry.payload) === null) preview.set(id, aggregate);
      }
      for (const [id, a] of preview) if (hasLoads(a)) events.push(this.eventOf(id, a));
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

  /** Resolves once every state change so far has reached the store. */
  async persisted(): Promise<void> {
    try {
      await this.writes;
    } catch {
      // `writes` never rejects; belt and braces.
    }
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

  private eventOf(folderId: string, a: FolderAggregate): TrackEvent {
    return buildEvent(a, {
      distinctId: distinctId(this.machineId, this.clock.now()),
      workspaceFolder: folderId,
      environment: this.environment,
      token: this.token,
    });
  }

  private async deliver(): Promise<void> {
    const generation = this.generation;
    // Bounded: each round sends one batch; more rounds only when loads arrived meanwhile.
    for (let round = 0; round < 10; round++) {
      if (!this.on || generation !== this.generation) return;
      if (this.outbox === null && !this.seal()) return;
      const box = this.outbox;
      if (box === null) return;
      const now = this.clock.now();
      if (box.notBefore > now) {
        this.scheduleRetry(box.notBefore - now);
        return;
      }
      // The sealed batch (and its $insert_ids) is in the store before any byte leaves.
      await this.persisted();
      if (!this.on || generation !== this.generation || this.outbox !== box) return;
      const controller = new AbortController();
      this.abort = controller;
      let result: SendResult;
      try {
        result = checkResult(await this.sender.send(box.events, controller.signal));
      } catch (e) {
        result = { kind: "retry", reason: `sender failed: ${describe(e)}` };
      } finally {
        if (this.abort === controller) this.abort = null;
      }
      // Turned off (or shut down and restarted) meanwhile: nothing of this batch is kept.
      if (!this.on || generation !== this.generation || this.outbox !== box) return;
      if (result.kind === "ok" || result.kind === "drop") {
        if (result.kind === "ok") this.log(`sent ${box.events.length} event(s)`);
        else this.log(`dropped ${box.events.length} event(s): ${result.reason}`);
        this.outbox = null;
        this.persist();
        continue;
      }
      box.attempts += 1;
      const exp = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(box.attempts - 1, 40));
      // "Equal jitter": between half and all of the exponential delay, so clients that failed
      // together do not retry together; never sooner than the sink asked.
      const jittered = exp / 2 + clamp01(this.random()) * (exp / 2);
      const delay = Math.ceil(Math.max(jittered, result.retryAfterMs ?? 0));
      box.notBefore = this.clock.now() + delay;
      this.persist();
      this.log(`send failed (${result.reason}); retry ${box.attempts} in ${Math.round(delay / 1000)} s`);
      this.scheduleRetry(delay);
      return;
    }
  }

  /** Moves pending aggregates into a new outbox batch, within the caps. Returns whether a batch was sealed. */
  private seal(): boolean {
    if (this.pending.size === 0) return false;
    const now = this.clock.now();
    this.rollCaps(now);
    const room = Math.min(this.dailyCap - this.caps.dayCount, this.monthlyCap - this.caps.monthCount, MAX_BATCH_EVENTS);
    if (room <= 0) {
      const day = calendarDay(now);
      if (this.capLoggedFor !== day) {
        this.capLoggedFor = day;
        const which = this.caps.dayCount >= this.dailyCap ? "daily" : "monthly";
        this.log(`${which} cap reached; ${this.pending.size} folder(s) keep aggregating until it resets`);
      }
      return false;
    }
    const events: TrackEvent[] = [];
    for (const [id, aggregate] of this.pending) {
      if (events.length >= room) break;
      this.pending.delete(id);
      if (!hasLoads(aggregate)) continue;
      const event = this.eventOf(id, aggregate);
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
    this.caps.dayCount += events.length;
    this.caps.monthCount += events.length;
    this.outbox = { events, attempts: 0, notBefore: 0 };
    this.persist();
    return true;
  }

  private rollCaps(now: number): void {
    const day = calendarDay(now);
    const month = calendarMonth(now);
    if (this.caps.month !== month) {
      this.caps.month = month;
      this.caps.monthCount = 0;
    }
    if (this.caps.day !== day) {
      this.caps.day = day;
      this.caps.dayCount = 0;
    }
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

  /** Forgets everything collected (not the cap counters, so switching off and on cannot lift a cap). */
  private discard(): void {
    for (const entry of this.debounced.values()) this.clock.clearTimeout(entry.timer);
    this.debounced.clear();
    this.reservedIds.clear();
    this.clearTimer("retryTimer");
    this.pending.clear();
    this.outbox = null;
    this.persist();
  }

  /** Queues a write of the whole state; writes are serialized so the last one wins. */
  private persist(): void {
    const state: PersistedState = {
      v: 1,
      pending: [...this.pending].map(([id, a]) => [id, cloneAggregate(a)]),
      outbox:
        this.outbox === null
          ? null
          : {
              events: this.outbox.events.map(copyEvent),
              attempts: this.outbox.attempts,
              notBefore: this.outbox.notBefore,
            },
      caps: { ...this.caps },
    };
    this.write(this.stateKey, state);
  }

  private write(key: string, value: unknown): void {
    this.writes = this.writes
      .then(() => this.store.set(key, value))
      .then(
        () => undefined,
        (e: unknown) => this.log(`could not save telemetry state: ${describe(e)}`),
      );
  }

  private loadSecret(): string {
    try {
      const v = this.store.get(this.secretKey);
      if (typeof v === "string" && /^[0-9a-f]{64}$/.test(v)) return v;
    } catch (e) {
      this.log(`could not read the installation secret: ${describe(e)}`);
    }
    const secret = newSecret();
    this.write(this.secretKey, secret);
    return secret;
  }

  private loadState(): void {
    let raw: unknown;
    try {
      raw = this.store.get(this.stateKey);
    } catch (e) {
      this.log(`could not read telemetry state: ${describe(e)}`);
      return;
    }
    if (!isRecord(raw) || raw.v !== 1) return;
    if (isRecord(raw.caps)) {
      const c = raw.caps;
      this.caps = {
        day: typeof c.day === "string" ? c.day : "",
        dayCount: count(c.dayCount),
        month: typeof c.month === "string" ? c.month : "",
        monthCount: count(c.monthCount),
      };
    }
    if (Array.isArray(raw.pending)) {
      for (const entry of raw.pending as unknown[]) {
        if (!Array.isArray(entry) || typeof entry[0] !== "string" || !/^[0-9a-f]{64}$/.test(entry[0])) continue;
        const a = parseAggregate(entry[1]);
        if (a !== null) this.pending.set(entry[0], a);
      }
    }
    if (isRecord(raw.outbox) && Array.isArray(raw.outbox.events)) {
      // Re-validated: a batch sealed by an older version of the schema is not sent by this one.
      const events = (raw.outbox.events as unknown[]).filter((e): e is TrackEvent => validateEvent(e).ok);
      if (events.length < raw.outbox.events.length) this.log("discarded saved events that no longer match the schema");
      if (events.length > 0) {
        this.outbox = { events, attempts: count(raw.outbox.attempts), notBefore: count(raw.outbox.notBefore) };
      }
    }
  }
}

function positive(v: number | undefined, fallback: number, allowZero = false): number {
  return typeof v === "number" && Number.isFinite(v) && (v > 0 || (allowZero && v === 0)) ? v : fallback;
}

function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0;
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0.5;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function copyEvent(e: TrackEvent): TrackEvent {
  return JSON.parse(JSON.stringify(e)) as TrackEvent;
}

function checkResult(r: unknown): SendResult {
  if (isRecord(r) && (r.kind === "ok" || r.kind === "drop" || r.kind === "retry")) {
    const reason = typeof r.reason === "string" ? r.reason : String(r.kind);
    if (r.kind === "ok") return { kind: "ok" };
    if (r.kind === "drop") return { kind: "drop", reason };
    const after = r.retryAfterMs;
    return typeof after === "number" && Number.isFinite(after) && after >= 0
      ? { kind: "retry", reason, retryAfterMs: after }
      : { kind: "retry", reason };
  }
  return { kind: "retry", reason: "sender returned no result" };
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
