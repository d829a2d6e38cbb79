// The ClickHouse cluster part of bench/collector.mjs: a throw-away two-shard cluster (two
// clickhouse-server processes under a temporary folder), and the dashboard query times at the
// given sizes, events generated in SQL through the Distributed table (so each user's events land
// on its shard, with their cells computed as at ingest).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClickHouseStore, dashboardData, summary } from "../../packages/collector/dist/index.js";

const SERVER = existsSync("/usr/sbin/clickhouse-server") ? "/usr/sbin/clickhouse-server" : "clickhouse-server";

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

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
    for (const d of ["data", "tmp", "log"]) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(
      join(dir, "users.xml"),
      `<yandex><profiles><default><max_memory_usage>6000000000</max_memory_usage></default></profiles>
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

/** `n` generated events (rows `from`…`from+n-1`): 50k users, mixed codes and environments, 300 days. */
function generate(from, n) {
  const x = `(number + ${from})`;
  const h = (salt) => `cityHash64(${x}, ${salt})`;
  return `INSERT INTO events (day, distinct_id, workspace_folder, insert_id, diagnostic_count, error_count,
load_success_count, load_failure_count, parseerror_unrecognizedeof_count, validationerror_invalidrule_count,
polar_chars, polar_files, rule_types, resource_blocks, lsp_method_textdocument_didchange_count,
lsp_file_extensions, os, nodearch, extversion, vscodeversion, product, uikind, remotename, schema_version)
SELECT today() - ${h(1)} % 300, lower(hex(SHA256(toString(${x} % 50000)))), lower(hex(SHA256(toString(${x} % 120000)))),
lower(hex(MD5(toString(${x})))), e1 + e2, e1 + e2, if(e1 + e2 = 0, 1, 0), if(e1 + e2 > 0, 1, 0), e1, e2,
${h(2)} % 100000, ${h(3)} % 12, ${h(4)} % 2, ${h(5)} % 4, 1, 'polar',
['linux', 'darwin', 'win32'][${h(6)} % 3 + 1], ['x64', 'arm64'][${h(7)} % 2 + 1],
['0.27.3', '0.27.2', '0.26.0'][${h(8)} % 3 + 1], concat('1.', toString(80 + ${h(9)} % 20), '.0'),
'desktop', 'desktop', 'none', 1
FROM (SELECT number, toUInt32(cityHash64(number, ${from}, 10) % 4) AS e1, toUInt32(cityHash64(number, ${from}, 11) % 3) AS e2 FROM system.numbers LIMIT ${n})`;
}

async function time(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Dashboard query times on the cluster at each size (events loaded in bulk, 1M per insert). */
export async function clickhouseQueries(cluster, sizes) {
  const db = "bench_queries";
  const store = new ClickHouseStore(cluster.url(db));
  await store.migrate();
  const rows = [];
  let have = 0;
  for (const size of sizes) {
    let loadMs = 0;
    for (let from = have; from < size; from += 1_000_000) {
      const n = Math.min(1_000_000, size - from);
      loadMs += await time(() => sql(cluster.entry, db, generate(from, n)));
      process.stderr.write(`ClickHouse: ${from + n} events loaded\r`);
    }
    have = size;
    const first = await time(() => dashboardData(store, 5));
    const s = [];
    const dd = [];
    for (let i = 0; i < 3; i++) {
      s.push(await time(() => summary(store, 5)));
      dd.push(await time(() => dashboardData(store, 5)));
    }
    s.sort((a, b) => a - b);
    dd.sort((a, b) => a - b);
    const t = await store.live().totals();
    const row = {
      backend: "ClickHouse, 2 shards",
      events: t.events,
      users: t.users,
      "load s": +(loadMs / 1000).toFixed(1),
      "first /api/dashboard ms (computes the figures)": +first.toFixed(0),
      "/api/summary median ms (cached figures)": +s[1].toFixed(1),
      "/api/dashboard median ms (cached figures)": +dd[1].toFixed(1),
    };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  await store.close();
  return rows;
}
