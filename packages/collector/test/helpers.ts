/**
 * Shared test helpers: a throw-away PostgreSQL cluster (Debian's server, started as the
 * `postgres` user in a temporary folder) and the per-file database set-up (`withDatabases`, with
 * the ClickHouse cluster on request), free ports, event factories and the rollup snapshot.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DIAGNOSTIC_CODES,
  codeProperty,
  lspMethodProperty,
  validateBatch,
  type DiagnosticCode,
  type LspMethod,
  type ValidEvent,
} from "@polar-ide/telemetry";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { openDb, Store } from "../src/index.js";
import { LIVE, SCRATCH, SHARED, setTables } from "../src/db/rollup-sql.js";
import { startClickHouse, withClickHouse, type ClickHouseCluster } from "./clickhouse-harness.js";
import { freePort } from "@polar-ide/testing";

export const EXAMPLE = JSON.parse(
  readFileSync(new URL("../../../examples/telemetry/diagnostic_load.json", import.meta.url), "utf8"),
) as { event: "diagnostic_load"; properties: Record<string, unknown> };

export const PROJECT_TOKEN = "polar-ide";
export const READ_TOKEN = "read-token-0123456789";

export { freePort };

export function hex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

/** A user id / workspace id derived from a small number, so tests can name them. */
export function id64(kind: string, n: number): string {
  return Buffer.from(`${kind}:${n}`.padEnd(32, ".")).toString("hex").slice(0, 64).padEnd(64, "0");
}

export interface EventSpec {
  user: number;
  workspace?: number;
  codes?: Partial<Record<DiagnosticCode, number>>;
  unknown?: number;
  failures?: number;
  successes?: number;
  gauges?: Record<string, number>;
  env?: Record<string, string | boolean>;
  extensions?: string[];
  method?: LspMethod;
}

const WARNING = (code: string): boolean => code.startsWith("ValidationWarning::");

/** A valid event with consistent counters. */
export function makeEvent(spec: EventSpec): { event: "diagnostic_load"; properties: Record<string, unknown> } {
  const p: Record<string, unknown> = { ...EXAMPLE.properties };
  for (const code of DIAGNOSTIC_CODES) delete p[codeProperty(code)];
  let errors = 0;
  let warnings = 0;
  for (const [code, count] of Object.entries(spec.codes ?? {})) {
    p[codeProperty(code as DiagnosticCode)] = count;
    if (WARNING(code)) warnings += count;
    else errors += count;
  }
  const unknown = spec.unknown ?? 0;
  errors += unknown;
  const failures = spec.failures ?? (errors > 0 ? 1 : 0);
  const successes = spec.successes ?? (errors > 0 ? 0 : 1);
  Object.assign(p, {
    distinct_id: id64("user", spec.user),
    workspace_folder: id64("ws", spec.workspace ?? spec.user),
    diagnostic_count: errors + warnings,
    error_count: errors,
    warning_count: warnings,
    unknown_diagnostic_count: unknown,
    load_success_count: successes,
    load_failure_count: failures,
    LSP_method_textDocument_didOpen_count: 0,
    LSP_method_textDocument_didChange_count: 0,
    LSP_method_workspace_didChangeWatchedFiles_count: 0,
    LSP_method_workspace_didDeleteFiles_count: 0,
    [lspMethodProperty(spec.method ?? "textDocument/didChange")]: successes + failures,
    LSP_file_extensions: spec.extensions ?? ["polar"],
    $insert_id: hex(16),
    token: PROJECT_TOKEN,
    ...spec.gauges,
    ...spec.env,
  });
  return { event: "diagnostic_load", properties: p };
}

/** An event of the property-based rollup suites (`fold-chunks`, `purge`): drawn by fast-check. */
export interface CountedEvent {
  user: number;
  workspace: number;
  /** How often each of the suite's codes occurs (`codes[i]` of the code list; 0: not at all). */
  codes: readonly number[];
  extensions: string[];
  version: string;
  os?: string;
}

/** `makeEvent` of a `CountedEvent` through the validator: what `Store.insertBatch` takes. */
export function validEvent(codeList: readonly DiagnosticCode[], e: CountedEvent): ValidEvent {
  const codes: Partial<Record<DiagnosticCode, number>> = {};
  codeList.forEach((c, i) => {
    if (e.codes[i]! > 0) codes[c] = e.codes[i]!;
  });
  const env: Record<string, string> = { extversion: e.version };
  if (e.os !== undefined) env.os = e.os;
  const r = validateBatch([makeEvent({ user: e.user, workspace: e.workspace, codes, extensions: e.extensions, env })]);
  if (!r.ok) throw new Error(r.message);
  return r.events[0]!;
}

