// The ClickHouse cluster part of bench/collector.mjs: a throw-away two-shard cluster (two
// clickhouse-server processes under a temporary folder, with the shipped config.d drop-in
// packages/collector/clickhouse/polar.xml), and the dashboard, trends and purge times at the given
// sizes, events generated in SQL on each shard (one statement per shard and 30 days: each shard
// keeps the users cityHash64(distinct_id) sends it, as the Distributed table would). Their cells
// are built by a cheap expression for the generator's shape, checked on a sample against the
// migration 1's DEFAULT (which costs ~200 µs per row on 18.16: 10M events would take hours).
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { freePort } from "@polar-ide/testing";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@clickhouse/client";
import { ClickHouseStore, dashboardData, summary } from "../../packages/collector/dist/index.js";
import { buildGeneration } from "../../packages/collector/dist/db/clickhouse/rollup.js";
import { operatorTrends } from "../../packages/collector/dist/read/trends.js";
import { sharedDashboard } from "../../packages/collector/dist/read/views.js";
import {
  CLICKHOUSE_MIGRATIONS,
  M002_INTEGERS,
  M002_TEXTS,
} from "../../packages/collector/dist/db/clickhouse/migrations.js";
import { SHARDING_KEY } from "../../packages/collector/dist/db/clickhouse/shard.js";

const SHIPPED_CONFIG = fileURLToPath(new URL("../../packages/collector/clickhouse/polar.xml", import.meta.url));

const SERVER = existsSync("/usr/sbin/clickhouse-server") ? "/usr/sbin/clickhouse-server" : "clickhouse-server";

