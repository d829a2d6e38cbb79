/**
 * Latency of the language server's feature requests, for `bench/server.mjs`: each request is sent
 * `runs` times (after `warmup` unmeasured ones) over the same connection, one at a time, and timed
 * from send to answer. A request the server does not offer (no capability, or MethodNotFound) is
 * reported as skipped rather than failing the run.
 */
import { performance } from "node:perf_hooks";
import { quantile } from "./stats.mjs";

/** Line and character of the first `needle` in `text` (offset `shift` characters into it). */
export function positionOf(text, needle, shift = 0) {
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`not in the benchmark text: ${needle}`);
  const before = text.slice(0, offset + shift);
  const line = before.split("\n").length - 1;
  return { line, character: offset + shift - (before.lastIndexOf("\n") + 1) };
}

/** How many things an answer holds (items, locations, edits, tokens), to show the request did work. */
export function sizeOf(result) {
  if (result === null || result === undefined) return 0;
  if (Array.isArray(result)) return result.length;
  if (Array.isArray(result.items)) return result.items.length;
  if (Array.isArray(result.data)) return result.data.length / 5;
  if (result.changes) return Object.values(result.changes).reduce((n, edits) => n + edits.length, 0);
  if (Array.isArray(result.documentChanges))
    return result.documentChanges.reduce((n, c) => n + (c.edits?.length ?? 0), 0);
  return 1;
}

/**
 * Times `method` with `params` on `connection`.
 * @returns {Promise<{method: string, skipped?: string, p50?: number, p95?: number, size?: number}>}
 */
export async function timeRequest(connection, method, params, { runs = 100, warmup = 10, offered = true } = {}) {
  if (!offered) return { method, skipped: "not offered by the server" };
  const times = [];
  let result;
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    try {
      result = await connection.sendRequest(method, params);
    } catch (e) {
      if (e?.code === -32601) return { method, skipped: "method not found" };
      throw e;
    }
    if (i >= warmup) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { method, p50: quantile(times, 0.5), p95: quantile(times, 0.95), size: sizeOf(result) };
}
