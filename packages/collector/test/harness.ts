/**
 * Test harness of the collector's data side: a collector app on a fresh database (SQLite file or
 * a database on the throw-away PostgreSQL server), with a settable arrival day, and helpers to
 * send batches and read the operator and shared views.
 */
import type { FastifyInstance } from "fastify";
import { expect } from "vitest";
import {
  buildApp,
  loadConfig,
  openDb,
  openStore,
  Store,
  type Config,
  type Dashboard,
  type EventStore,
  type Summary,
} from "../src/index.js";
import { PROJECT_TOKEN, READ_TOKEN, fixedShuffle, makeEvent } from "./helpers.js";

/** Settings for tests: the given database and k, no rate limit. */
export function testConfig(db: string, k = 2): Config {
  return loadConfig(
    ["--db", db, "--project-token", PROJECT_TOKEN, "--read-token", READ_TOKEN, "--k", String(k), "--rate-limit", "0"],
    {},
  ).config;
}

/** The `data=` form body Mixpanel's clients send. */
export const form = (events: unknown): string => `data=${Buffer.from(JSON.stringify(events)).toString("base64")}`;

/** One collector under test (on the SQL `Store` unless started with `startOn`). */
export class Harness<S extends EventStore = Store> {
  private constructor(
    readonly app: FastifyInstance,
    readonly store: S,
    private readonly clock: { day: string },
  ) {}

  /** The arrival day stamped on what is sent next (and "today" for the shared view). */
  get day(): string {
    return this.clock.day;
  }

  set day(day: string) {
    this.clock.day = day;
  }

  /** Starts a collector app (not listening: `inject`) on a migrated database. */
  static async start(url: string, k = 2, day = "2026-11-01"): Promise<Harness> {
    return Harness.on(new Store(openDb(url)), url, k, day);
  }

  /** Starts a collector app on whatever backend `url` names (SQL or ClickHouse). */
  static async startOn(url: string, k = 2, day = "2026-11-01"): Promise<Harness<EventStore>> {
    return Harness.on(openStore(url), url, k, day);
  }

  private static async on<T extends EventStore>(store: T, url: string, k: number, day: string): Promise<Harness<T>> {
    await store.migrate();
    const clock = { day };
    const app = await buildApp({ config: testConfig(url, k), store, today: () => clock.day });
    return new Harness(app, store, clock);
  }

  /** Sends a batch (form body, verbose) and expects it to be accepted. */
  async send(events: unknown[]): Promise<void> {
    const r = await this.app.inject({
      method: "POST",
      url: "/track?verbose=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: form(events),
    });
    expect(r.json()).toEqual({ status: 1, error: null });
  }

  private async get(url: string): Promise<unknown> {
    const r = await this.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${READ_TOKEN}` } });
    expect(r.statusCode).toBe(200);
    return r.json();
  }

  /** `GET /api/summary` (operator) or `/api/shared/summary`. */
  async summary(view: "operator" | "shared" = "operator"): Promise<Summary> {
    return (await this.get(view === "operator" ? "/api/summary" : "/api/shared/summary")) as Summary;
  }

  /** `GET /api/dashboard` (operator) or `/api/shared/dashboard`. */
  async dashboard(view: "operator" | "shared" = "operator"): Promise<Dashboard> {
    return (await this.get(view === "operator" ? "/api/dashboard" : "/api/shared/dashboard")) as Dashboard;
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.store.close();
  }
}

/** What `sendInArrivalOrder` sent. */
export interface Arrivals {
  /** Each event's arrival rank (0 first), by its `$insert_id`. */
  readonly arrival: ReadonlyMap<string, number>;
  /** The events, in the order they were sent. */
  readonly sent: ReturnType<typeof makeEvent>[];
}

/**
 * Sends `n` events to `h`, one request each, in a known order, for the tests that look for that
 * order at rest: users `firstUser` + a fixed shuffle (`seed`) of 0..n-1, so that user numbers do
 * not follow arrival either, each with 1 to 3 `ParseError::UnrecognizedEOF`.
 */
export async function sendInArrivalOrder(
  h: Pick<Harness<EventStore>, "send">,
  n: number,
  { firstUser, seed }: { firstUser: number; seed: number },
): Promise<Arrivals> {
  const arrival = new Map<string, number>();
  const users = fixedShuffle(n, seed);
  const sent: ReturnType<typeof makeEvent>[] = [];
  for (let i = 0; i < n; i++) {
    const ev = makeEvent({
      user: firstUser + users[i]!,
      codes: { "ParseError::UnrecognizedEOF": 1 + (users[i]! % 3) },
    });
    arrival.set(String(ev.properties.$insert_id), i);
    sent.push(ev);
    await h.send([ev]);
  }
  return { arrival, sent };
}
