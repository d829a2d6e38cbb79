/**
 * Rate limiting: who a client is (IPv4 address, IPv6 /64, the client behind a trusted proxy and
 * only a trusted one), the global events-per-minute quota, and a source table that is swept a few
 * entries at a time (never a walk over all of it, which stalled the event loop at the cap).
 */
import { performance } from "node:perf_hooks";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { RateLimiter, sourceKey, type Config } from "../src/index.js";
import { READ_TOKEN, makeEvent } from "./helpers.js";
import { injected, type Injected } from "./http-harness.js";

describe("sourceKey", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["::FFFF:203.0.113.7", "203.0.113.7"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"],
    ["2001:DB8:1:2::abcd", "2001:db8:1:2::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["2001:db8::", "2001:db8:0:0::/64"],
    ["64:ff9b::192.0.2.1", "64:ff9b:0:0::/64"],
    ["2001:db8:1:2:3:4:192.0.2.1", "2001:db8:1:2::/64"],
    [undefined, "unknown"],
  ])("%s → %s", (address, key) => {
    expect(sourceKey(address)).toBe(key);
  });

  it("puts every address of a /64 in one bucket, and different /64s apart", () => {
    expect(sourceKey("2001:db8:aa:bb:1::1")).toBe(sourceKey("2001:db8:aa:bb:ffff:ffff:ffff:fffe"));
    expect(sourceKey("2001:db8:aa:bb::1")).not.toBe(sourceKey("2001:db8:aa:bc::1"));
  });
});

describe("RateLimiter", () => {
  it("takes n tokens at once; a batch larger than the burst waits for a full bucket, then leaves a debt", () => {
    let now = 0;
    const r = new RateLimiter(100, () => now);
    expect(r.take("all", 60)).toBe(0);
    expect(r.take("all", 60)).toBeGreaterThan(0);
    now += 36_000; // +60 tokens → 100
    expect(r.take("all", 250)).toBe(0);
    expect(r.take("all", 1)).toBeGreaterThanOrEqual(90);
  });

  it("never walks its table: 300000 new sources cost no iteration, and the table stays bounded", () => {
    // Every Map the limiter makes counts the walks over it (the old limiter swept the whole table
    // at the cap, and a later one its front, which V8 makes O(deleted entries)).
    let walks = 0;
    class CountingMap<K, V> extends Map<K, V> {
      override entries(): MapIterator<[K, V]> {
        walks++;
        return super.entries();
      }
      override keys(): MapIterator<K> {
        walks++;
        return super.keys();
      }
      override values(): MapIterator<V> {
        walks++;
        return super.values();
      }
      override forEach(f: (value: V, key: K, map: Map<K, V>) => void): void {
        walks++;
        super.forEach(f);
      }
      override [Symbol.iterator](): MapIterator<[K, V]> {
        walks++;
        return super[Symbol.iterator]();
      }
    }
    let now = 0;
    const cap = 50_000;
    const r = new RateLimiter(
      120,
      () => now,
      cap,
      () => new CountingMap(),
    );
    let slowest = 0;
    const start = performance.now();
    for (let i = 0; i < 300_000; i++) {
      now += 1; // 1 ms per new source: most buckets are still draining when the cap is reached
      const t = performance.now();
      r.take(`s${i}`);
      slowest = Math.max(slowest, performance.now() - t);
      if (r.size > cap) throw new Error(`${r.size} buckets, over the cap`);
    }
    console.log(
      `300000 sources, cap ${cap}: ${(performance.now() - start).toFixed(0)} ms in all, slowest take ${slowest.toFixed(2)} ms (GC and scheduling included), ${r.rotations} generations dropped`,
    );
    expect(walks).toBe(0);
    expect(r.rotations).toBeGreaterThan(0);
  });

  it("forgets refilled buckets as new sources arrive", () => {
    let now = 0;
    const r = new RateLimiter(60, () => now);
    for (let i = 0; i < 1000; i++) r.take(`old${i}`);
    expect(r.size).toBe(1000);
    now += 61_000;
    r.take("new0"); // a minute on: the idle generation has refilled and is dropped
    now += 61_000;
    for (let i = 1; i < 300; i++) r.take(`new${i}`);
    expect(r.size).toBe(300);
  });

  it("keeps a busy source's bucket when the table is full (least recently used goes)", () => {
    const now = 0; // no refill: only an eviction could give "busy" its tokens back
    const r = new RateLimiter(5, () => now, 10);
    for (let i = 0; i < 5; i++) expect(r.take("busy")).toBe(0);
    expect(r.take("busy")).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) {
      r.take(`flood${i}`);
      // The flooder cannot push the busy source out and so reset its bucket.
      if (i % 5 === 0) expect(r.take("busy")).toBeGreaterThan(0);
    }
  });
});

