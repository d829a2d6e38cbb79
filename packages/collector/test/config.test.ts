import { describe, expect, it } from "vitest";
import { loadConfig, RateLimiter } from "../src/index.js";

const TOKENS = ["--project-token", "polar-ide", "--read-token", "0123456789abcdef"];

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    expect(loadConfig(TOKENS, {}).config).toEqual({
      host: "127.0.0.1",
      port: 8787,
      db: "sqlite:polar-telemetry.db",
      projectTokens: ["polar-ide"],
      readToken: "0123456789abcdef",
      k: 5,
      retentionDays: 365,
      rateLimit: 120,
      sharedToken: "",
      publicSharedView: false,
      allowedHosts: [],
      trustProxy: [],
      globalRateLimit: 120_000,
      idleTimeoutMs: 20_000,
      requestTimeoutMs: 20_000,
      maxConnections: 1_000,
    });
  });

  it("reads POLAR_COLLECTOR_<NAME> variables, and flags win over them", () => {
    const env = {
      POLAR_COLLECTOR_DB: "postgres://db/telemetry",
      POLAR_COLLECTOR_PROJECT_TOKEN: "a,b",
      POLAR_COLLECTOR_READ_TOKEN: "read-token-read-token",
      POLAR_COLLECTOR_K: "10",
      POLAR_COLLECTOR_PORT: "9000",
    };
    const { config } = loadConfig(["--port=9001", "--project-token", "c", "--project-token", "d"], env);
    expect(config).toMatchObject({ db: "postgres://db/telemetry", projectTokens: ["c", "d"], k: 10, port: 9001 });
    expect(loadConfig([], env).config.projectTokens).toEqual(["a", "b"]);
  });

  it.each<[string[], RegExp]>([
    [["--port", "70000"], /--port \(POLAR_COLLECTOR_PORT\) must be an integer from 0 to 65535/],
    [["--k", "0"], /--k \(POLAR_COLLECTOR_K\) must be an integer from 1/],
    [["--db", "mysql://x"], /--db \(POLAR_COLLECTOR_DB\) must be sqlite:<file>, postgres:\/\/… or clickhouse/],
    [["--retention-days", "-1"], /--retention-days/],
    [["--bogus", "1"], /unknown flag --bogus/],
    [["--port"], /--port needs a value/],
  ])("rejects %j", (args, message) => {
    expect(() => loadConfig([...TOKENS, ...args], {})).toThrow(message);
  });

  it("requires tokens to serve, not to migrate or purge", () => {
    expect(() => loadConfig([], {})).toThrow(/--project-token \(POLAR_COLLECTOR_PROJECT_TOKEN\) is required/);
    expect(() => loadConfig(["--project-token", "x", "--read-token", "short"], {})).toThrow(/at least 16 characters/);
    expect(loadConfig([], {}, false).config.projectTokens).toEqual([]);
  });
});

describe("RateLimiter", () => {
  it("allows a burst of perMinute, then refills at perMinute/60 per second", () => {
    let now = 0;
    const r = new RateLimiter(60, () => now);
    for (let i = 0; i < 60; i++) expect(r.take("a")).toBe(0);
    expect(r.take("a")).toBe(1);
    expect(r.take("b")).toBe(0);
    now += 1000;
    expect(r.take("a")).toBe(0);
    expect(r.take("a")).toBeGreaterThan(0);
  });

  it("is off at 0", () => {
    const r = new RateLimiter(0);
    for (let i = 0; i < 1000; i++) expect(r.take("a")).toBe(0);
    expect(r.size).toBe(0);
  });
});
