/**
 * Secrets and files at rest: tokens from files or the environment (a flag is visible to every
 * local user in ps, so it draws a warning), SQLite files readable by the owner only (the database,
 * its -wal and -shm), and read-API answers that no cache keeps.
 */
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, openDb, protectDatabaseFile, Store } from "../src/index.js";
import { READ_TOKEN, makeEvent } from "./helpers.js";
import { SHARED_TOKEN, raw, serve, type Served } from "./http-harness.js";

const dir = mkdtempSync(join(tmpdir(), "polar-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

const INGEST = ["--project-token", "polar-ide"];

describe("tokens", () => {
  it("reads the read and shared tokens from files (first line), without warnings", () => {
    const { config, warnings } = loadConfig(
      [
        ...INGEST,
        "--read-token-file",
        file("read", `${READ_TOKEN}\n`),
        "--shared-token-file",
        file("shared", `${SHARED_TOKEN}\r\nignored`),
      ],
      {},
    );
    expect(config.readToken).toBe(READ_TOKEN);
    expect(config.sharedToken).toBe(SHARED_TOKEN);
    expect(warnings).toEqual([]);
  });

  it("reads them from the environment without warnings", () => {
    const { config, warnings } = loadConfig(INGEST, {
      POLAR_COLLECTOR_READ_TOKEN: READ_TOKEN,
      POLAR_COLLECTOR_SHARED_TOKEN_FILE: file("shared-env", SHARED_TOKEN),
    });
    expect(config).toMatchObject({ readToken: READ_TOKEN, sharedToken: SHARED_TOKEN });
    expect(warnings).toEqual([]);
  });

  it("warns when a token is on the command line, or in a file others can read", () => {
    const flag = loadConfig([...INGEST, "--read-token", READ_TOKEN], {});
    expect(flag.warnings.join("\n")).toMatch(
      /--read-token on the command line is visible .*POLAR_COLLECTOR_READ_TOKEN/,
    );
    const open = loadConfig([...INGEST, "--read-token-file", file("open", READ_TOKEN, 0o644)], {});
    expect(open.warnings.join("\n")).toMatch(/readable by other users: chmod 600/);
  });

  it.each<[string[], RegExp]>([
    [["--read-token", READ_TOKEN, "--read-token-file", "/nonexistent"], /--read-token or --read-token-file, not both/],
    [["--read-token-file", "/nonexistent/token"], /--read-token-file: cannot read \/nonexistent\/token/],
    [["--read-token-file", "EMPTY"], /is empty/],
    [["--read-token", READ_TOKEN, "--shared-token", "short"], /--shared-token .* at least 16 characters/],
    [["--read-token", READ_TOKEN, "--shared-token", READ_TOKEN], /must differ from --read-token/],
    [["--read-token", READ_TOKEN, "--trust-proxy", "proxy.example"], /--trust-proxy: "proxy.example" is not an IP/],
    [["--read-token", READ_TOKEN, "--trust-proxy", "10.0.0.0/33"], /--trust-proxy/],
    [["--read-token", READ_TOKEN, "--allowed-hosts", "a b"], /--allowed-hosts: "a b" is not a host name/],
    [["--read-token", READ_TOKEN, "--public-shared-view=maybe"], /--public-shared-view .* must be true or false/],
    [["--read-token", READ_TOKEN, "--idle-timeout", "0"], /--idle-timeout/],
  ])("rejects %j", (args, message) => {
    const resolved = args.map((a) => (a === "EMPTY" ? file("empty", "\n") : a));
    expect(() => loadConfig([...INGEST, ...resolved], {})).toThrow(message);
  });

  it("parses the HTTP settings", () => {
    const { config } = loadConfig(
      [
        ...INGEST,
        "--read-token",
        READ_TOKEN,
        "--trust-proxy",
        "10.0.0.1,loopback",
        "--trust-proxy=fd00::/8",
        "--allowed-hosts",
        "Telemetry.Example.org",
        "--public-shared-view",
        "--global-rate-limit",
        "5000",
        "--idle-timeout",
        "7",
        "--request-timeout",
        "9",
        "--max-connections",
        "64",
      ],
      {},
    );
    expect(config).toMatchObject({
      trustProxy: ["10.0.0.1", "loopback", "fd00::/8"],
      allowedHosts: ["telemetry.example.org"],
      publicSharedView: true,
      globalRateLimit: 5000,
      idleTimeoutMs: 7000,
      requestTimeoutMs: 9000,
      maxConnections: 64,
    });
  });
});

describe("database files", () => {
  it("creates the SQLite database, its -wal and -shm readable by the owner only", async () => {
    const db = `sqlite:${join(dir, "new.db")}`;
    protectDatabaseFile(db);
    const store = new Store(openDb(db));
    await store.migrate();
    await store.insertBatch("2026-11-01", []);
    const modes = ["", "-wal", "-shm"].map((suffix) => statSync(join(dir, `new.db${suffix}`)).mode & 0o777);
    await store.close();
    expect(modes).toEqual([0o600, 0o600, 0o600]);
  });

  it("tightens an existing world-readable database", () => {
    const path = file("old.db", "", 0o644);
    file("old.db-wal", "", 0o666);
    protectDatabaseFile(`sqlite:${path}`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
  });
});

describe("read API caching", () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve();
    await fetch(`${served.url}/track`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([makeEvent({ user: 2 })]),
    });
  });
  afterAll(async () => served?.close());

  it.each(["/api/summary", "/api/dashboard", "/api/shared/summary", "/api/shared/dashboard"])(
    "%s answers Cache-Control: no-store, with and without a token",
    async (path) => {
      const ok = await raw(served.port, "GET", path, { authorization: `Bearer ${READ_TOKEN}` });
      expect(ok.status).toBe(200);
      expect(ok.headers["cache-control"]).toBe("no-store");
      const refused = await raw(served.port, "GET", path);
      expect(refused.status).toBe(401);
      expect(refused.headers["cache-control"]).toBe("no-store");
    },
  );
});
