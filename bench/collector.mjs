// Collector benchmark (`npm run bench:collector`): prints figures, asserts nothing.
//
// 1. Ingest over loopback with autocannon (50 connections, 5-event batches, a fresh $insert_id
//    per event): a raw node:http server that only parses the body, then the collector on SQLite,
//    then on PostgreSQL (a throw-away Debian cluster), in this one run. After each collector's
//    load, the catch-up (GET /api/summary: the inbox materialised and every queued event folded)
//    is timed, and the sustained rate is the events acknowledged over load + catch-up time.
//    Beside each rate, the CPU time per request of the server's HTTP thread ("main µs/req") and
//    of all its threads ("CPU µs/req", from /proc): on a loaded machine the rates follow the
//    neighbours, the CPU times much less.
// 2. At 1M and 10M stored events (`--events N` or BENCH_SIZES=1000000,… to change), rows generated
//    in SQL: both rollup sets built from scratch by the set-based rebuild (`Store.rebuild`), dashboard query
//    times, then the purge (delete + subtraction from both rollup sets) of the oldest day (the
//    daily purge) and of the next 29 days, the compaction after it, and the dashboard again.
//
// 3. bench/collector-scale.mjs (BENCH_SCALE_SIZES=20000,… ; BENCH_SKIP_SCALE=1 to skip): events
//    loaded through the store's insert code, fold events/s, rebuild, reads p50/p95, purge.
//
//    node bench/collector.mjs [--events 10000000] [--duration 10]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { performance } from "node:perf_hooks";
import { clearInterval, setInterval } from "node:timers";
import http from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { openDb, Store, summary, dashboardData, sharedDashboard } from "../packages/collector/dist/index.js";
import { fill } from "./lib/generated-rows.mjs";
import { clickhouseQueries, ingestProfile, startClickHouseCluster } from "./lib/clickhouse.mjs";
import { freePort } from "@polar-ide/testing";
import { startPostgres } from "./lib/postgres.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MAIN = join(ROOT, "packages/collector/dist/main.js");
function flag(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const DURATION = Number(flag("duration") ?? process.env.BENCH_DURATION ?? 10);
const SIZES = (flag("events") ?? process.env.BENCH_SIZES ?? "1000000,10000000").split(",").map(Number);
// BENCH_ONLY=clickhouse: raw node:http and the ClickHouse cluster only (no SQLite, no PostgreSQL).
const ONLY_CLICKHOUSE = process.env.BENCH_ONLY === "clickhouse";
// BENCH_SKIP_PG=1: no PostgreSQL in the ingest run nor in the queries (with BENCH_SKIP_SCALE=1, no
// PostgreSQL server at all).
const SKIP_PG = process.env.BENCH_SKIP_PG === "1";
const TOKEN = "polar-ide";
const READ = "bench-read-token-0123456789";

const example = JSON.parse(readFileSync(join(ROOT, "examples/telemetry/diagnostic_load.json"), "utf8"));

// ---------------------------------------------------------------------------------------------
// Ingest.

const RAW_SERVER = `
const http = require("node:http");
http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString();
    const data = new URLSearchParams(body).get("data");
    const events = JSON.parse(Buffer.from(data.replace(/ /g, "+"), "base64").toString());
    res.end(Array.isArray(events) ? "1" : "0");
  });
}).listen(Number(process.argv[1]), "127.0.0.1", () => console.log("listening on"));
`;

function spawnReady(args) {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("listening on")) resolve(child);
    });
    child.once("exit", (c) => reject(new Error(`exited ${c}`)));
  });
}

let counter = 0;
function batchBody() {
  const events = [];
  for (let i = 0; i < 5; i++) {
    counter++;
    events.push({
      event: "diagnostic_load",
      properties: {
        ...example.properties,
        distinct_id: (counter % 5000).toString(16).padStart(64, "0"),
        workspace_folder: (counter % 9000).toString(16).padStart(64, "a"),
        $insert_id: counter.toString(16).padStart(32, "0"),
      },
    });
  }
  return `data=${Buffer.from(JSON.stringify(events)).toString("base64")}`;
}

/**
 * After the load: how long the collector takes to catch up (GET /api/summary materialises the
 * inbox and folds every queued event first), and the sustained rate — events acknowledged during
 * the whole load divided by the load's wall time plus the catch-up: a burst into a queue is not
 * passed off as capacity.
 */
