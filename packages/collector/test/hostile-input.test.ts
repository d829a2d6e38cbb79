/**
 * Hostile input over real sockets: megabyte bodies of strings built to make regular expressions
 * backtrack, in every field, answered 4xx while `/healthz` keeps answering; deeply nested JSON;
 * hostile paths and bodies that used to answer 500 (`/assets/__proto__`); and the rule that a 404
 * or a log line never repeats the query string (`GET /track?data=…` carries a payload).
 */
import { performance } from "node:perf_hooks";
import { PROPERTIES } from "@polar-ide/telemetry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_TOKEN, READ_TOKEN, makeEvent } from "./helpers.js";
import { healthzMs, raw, serve, type Served } from "./http-harness.js";

const MB = 1024 * 1024;
/** Generous: a quadratic pattern on these inputs takes minutes; /healthz normally takes ~1 ms. */
const HEALTHZ_BOUND_MS = 2_000;

let served: Served;
beforeAll(async () => {
  served = await serve();
});
afterAll(async () => served?.close());

const STRING_PROPERTIES = PROPERTIES.filter((p) => p.value.type === "string" && p.name !== "token").map((p) => p.name);

/** One event whose `name` is a hostile string filling most of a 1 MB body. */
function hostileBody(name: string, pattern: string): string {
  const event = makeEvent({ user: 7 });
  const room = MB - 16 * 1024;
  event.properties[name] = pattern.repeat(Math.floor(room / pattern.length));
  return JSON.stringify([event]);
}

/**
 * Sends `body` to /track while polling /healthz every 20 ms; returns the hostile request's status
 * and the slowest /healthz answer seen while it was being processed.
 */
async function underLoad(body: string): Promise<{ status: number; worstHealthzMs: number; tookMs: number }> {
  const start = performance.now();
  let done = false;
  const hostile = raw(served.port, "POST", "/track?verbose=1", { "content-type": "application/json" }, body).finally(
    () => {
      done = true;
    },
  );
  let worst = 0;
  while (!done) {
    worst = Math.max(worst, await healthzMs(served.url));
    await new Promise((r) => setTimeout(r, 20));
  }
  const r = await hostile;
  return { status: r.status, worstHealthzMs: worst, tookMs: performance.now() - start };
}

describe("1 MB of hostile strings", () => {
  const PATTERNS = ["a", "a@", "@a", "1", "0:", "1234-12-"];

  it.each(PATTERNS)("in every string property (pattern %j) is refused while /healthz answers", async (pattern) => {
    const seen: string[] = [];
    for (const name of STRING_PROPERTIES) {
      const { status, worstHealthzMs, tookMs } = await underLoad(hostileBody(name, pattern));
      seen.push(`${name}: ${status} in ${tookMs.toFixed(0)} ms, /healthz ≤ ${worstHealthzMs.toFixed(0)} ms`);
      expect(status, name).toBe(400);
      expect(worstHealthzMs, name).toBeLessThan(HEALTHZ_BOUND_MS);
    }
    console.log(`pattern ${JSON.stringify(pattern)}:\n  ${seen.join("\n  ")}`);
  });

  it("as a property name, a list item and the event name", async () => {
    const base = makeEvent({ user: 8 });
    const bodies = [
      JSON.stringify([{ ...base, properties: { ...base.properties, ["a".repeat(MB - 8192)]: 1 } }]),
      JSON.stringify([
        { ...base, properties: { ...base.properties, LSP_file_extensions: ["a@".repeat(MB / 2 - 4096)] } },
      ]),
      JSON.stringify([{ ...base, event: "a".repeat(MB - 8192) }]),
    ];
    for (const body of bodies) {
      const { status, worstHealthzMs } = await underLoad(body);
      expect(status).toBe(400);
      expect(worstHealthzMs).toBeLessThan(HEALTHZ_BOUND_MS);
    }
  });

  it.each([20_000, 200_000])("nested %i deep in the event name or a property is a 400, not a 500", async (depth) => {
    // 20000: JSON.parse builds it, and a recursive walk of it overflows; 200000: JSON.parse refuses.
    const deep = `${"[".repeat(depth)}${"]".repeat(depth)}`;
    const token = JSON.stringify(PROJECT_TOKEN);
    const event = (eventName: string, extra = ""): string =>
      `[{"event":${eventName},"properties":{"token":${token},"distinct_id":"${"0".repeat(64)}"${extra}}}]`;
    for (const body of [event(deep), event('"diagnostic_load"', `,"product":${deep}`), deep]) {
      const r = await raw(served.port, "POST", "/track?verbose=1", { "content-type": "application/json" }, body);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.body).not.toMatch(/internal error/);
    }
  });
});

