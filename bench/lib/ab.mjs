/**
 * What the ClickHouse A/B benchmarks (`bench/clickhouse-ab.mjs`, `bench/clickhouse-delta.mjs`) share:
 * loading a build of the collector, timing, medians, the load average, days, and one statement
 * sent to a shard over HTTP.
 */
import os from "node:os";
import { isAbsolute, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const BENCH = fileURLToPath(new URL("..", import.meta.url));

/**
 * The modules of one collector build the benches read with: `dir` is its `dist/` folder,
 * absolute or relative to `bench/`.
 */
export async function importBuild(dir) {
  const root = isAbsolute(dir) ? dir : join(BENCH, dir);
  const mod = (p) => import(pathToFileURL(join(root, p)).href);
  return {
    idx: await mod("index.js"),
    roll: await mod("db/clickhouse/rollup.js"),
    trends: (await mod("read/trends.js")).operatorTrends,
  };
}

/** How long `fn` takes, in milliseconds. */
export async function time(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** The median of `values`, rounded to the millisecond (null when there is none). */
export function median(values) {
  const s = [...values].sort((x, y) => x - y);
  return s.length === 0 ? null : +s[Math.floor(s.length / 2)].toFixed(0);
}

/** The load averages (1, 5, 15 minutes), as printed beside each figure. */
export function loadAverage() {
  return os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
}

/** Today's UTC day. */
export const today = new Date().toISOString().slice(0, 10);

/** The UTC day `n` days before today. */
export function dayBefore(n) {
  return new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
}

/** Runs `q` on the shard at `url` (its HTTP interface), in database `db`; returns the answer's text. */
export async function sql(url, db, q) {
  const r = await globalThis.fetch(`${url}/?database=${db}&max_execution_time=3600`, { method: "POST", body: q });
  if (!r.ok) throw new Error(await r.text());
  return r.text();
}
