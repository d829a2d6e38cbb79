/**
 * `GET /api/trends` and `/api/shared/trends` over HTTP: a bad query string is a 400 that names
 * the parameter (and echoes nothing long), the answer's shape follows the query, and a shared
 * token opens the shared trends only (the full route matrix is `route-auth.test.ts`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Trends } from "../src/read/trends.js";
import { READ_TOKEN, SHARED_TOKEN, injected, type Injected } from "./http-harness.js";
import { makeEvent } from "./helpers.js";

let c: Injected;
beforeAll(async () => {
  c = await injected({ k: 1 }, () => Date.now());
  const r = await c.app.inject({
    method: "POST",
    url: "/track?verbose=1",
    headers: { "content-type": "application/json" },
    payload: JSON.stringify([
      makeEvent({ user: 1, codes: { "ParseError::UnrecognizedEOF": 2 }, env: { extversion: "1.0.0" } }),
      makeEvent({ user: 2, env: { extversion: "1.1.0" } }),
    ]),
  });
  expect(r.json()).toEqual({ status: 1, error: null });
});
afterAll(async () => c?.close());

const get = (url: string, token = READ_TOKEN) =>
  c.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${token}` } });

describe("trends API", () => {
  it.each([
    ["/api/trends?grain=month", /grain must be "day" or "week", not "month"/],
    ["/api/trends?grain=day&grain=week", /parameter "grain" may be given once/],
    ["/api/trends?code=NotACode", /code must be a diagnostic code/],
    ["/api/trends?split=os", /split must be "version", not "os"/],
    ["/api/trends?from=2026-01-01", /unknown parameter "from"/],
    ["/api/shared/trends?code=xxx…", /code must be a diagnostic code/],
  ])("refuses %s with a 400 naming the problem", async (target, message) => {
    const url = target.replace("xxx…", "x".repeat(5000));
    const r = await get(url);
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatch(message);
    expect(r.body.length).toBeLessThan(400);
  });

  it("answers the series the query asks for, live, through today (k = 1: nothing hidden)", async () => {
    const r = await get("/api/trends?grain=day&split=version&code=ParseError%3A%3AUnrecognizedEOF");
    expect(r.statusCode).toBe(200);
    const t = r.json() as Trends;
    const today = new Date().toISOString().slice(0, 10);
    expect(t).toMatchObject({ view: "operator", grain: "day", through: today, split: "version" });
    // Every day from the Monday of the first stored day's week.
    const monday = new Date(Date.now() - ((new Date().getUTCDay() + 6) % 7) * 86_400_000).toISOString().slice(0, 10);
    expect(t.periods[0]).toBe(monday);
    expect(t.periods.at(-1)).toBe(today);
    const last = t.periods.length - 1;
    expect(t.series.map((s) => s.label)).toEqual([
      "all versions",
      "1.0.0",
      "1.1.0",
      "other versions (fewer than k users)",
    ]);
    expect(t.series[0]!.events[last]).toEqual({ users: 2, total: 2, events: 2, suppressed: false });
    expect(t.series[1]!.code![last]).toEqual({ users: 1, total: 2, events: 1, suppressed: false });
    expect(t.series[2]!.code![last]).toEqual({ users: 0, total: 0, events: 0, suppressed: false });
    expect(t.series[0]!.success_rate[last]).toBe(0.5);
    const plain = (await get("/api/trends")).json() as Trends;
    expect(plain.grain).toBe("week");
    expect(plain.series).toHaveLength(1);
    expect(plain.series[0]!.code).toBeNull();
  });

  it("opens the shared trends (complete days: none yet) to the shared token, not the operator's", async () => {
    const shared = await get("/api/shared/trends?grain=day", SHARED_TOKEN);
    expect(shared.statusCode).toBe(200);
    expect((shared.json() as Trends).series[0]!.events.every((cell) => cell.users !== 2)).toBe(true);
    expect((await get("/api/trends", SHARED_TOKEN)).statusCode).toBe(403);
    expect((await c.app.inject({ method: "GET", url: "/api/shared/trends" })).statusCode).toBe(401);
  });
});