describe("every bad request is a 4xx", () => {
  const PATHS = [
    "/assets/__proto__",
    "/assets/constructor",
    "/assets/toString",
    "/assets/hasOwnProperty",
    "/assets/valueOf",
    "/assets/..%2f..%2fpackage.json",
    "/assets/%2e%2e",
    "/assets/",
    "/assets/%00",
    "/assets/dashboard.js%00.png",
    `/assets/${"a".repeat(5000)}`,
    "/api/shared/__proto__",
    "/__proto__",
    "/constructor",
    "/%",
    "/%zz",
    "/%c0%af",
    "/%ff%fe",
    "/track?data=%",
    "/track?data=a&data=b",
    "/track?verbose=1&verbose=1",
    "/track?data[]=x",
    "/track?__proto__=x",
    "/track?data=__proto__",
    `/track?data=${"A".repeat(8000)}`,
    "/dashboard?__proto__[x]=1",
    "/healthz/..",
  ];

  it.each(PATHS)("GET %s", async (path) => {
    const r = await raw(served.port, "GET", path);
    expect(r.status, r.body).toBeGreaterThanOrEqual(400);
    expect(r.status, r.body).toBeLessThan(500);
  });

  const BODIES: [string, string, string | Buffer][] = [
    ["application/json", "__proto__ event", '[{"__proto__":{"x":1},"event":"diagnostic_load"}]'],
    [
      "application/json",
      "constructor",
      `{"constructor":{"prototype":{"x":1}},"properties":{"token":"${PROJECT_TOKEN}"}}`,
    ],
    [
      "application/json",
      "properties __proto__",
      `{"event":"diagnostic_load","properties":{"__proto__":{"token":"${PROJECT_TOKEN}"}}}`,
    ],
    [
      "application/json",
      "token __proto__ key",
      `{"event":"diagnostic_load","properties":{"token":"${PROJECT_TOKEN}","__proto__":1}}`,
    ],
    ["application/json", "null", "null"],
    ["application/json", "number", "12"],
    ["application/json", "string", '"x"'],
    ["application/json", "empty", ""],
    ["application/json", "empty array", "[]"],
    ["application/json", "array of nulls", "[null,null]"],
    ["application/json", "properties null", '{"event":"diagnostic_load","properties":null}'],
    ["application/json", "token object", '{"event":"diagnostic_load","properties":{"token":{}}}'],
    ["application/json", "lone surrogate", `[{"event":"\\ud800","properties":{"token":"${PROJECT_TOKEN}"}}]`],
    ["application/json", "invalid UTF-8", Buffer.from([0xff, 0xfe, 0xfd])],
    ["application/json", "truncated", '{"event":'],
    ["application/x-www-form-urlencoded", "no data", "x=1"],
    ["application/x-www-form-urlencoded", "bad base64", "data=!!!"],
    ["application/x-www-form-urlencoded", "bad percent", "data=%zz"],
    ["application/x-www-form-urlencoded", "base64 of junk", `data=${Buffer.from("\x00\x01").toString("base64")}`],
    ["application/x-www-form-urlencoded", "two data", "data=e30=&data=e30="],
    ["text/plain", "other type", "hello"],
    ["application/json; charset=utf-16", "odd charset", "{}"],
    ["multipart/form-data; boundary=x", "multipart", "--x--"],
  ];

  it.each(BODIES)("POST /track %s (%s)", async (type, _what, body) => {
    const r = await raw(served.port, "POST", "/track?verbose=1", { "content-type": type }, body);
    expect(r.status, r.body).toBeGreaterThanOrEqual(400);
    expect(r.status, r.body).toBeLessThan(500);
  });

  it.each([
    ["/login", "application/x-www-form-urlencoded", "token=%zz"],
    ["/login", "application/json", '{"token":"x"}'],
    ["/login", "application/x-www-form-urlencoded", `token=${"a".repeat(100_000)}`],
    ["/login", "application/x-www-form-urlencoded", "__proto__=x&token[]=1"],
    ["/logout", "text/plain", "\xff"],
    ["/api/summary", "application/json", "{}"],
    ["/dashboard", "application/json", "{}"],
    ["/healthz", "application/json", "{"],
  ])("POST %s (%s) is not a 5xx", async (path, type, body) => {
    const r = await raw(served.port, "POST", path, { "content-type": type }, body);
    expect(r.status, r.body).toBeLessThan(500);
  });

  it("HEAD /track stores nothing (HEAD is not a GET that keeps its effects)", async () => {
    const before = await raw(served.port, "GET", "/api/summary", { authorization: `Bearer ${READ_TOKEN}` });
    const data = Buffer.from(JSON.stringify(makeEvent({ user: 77 }))).toString("base64");
    const r = await raw(served.port, "HEAD", `/track?data=${encodeURIComponent(data)}`);
    expect(r.status).toBe(404);
    const after = await raw(served.port, "GET", "/api/summary", { authorization: `Bearer ${READ_TOKEN}` });
    expect((JSON.parse(after.body) as { events: unknown }).events).toEqual(
      (JSON.parse(before.body) as { events: unknown }).events,
    );
  });

  it("a body over the limit is a 413", async () => {
    const r = await raw(
      served.port,
      "POST",
      "/track?verbose=1",
      { "content-type": "application/json" },
      "x".repeat(MB + 10),
    );
    expect(r.status).toBe(413);
  });
});

