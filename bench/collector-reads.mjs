// Dashboard reads at scale (issue 12): every read of both views — /api/summary, /api/dashboard,
// /api/trends (day and week grain; all versions, split by version, a chosen code) — p50 / p95
// over --reads runs, on a database of N generated events (rows generated in SQL, both rollup
// sets built by the set-based rebuild, `Store.rebuild`).
//
// node bench/collector-reads.mjs --db sqlite:/tmp/x.db|postgres://… [--events 1000000] [--reads 10]
//   [--only trends] [--skip-fill]
// --skip-fill reuses a database an earlier run filled (generation and rebuild take minutes at 1M).
// Run it under `node --cpu-prof` to see where a read's time goes.
import { performance } from "node:perf_hooks";
import { loadavg } from "node:os";
import { openDb, Store, summary, dashboardData, sharedDashboard } from "../packages/collector/dist/index.js";
import { operatorTrends, sharedTrends } from "../packages/collector/dist/read/trends.js";
import { fill } from "./lib/generated-rows.mjs";

const flag = (n) => {
  const i = process.argv.indexOf(`--${n}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const url = flag("db");
if (url === undefined) throw new Error("--db sqlite:<file> or --db postgres://…");
const events = Number(flag("events") ?? 1_000_000);
const n = Number(flag("reads") ?? 10);
const only = flag("only");
const K = 5;

const store = new Store(openDb(url));
await store.migrate();
const today = new Date().toISOString().slice(0, 10);
const load = () => loadavg()[0].toFixed(1);

async function time(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

if (!process.argv.includes("--skip-fill")) {
  const fillMs = await time(async () => {
    for (let from = 1; from <= events; from += 1_000_000) await fill(store, from, Math.min(events, from + 999_999));
  });
  console.log(`generated ${events} events in ${(fillMs / 1000).toFixed(1)} s (load ${load()})`);
  const rebuildMs = await time(() => store.rebuild(today));
  console.log(`set-based rebuild of both sets: ${(rebuildMs / 1000).toFixed(1)} s (load ${load()})`);
}

// The most frequent code of the generated rows (i = 0: one event in 11).
const [code] = await store.db.all("SELECT key FROM rollup_key WHERE dim = 'code' ORDER BY users DESC, key LIMIT 1");
const chosen = code === undefined ? null : String(code.key);
const reads = [
  ["summary", () => summary(store, K)],
  ["dashboard", () => dashboardData(store, K)],
  ["shared dashboard", () => sharedDashboard(store, K, today)],
];
for (const grain of ["week", "day"]) {
  for (const [what, query] of [
    ["", { grain, code: null, split: null }],
    [" split", { grain, code: null, split: "version" }],
    [" code", { grain, code: chosen, split: null }],
    [" code split", { grain, code: chosen, split: "version" }],
  ]) {
    reads.push([`trends ${grain}${what}`, () => operatorTrends(store, K, today, query)]);
    reads.push([`shared trends ${grain}${what}`, () => sharedTrends(store, K, today, query)]);
  }
}
const rows = [];
for (const [name, fn] of reads) {
  if (only !== undefined && !name.includes(only)) continue;
  await fn(); // warm-up, untimed: a serving collector has read the tables and compiled the code
  const ms = [];
  for (let i = 0; i < n; i++) ms.push(await time(fn));
  ms.sort((a, b) => a - b);
  const at = (p) => ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)];
  rows.push({ read: name, "p50 ms": +at(0.5).toFixed(1), "p95 ms": +at(0.95).toFixed(1), load: load() });
}
console.log(`${(await store.totals()).events} events, k = ${K}, code ${chosen}`);
console.table(rows);
await store.close();
