/**
 * Dashboard sessions and token guessing: the cookie is random per login, revoked by logout, expires;
 * `Secure` over HTTPS (directly or from a trusted proxy); login and logout refuse cross-origin
 * posts; wrong tokens (login form or bearer) are throttled per source, the right one included.
 */
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { Config } from "../src/index.js";
import { READ_TOKEN } from "./helpers.js";
import { SHARED_TOKEN, injected, type Injected } from "./http-harness.js";

const HOUR = 60 * 60 * 1000;

let served: Injected | undefined;
let app: FastifyInstance;
let clock = 0;

async function build(extra: Partial<Config> = {}): Promise<void> {
  clock = Date.UTC(2026, 10, 1);
  served = await injected(extra, () => clock);
  app = served.app;
}

afterEach(async () => {
  await served?.close();
  served = undefined;
});

const FORM = { "content-type": "application/x-www-form-urlencoded" };

function login(token: string, headers: Record<string, string> = {}, remoteAddress = "127.0.0.1") {
  return app.inject({
    method: "POST",
    url: "/login",
    headers: { ...FORM, ...headers },
    payload: `token=${encodeURIComponent(token)}`,
    remoteAddress,
  });
}

/** The session cookie a response sets (name=value), or null. */
function sessionOf(r: LightMyRequestResponse): string | null {
  const set = r.headers["set-cookie"];
  const line = Array.isArray(set) ? set[0] : set;
  if (line === undefined) return null;
  return line.split(";")[0]!;
}

function get(url: string, headers: Record<string, string> = {}, remoteAddress = "127.0.0.1") {
  return app.inject({ method: "GET", url, headers, remoteAddress });
}