describe("404s and logs never repeat the query string", () => {
  const SECRET = "c2VjcmV0LXBheWxvYWQtZnJvbS1hLWNsaWVudA";

  it("answers a 404 without the path or the query", async () => {
    for (const path of [`/trak?data=${SECRET}`, `/${SECRET}?data=${SECRET}`, `/api/nothing?data=${SECRET}`]) {
      const r = await raw(served.port, "GET", path, { authorization: `Bearer ${READ_TOKEN}` });
      expect(r.status).toBe(404);
      expect(r.body).not.toContain(SECRET);
      expect(JSON.stringify(r.headers)).not.toContain(SECRET);
    }
  });

  it("keeps the query string, the path and the address out of the log", async () => {
    const lines: string[] = [];
    const logged = await serve({}, { logStream: { write: (line: string) => void lines.push(line) } });
    try {
      const event = makeEvent({ user: 3 });
      const data = Buffer.from(JSON.stringify(event)).toString("base64");
      const targets = [
        `/track?data=${encodeURIComponent(data)}&verbose=1&x=${SECRET}`,
        `/track?data=${SECRET}`,
        `/trak?data=${SECRET}`,
        `/${SECRET}`,
        `/assets/${SECRET}?data=${SECRET}`,
        `/api/summary?data=${SECRET}`,
        `/%zz?data=${SECRET}`,
      ];
      for (const t of targets) await raw(logged.port, "GET", t);
      await raw(logged.port, "POST", `/track?data=${SECRET}`, { "content-type": "text/plain" }, SECRET);
      expect(lines.length).toBeGreaterThan(targets.length);
      const all = lines.join("");
      expect(all).not.toContain(SECRET);
      expect(all).not.toContain(data.slice(0, 40));
      expect(all).not.toMatch(/"url"|remoteAddress|remotePort|"ip"/);
    } finally {
      await logged.close();
    }
  });
});
