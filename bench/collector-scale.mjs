// Collector at scale (issue 12): the rollup fold, a rebuild of both rollup sets, purge and the
// dashboard reads, on SQLite and PostgreSQL in one run (ratios PostgreSQL / SQLite printed).
//
// For each backend and size: N generated events are loaded through the store's own insert code
// (`Store.insertBatch`: group commit into the inbox, then materialised into events and both
// queues; no HTTP), then timed:
// - the fold of everything ingest queued, as the background job does it (20k-event steps), live
//   set then shared set: events/s is what ingest may sustain without the fold falling behind;
// - a rebuild from scratch of both sets by the fold (`rebuildRollups` + 500k-event steps), then
//   by the set-based rebuild (`Store.rebuild`, `src/db/rebuild.ts`), which gives the same rollups;
// - /api/summary, /api/dashboard and /api/trends (day grain, split by version): p50 / p95;
// - the purge of the oldest day, then of the 29 days after it (30 in all), and the compaction.
//
// node bench/collector-scale.mjs [--events 20000,1000000] [--reads 20] [--skip-rebuild]
// (--skip-rebuild skips the fold's rebuild only)
// Also called from bench/collector.mjs (its "at scale" part).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CODE_PROPERTIES, DIAGNOSTIC_CODES, validateBatch } from "../packages/telemetry/dist/index.js";
import { openDb, Store, summary, dashboardData } from "../packages/collector/dist/index.js";
import { operatorTrends } from "../packages/collector/dist/read/trends.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const example = JSON.parse(readFileSync(join(ROOT, "examples/telemetry/diagnostic_load.json"), "utf8"));
const DAY_MS = 86_400_000;
const ago = (n) => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10);

/** Generated event number x (x ≥ 1): 20k users, 60k folders, 300 days, codes of varied rarity. */
export function generated(base, x) {
  const p = { ...base };
  p.distinct_id = ((x * 7919) % 20000).toString(16).padStart(64, "0");
  p.workspace_folder = (1_000_000 + ((x * 104729) % 60000)).toString(16).padStart(64, "0");
  p.$insert_id = x.toString(16).padStart(32, "0");
  let errors = 0;
  let warnings = 0;
  DIAGNOSTIC_CODES.forEach((code, i) => {
    const n = (x * (i + 7)) % (11 + i * 5) === 0 ? 1 + (x % (1 + (i % 4))) : 0;
    p[CODE_PROPERTIES.get(code)] = n;
    if (code.startsWith("ValidationWarning::")) warnings += n;
    else errors += n;
  });
  p.unknown_diagnostic_count = 0;
  p.error_count = errors;
  p.warning_count = warnings;
  p.diagnostic_count = errors + warnings;
  p.load_failure_count = errors > 0 ? 1 : 0;
  p.load_success_count = errors > 0 ? 0 : 1;
  p.LSP_file_extensions = x % 10 === 0 ? ["pol", "polar"] : ["polar"];
  p.os = ["linux", "darwin", "win32"][x % 3];
  p.vscodeversion = ["1.100.3", "1.99.1", "1.98.0", "1.101.0"][x % 4];
  p.extversion = x % 2 === 0 ? "0.27.3" : "0.28.0";
  p.isnewappinstall = x % 50 === 0;
  p.polar_chars = (x * 31) % 50000;
  return { event: "diagnostic_load", properties: p };
}

/** One validated event: the template the generated ones vary (so they pass the same checks). */
export function template() {
  const r = validateBatch([example]);
  if (!r.ok) throw new Error(r.message);
  return r.events[0].properties;
}