/** Every rollup table of both sets (live and shared). */
export const ROLLUP_TABLES: readonly string[] = [...setTables(LIVE), ...setTables(SHARED)];

/**
 * Every row of every rollup table, sorted, numbers as numbers on both backends: what a reader
 * could ever see, for comparing two ways of reaching the same rollups.
 */
export async function rollupSnapshot(store: Store): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of ROLLUP_TABLES) {
    const rows = await store.db.all(`SELECT * FROM ${t}`);
    out[t] = rows
      .map((r) => JSON.stringify(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])))
      .sort();
  }
  return out;
}

/** Runs `body` on a migrated `Store` over `url`, then closes the store (whatever `body` did). */
export async function onMigratedStore(url: string, body: (store: Store) => Promise<void>): Promise<void> {
  const store = new Store(openDb(url));
  try {
    await store.migrate();
    await body(store);
  } finally {
    await store.close();
  }
}

/** Empties the inbox, the events, both queues, the scratch tables and every rollup table (one transaction). */
export async function emptyStore(store: Store): Promise<void> {
  await store.db.transaction(async (tx) => {
    for (const t of ["inbox", "events", "pending_rollup", "pending_shared", ...SCRATCH, ...ROLLUP_TABLES])
      await tx.run(`DELETE FROM ${t}`);
  });
}

/**
 * Kendall's tau between two orders given as pairs (arrival rank, another value): 1 when the second
 * follows the first, -1 when it runs backwards, near 0 when it says nothing of it. Ties count as
 * neither concordant nor discordant. The storage-privacy suites hold every column and storage
 * order of the stored rows to a small |tau| against arrival.
 */
export function kendallTau(pairs: readonly (readonly [number, string | number])[]): number {
  if (pairs.length < 2) throw new Error("kendallTau needs at least two pairs");
  let concordant = 0;
  let discordant = 0;
  for (let i = 0; i < pairs.length; i++) {
    for (let j = i + 1; j < pairs.length; j++) {
      const a = pairs[i]!;
      const b = pairs[j]!;
      const x = Math.sign(a[0] - b[0]);
      const y = a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
      if (x * y > 0) concordant++;
      else if (x * y < 0) discordant++;
    }
  }
  const n = pairs.length;
  return (concordant - discordant) / ((n * (n - 1)) / 2);
}

/**
 * A seeded generator of numbers in [0, 1) (mulberry32): the same sequence for a seed on every run,
 * for tests that draw a large mix (events, bodies) without fast-check.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random batch for the roll-up tests: `min` to `min + spread - 1` events of users 0 to `users` - 1
 * (skewed towards the first: a few heavy users), two workspaces each, one of `codes` in 60% of the
 * events, a random OS and, when `versions` is given, one of that many extension versions.
 */
export function randomBatch(
  r: () => number,
  opts: { min: number; spread: number; users: number; codes: readonly DiagnosticCode[]; versions?: number },
): ReturnType<typeof makeEvent>[] {
  return Array.from({ length: opts.min + Math.floor(r() * opts.spread) }, () => {
    const user = Math.floor(opts.users * r() ** 2);
    const counts: Partial<Record<DiagnosticCode, number>> = {};
    if (r() < 0.6) counts[opts.codes[Math.floor(r() * opts.codes.length)]!] = 1 + Math.floor(r() * 4);
    const workspace = user * 2 + Math.floor(r() * 2);
    const os = ["linux", "darwin", "win32"][Math.floor(r() * 3)]!;
    return makeEvent({
      user,
      workspace,
      codes: counts,
      env: opts.versions === undefined ? { os } : { os, extversion: `0.${Math.floor(r() * opts.versions)}.0` },
    });
  });
}

/**
 * A fixed shuffle of 0..n-1 from `seed` (a linear congruential generator driving Fisher-Yates):
 * the same every run, so that user numbers sent in arrival order do not follow arrival either.
 */
