/**
 * Ingest over HTTP (Fastify's `inject`) on SQLite, a real PostgreSQL server and a two-shard
 * ClickHouse cluster: the shipped
 * example is accepted in both body formats, retried batches are not counted twice, every
 * rejection rule answers with its status and message and stores nothing, and one source is
 * rate-limited.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApp, loadConfig, openDb, Store, type EventStore } from "../src/index.js";
import { Harness, form } from "./harness.js";
import { EXAMPLE, PROJECT_TOKEN, READ_TOKEN, makeEvent, withDatabases } from "./helpers.js";

const databases = withDatabases({ clickhouse: true });

describe.each(databases.backends)("ingest on %s", (_name, makeDb) => {
  let h: Harness<EventStore>;
  beforeEach(async () => {
    h = await Harness.startOn(await makeDb());
  });
  afterEach(async () => {
    await h.close();
  });

  const track = (payload: string, type = "application/x-www-form-urlencoded", verbose = true) =>
    h.app.inject({
      method: "POST",
      url: `/track${verbose ? "?verbose=1" : ""}`,
      headers: { "content-type": type },
      payload,
    });

  it("accepts the shipped example as a form body and as a JSON body", async () => {
    const a = await track(form([EXAMPLE]));
    expect(a.statusCode).toBe(200);
    expect(a.json()).toEqual({ status: 1, error: null });
    const second = { ...EXAMPLE, properties: { ...EXAMPLE.properties, $insert_id: "f".repeat(32) } };
    const b = await track(JSON.stringify([second]), "application/json", false);
    expect(b.statusCode).toBe(200);
    expect(b.body).toBe("1");
    expect(await h.store.countEvents()).toBe(2);
  });

  it("never double counts a retried batch", async () => {
    const batch = form([makeEvent({ user: 1 }), makeEvent({ user: 2 })]);
    expect((await track(batch)).statusCode).toBe(200);
    expect((await track(batch)).statusCode).toBe(200);
    const overlapping = JSON.parse(Buffer.from(batch.slice(5), "base64").toString()) as unknown[];
    overlapping.push(makeEvent({ user: 3 }));
    expect((await track(form(overlapping))).statusCode).toBe(200);
    expect(await h.store.countEvents()).toBe(3);
    expect((await h.summary()).events).toBe(3);
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
    expect(await h.store.countEvents()).toBe(0);
  });

  it("refuses the read API without the read token", async () => {
    for (const url of ["/api/summary", "/api/dashboard", "/api/shared/summary", "/api/shared/dashboard"]) {
      for (const headers of [{}, { authorization: "Bearer wrong-token-wrong-token" }]) {
        const r = await h.app.inject({ method: "GET", url, headers });
        expect(r.statusCode, url).toBe(401);
      }
    }
  });
});

describe("rate limit", () => {
  it("rate-limits one source with 429 and Retry-After", async () => {
    const config = loadConfig(
      ["--db", "sqlite::memory:", "--project-token", PROJECT_TOKEN, "--read-token", READ_TOKEN, "--rate-limit", "3"],
      {},
    ).config;
    const store = new Store(openDb("sqlite::memory:"));
    await store.migrate();
    const app = await buildApp({ config, store, today: () => "2026-11-01" });
    try {
      const send = (user: number) =>
        app.inject({
          method: "POST",
          url: "/track?verbose=1",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          payload: form([makeEvent({ user })]),
        });
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await send(i)).statusCode);
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      const r = await send(9);
      expect(r.headers["retry-after"]).toMatch(/^\d+$/);
      expect(r.json()).toEqual({ status: 0, error: expect.stringMatching(/too many requests/) });
      expect(await store.countEvents()).toBe(3);
    } finally {
      await app.close();
      await store.close();
    }
  });
});