describe("/track rate limits", () => {
  let served: Injected | undefined;
  let app: FastifyInstance;
  let clock = 0;

  async function build(extra: Partial<Config>): Promise<void> {
    clock = Date.UTC(2026, 10, 1);
    served = await injected(extra, () => clock);
    app = served.app;
  }

  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  let user = 0;
  const send = (remoteAddress: string, headers: Record<string, string> = {}, events = 1) =>
    app.inject({
      method: "POST",
      url: "/track?verbose=1",
      headers: { "content-type": "application/json", ...headers },
      payload: JSON.stringify(Array.from({ length: events }, () => makeEvent({ user: ++user }))),
      remoteAddress,
    });

  it("gives each client behind a trusted proxy its own bucket", async () => {
    await build({ rateLimit: 2, trustProxy: ["10.0.0.1"] });
    for (const client of ["198.51.100.1", "198.51.100.2"]) {
      const xff = { "x-forwarded-for": client };
      expect((await send("10.0.0.1", xff)).statusCode).toBe(200);
      expect((await send("10.0.0.1", xff)).statusCode).toBe(200);
      const third = await send("10.0.0.1", xff);
      expect(third.statusCode).toBe(429);
      expect(third.headers["retry-after"]).toBeDefined();
    }
  });

  it("ignores X-Forwarded-For from anyone not trusted (it cannot be used to dodge the limit)", async () => {
    await build({ rateLimit: 2 });
    expect((await send("198.51.100.9", { "x-forwarded-for": "1.1.1.1" })).statusCode).toBe(200);
    expect((await send("198.51.100.9", { "x-forwarded-for": "2.2.2.2" })).statusCode).toBe(200);
    expect((await send("198.51.100.9", { "x-forwarded-for": "3.3.3.3" })).statusCode).toBe(429);
  });

  it("counts a whole IPv6 /64 as one source", async () => {
    await build({ rateLimit: 2 });
    expect((await send("2001:db8:7:8::1")).statusCode).toBe(200);
    expect((await send("2001:db8:7:8::2")).statusCode).toBe(200);
    expect((await send("2001:db8:7:8:ffff::3")).statusCode).toBe(429);
    expect((await send("2001:db8:7:9::1")).statusCode).toBe(200);
  });

  it("refuses a source over its limit before reading the body", async () => {
    await build({ rateLimit: 1 });
    expect((await send("198.51.100.3")).statusCode).toBe(200);
    const r = await app.inject({
      method: "POST",
      url: "/track?verbose=1",
      headers: { "content-type": "application/json" },
      payload: "not even json",
      remoteAddress: "198.51.100.3",
    });
    expect(r.statusCode).toBe(429);
    expect(r.json()).toMatchObject({ status: 0, error: expect.stringMatching(/too many requests/) });
  });

  it("caps the events of everyone together per minute", async () => {
    await build({ rateLimit: 0, globalRateLimit: 10 });
    expect((await send("198.51.100.1", {}, 6)).statusCode).toBe(200);
    const over = await send("198.51.100.2", {}, 6);
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ status: 0, error: expect.stringMatching(/busy/) });
    expect(Number(over.headers["retry-after"])).toBeGreaterThan(0);
    // Nothing of the refused batch was stored.
    const summary = await app.inject({
      method: "GET",
      url: "/api/summary",
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(summary.json()).toMatchObject({ events: 6 });
    clock += 60_000;
    expect((await send("198.51.100.3", {}, 6)).statusCode).toBe(200);
  });
});