describe("sessions", () => {
  it("logs in with a random cookie; logout revokes it on the server", async () => {
    await build();
    const r = await login(READ_TOKEN);
    expect(r.statusCode).toBe(303);
    const cookie = sessionOf(r)!;
    expect(cookie).toMatch(/^polar_session=[A-Za-z0-9_-]{43}$/);
    expect(cookie).not.toContain(READ_TOKEN);
    expect(String(r.headers["set-cookie"])).toMatch(/HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    expect((await get("/api/summary", { cookie })).statusCode).toBe(200);

    const out = await app.inject({ method: "POST", url: "/logout", headers: { cookie } });
    expect(out.statusCode).toBe(303);
    expect(String(out.headers["set-cookie"])).toMatch(/^polar_session=; .*Max-Age=0/);
    // The browser forgets the cookie; a copy kept by anyone else is dead too.
    expect((await get("/api/summary", { cookie })).statusCode).toBe(401);
    expect((await get("/dashboard", { cookie })).statusCode).toBe(401);
  });

  it("gives two logins different cookies, both valid until each logs out", async () => {
    await build();
    const a = sessionOf(await login(READ_TOKEN))!;
    const b = sessionOf(await login(READ_TOKEN))!;
    expect(a).not.toBe(b);
    expect((await get("/api/summary", { cookie: a })).statusCode).toBe(200);
    expect((await get("/api/summary", { cookie: b })).statusCode).toBe(200);
    await app.inject({ method: "POST", url: "/logout", headers: { cookie: a } });
    expect((await get("/api/summary", { cookie: a })).statusCode).toBe(401);
    expect((await get("/api/summary", { cookie: b })).statusCode).toBe(200);
  });

  it("refuses an expired session", async () => {
    await build();
    const cookie = sessionOf(await login(READ_TOKEN))!;
    clock += 11 * HOUR;
    expect((await get("/api/summary", { cookie })).statusCode).toBe(200);
    clock += 1 * HOUR + 1;
    expect((await get("/api/summary", { cookie })).statusCode).toBe(401);
  });

  it("opens only the shared view with the shared token", async () => {
    await build();
    const cookie = sessionOf(await login(SHARED_TOKEN))!;
    expect((await get("/api/shared/summary", { cookie })).statusCode).toBe(200);
    expect((await get("/dashboard", { cookie })).statusCode).toBe(200);
    expect((await get("/api/summary", { cookie })).statusCode).toBe(403);
    expect((await get("/api/summary", { authorization: `Bearer ${SHARED_TOKEN}` })).statusCode).toBe(403);
  });

  it("serves the shared view to anyone with --public-shared-view, never the operator view", async () => {
    await build({ publicSharedView: true });
    expect((await get("/api/shared/summary")).statusCode).toBe(200);
    expect((await get("/api/shared/dashboard")).statusCode).toBe(200);
    expect((await get("/api/summary")).statusCode).toBe(401);
    expect((await get("/api/dashboard")).statusCode).toBe(401);
  });

  it("marks the cookie Secure over HTTPS from a trusted proxy only", async () => {
    await build({ trustProxy: ["10.0.0.1"] });
    const https = { "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9" };
    const viaProxy = await login(READ_TOKEN, https, "10.0.0.1");
    expect(String(viaProxy.headers["set-cookie"])).toMatch(/; Secure$/);
    // The same header from anyone else is not believed.
    const direct = await login(READ_TOKEN, https, "203.0.113.9");
    expect(direct.statusCode).toBe(303);
    expect(String(direct.headers["set-cookie"])).not.toMatch(/Secure/);
  });
});

describe("cross-origin login and logout", () => {
  it.each([
    ["another origin", { origin: "http://evil.example" }],
    ["another port", { origin: "http://localhost:8080" }],
    ["another scheme", { origin: "https://localhost" }],
    ["a null origin (sandboxed frame)", { origin: "null" }],
    ["a garbage origin", { origin: "::" }],
    ["no Origin but Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
    ["no Origin but Sec-Fetch-Site: same-site", { "sec-fetch-site": "same-site" }],
  ])("refuses a login from %s", async (_what, headers: Record<string, string>) => {
    await build();
    const r = await login(READ_TOKEN, headers);
    expect(r.statusCode).toBe(403);
    expect(r.headers["set-cookie"]).toBeUndefined();
    expect(r.body).toMatch(/cross-origin/);
  });

  it("accepts a login from the collector's own page", async () => {
    await build();
    // inject's Host is localhost:80; browsers leave the default port out of Origin.
    expect((await login(READ_TOKEN, { origin: "http://localhost" })).statusCode).toBe(303);
    expect((await login(READ_TOKEN, { origin: "http://localhost:80" })).statusCode).toBe(303);
    expect((await login(READ_TOKEN, { "sec-fetch-site": "same-origin" })).statusCode).toBe(303);
  });

  it("accepts a login through a trusted TLS proxy, whose public origin differs from the socket's", async () => {
    await build({ trustProxy: ["10.0.0.1"], allowedHosts: ["telemetry.example.org"] });
    const proxied = {
      origin: "https://telemetry.example.org",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "telemetry.example.org",
      "x-forwarded-for": "203.0.113.5",
    };
    const r = await login(READ_TOKEN, proxied, "10.0.0.1");
    expect(r.statusCode).toBe(303);
    expect(String(r.headers["set-cookie"])).toMatch(/; Secure$/);
    // Without --trust-proxy the same request is cross-origin, and the answer says what to do.
    await served?.close();
    await build({ allowedHosts: ["telemetry.example.org"] });
    const refused = await login(READ_TOKEN, proxied, "10.0.0.1");
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toMatch(/--trust-proxy/);
  });

  it("refuses a cross-origin logout, and the session survives it", async () => {
    await build();
    const cookie = sessionOf(await login(READ_TOKEN))!;
    const r = await app.inject({
      method: "POST",
      url: "/logout",
      headers: { cookie, origin: "http://evil.example" },
    });
    expect(r.statusCode).toBe(403);
    expect((await get("/api/summary", { cookie })).statusCode).toBe(200);
  });
});

describe("token guessing is throttled per source", () => {
  it("answers 429 after 10 wrong logins, even to the right token, until time passes", async () => {
    await build();
    for (let i = 0; i < 10; i++) expect((await login(`wrong-token-${i}-0123456789`)).statusCode).toBe(401);
    const blocked = await login(`wrong-token-again-0123456789`);
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    // The right token is not even looked at: a guesser learns nothing from a throttled attempt.
    const right = await login(READ_TOKEN);
    expect(right.statusCode).toBe(429);
    expect(right.headers["set-cookie"]).toBeUndefined();
    // Another source is unaffected.
    expect((await login(READ_TOKEN, {}, "192.0.2.7")).statusCode).toBe(303);
    clock += 60_000;
    expect((await login(READ_TOKEN)).statusCode).toBe(303);
  });

  it("throttles wrong bearer tokens the same way, across the whole IPv6 /64", async () => {
    await build();
    for (let i = 0; i < 10; i++) {
      const r = await get("/api/summary", { authorization: `Bearer guess-${i}-0123456789` }, `2001:db8:5:6::${i + 1}`);
      expect(r.statusCode).toBe(401);
    }
    const r = await get("/api/summary", { authorization: `Bearer ${READ_TOKEN}` }, "2001:db8:5:6:ffff::1");
    expect(r.statusCode).toBe(429);
    expect(r.headers["retry-after"]).toBeDefined();
    // Another /64 is another source; and the login form shares the same budget.
    expect((await get("/api/summary", { authorization: `Bearer ${READ_TOKEN}` }, "2001:db8:5:7::1")).statusCode).toBe(
      200,
    );
    expect((await login(READ_TOKEN, {}, "2001:db8:5:6::99")).statusCode).toBe(429);
  });

  it("does not count a stale session cookie as a guess", async () => {
    await build();
    for (let i = 0; i < 30; i++) {
      expect((await get("/api/summary", { cookie: `polar_session=stale-${i}` })).statusCode).toBe(401);
    }
    expect((await get("/api/summary", { authorization: `Bearer ${READ_TOKEN}` })).statusCode).toBe(200);
  });
});