async function catchUp(port, row, started, acked) {
  const t = performance.now();
  const get = () =>
    new Promise((resolve, reject) => {
      http
        .get(`http://127.0.0.1:${port}/api/summary`, { headers: { authorization: `Bearer ${READ}` } }, (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve(JSON.parse(text)));
        })
        .on("error", reject);
    });
  // A catch-up longer than the collector's idle timeout loses its connection; the fold goes on
  // (the next read joins it): ask again.
  let body;
  for (let attempt = 0; body === undefined; attempt++) {
    body = await get().catch((e) => {
      if (attempt >= 20) throw e;
      return undefined;
    });
  }
  const ms = performance.now() - t;
  row["catch-up s"] = Math.round(ms / 10) / 100;
  row["sustained req/s"] = Math.round(acked / 5 / ((performance.now() - started) / 1000));
  // Requests still in flight when autocannon stops may be stored without being counted as acked.
  row["stored"] = body.events >= acked ? "every ack" : `${body.events} of ${acked} acked!`;
}

/** Samples the size of an SQLite file's write-ahead log every 100 ms until stopped: its largest, MiB. */
function walWatch(db) {
  if (!db?.startsWith("sqlite:")) return () => undefined;
  let max = 0;
  const timer = setInterval(() => {
    try {
      max = Math.max(max, statSync(`${db.slice("sqlite:".length)}-wal`).size);
    } catch {
      // No log yet.
    }
  }, 100);
  return () => {
    clearInterval(timer);
    return Math.round(max / 2 ** 20);
  };
}

/**
 * CPU time (ms) of each thread of process `pid` so far, from /proc (Linux; empty elsewhere): the
 * measure that holds on a loaded machine, where requests per second follow the neighbours.
 */
function threadCpu(pid) {
  const out = new Map();
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime and stime, in clock ticks (100 per second on Linux).
      out.set(t, (Number(f[11]) + Number(f[12])) * 10);
    }
  } catch {
    // No /proc, or the process is gone.
  }
  return out;
}