/** Starts the cluster; resolves with `{ url(db), stop() }`, or null when ClickHouse is missing. */
export async function startClickHouseCluster(shards = 2) {
  if (spawnSync(SERVER, ["--help"]).error !== undefined) return null;
  const root = mkdtempSync(join(tmpdir(), "polar-bench-ch-"));
  const http = [];
  const tcp = [];
  for (let i = 0; i < shards; i++) {
    http.push(await freePort());
    tcp.push(await freePort());
  }
  const remote = tcp.map((p) => `<shard><replica><host>127.0.0.1</host><port>${p}</port></replica></shard>`).join("");
  const children = [];
  for (let i = 0; i < shards; i++) {
    const dir = join(root, `shard${i + 1}`);
    for (const d of ["data", "tmp", "log", "config.d"]) mkdirSync(join(dir, d), { recursive: true });
    copyFileSync(SHIPPED_CONFIG, join(dir, "config.d", "polar.xml"));
    writeFileSync(
      join(dir, "users.xml"),
      // log_queries: the benchmark's own cluster logs its queries, so that ingestProfile() can say
      // where a group's time goes (the shipped settings leave it off: see polar.xml).
      `<yandex><profiles><default><max_memory_usage>6000000000</max_memory_usage><log_queries>1</log_queries></default></profiles>
<users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
<quotas><default></default></quotas></yandex>`,
    );
    writeFileSync(
      join(dir, "config.xml"),
      `<yandex><logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/err.log</errorlog></logger>
<http_port>${http[i]}</http_port><tcp_port>${tcp[i]}</tcp_port><listen_host>127.0.0.1</listen_host>
<path>${dir}/data/</path><tmp_path>${dir}/tmp/</tmp_path><users_config>${dir}/users.xml</users_config>
<mark_cache_size>268435456</mark_cache_size><default_profile>default</default_profile><default_database>default</default_database>
<remote_servers><polar>${remote}</polar></remote_servers></yandex>`,
    );
    children.push(spawn(SERVER, [`--config-file=${join(dir, "config.xml")}`], { stdio: "ignore", cwd: dir }));
  }
  for (const port of http) {
    for (let i = 0; i < 300; i++) {
      const ok = await globalThis.fetch(`http://127.0.0.1:${port}/ping`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const list = http.map((p) => `127.0.0.1:${p}`).join(",");
  return {
    url: (db) => `clickhouse://127.0.0.1:${http[0]}/${db}?shards=${list}`,
    entry: `http://127.0.0.1:${http[0]}`,
    shards: http.map((p) => `http://127.0.0.1:${p}`),
    stop() {
      for (const c of children) c.kill("SIGKILL");
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function sql(entry, db, query) {
  const r = await globalThis.fetch(`${entry}/?database=${db}&insert_distributed_sync=1&max_execution_time=3600`, {
    method: "POST",
    body: query,
  });
  if (!r.ok) throw new Error(await r.text());
  return r.text();
}

/**
 * The generated events' columns (rows `from`…`from+n-1`): 50k users, 120k folders, mixed codes and
 * environments, spread evenly over the 30 days `first`…`first+29` days before today (10
 * statements cover 300 days).
 */
function generatedColumns(from, n, first) {
  const x = `(number + ${from})`;
  const h = (salt) => `cityHash64(${x}, ${salt})`;
  return `SELECT today() - ${first} - ${h(1)} % 30 AS day, lower(hex(SHA256(toString(${x} % 50000)))) AS distinct_id,
lower(hex(SHA256(toString(${x} % 120000)))) AS workspace_folder, lower(hex(MD5(toString(${x})))) AS insert_id,
e1 + e2 AS diagnostic_count, e1 + e2 AS error_count, if(e1 + e2 = 0, 1, 0) AS load_success_count,
if(e1 + e2 > 0, 1, 0) AS load_failure_count, e1 AS parseerror_unrecognizedeof_count, e2 AS validationerror_invalidrule_count,
toUInt32(${h(2)} % 100000) AS polar_chars, toUInt32(${h(3)} % 12) AS polar_files, toUInt32(${h(4)} % 2) AS rule_types,
toUInt32(${h(5)} % 4) AS resource_blocks, toUInt32(1) AS lsp_method_textdocument_didchange_count, 'polar' AS lsp_file_extensions,
['linux', 'darwin', 'win32'][${h(6)} % 3 + 1] AS os, ['x64', 'arm64'][${h(7)} % 2 + 1] AS nodearch,
['0.27.3', '0.27.2', '0.26.0'][${h(8)} % 3 + 1] AS extversion, concat('1.', toString(80 + ${h(9)} % 20), '.0') AS vscodeversion,
'desktop' AS product, 'desktop' AS uikind, 'none' AS remotename, toUInt32(1) AS schema_version
FROM (SELECT number, toUInt32(cityHash64(number, ${from}, 10) % 4) AS e1, toUInt32(cityHash64(number, ${from}, 11) % 3) AS e2 FROM system.numbers LIMIT ${n})`;
}

const GENERATED = [
  "day",
  "distinct_id",
  "workspace_folder",
  "insert_id",
  "diagnostic_count",
  "error_count",
  "load_success_count",
  "load_failure_count",
  "parseerror_unrecognizedeof_count",
  "validationerror_invalidrule_count",
  "polar_chars",
  "polar_files",
  "rule_types",
  "resource_blocks",
  "lsp_method_textdocument_didchange_count",
  "lsp_file_extensions",
  "os",
  "nodearch",
  "extversion",
  "vscodeversion",
  "product",
  "uikind",
  "remotename",
  "schema_version",
];

/**
 * The cells of a generated event (what migration 1's DEFAULT computes, in its order), for the
 * columns the generator sets (the others are 0 or '', so their cells are off, like
 * `invalid_rule_type`, on only with a ValidationError::InvalidRuleType): [condition or null, dim, key, value].
 */
const GENERATED_CELLS = [
  [null, "'all'", "''", "1"],
  [
    "parseerror_unrecognizedeof_count > 0",
    "'code'",
    "'ParseError::UnrecognizedEOF'",
    "parseerror_unrecognizedeof_count",
  ],
  [
    "validationerror_invalidrule_count > 0",
    "'code'",
    "'ValidationError::InvalidRule'",
    "validationerror_invalidrule_count",
  ],
  ["load_success_count > 0", "'load'", "'success'", "load_success_count"],
  ["load_failure_count > 0", "'load'", "'failure'", "load_failure_count"],
  ["error_count > 0", "'severity'", "'error'", "error_count"],
  ["resource_blocks > 0", "'feature'", "'resource_blocks'", "1"],
  ["rule_types > 0", "'feature'", "'rule_types'", "1"],
  [
    null,
    "'polar_chars'",
    "multiIf(polar_chars = 0, '0', polar_chars < 1000, '1–999', polar_chars < 10000, '1k–9.9k', polar_chars < 100000, '10k–99k', '100k+')",
    "1",
  ],
  [
    null,
    "'polar_files'",
    "multiIf(polar_files = 0, '0', polar_files = 1, '1', polar_files = 2, '2', polar_files <= 5, '3–5', polar_files <= 10, '6–10', '11+')",
    "1",
  ],
  [null, "'env:os'", "os", "1"],
  [null, "'env:nodeArch'", "nodearch", "1"],
  [null, "'env:product'", "product", "1"],
  [null, "'env:uikind'", "uikind", "1"],
  [null, "'env:remotename'", "remotename", "1"],
  [null, "'env:extversion'", "extversion", "1"],
  [null, "'env:vscodeversion'", "vscodeversion", "1"],
  [null, "'env:isnewappinstall'", "'false'", "1"],
  [null, "'lsp_method'", "'textDocument/didChange'", "1"],
  [null, "'lsp_extension'", "'polar'", "1"],
];

function cellsExpression() {
  const column = (i, empty, wrap) =>
    `arrayConcat(${GENERATED_CELLS.map((c) => (c[0] === null ? `[${wrap(c[i])}]` : `if(${c[0]}, [${wrap(c[i])}], ${empty})`)).join(", ")})`;
  return [
    `${column(1, "emptyArrayString()", (v) => `toString(${v})`)} AS cell_dim`,
    `${column(2, "emptyArrayString()", (v) => `toString(${v})`)} AS cell_key`,
    `${column(3, "emptyArrayInt64()", (v) => `toInt64(${v})`)} AS cell_value`,
  ].join(", ");
}

/**
 * Inserts generated events into shard `shard`'s events_local (migration 2's row: the other
 * properties 0 or ''), cells built by `cellsExpression`.
 */
function generate(from, n, first, shard, shards) {
  const set = new Set(GENERATED);
  const ints = M002_INTEGERS.map((c) => (set.has(c) ? `toUInt32(${c})` : "toUInt32(0)"));
  const texts = M002_TEXTS.map((c) => (set.has(c) ? c : "''"));
  return `INSERT INTO events_local (day, insert_id, distinct_id, workspace_folder, extversion, cell_dim, cell_key, cell_value, props_int, props_text)
SELECT day, insert_id, distinct_id, workspace_folder, extversion, ${cellsExpression()}, [${ints.join(", ")}], [${texts.join(", ")}]
FROM (${generatedColumns(from, n, first)}) WHERE ${SHARDING_KEY} % ${shards} = ${shard}`;
}

async function time(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Checks on 3 000 generated events that `cellsExpression` gives what migration 1's DEFAULT gives. */
async function checkCells(cluster, db) {
  const shard = cluster.shards[0];
  await sql(shard, db, CLICKHOUSE_MIGRATIONS[0].up[0].replace("IF NOT EXISTS events_local", "cells_check"));
  await sql(shard, db, `INSERT INTO cells_check (${GENERATED.join(", ")}) ${generatedColumns(0, 3000, 0)}`);
  const listed = (q) => `SELECT insert_id, cell_dim, cell_key, cell_value FROM (${q}) ORDER BY insert_id FORMAT TSV`;
  const expected = await sql(shard, db, listed("SELECT * FROM cells_check"));
  const got = await sql(
    shard,
    db,
    listed(`SELECT insert_id, ${cellsExpression()} FROM (${generatedColumns(0, 3000, 0)})`),
  );
  await sql(shard, db, "DROP TABLE cells_check");
  const a = expected.split("\n");
  const b = got.split("\n");
  const i = a.findIndex((line, k) => line !== b[k]);
  if (i >= 0 || a.length < 3000) {
    throw new Error(
      `bench/lib/clickhouse.mjs: the generated cells differ from the events_local DEFAULT:\n${a[i]}\n${b[i]}`,
    );
  }
}

/**
 * Loads `add` generated events after the `have` loaded already: ten statements per shard, each
 * 30 days (an insert makes one part per day partition).
 */
export async function loadGenerated(cluster, db, have, add) {
  for (let k = 0; k < 10; k++) {
    const n = Math.floor(add / 10) + (k < add % 10 ? 1 : 0);
    const from = have + k * Math.ceil(add / 10);
    await Promise.all(cluster.shards.map((s, i) => sql(s, db, generate(from, n, k * 30, i, cluster.shards.length))));
    process.stderr.write(`ClickHouse: ${have + Math.min(add, (k + 1) * Math.ceil(add / 10))} events loaded\r`);
  }
}

/**
 * Dashboard, summary and trends times on the cluster at each size (events loaded in bulk on each
 * shard), then the purge of the oldest day (DROP PARTITION, then the compaction and the wait for
 * the files).
 */
export async function clickhouseQueries(cluster, sizes) {
  const db = "bench_queries";
  const store = new ClickHouseStore(cluster.url(db));
  await store.migrate();
  await checkCells(cluster, db);
  const rows = [];
  let have = 0;
  const today = new Date().toISOString().slice(0, 10);
  const dayBefore = (n) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
  for (const size of sizes) {
    const add = size - have;
    const loadMs = await time(() => loadGenerated(cluster, db, have, add));
    have = size;
    // Trends read the events: at 10M and more they take minutes (BENCH_CLICKHOUSE_TRENDS=1 runs
    // them anyway, =0 skips them, and the events-only dashboard, at every size).
    const trends =
      process.env.BENCH_CLICKHOUSE_TRENDS !== "0" && (size <= 1_000_000 || process.env.BENCH_CLICKHOUSE_TRENDS === "1");
    // Same run, the events alone (no valid generation yet: the new events changed the
    // partitions), as before the roll-up: only where it takes less than minutes.
    const eventsOnlyMs = trends ? await time(() => dashboardData(store, 5)) : NaN;
    // The roll-up of the complete days: from the events up to the day before yesterday (as a
    // first build), then yesterday added to it (as the server's background refresh and the first
    // shared read after midnight do each day), then the shared dashboard from it.
    const builders = cluster.shards.map((url) => createClient({ url, database: db, request_timeout: 3_600_000 }));
    const fullMs = await time(() => buildGeneration(builders, dayBefore(2)));
    const incrementalMs = await time(() => buildGeneration(builders, dayBefore(1)));
    await Promise.all(builders.map((b) => b.close()));
    const rollMs = await time(() => store.refreshShared(today));
    const sharedMs = await time(() => sharedDashboard(store, 5, today));
    // The live set: the rolled days merged with today's events.
    const first = await time(() => dashboardData(store, 5));
    const s = [];
    const dd = [];
    for (let i = 0; i < 3; i++) {
      s.push(await time(() => summary(store, 5)));
      dd.push(await time(() => dashboardData(store, 5)));
    }
    s.sort((a, b) => a - b);
    dd.sort((a, b) => a - b);
    // A batch arrives (5 rows of today's copied under new ids on the first shard): the live set
    // changed, so the next read computes it again (summary, then dashboard: the suppression's lookups).
    const afterInsert = [];
    for (let i = 0; i < 3; i++) {
      await sql(
        cluster.shards[0],
        db,
        `INSERT INTO events_local SELECT day, concat('${size}-${i}-', insert_id), distinct_id, workspace_folder, extversion, cell_dim, cell_key, cell_value, props_int, props_text FROM events_local WHERE day = today() LIMIT 5`,
      );
      afterInsert.push(await time(() => dashboardData(store, 5)));
    }
    afterInsert.sort((a, b) => a - b);
    const trendsMs = trends
      ? await time(() => operatorTrends(store, 5, today, { grain: "week", code: null, split: null }))
      : NaN;
    const codeTrendsMs = trends
      ? await time(() =>
          operatorTrends(store, 5, today, { grain: "day", code: "ParseError::UnrecognizedEOF", split: "version" }),
        )
      : NaN;
    const t = await store.live().totals();
    // BENCH_CLICKHOUSE_BASE=<other build>/dist/main.js: that build's reads of the same events,
    // measured after this build's (the servers' caches are then warm for it, not for this one).
    let baseRow = {};
    if (process.env.BENCH_CLICKHOUSE_BASE !== undefined) {
      const dist = process.env.BENCH_CLICKHOUSE_BASE.replace(/main\.js$/, "");
      const base = await import(`${dist}index.js`);
      const baseTrends = (await import(`${dist}read/trends.js`)).operatorTrends;
      const baseStore = new base.ClickHouseStore(cluster.url(db));
      await baseStore.refreshShared(today);
      const baseFirst = await time(() => base.dashboardData(baseStore, 5));
      const baseWeekly = await time(() => baseTrends(baseStore, 5, today, { grain: "week", code: null, split: null }));
      const same =
        JSON.stringify(await base.dashboardData(baseStore, 5)) === JSON.stringify(await dashboardData(store, 5));
      await baseStore.close();
      baseRow = {
        "base: first /api/dashboard ms": +baseFirst.toFixed(0),
        "base: /api/trends weekly ms": +baseWeekly.toFixed(0),
        "same dashboard": same,
      };
    }
    const row = {
      backend: "ClickHouse, 2 shards",
      events: t.events,
      users: t.users,
      "load s": +(loadMs / 1000).toFixed(1),
      "roll-up from the events (all days but yesterday) s": +(fullMs / 1000).toFixed(1),
      "roll-up adding yesterday s": +(incrementalMs / 1000).toFixed(1),
      "then the shared figures s": +(rollMs / 1000).toFixed(1),
      "/api/shared/dashboard ms": +sharedMs.toFixed(0),
      "first /api/dashboard ms (live: rolled days + today)": +first.toFixed(0),
      "/api/dashboard after a batch, median ms": +afterInsert[1].toFixed(0),
      "same run, events only: first /api/dashboard ms": +eventsOnlyMs.toFixed(0),
      "/api/summary median ms (cached figures)": +s[1].toFixed(1),
      "/api/dashboard median ms (cached figures)": +dd[1].toFixed(1),
      "/api/trends weekly ms": +trendsMs.toFixed(0),
      "/api/trends daily, one code, by version ms": +codeTrendsMs.toFixed(0),
      ...baseRow,
      load: (await import("node:os"))
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(" "),
    };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  // The daily purge: the oldest day, then (as after a longer outage) the next 29. The compaction
  // first, on its own (the purge runs it too, then with nothing left to merge): it waits for the
  // replaced parts' files, old_parts_lifetime (60 s) after the merge, whatever the events.
  const compactMs = await time(() => store.compact());
  const purgeMs = await time(() => store.purge(dayBefore(298)));
  const purge29Ms = await time(() => store.purge(dayBefore(269)));
  // The purge left the generation minus the purged days: nothing to roll up again.
  const rollAfterMs = await time(() => store.refreshShared(today));
  const after = await time(() => dashboardData(store, 5));
  const purgeRow = {
    backend: "ClickHouse, 2 shards",
    events: have,
    "compaction before the purge s": +(compactMs / 1000).toFixed(1),
    "purge oldest day s": +(purgeMs / 1000).toFixed(2),
    "purge next 29 days s": +(purge29Ms / 1000).toFixed(2),
    "then the roll-up (none left to do) + shared figures s": +(rollAfterMs / 1000).toFixed(1),
    "then /api/dashboard ms": +after.toFixed(0),
  };
  console.log(JSON.stringify(purgeRow));
  rows.push(purgeRow);
  await store.close();
  return rows;
}

/**
 * Where the ingest's time went on the cluster, from each shard's `system.query_log` (the bench
 * cluster logs queries): per kind of query run since `since` (ms; the collector's: the `$insert_id`
 * lookup, the insert a shard was sent, and the inserts forwarded by a Distributed table), how many
 * ran, their mean and p95 duration and their mean rows.
 */
export async function ingestProfile(cluster, since) {
  const out = [];
  for (const [i, shard] of cluster.shards.entries()) {
    await sql(shard, "system", "SYSTEM FLUSH LOGS");
    const text = await sql(
      shard,
      "system",
      `SELECT multiIf(NOT is_initial_query AND query LIKE 'INSERT%', 'insert forwarded by Distributed',
query LIKE 'INSERT%', 'insert', query LIKE 'SELECT%insert_id IN%', 'insert_id lookup', 'other') AS kind,
count() AS queries, round(avg(query_duration_ms), 1) AS mean_ms, quantile(0.95)(query_duration_ms) AS p95_ms,
round(avg(written_rows + read_rows), 1) AS mean_rows, round(avg(written_rows), 1) AS mean_written
FROM system.query_log WHERE type = 2 AND event_time >= toDateTime(${Math.floor(since / 1000)})
GROUP BY kind ORDER BY kind FORMAT JSONEachRow`,
    );
    for (const line of text.split("\n").filter(Boolean)) out.push({ shard: i + 1, ...JSON.parse(line) });
  }
  return out;
}
