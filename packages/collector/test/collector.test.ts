/**
 * The collector against real databases — SQLite (file, WAL) and a real PostgreSQL server — through
 * Fastify's `inject`: ingest, every rejection rule, idempotency, the read API with k-suppression,
 * retention and migrations.
 */
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { PROPERTIES } from "@polar-ide/telemetry";
import { buildApp, openDb, Store, migrateDown, MIGRATIONS, type Config } from "../src/index.js";
import { COLUMNS } from "../src/db/columns.js";
import { EXAMPLE, PROJECT_TOKEN, READ_TOKEN, makeEvent, sqliteUrl, startPostgres, type Postgres } from "./helpers.js";

let postgres: Postgres | null = null;

beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(() => postgres?.stop());

function config(db: string, extra: Partial<Config> = {}): Config {
  return {
    host: "127.0.0.1",
    port: 0,
    db,
    projectTokens: [PROJECT_TOKEN],
    readToken: READ_TOKEN,
    k: 2,
    retentionDays: 365,
    rateLimit: 0,
    ...extra,
  };
}

const backends: [string, () => Promise<{ url: string; cleanup: () => void }>][] = [
  ["sqlite", async () => sqliteUrl()],
  ["postgres", async () => ({ url: await postgres!.createDatabase(), cleanup: () => undefined })],
];

const form = (events: unknown): string => `data=${Buffer.from(JSON.stringify(events)).toString("base64")}`;

