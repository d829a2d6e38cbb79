// The collector's main-thread work per /track request, in-process (no HTTP, no storage): decoding
// the form body, validating the 5-event batch and encoding its stored form (the string posted to
// the SQLite writer thread). Prints figures, asserts nothing.
//
// Two bodies: Mixpanel's libraries (`data=<canonical base64>`) and this project's client
// (`data=<URL-encoded base64>&verbose=1&ip=0`). Each measured with the fast paths the collector
// uses (routes/track-payload.js, validateBatch) and, in the same run, with the general paths
// they stand in for (URLSearchParams, the regex-and-replace base64 decoding the collector used
// before, the full validator): CPU time per request, and the ratio.
//
//    node bench/collector-request-path.mjs [--requests 20000]
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { URLSearchParams } from "node:url";
import { validateBatch, validateEventFully } from "../packages/telemetry/dist/index.js";
import { encodeTrackBody } from "../packages/telemetry/dist/client/index.js";
import { decodeFormBody } from "../packages/collector/dist/routes/track-payload.js";
import { encodeEvents } from "../packages/collector/dist/db/insert.js";
import { COLUMNS, encodeSet } from "../packages/collector/dist/db/columns.js";

const i = process.argv.indexOf("--requests");
const REQUESTS = i >= 0 ? Number(process.argv[i + 1]) : 20_000;
const example = JSON.parse(
  readFileSync(new URL("../examples/telemetry/diagnostic_load.json", import.meta.url), "utf8"),
);

/** 5-event batches as the bench's ingest run sends them (a fresh $insert_id per event). */
function batch(n) {
  return Array.from({ length: 5 }, (_, k) => ({
    event: "diagnostic_load",
    properties: {
      ...example.properties,
      distinct_id: ((n * 5 + k) % 5000).toString(16).padStart(64, "0"),
      $insert_id: (n * 5 + k).toString(16).padStart(32, "0"),
    },
  }));
}
const batches = Array.from({ length: 500 }, (_, n) => batch(n));
const BODIES = {
  "data=<base64> (Mixpanel's libraries)": batches.map(
    (b) => `data=${Buffer.from(JSON.stringify(b)).toString("base64")}`,
  ),
  "data=<URL-encoded>&verbose=1&ip=0 (this client)": batches.map((b) => encodeTrackBody(b)),
};

/** The decoding before issue 12: URLSearchParams, four replaces and an anchored regex, then JSON. */
function generalDecode(body) {
  const data = new URLSearchParams(body).get("data");
  const b64 = data.replace(/ /g, "+").replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, "");
  if (b64.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) throw new Error("base64");
  return JSON.parse(Buffer.from(b64, "base64").toString("utf8"));
}

/** The stored form as the collector wrote it before: each value's JSON text by hand, joined. */
function generalEncode(events) {
  const out = [];
  for (const e of events) {
    COLUMNS.forEach((c, j) => {
      const v = e.properties[c.property.name];
      let text;
      if (c.sqlType === "integer") text = v === undefined ? "0" : String(v);
      else if (c.sqlType === "boolean") text = v === true ? "1" : "0";
      else if (c.sqlType === "set") text = JSON.stringify(encodeSet(Array.isArray(v) ? v : []));
      else text = typeof v === "string" ? JSON.stringify(v) : '""';
      out.push(j === 0 ? `[${text}` : text);
    });
    out[out.length - 1] += "]";
  }
  out[0] = `[${out[0]}`;
  out[out.length - 1] += "]";
  return out.join(",");
}

function generalValidate(payload) {
  for (const e of payload) if (!validateEventFully(e).ok) throw new Error("refused");
}

function fastValidate(payload) {
  if (!validateBatch(payload).ok) throw new Error("refused");
}

/** CPU µs per request of `f` over `n` of the bodies. */
function cpu(bodies, f, n) {
  const start = process.cpuUsage();
  for (let k = 0; k < n; k++) f(bodies[k % bodies.length], k % bodies.length);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * The general and the fast path, alternated in rounds of 1 000 requests (after a warm-up) so
 * that both see the same machine load: the median CPU µs per request of each, and the median of
 * the rounds' ratios.
 */
function compare(bodies, general, fast) {
  cpu(bodies, general, 3000);
  cpu(bodies, fast, 3000);
  const g = [];
  const f = [];
  const ratios = [];
  for (let done = 0; done < REQUESTS; done += 1000) {
    g.push(cpu(bodies, general, 1000));
    f.push(cpu(bodies, fast, 1000));
    ratios.push(g[g.length - 1] / f[f.length - 1]);
  }
  return { g: median(g), f: median(f), ratio: median(ratios) };
}

const load1 = loadavg()[0];
const rows = [];
for (const [name, bodies] of Object.entries(BODIES)) {
  const payloads = bodies.map((b) => decodeFormBody(b));
  const valid = payloads.map((p) => validateBatch(p).events);
  if (valid.some((events) => generalEncode(events) !== encodeEvents(events))) throw new Error("encodings differ");
  const row = { body: name };
  const parts = [
    ["decode", (b) => generalDecode(b), (b) => decodeFormBody(b)],
    ["validate", (_b, k) => generalValidate(payloads[k]), (_b, k) => fastValidate(payloads[k])],
    ["encode", (_b, k) => generalEncode(valid[k]), (_b, k) => encodeEvents(valid[k])],
    ["both", (b) => generalValidate(generalDecode(b)), (b) => fastValidate(decodeFormBody(b))],
  ];
  for (const [part, general, fast] of parts) {
    const { g, f, ratio } = compare(bodies, general, fast);
    row[`${part}: general µs`] = +g.toFixed(1);
    row[`${part}: fast µs`] = +f.toFixed(1);
    row[`${part}: ×`] = +ratio.toFixed(1);
  }
  rows.push(row);
}
console.log(
  `\n/track main-thread work per 5-event request, CPU µs (${REQUESTS} requests; load average ${load1.toFixed(1)} → ${loadavg()[0].toFixed(1)}):`,
);
console.table(rows);