async function time(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Loads events `from`..`to` through `Store.insertBatch`, 500-event batches, 8 in flight. */
export async function load(store, from, to) {
  const base = template();
  const batch = 500;
  let next = from;
  async function worker() {
    while (next <= to) {
      const start = next;
      const end = Math.min(to, start + batch - 1);
      next = end + 1;
      // One arrival day per batch (days go back 299 days, like the events' numbers).
      const byDay = new Map();
      for (let x = start; x <= end; x++) {
        const day = ago(x % 300);
        if (!byDay.has(day)) byDay.set(day, []);
        byDay.get(day).push(generated(base, x));
      }
      for (const [day, events] of byDay) await store.insertBatch(day, events);
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
}

function percentiles(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { p50: +at(0.5).toFixed(1), p95: +at(0.95).toFixed(1) };
}

async function reads(store, n) {
  const today = ago(0);
  const out = {};
  for (const [name, fn] of [
    ["summary", () => summary(store, 5)],
    ["dashboard", () => dashboardData(store, 5)],
    ["trends", () => operatorTrends(store, 5, today, { grain: "day", code: null, split: "version" })],
  ]) {
    const ms = [];
    for (let i = 0; i < n; i++) ms.push(await time(fn));
    const { p50, p95 } = percentiles(ms);
    out[`${name} p50 ms`] = p50;
    out[`${name} p95 ms`] = p95;
  }
  return out;
}

/** Every figure of one backend at each size (sizes ascending; the database grows between them). */
export async function scale(name, url, sizes, options = {}) {
  const nReads = options.reads ?? 20;
  const store = new Store(openDb(url));
  await store.migrate();
  const rows = [];
  let have = 0;
  try {
    for (const size of sizes) {
      // Loaded = in `events`: the inbox (`inbox.ts`) materialised too, so no figure counts a burst.
      const loadMs = await time(async () => {
        await load(store, have + 1, size);
        await store.materialiseInbox();
      });
      const added = size - have;
      have = size;
      // What ingest queued, folded the way the background job does (20k-event steps).
      let live = 0;
      const liveMs = await time(async () => (live = await store.refresh(20_000)));
      let shared = 0;
      const sharedMs = await time(async () => (shared = await store.refreshShared("9999-12-31", 20_000)));
      const row = {
        backend: name,
        events: (await store.totals()).events,
        "load events/s": Math.round((added * 1000) / loadMs),
        "fold live events/s": Math.round((live * 1000) / liveMs),
        "fold shared events/s": Math.round((shared * 1000) / sharedMs),
      };
      if (!options.skipRebuild) {
        const rebuildMs = await time(async () => {
          await store.rebuildRollups();
          await store.refresh(500_000);
          await store.refreshShared("9999-12-31", 500_000);
        });
        row["rebuild both sets s"] = +(rebuildMs / 1000).toFixed(1);
      }
      const setBasedMs = await time(() => store.rebuild("9999-12-31"));
      row["set-based rebuild both sets s"] = +(setBasedMs / 1000).toFixed(1);
      Object.assign(row, await reads(store, nReads));
      let day = 0;
      let month = 0;
      row["purge 1 day s"] = +((await time(async () => (day = await store.purgeEvents(ago(298))))) / 1000).toFixed(2);
      row["purge 1 day events"] = day;
      row["purge +29 days s"] = +((await time(async () => (month = await store.purgeEvents(ago(269))))) / 1000).toFixed(
        1,
      );
      row["purge +29 days events"] = month;
      row["compact s"] = +((await time(() => store.compact())) / 1000).toFixed(1);
      const after = await reads(store, Math.max(5, Math.floor(nReads / 4)));
      row["dashboard after purge p50 ms"] = after["dashboard p50 ms"];
      have -= day + month;
      console.log(JSON.stringify(row));
      rows.push(row);
    }
  } finally {
    await store.close();
  }
  return rows;
}

/** Both backends, then the PostgreSQL / SQLite ratio of every figure. */
export async function scaleBoth(pgUrl, sizes, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), "polar-bench-scale-"));
  try {
    const sqlite = await scale("SQLite", `sqlite:${join(dir, "scale.db")}`, sizes, options);
    const pg = await scale("PostgreSQL", pgUrl, sizes, options);
    console.log("\nCollector at scale (rollup fold, rebuild, reads, purge):");
    console.table([...sqlite, ...pg]);
    const ratios = sqlite.map((s, i) => {
      const p = pg[i];
      const r = { events: s.events };
      for (const k of Object.keys(s)) {
        if (typeof s[k] === "number" && k !== "events" && !k.endsWith("events") && s[k] > 0)
          r[`${k} PG/SQLite`] = +(p[k] / s[k]).toFixed(2);
      }
      return r;
    });
    console.log("PostgreSQL / SQLite, same run:");
    console.table(ratios);
    return { sqlite, pg, ratios };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (n) => {
    const i = process.argv.indexOf(`--${n}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const sizes = (flag("events") ?? "20000").split(",").map(Number);
  const { startPostgres } = await import("./lib/postgres.mjs");
  const pg = await startPostgres();
  try {
    await scaleBoth(pg.url, sizes, {
      reads: Number(flag("reads") ?? 20),
      skipRebuild: process.argv.includes("--skip-rebuild"),
    });
  } finally {
    pg.stop();
  }
}
