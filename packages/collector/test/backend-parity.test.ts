/**
 * The three backends answer alike: the same generated events (5k; 100k with
 * `POLAR_PARITY_EVENTS=100000`) (many users, rare and common
 * keys, several arrival days, mixed-user batches that span the ClickHouse shards, and retried
 * batches, some retried on a later day) sent to SQLite, PostgreSQL and the two-shard ClickHouse
 * cluster give identical `/api/summary`, `/api/dashboard` and `/api/trends` answers, operator and
 * shared views.
 */
import { afterAll, describe, expect, it } from "vitest";
import { DIAGNOSTIC_CODES, LSP_METHODS, type DiagnosticCode, type LspMethod } from "@polar-ide/telemetry";
import type { EventStore } from "../src/index.js";
import { Harness } from "./harness.js";
import { READ_TOKEN, makeEvent, seededRandom, sqliteUrl, withDatabases } from "./helpers.js";

/**
 * Events sent to each backend: 5k by default, so that the three folds fit the suite's time on a
 * shared machine (20k took 4 minutes there); `POLAR_PARITY_EVENTS=100000` runs the full-size comparison.
 */
const EVENTS = Number(process.env.POLAR_PARITY_EVENTS ?? 5_000);
const USERS = 4_000;
const BATCH = 250;
const DAYS = ["2026-10-27", "2026-10-28", "2026-10-29", "2026-10-30", "2026-10-31", "2026-11-01"];
const K = 5;

type Ev = ReturnType<typeof makeEvent>;

/** The batches to send, in order, each with its arrival day (retries included). */
function generate(): { day: string; events: Ev[] }[] {
  const r = seededRandom(12);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
  // Skewed: a few heavy users, a long tail; rare codes and versions make suppressed cells.
  const user = (): number => Math.floor(USERS * r() ** 2.5);
  const common: DiagnosticCode[] = DIAGNOSTIC_CODES.slice(0, 8);
  const versions = ["0.27.3", "0.27.2", "0.26.0", "0.25.1", "0.20.0", "0.19.7", "0.1.0"];
  const events: Ev[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const u = user();
    const codes: Partial<Record<DiagnosticCode, number>> = {};
    const nCodes = r() < 0.4 ? 0 : 1 + Math.floor(r() * 3);
    for (let c = 0; c < nCodes; c++) {
      const code = r() < 0.97 ? pick(common) : pick(DIAGNOSTIC_CODES);
      codes[code] = (codes[code] ?? 0) + 1 + Math.floor(r() * 4);
    }
    const method: LspMethod = pick(LSP_METHODS);
    events.push(
      makeEvent({
        user: u,
        workspace: u * 3 + Math.floor(r() * 3),
        codes,
        unknown: r() < 0.02 ? 1 : 0,
        method,
        extensions: pick([["polar"], ["polar"], ["polar", "other"], ["other"]]),
        gauges: {
          polar_chars: Math.floor(10 ** (r() * 6)),
          polar_files: Math.floor(r() * 14),
          rule_types: r() < 0.3 ? 1 : 0,
          resource_blocks: Math.floor(r() * 3),
          actors: Math.floor(r() * 2),
          roles: Math.floor(r() * 3),
          inline_queries: r() < 0.05 ? 1 : 0,
        },
        env: {
          os: pick(["linux", "darwin", "win32", "linux", "freebsd"]),
          nodeArch: pick(["x64", "arm64"]),
          product: pick(["desktop", "web", "codespaces"]),
          uikind: pick(["desktop", "web"]),
          remotename: pick(["none", "ssh-remote", "wsl", "none"]),
          extversion: r() < 0.995 ? pick(versions.slice(0, 4)) : pick(versions),
          vscodeversion: `1.${80 + Math.floor(r() * 21)}.${Math.floor(r() * 3)}`,
          isnewappinstall: r() < 0.1,
        },
      }),
    );
  }
  const batches: { day: string; events: Ev[] }[] = [];
  for (let i = 0; i < events.length; i += BATCH) {
    const day = DAYS[Math.floor((i / events.length) * DAYS.length)]!;
    batches.push({ day, events: events.slice(i, i + BATCH) });
  }
  // Retries: whole batches again (same `$insert_id`s), the same day or a later one.
  const retries: { day: string; events: Ev[] }[] = [];
  for (const b of batches) {
    if (r() < 0.2) {
      const later = DAYS[Math.min(DAYS.length - 1, DAYS.indexOf(b.day) + (r() < 0.5 ? 0 : 1))]!;
      retries.push({ day: later, events: b.events });
    }
  }
  // A retry is sent after its original, in arrival-day order.
  const all = [...batches, ...retries];
  return all
    .map((b, i) => ({ b, i }))
    .sort((x, y) => x.b.day.localeCompare(y.b.day) || x.i - y.i)
    .map((x) => x.b);
}

/** The trend queries compared: both grains, a code's series, the per-version split. */
const TRENDS = [
  "?grain=day",
  "?grain=week",
  `?grain=day&code=${encodeURIComponent(DIAGNOSTIC_CODES[0]!)}`,
  "?grain=week&split=version",
];

/** A read-API answer (operator token), which must be a 200. */
async function read(h: Harness<EventStore>, url: string): Promise<unknown> {
  const r = await h.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${READ_TOKEN}` } });
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

const databases = withDatabases({ clickhouse: true });
const harnesses: Harness<EventStore>[] = [];
// Registered after withDatabases: runs before it stops the servers.
afterAll(async () => {
  for (const h of harnesses) await h.close();
});

describe("SQLite, PostgreSQL and the ClickHouse cluster answer alike", () => {
  it(`gives identical summaries and dashboards for the same ${EVENTS} events (retries included)`, async () => {
    const sqlite = sqliteUrl();
    databases.cleanup(sqlite.cleanup);
    const urls = [sqlite.url, await databases.postgres().createDatabase(), databases.clickhouse().database()];
    const batches = generate();
    const answers: unknown[] = [];
    for (const url of urls) {
      const started = Date.now();
      const h = await Harness.startOn(url, K, DAYS[0]);
      harnesses.push(h);
      for (const b of batches) {
        h.day = b.day;
        await h.send(b.events);
      }
      h.day = DAYS[DAYS.length - 1]!;
      const sent = Date.now();
      expect(await h.store.countEvents()).toBe(EVENTS);
      answers.push({
        summary: await h.summary(),
        dashboard: await h.dashboard(),
        sharedSummary: await h.summary("shared"),
        sharedDashboard: await h.dashboard("shared"),
        trends: await Promise.all(TRENDS.map((q) => read(h, `/api/trends${q}`))),
        sharedTrends: await Promise.all(TRENDS.map((q) => read(h, `/api/shared/trends${q}`))),
      });
      console.log(`${url.split(":")[0]}: sent in ${sent - started} ms, read in ${Date.now() - sent} ms`);
    }
    const [onSqlite, onPostgres, onClickHouse] = answers as { dashboard: { totals: { events: number } } }[];
    // Not vacuous: the totals are published, and rare cells are suppressed.
    expect(onSqlite!.dashboard.totals.events).toBe(EVENTS);
    expect(JSON.stringify(onSqlite)).toContain('"suppressed":true');
    expect(onPostgres).toEqual(onSqlite);
    expect(onClickHouse).toEqual(onSqlite);
  }, 600_000);
});
