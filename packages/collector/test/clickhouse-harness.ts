/**
 * A throw-away two-shard ClickHouse cluster for the tests: two `clickhouse-server` processes,
 * each with its own config, data, logs and ports under one temporary folder, and a cluster
 * (`polar`) listing both in `remote_servers`. Each test gets a fresh database on it.
 *
 * When `clickhouse-server` is missing the suite fails with a message naming the installer
 * (`scripts/install-clickhouse.sh`): it never skips.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll } from "vitest";
import { freePort } from "@polar-ide/testing";

/** The at-rest settings the README tells operators to install on every shard (`config.d/`). */
const SHIPPED_CONFIG = fileURLToPath(new URL("../clickhouse/polar.xml", import.meta.url));

/**
 * The tests' own override, loaded after the shipped file: removed parts go after 1 s instead of
 * 60 s, so that the purge and compaction tests wait seconds, not minutes.
 */
const TEST_CONFIG = `<yandex><merge_tree><old_parts_lifetime>1</old_parts_lifetime><cleanup_delay_period>1</cleanup_delay_period></merge_tree></yandex>
`;

/** The server binary Debian's package installs (in /usr/sbin, which a user's PATH may lack). */
const SERVER = existsSync("/usr/sbin/clickhouse-server") ? "/usr/sbin/clickhouse-server" : "clickhouse-server";

/** Whether `clickhouse-server` can run here. */
export function clickhouseAvailable(): boolean {
  // 18.16 has no --version: any run that is not "not found" will do.
  return spawnSync(SERVER, ["--help"], { encoding: "utf8" }).error === undefined;
}

/** Throws a clear failure when ClickHouse is missing (the suites never skip silently). */
export function requireClickHouse(): void {
  if (!clickhouseAvailable()) {
    throw new Error("clickhouse-server is not installed: run scripts/install-clickhouse.sh (as root)");
  }
}

/** A running cluster. */
export interface ClickHouseCluster {
  /** HTTP ports of the shards. */
  readonly httpPorts: readonly number[];
  /** Each shard's folder: its data, temporary files and logs (what it keeps at rest). */
  readonly folders: readonly string[];
  /** A `clickhouse://` URL of a fresh database (entry point: the first shard). */
  database(): string;
  /** Kills the servers and deletes their folders. */
  stop(): Promise<void>;
}

let counter = 0;

function config(dir: string, http: number, tcp: number, shardTcpPorts: readonly number[]): string {
  const shards = shardTcpPorts
    .map((p) => `<shard><replica><host>127.0.0.1</host><port>${p}</port></replica></shard>`)
    .join("");
  return `<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/err.log</errorlog></logger>
  <http_port>${http}</http_port><tcp_port>${tcp}</tcp_port><listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path><tmp_path>${dir}/tmp/</tmp_path><users_config>${dir}/users.xml</users_config>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size><max_server_memory_usage>0</max_server_memory_usage>
  <default_profile>default</default_profile><default_database>default</default_database>
  <remote_servers><polar>${shards}</polar></remote_servers>
</yandex>
`;
}

const USERS = `<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`;

async function waitReady(port: number, child: ChildProcess, dir: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const r = await fetch(`http://127.0.0.1:${port}/ping`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  let log = "";
  try {
    log = readFileSync(join(dir, "log", "err.log"), "utf8")
      .split("\n")
      .slice(-5)
      .join("\n");
  } catch {
    // no log
  }
  throw new Error(`clickhouse-server on port ${port} did not start: ${log}`);
}

/** Starts a cluster of `shards` servers (default 2). */
export async function startClickHouse(shards = 2): Promise<ClickHouseCluster> {
  requireClickHouse();
  const root = mkdtempSync(join(tmpdir(), "polar-ch-"));
  const http: number[] = [];
  const tcp: number[] = [];
  for (let i = 0; i < shards; i++) {
    http.push(await freePort());
    tcp.push(await freePort());
  }
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const c of children) {
      if (c.exitCode === null) {
        const exited = new Promise((r) => c.once("exit", r));
        c.kill("SIGKILL");
        await exited;
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < shards; i++) {
      const dir = join(root, `shard${i + 1}`);
      for (const d of ["data", "tmp", "log", "format_schemas", "config.d"])
        mkdirSync(join(dir, d), { recursive: true });
      copyFileSync(SHIPPED_CONFIG, join(dir, "config.d", "polar.xml"));
      writeFileSync(join(dir, "config.d", "zz-test.xml"), TEST_CONFIG);
      writeFileSync(join(dir, "users.xml"), USERS);
      writeFileSync(join(dir, "config.xml"), config(dir, http[i]!, tcp[i]!, tcp));
      const child = spawn(SERVER, [`--config-file=${join(dir, "config.xml")}`], { stdio: "ignore", cwd: dir });
      children.push(child);
    }
    for (let i = 0; i < shards; i++) await waitReady(http[i]!, children[i]!, join(root, `shard${i + 1}`));
  } catch (e) {
    await stop();
    throw e;
  }
  const list = http.map((p) => `127.0.0.1:${p}`).join(",");
  return {
    httpPorts: http,
    folders: http.map((_, i) => join(root, `shard${i + 1}`)),
    database: () => `clickhouse://127.0.0.1:${http[0]}/polar_${process.pid}_${++counter}?shards=${list}`,
    stop,
  };
}

/**
 * `databaseBackends(…)` rows plus the ClickHouse cluster `cluster()` returns (started by the
 * caller), so a suite written for SQL backends runs on all three.
 */
export function withClickHouse(
  rows: [string, () => Promise<string>][],
  cluster: () => ClickHouseCluster | null,
): [string, () => Promise<string>][] {
  return [...rows, ["clickhouse", async () => cluster()!.database()]];
}

/**
 * The set-up of a test file on the ClickHouse cluster alone: starts a two-shard cluster before the
 * file's tests (`beforeAll`) and stops it after them (`afterAll`). Call it once, at the top level
 * of the file; the function it returns gives the running cluster (inside a test or hook). Files
 * that need PostgreSQL too: `withDatabases({ clickhouse: true })` (`helpers.ts`).
 */
export function withClickHouseCluster(): () => ClickHouseCluster {
  let cluster: ClickHouseCluster | null = null;
  beforeAll(async () => {
    cluster = await startClickHouse(2);
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (cluster === null) throw new Error("the ClickHouse cluster is not running: use it inside a test or hook");
    return cluster;
  };
}

/** The database a `clickhouse://` URL names. */
export function databaseOf(url: string): string {
  return new URL(url.replace("clickhouse://", "http://")).pathname.slice(1);
}

/**
 * One client per shard of `cluster`, on the database `url` names (the server's default database
 * without one): to read what each shard keeps.
 */
export function shardClients(cluster: ClickHouseCluster, url?: string): ClickHouseClient[] {
  const database = url === undefined ? {} : { database: databaseOf(url) };
  return cluster.httpPorts.map((p) => createClient({ url: `http://127.0.0.1:${p}`, ...database }));
}