async function load(name, port, db, pid) {
  const wal = walWatch(db);
  // Threads before the first request: the main thread, V8's platform threads (parallel and
  // concurrent GC, compilation) and libuv's pool (fsync); threads started since are the
  // collector's workers (the SQLite writer and its checkpointer).
  const atStart = new Set(threadCpu(pid).keys());
  // Warm up, then measure.
  const opts = (duration) => ({
    url: `http://127.0.0.1:${port}`,
    connections: 50,
    duration,
    requests: [
      {
        method: "POST",
        path: "/track",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        setupRequest: (req) => ({ ...req, body: batchBody() }),
      },
    ],
  });
  const started = performance.now();
  const warm = await autocannon(opts(2));
  const cpuBefore = threadCpu(pid);
  const r = await autocannon(opts(DURATION));
  const cpuAfter = threadCpu(pid);
  const row = {
    target: name,
    "req/s": Math.round(r.requests.average),
    "events/s": Math.round(r.requests.average * 5),
    "p50 ms": r.latency.p50,
    "p99 ms": r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
  if (cpuAfter.size > 0 && r.requests.total > 0) {
    // Per request: the thread answering HTTP (its id is the process id), and every thread.
    const spent = (t) => (cpuAfter.get(t) ?? 0) - (cpuBefore.get(t) ?? 0);
    const all = [...cpuAfter.keys()].reduce((sum, t) => sum + spent(t), 0);
    const per = (us) => Math.round((1000 * us) / r.requests.total);
    const helpers = [...atStart].filter((t) => t !== String(pid)).reduce((sum, t) => sum + spent(t), 0);
    row["main µs/req"] = per(spent(String(pid)));
    row["V8+libuv µs/req"] = per(helpers);
    row["workers µs/req"] = per(all - spent(String(pid)) - helpers);
    row["CPU µs/req"] = per(all);
  }
  const walMiB = wal();
  if (walMiB !== undefined) row["max log MiB"] = walMiB;
  if (name.includes("collector")) await catchUp(port, row, started, 5 * (warm["2xx"] + r["2xx"]));
  console.log(JSON.stringify(row));
  return row;
}

async function raw() {
  const port = await freePort();
  const child = await spawnReady(["-e", RAW_SERVER, String(port)]);
  const row = await load("raw node:http (parse only)", port, undefined, child.pid);
  child.kill();
  await new Promise((r) => child.once("exit", r));
  return row;
}

async function ingest(pgUrl, chUrl, chCluster) {
  const rows = [];
  const load1 = loadavg()[0];
  rows.push(await raw());
  let port;
  let child;

  const dir = mkdtempSync(join(tmpdir(), "polar-bench-sqlite-"));
  for (const [name, db, main = MAIN] of [
    ...(ONLY_CLICKHOUSE
      ? []
      : [
          // BENCH_SQLITE_BASE=<other build>/dist/main.js: a base collector on SQLite too, alternated
          // with this one BENCH_SQLITE_RUNS times (default 1), each on a fresh file.
          ...Array.from({ length: Number(process.env.BENCH_SQLITE_RUNS ?? 1) }, (_, i) => [
            ["collector, SQLite", `sqlite:${join(dir, `t${i}.db`)}`],
            ...(process.env.BENCH_SQLITE_BASE === undefined
              ? []
              : [["base collector, SQLite", `sqlite:${join(dir, `b${i}.db`)}`, process.env.BENCH_SQLITE_BASE]]),
          ]).flat(),
          ...(SKIP_PG ? [] : [["collector, PostgreSQL", pgUrl]]),
        ]),
    // The ClickHouse cluster (bench/lib/clickhouse.mjs), when clickhouse-server is installed;
    // BENCH_CLICKHOUSE_BASE=<other build>/dist/main.js times a base collector on it in the same run.
    ...(chUrl === null ? [] : [["collector, ClickHouse (2 shards)", chUrl]]),
    ...(chUrl === null || process.env.BENCH_CLICKHOUSE_BASE === undefined
      ? []
      : [
          [
            "base collector, ClickHouse (2 shards)",
            chUrl.replace("/bench_ingest?", "/bench_ingest_base?"),
            process.env.BENCH_CLICKHOUSE_BASE,
          ],
        ]),
  ]) {
    port = await freePort();
    child = await spawnReady([
      main,
      "serve",
      "--db",
      db,
      "--port",
      String(port),
      "--project-token",
      TOKEN,
      "--read-token",
      READ,
      "--rate-limit",
      "0",
      // The store's capacity is measured, not the flood guard (120k events a minute by default),
      // which a fast backend reaches within the run and then answers 429.
      "--global-rate-limit",
      "0",
    ]);
    const since = Date.now();
    rows.push(await load(name, port, db, child.pid));
    child.kill();
    await new Promise((r) => child.once("exit", r));
    if (name.includes("ClickHouse")) {
      // Where a group's time went on the shards (their query_log): lookups, inserts, group sizes.
      console.log("ClickHouse queries during the ingest run (warm-up included):");
      console.table(await ingestProfile(chCluster, since));
    }
  }
  rmSync(dir, { recursive: true, force: true });
  // The peer again at the end: the machine's load drifts; the ratios are to the mean of both.
  rows.push(await raw());
  const peer = (rows[0]["req/s"] + rows[rows.length - 1]["req/s"]) / 2;
  console.log(
    `\nIngest, 5-event batches, 50 connections, ${DURATION} s (load average ${load1.toFixed(1)} → ${loadavg()[0].toFixed(1)}; % of the mean of both raw runs):`,
  );
  console.table(rows.map((r) => ({ ...r, "% of raw": Math.round((100 * r["req/s"]) / peer) })));
}

// ---------------------------------------------------------------------------------------------
// Dashboard queries at scale.

async function time(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function queries(name, url) {
  const store = new Store(openDb(url));
  await store.migrate();
  let have = 0;
  const rows = [];
  for (const size of SIZES) {
    const step = 1_000_000;
    let fillMs = 0;
    for (let from = have + 1; from <= size; from += step) {
      const to = Math.min(size, from + step - 1);
      fillMs += await time(() => fill(store, from, to));
      process.stderr.write(`${name}: ${to} events generated\r`);
    }
    have = size;
    // The bulk load bypassed ingest: both rollup sets built from the events, set-based
    // (`Store.rebuild`; the shared set over every day, as the shared view's fold of all days).
    const rollupMs = await time(() => store.rebuild("9999-12-31"));
    const s = [];
    const dd = [];
    for (let i = 0; i < 5; i++) {
      s.push(await time(() => summary(store, 5)));
      dd.push(await time(() => dashboardData(store, 5)));
    }
    // The shared view (rebuilt above with every day).
    const sd = [];
    for (let i = 0; i < 5; i++) sd.push(await time(() => sharedDashboard(store, 5, "9999-12-31")));
    s.sort((a, b) => a - b);
    dd.sort((a, b) => a - b);
    sd.sort((a, b) => a - b);
    const t = await store.totals();
    // Purge: the oldest generated day (days go back 299 days), then the 29 days after it.
    const ago = (n) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    let purgedDay = 0;
    let purgedMonth = 0;
    const purgeDayMs = await time(async () => (purgedDay = await store.purgeEvents(ago(298))));
    const purgeMonthMs = await time(async () => (purgedMonth = await store.purgeEvents(ago(269))));
    const compactMs = await time(() => store.compact());
    const after = [];
    for (let i = 0; i < 5; i++) after.push(await time(() => dashboardData(store, 5)));
    after.sort((a, b) => a - b);
    const row = {
      backend: name,
      events: t.events,
      users: t.users,
      "generate s": +(fillMs / 1000).toFixed(1),
      "rebuild both sets s": +(rollupMs / 1000).toFixed(1),
      "/api/summary median ms": +s[2].toFixed(1),
      "/api/summary max ms": +s[4].toFixed(1),
      "/api/dashboard median ms": +dd[2].toFixed(1),
      "/api/dashboard max ms": +dd[4].toFixed(1),
      "/api/shared/dashboard median ms": +sd[2].toFixed(1),
      "purge 1 day: events": purgedDay,
      "purge 1 day s": +(purgeDayMs / 1000).toFixed(2),
      "purge 29 days: events": purgedMonth,
      "purge 29 days s": +(purgeMonthMs / 1000).toFixed(1),
      "compact s": +(compactMs / 1000).toFixed(1),
      "/api/dashboard after purge median ms": +after[2].toFixed(1),
    };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  await store.close();
  return rows;
}

const pgServer = ONLY_CLICKHOUSE || (SKIP_PG && process.env.BENCH_SKIP_SCALE === "1") ? null : await startPostgres();
const chCluster = process.env.BENCH_SKIP_CLICKHOUSE === "1" ? null : await startClickHouseCluster();
try {
  if (process.env.BENCH_SKIP_INGEST !== "1")
    await ingest(pgServer?.url ?? null, chCluster?.url("bench_ingest") ?? null, chCluster);
  if (!ONLY_CLICKHOUSE) {
    const dir = mkdtempSync(join(tmpdir(), "polar-bench-q-"));
    const rows = [];
    if (process.env.BENCH_SKIP_SQLITE !== "1") rows.push(...(await queries("SQLite", `sqlite:${join(dir, "q.db")}`)));
    // A fresh database for the query benchmark (the ingest run left events in `postgres`).
    const admin = (await import("pg")).default;
    if (!SKIP_PG) {
      const c = new admin.Client({ connectionString: pgServer.url });
      await c.connect();
      await c.query("CREATE DATABASE bench_queries");
      await c.end();
      rows.push(...(await queries("PostgreSQL", pgServer.url.replace(/\/postgres$/, "/bench_queries"))));
    }
    console.log("\nRollups, dashboard queries and purge:");
    console.table(rows);
    rmSync(dir, { recursive: true, force: true });
    if (process.env.BENCH_SKIP_SCALE !== "1") {
      // Issue 12: events loaded through the store's insert code, then fold throughput, rebuild,
      // reads (p50/p95, trends too) and purge on both backends (bench/collector-scale.mjs).
      const { scaleBoth } = await import("./collector-scale.mjs");
      const c2 = new admin.Client({ connectionString: pgServer.url });
      await c2.connect();
      await c2.query("CREATE DATABASE bench_scale");
      await c2.end();
      const scaleSizes = (process.env.BENCH_SCALE_SIZES ?? "20000").split(",").map(Number);
      await scaleBoth(pgServer.url.replace(/\/postgres$/, "/bench_scale"), scaleSizes);
    }
  }
  if (chCluster !== null) {
    // Figures computed from the events at read time: no rollup step, a different table.
    const sizes = (process.env.BENCH_CLICKHOUSE_SIZES ?? SIZES.join(",")).split(",").map(Number);
    console.log("\nClickHouse cluster, dashboard queries:");
    console.table(await clickhouseQueries(chCluster, sizes));
  }
} finally {
  pgServer?.stop();
  chCluster?.stop();
}