export function fixedShuffle(n: number, seed: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  let s = seed;
  for (let i = n - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A running throw-away PostgreSQL server. */
export interface Postgres {
  readonly port: number;
  /** The cluster's data directory (tests that look at the bytes at rest). */
  readonly dataDirectory: string;
  /** A fresh database on the server. */
  createDatabase(): Promise<string>;
  stop(): void;
}

function pgBin(): string {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) throw new Error("PostgreSQL is not installed: run scripts/install-postgres.sh");
  const version = readdirSync(base).sort((a, b) => Number(b) - Number(a))[0];
  if (version === undefined) throw new Error("PostgreSQL is not installed: run scripts/install-postgres.sh");
  return join(base, version, "bin");
}

/** Runs a PostgreSQL tool, as the `postgres` user when we are root (initdb refuses root). */
function asPostgres(cmd: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  const r = root
    ? spawnSync("runuser", ["-u", "postgres", "--", cmd, ...args], { encoding: "utf8" })
    : spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
}

let dbCounter = 0;

/** Starts a PostgreSQL cluster in a temporary folder, on a free port. */
export async function startPostgres(): Promise<Postgres> {
  const bin = pgBin();
  const dir = mkdtempSync(join(tmpdir(), "polar-pg-"));
  chmodSync(dir, 0o755);
  const data = join(dir, "data");
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  asPostgres(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  asPostgres(join(bin, "pg_ctl"), [
    "-D",
    data,
    "-l",
    join(dir, "log"),
    "-w",
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`,
    "start",
  ]);
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    port,
    dataDirectory: data,
    async createDatabase() {
      const name = `polar_${process.pid}_${++dbCounter}`;
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`CREATE DATABASE ${name}`);
      await c.end();
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop() {
      try {
        asPostgres(join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A fresh SQLite file URL in a temporary folder. */
export function sqliteUrl(): { url: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "polar-sqlite-"));
  return { url: `sqlite:${join(dir, "telemetry.db")}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The two storage backends as `describe.each` rows: each factory returns a fresh database URL.
 * SQLite folders are registered in `cleanups` (the caller removes them in `afterAll`); PostgreSQL
 * databases live in the cluster `postgres()` returns, which the caller stops.
 */
export function databaseBackends(
  postgres: () => Postgres | null,
  cleanups: (() => void)[],
): [string, () => Promise<string>][] {
  return [
    [
      "sqlite",
      async () => {
        const db = sqliteUrl();
        cleanups.push(db.cleanup);
        return db.url;
      },
    ],
    ["postgres", async () => postgres()!.createDatabase()],
  ];
}

/** What `withDatabases` starts besides PostgreSQL. */
export interface DatabaseOptions {
  /**
   * Also a two-shard ClickHouse cluster (`clickhouse-harness.ts`), started alongside PostgreSQL:
   * `backends` then has a `clickhouse` row, and `clickhouse()` is the cluster.
   */
  readonly clickhouse?: boolean;
}

/** What `withDatabases` gives a test file. */
export interface Databases {
  /** The storage backends as `describe.each` rows (see `databaseBackends`; `withClickHouse`). */
  readonly backends: [string, () => Promise<string>][];
  /** The file's PostgreSQL server (started before its tests; stopped after them). */
  postgres(): Postgres;
  /** The file's ClickHouse cluster (with `{ clickhouse: true }` only). */
  clickhouse(): ClickHouseCluster;
  /** Registers `fn` to run after the file's tests (removing temporary folders). */
  cleanup(fn: () => void): void;
}

/**
 * The set-up every database test file shares: starts a throw-away PostgreSQL server (and, with
 * `{ clickhouse: true }`, a ClickHouse cluster at the same time) before the file's tests
 * (`beforeAll`), stops them after the tests and runs the registered cleanups (`afterAll`).
 * Call it once, at the top level of the file. A file's own `afterAll` registered after this call
 * runs before it (vitest runs after-hooks as a stack): there, the servers are still up.
 */
export function withDatabases(options: DatabaseOptions = {}): Databases {
  let server: Postgres | null = null;
  let cluster: ClickHouseCluster | null = null;
  const cleanups: (() => void)[] = [];
  beforeAll(async () => {
    [server, cluster] = await Promise.all([startPostgres(), options.clickhouse === true ? startClickHouse(2) : null]);
  });
  afterAll(async () => {
    try {
      server?.stop();
      await cluster?.stop();
    } finally {
      for (const c of cleanups) c();
    }
  });
  const sql = databaseBackends(() => server, cleanups);
  return {
    backends: options.clickhouse === true ? withClickHouse(sql, () => cluster) : sql,
    postgres() {
      if (server === null) throw new Error("PostgreSQL is not running: use it inside a test or hook");
      return server;
    },
    clickhouse() {
      if (options.clickhouse !== true)
        throw new Error("no ClickHouse cluster: call withDatabases({ clickhouse: true })");
      if (cluster === null) throw new Error("the ClickHouse cluster is not running: use it inside a test or hook");
      return cluster;
    },
    cleanup(fn) {
      cleanups.push(fn);
    },
  };
}

/**
 * Builds the collector before the file's tests (a no-op when up to date): the SQLite writer and
 * checkpointer threads, and the CLI the crash test starts, run the built `dist/`, not the source.
 */
export function buildCollectorFirst(): void {
  const root = new URL("../../..", import.meta.url);
  beforeAll(() => {
    execFileSync("npx", ["tsc", "-b", "packages/collector"], { cwd: root, stdio: "inherit" });
  });
}