describe.each(backends)("collector on %s", (_name, makeDb) => {
  let app: FastifyInstance;
  let store: Store;
  let cleanup: () => void;
  let day = "2026-11-01";

  async function build(extra: Partial<Config> = {}): Promise<void> {
    const db = await makeDb();
    cleanup = db.cleanup;
    store = new Store(openDb(db.url));
    await store.migrate();
    app = await buildApp({ config: config(db.url, extra), store, today: () => day });
  }

  beforeEach(async () => {
    day = "2026-11-01";
    await build();
  });
  afterEach(async () => {
    await app.close();
    await store.close();
    cleanup();
  });

  const track = (payload: string, type = "application/x-www-form-urlencoded", verbose = true) =>
    app.inject({
      method: "POST",
      url: `/track${verbose ? "?verbose=1" : ""}`,
      headers: { "content-type": type },
      payload,
    });

  const summary = async () => {
    const r = await app.inject({
      method: "GET",
      url: "/api/summary",
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(r.statusCode).toBe(200);
    return r.json() as {
      events: number;
      distinct_users: number;
      distinct_workspaces: number;
      codes: { code: string; occurrences: number; events: number; distinct_users: number | null }[];
    };
  };

  it("accepts the shipped example as a form body and as a JSON body", async () => {
    const a = await track(form([EXAMPLE]));
    expect(a.statusCode).toBe(200);
    expect(a.json()).toEqual({ status: 1, error: null });
    const second = { ...EXAMPLE, properties: { ...EXAMPLE.properties, $insert_id: "f".repeat(32) } };
    const b = await track(JSON.stringify([second]), "application/json", false);
    expect(b.statusCode).toBe(200);
    expect(b.body).toBe("1");
    expect(await store.countEvents()).toBe(2);
  });

  it("reports exactly what was sent in /api/summary, suppressing users below k", async () => {
    const events = [
      makeEvent({ user: 1, workspace: 1, codes: { "ParseError::UnrecognizedEOF": 3 } }),
      makeEvent({
        user: 1,
        workspace: 2,
        codes: { "ParseError::UnrecognizedEOF": 2, "ValidationWarning::MissingAllowRule": 1 },
      }),
      makeEvent({ user: 2, workspace: 3, codes: { "ParseError::UnrecognizedEOF": 1 } }),
      makeEvent({ user: 3, workspace: 3, codes: {} }),
    ];
    expect((await track(form(events))).statusCode).toBe(200);
    const s = await summary();
    expect(s).toEqual({
      events: 4,
      distinct_users: 3,
      distinct_workspaces: 3,
      codes: [
        { code: "ParseError::UnrecognizedEOF", occurrences: 6, events: 3, distinct_users: 2 },
        { code: "ValidationWarning::MissingAllowRule", occurrences: 1, events: 1, distinct_users: null },
      ],
    });
  });

  it("answers the dashboard's questions with per-user distribution figures and k-suppression", async () => {
    const events = [];
    // 1 user × 10 vs 4 users × 1: the top user's share tells them apart.
    for (let i = 0; i < 10; i++)
      events.push(makeEvent({ user: 1, codes: { "ValidationError::InvalidRuleType": 1 }, gauges: { rule_types: 0 } }));
    for (let u = 2; u <= 5; u++)
      events.push(makeEvent({ user: u, codes: { "ValidationError::InvalidRuleType": 1 }, gauges: { rule_types: 2 } }));
    events.push(makeEvent({ user: 6, extensions: ["polar", "other"], env: { os: "darwin" } }));
    expect((await track(form(events))).statusCode).toBe(200);
    const r = await app.inject({
      method: "GET",
      url: "/api/dashboard",
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    const d = r.json();
    expect(d.totals).toEqual({ events: 15, distinct_users: 6, distinct_workspaces: 6 });
    const irt = d.codes.find((c: { code: string }) => c.code === "ValidationError::InvalidRuleType");
    expect(irt).toMatchObject({ occurrences: 14, events: 14, distinct_users: 5, distinct_workspaces: 5 });
    expect(irt.top_user_share).toBeCloseTo(10 / 14);
    expect(irt.per_user).toEqual({ p50: 1, p90: 10, p99: 10, max: 10 });
    expect(d.invalid_rule_type).toEqual([
      { key: "with user-defined rule types", users: 4, total: 4, events: 4, suppressed: false },
      { key: "built-in rule types only", users: null, total: null, events: null, suppressed: true },
    ]);
    expect(d.environment.os).toEqual([
      { key: "linux", users: 5, total: 14, events: 14, suppressed: false },
      { key: "darwin", users: null, total: null, events: null, suppressed: true },
    ]);
    expect(d.lsp_extensions.find((c: { key: string }) => c.key === "other").suppressed).toBe(true);
    expect(d.lsp_extensions.find((c: { key: string }) => c.key === "polar").users).toBe(6);
    expect(d.load).toEqual([
      { key: "success", users: null, total: null, events: null, suppressed: true },
      { key: "failure", users: 5, total: 14, events: 14, suppressed: false },
    ]);
  });

  it("keeps incremental rollups equal to a recomputation from the events, across many small steps", async () => {
    let seed = 42;
    const rand = (m: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % m;
    };
    const codes = [
      "ParseError::UnrecognizedEOF",
      "ValidationError::InvalidRule",
      "ValidationWarning::MissingAllowRule",
    ] as const;
    const sent: ReturnType<typeof makeEvent>[] = [];
    for (let b = 0; b < 6; b++) {
      const batch = [];
      for (let i = 0; i < 15; i++) {
        const chosen: Partial<Record<(typeof codes)[number], number>> = {};
        for (const c of codes) if (rand(3) === 0) chosen[c] = 1 + rand(6);
        batch.push(makeEvent({ user: rand(9), workspace: rand(12), codes: chosen }));
      }
      sent.push(...batch);
      expect((await track(form(batch))).statusCode).toBe(200);
      await store.refresh(4);
    }
    const expected = codes
      .map((code) => {
        const prop = code.replace("::", "_") + "_count";
        const perUser = new Map<unknown, number>();
        const ws = new Set<unknown>();
        let events = 0;
        for (const e of sent) {
          const v = (e.properties[prop] as number | undefined) ?? 0;
          if (v === 0) continue;
          events++;
          ws.add(e.properties.workspace_folder);
          perUser.set(e.properties.distinct_id, (perUser.get(e.properties.distinct_id) ?? 0) + v);
        }
        const totals = [...perUser.values()].sort((a, b) => a - b);
        const total = totals.reduce((a, b) => a + b, 0);
        const at = (p: number) => totals[Math.max(1, Math.ceil(p * totals.length)) - 1];
        return {
          code,
          total,
          events,
          users: totals.length,
          workspaces: ws.size,
          max: totals[totals.length - 1],
          p50: at(0.5),
          p90: at(0.9),
          p99: at(0.99),
        };
      })
      .filter((c) => c.events > 0);
    const got = (await store.codes()).map((c) => ({
      code: c.key,
      total: c.total,
      events: c.events,
      users: c.users,
      workspaces: c.workspaces,
      max: c.max,
      p50: c.p50,
      p90: c.p90,
      p99: c.p99,
    }));
    expect(got.sort((a, b) => a.code.localeCompare(b.code))).toEqual(
      expected.sort((a, b) => a.code.localeCompare(b.code)),
    );
    expect(await store.totals()).toEqual({
      events: sent.length,
      users: new Set(sent.map((e) => e.properties.distinct_id)).size,
      workspaces: new Set(sent.map((e) => e.properties.workspace_folder)).size,
    });
  });

  it("never double counts a retried batch", async () => {
    const batch = form([makeEvent({ user: 1 }), makeEvent({ user: 2 })]);
    expect((await track(batch)).statusCode).toBe(200);
    expect((await track(batch)).statusCode).toBe(200);
    const overlapping = JSON.parse(Buffer.from(batch.slice(5), "base64").toString()) as unknown[];
    overlapping.push(makeEvent({ user: 3 }));
    expect((await track(form(overlapping))).statusCode).toBe(200);
    expect(await store.countEvents()).toBe(3);
    expect((await summary()).events).toBe(3);
  });

  const example = EXAMPLE.properties;
  const withProp = (change: Record<string, unknown>, remove: string[] = []) => {
    const properties: Record<string, unknown> = { ...example, ...change };
    for (const r of remove) delete properties[r];
    return { event: "diagnostic_load", properties };
  };
  const matrix: [string, () => { payload: string; type?: string; url?: string }, number, RegExp][] = [
    [
      "unknown property",
      () => ({ payload: form([EXAMPLE, withProp({ colour: "red" })]) }),
      400,
      /^event 1: unknown property "colour"$/,
    ],
    [
      "wrong type",
      () => ({ payload: form([withProp({ roles: "4" })]) }),
      400,
      /^event 0: property "roles" must be an integer, got string$/,
    ],
    [
      "out of range",
      () => ({ payload: form([withProp({ roles: -4 })]) }),
      400,
      /^event 0: property "roles" must be between 0 and 1000000, got -4$/,
    ],
    [
      "non-hex id",
      () => ({ payload: form([withProp({ distinct_id: "g".repeat(64) })]) }),
      400,
      /^event 0: property "distinct_id" has an invalid format/,
    ],
    [
      "path",
      () => ({ payload: form([withProp({ remotename: "/home/alice" })]) }),
      400,
      /^event 0: property "remotename" looks like a path/,
    ],
    [
      "URI",
      () => ({ payload: form([withProp({ workspace_folder: "file:///home/alice/app" })]) }),
      400,
      /looks like a URI/,
    ],
    [
      "e-mail",
      () => ({ payload: form([withProp({ product: "alice@example.com" })]) }),
      400,
      /looks like an e-mail address/,
    ],
    [
      "time",
      () => ({ payload: form([withProp({ time: 1730000000 })]) }),
      400,
      /^event 0: property "time" is not allowed: timestamps are never collected$/,
    ],
    [
      "$time",
      () => ({ payload: form([withProp({ $time: 1730000000 })]) }),
      400,
      /property "\$time" is not allowed: timestamps/,
    ],
    [
      "timestamp value",
      () => ({ payload: form([withProp({ platformversion: "2026-11-01" })]) }),
      400,
      /looks like a timestamp/,
    ],
    [
      "missing property",
      () => ({ payload: form([withProp({}, ["workspace_folder"])]) }),
      400,
      /missing property "workspace_folder"/,
    ],
    ["other event name", () => ({ payload: form([{ ...EXAMPLE, event: "$identify" }]) }), 400, /unknown event name/],
    [
      "unknown token",
      () => ({ payload: form([withProp({ token: "someone-else" })]) }),
      401,
      /^event 0: unknown project token$/,
    ],
    ["missing token", () => ({ payload: form([withProp({}, ["token"])]) }), 401, /^event 0: missing project token$/],
    [
      "malformed base64",
      () => ({ payload: "data=%%%not-base64!!" }),
      400,
      /^(data is not valid base64|the form body is malformed)$/,
    ],
    [
      "base64 of non-JSON",
      () => ({ payload: `data=${Buffer.from("{nope").toString("base64")}` }),
      400,
      /^data is not valid JSON$/,
    ],
    ["form without data", () => ({ payload: "foo=bar" }), 400, /^the form body has no data field$/],
    ["malformed JSON body", () => ({ payload: "[{", type: "application/json" }), 400, /^the body is not valid JSON$/],
    ["other content type", () => ({ payload: "x", type: "text/csv" }), 415, /application\/x-www-form-urlencoded/],
    ["empty batch", () => ({ payload: "[]", type: "application/json" }), 400, /the batch is empty/],
    [
      "too many events",
      () => ({
        payload: JSON.stringify(
          new Array(2001).fill({ event: "diagnostic_load", properties: { token: PROJECT_TOKEN } }),
        ),
        type: "application/json",
      }),
      413,
      /at most 2000 events, got 2001/,
    ],
    [
      "body over 1 MB",
      () => ({ payload: JSON.stringify([EXAMPLE, "x".repeat(1024 * 1024)]), type: "application/json" }),
      413,
      /larger than 1048576 bytes/,
    ],
  ];

  it.each(matrix)("rejects %s, stores nothing", async (_what, make, status, message) => {
    const { payload, type } = make();
    const r = await track(payload, type);
    expect(r.statusCode).toBe(status);
    const body = r.json() as { status: number; error: string };
    expect(body.status).toBe(0);
    expect(body.error).toMatch(message);
    const plain = await track(payload, type, false);
    expect(plain.statusCode).toBe(status);
    expect(plain.body).toBe("0");
    expect(await store.countEvents()).toBe(0);
  });

  it("rate-limits one source with 429 and Retry-After", async () => {
    await app.close();
    app = await buildApp({ config: config("sqlite::memory:", { rateLimit: 3 }), store, today: () => day });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await track(form([makeEvent({ user: i })]))).statusCode);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    const r = await track(form([makeEvent({ user: 9 })]));
    expect(r.headers["retry-after"]).toMatch(/^\d+$/);
    expect(r.json()).toEqual({ status: 0, error: expect.stringMatching(/too many requests/) });
    expect(await store.countEvents()).toBe(3);
  });

  it("refuses the read API without the read token", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong-token-wrong-token" }]) {
      const r = await app.inject({ method: "GET", url: "/api/summary", headers });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toEqual({ error: expect.stringMatching(/read token/) });
    }
  });

  it("stores only the arrival day, and purges events older than the retention", async () => {
    day = "2025-01-10";
    expect(
      (await track(form([makeEvent({ user: 1, codes: { "ParseError::ExtraToken": 1 } }), makeEvent({ user: 2 })])))
        .statusCode,
    ).toBe(200);
    day = "2026-01-10";
    expect((await track(form([makeEvent({ user: 3 }), makeEvent({ user: 4 })]))).statusCode).toBe(200);
    expect((await summary()).events).toBe(4);
    const days = await store.db.all("SELECT DISTINCT day FROM events ORDER BY day");
    expect(days.map((r) => r.day)).toEqual(["2025-01-10", "2026-01-10"]);
    expect(await store.purge("2025-06-01")).toBe(2);
    const s = await summary();
    expect(s).toEqual({ events: 2, distinct_users: 2, distinct_workspaces: 2, codes: [] });
  });

  it("has a column for every stored property and reversible migrations", async () => {
    const probe = await store.db.all("SELECT * FROM events WHERE 1 = 0");
    void probe;
    const cols =
      store.db.dialect.name === "sqlite"
        ? (await store.db.all("SELECT name FROM pragma_table_info('events')")).map((r) => String(r.name))
        : (
            await store.db.all("SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'events'")
          ).map((r) => String(r.name));
    const stored = PROPERTIES.filter((p) => !["token", "mp_lib", "$lib_version"].includes(p.name)).map((p) =>
      p.name.replace(/^\$/, "").toLowerCase(),
    );
    expect(cols.sort()).toEqual(["day", "seq", ...stored].sort());
    expect(COLUMNS.length).toBe(stored.length);
    expect(await migrateDown(store.db, 0)).toEqual(MIGRATIONS.map((m) => m.id).reverse());
    expect(await store.migrate()).toEqual(MIGRATIONS.map((m) => m.id));
    expect(await store.migrate()).toEqual([]);
  });
});
