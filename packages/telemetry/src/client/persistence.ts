/**
 * Persistence: the client's whole state as one JSON value in the store (VS Code's `globalState`),
 * written after every change through a queue (the last write wins), and read back defensively —
 * the store may hold anything after a crash, a downgrade or an upgrade.
 *
 * Two keys: `<prefix>.secret`, the installation secret (kept across versions: existing
 * installations keep theirs), and `<prefix>.state`. State version 2 keeps each pending folder
 * under its monthly id with its month; version 1 (folders under a month-less HMAC, identifiers
 * derived from `machineId`) is migrated on read so that none of its non-rotating values is sent.
 */
import { validateEvent } from "../validate.js";
import type { TrackEvent } from "../schema.js";
import { count, parseCaps, NO_CAPS_YET, type CapCounters } from "./caps.js";
import type { LastSent, Outbox, SendOutcome } from "./delivery.js";
import {
  calendarMonth,
  cloneAggregate,
  distinctId,
  migratedFolderId,
  newSecret,
  parseAggregate,
  type FolderAggregate,
} from "./event.js";
import type { Logger, Store } from "./types.js";

/** One folder's aggregate, with the month its identifiers belong to. */
export interface PendingFolder {
  readonly month: string;
  readonly aggregate: FolderAggregate;
}

/** Everything the client keeps between sessions. Folders are keyed by their monthly HMAC: not even the local store holds a path. */
export interface ClientState {
  readonly pending: Map<string, PendingFolder>;
  outbox: Outbox | null;
  caps: CapCounters;
  lastSent: LastSent | null;
}

/** The JSON written to the store. */
interface PersistedState {
  readonly v: 2;
  readonly pending: [string, string, FolderAggregate][];
  readonly outbox: Outbox | null;
  readonly caps: CapCounters;
  readonly lastSent: LastSent | null;
}

const HEX64 = /^[0-9a-f]{64}$/;
const MONTH = /^\d{4}-\d{2}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const OUTCOMES: readonly SendOutcome[] = ["accepted", "rejected", "failed"];

export function emptyState(): ClientState {
  return { pending: new Map(), outbox: null, caps: NO_CAPS_YET, lastSent: null };
}

/** Reads and writes the client's state and secret. */
export class StatePersistence {
  private readonly stateKey: string;
  private readonly secretKey: string;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    prefix: string,
    private readonly log: Logger,
  ) {
    this.stateKey = `${prefix}.state`;
    this.secretKey = `${prefix}.secret`;
  }

  /** The installation secret; a new one (saved) when none or a malformed one is stored. */
  loadSecret(): string {
    try {
      const v = this.store.get(this.secretKey);
      if (typeof v === "string" && HEX64.test(v)) return v;
    } catch (e) {
      this.log(`could not read the installation secret: ${describe(e)}`);
    }
    const secret = newSecret();
    this.write(this.secretKey, secret);
    return secret;
  }

  /** The saved state (migrated from version 1 if need be), or an empty one. */
  loadState(secret: string, nowMs: number): ClientState {
    let raw: unknown;
    try {
      raw = this.store.get(this.stateKey);
    } catch (e) {
      this.log(`could not read telemetry state: ${describe(e)}`);
      return emptyState();
    }
    return parseState(raw, secret, nowMs, this.log);
  }

  /** Queues a write of the whole state. */
  save(state: ClientState): void {
    this.write(this.stateKey, serializeState(state));
  }

  /** Resolves once every write queued so far has reached the store (never rejects). */
  async flushed(): Promise<void> {
    try {
      await this.writes;
    } catch {
      // `writes` never rejects; belt and braces.
    }
  }

  private write(key: string, value: unknown): void {
    this.writes = this.writes
      .then(() => this.store.set(key, value))
      .then(
        () => undefined,
        (e: unknown) => this.log(`could not save telemetry state: ${describe(e)}`),
      );
  }
}

/** The state as the JSON value that is stored (deep copies: the live state keeps changing). */
export function serializeState(state: ClientState): PersistedState {
  return {
    v: 2,
    pending: [...state.pending].map(([id, p]) => [id, p.month, cloneAggregate(p.aggregate)]),
    outbox:
      state.outbox === null
        ? null
        : {
            events: copyEvents(state.outbox.events),
            attempts: state.outbox.attempts,
            notBefore: state.outbox.notBefore,
          },
    caps: { ...state.caps },
    lastSent: state.lastSent === null ? null : { ...state.lastSent, events: copyEvents(state.lastSent.events) },
  };
}

/**
 * Parses a stored state. Invalid entries are skipped one by one (never the whole state for one
 * bad entry); saved events are re-validated, so a batch sealed under an older schema is not sent.
 */
export function parseState(raw: unknown, secret: string, nowMs: number, log: Logger): ClientState {
  const state = emptyState();
  if (!isRecord(raw) || (raw.v !== 1 && raw.v !== 2)) return state;
  const v1 = raw.v === 1;
  const month = calendarMonth(nowMs);
  state.caps = parseCaps(raw.caps);
  if (Array.isArray(raw.pending)) {
    for (const entry of raw.pending as unknown[]) {
      if (!Array.isArray(entry) || typeof entry[0] !== "string" || !HEX64.test(entry[0])) continue;
      if (v1) {
        // [month-less key, aggregate]: re-keyed under a monthly id of this month.
        const a = parseAggregate(entry[1]);
        if (a !== null) state.pending.set(migratedFolderId(secret, month, entry[0]), { month, aggregate: a });
      } else {
        const a = parseAggregate(entry[2]);
        if (a !== null && typeof entry[1] === "string" && MONTH.test(entry[1]))
          state.pending.set(entry[0], { month: entry[1], aggregate: a });
      }
    }
  }
  if (isRecord(raw.outbox) && Array.isArray(raw.outbox.events)) {
    const saved = raw.outbox.events as unknown[];
    const events = (v1 ? saved.map((e) => migrateEvent(e, secret, month)) : saved).filter(
      (e): e is TrackEvent => validateEvent(e).ok,
    );
    if (events.length < saved.length) log("discarded saved events that no longer match the schema");
    if (events.length > 0)
      state.outbox = { events, attempts: count(raw.outbox.attempts), notBefore: count(raw.outbox.notBefore) };
  }
  if (isRecord(raw.lastSent) && Array.isArray(raw.lastSent.events)) {
    const { day, outcome } = raw.lastSent;
    const events = (raw.lastSent.events as unknown[]).filter((e): e is TrackEvent => validateEvent(e).ok);
    if (typeof day === "string" && DAY.test(day) && OUTCOMES.includes(outcome as SendOutcome))
      state.lastSent = { day, outcome: outcome as SendOutcome, events };
  }
  return state;
}

/**
 * A version-1 sealed event with its identifiers re-derived the current way (same `$insert_id`,
 * so if the old batch did arrive, the collector still drops the re-send).
 */
function migrateEvent(e: unknown, secret: string, month: string): unknown {
  if (!isRecord(e) || !isRecord(e.properties)) return e;
  const folder = e.properties.workspace_folder;
  if (typeof folder !== "string") return e;
  return {
    ...e,
    properties: {
      ...e.properties,
      distinct_id: distinctId(secret, month),
      workspace_folder: migratedFolderId(secret, month, folder),
    },
  };
}

function copyEvents(events: readonly TrackEvent[]): TrackEvent[] {
  return JSON.parse(JSON.stringify(events)) as TrackEvent[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
