// The collector's main-thread work per /track request, in-process (no HTTP, no storage): decoding
// the form body and validating the 5-event batch. Prints figures, asserts nothing.
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

function generalValidate(payload) {
  for (const e of payload) if (!validateEventFully(e).ok) throw new Error("refused");
}

function fastValidate(payload) {
  if (!validateBatch(payload).ok) throw new Error("refused");
}

/** CPU µs per request of `f` over the bodies (after a warm-up). */
function cpu(bodies, f) {
  for (let n = 0; n < 3000; n++) f(bodies[n % bodies.length]);
  const start = process.cpuUsage();
  for (let n = 0; n < REQUESTS; n++) f(bodies[n % bodies.length]);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / REQUESTS;
}

const load1 = loadavg()[0];
const rows = [];
for (const [name, bodies] of Object.entries(BODIES)) {
  const payloads = bodies.map((b) => decodeFormBody(b));
  const row = { body: name };
  const parts = [
    ["decode", (b) => generalDecode(b), (b) => decodeFormBody(b)],
    ["validate", (_b, k) => generalValidate(payloads[k]), (_b, k) => fastValidate(payloads[k])],
    ["both", (b) => generalValidate(generalDecode(b)), (b) => fastValidate(decodeFormBody(b))],
  ];
  for (const [part, general, fast] of parts) {
    let k = 0;
    const g = cpu(bodies, (b) => general(b, k++ % bodies.length));
    k = 0;
    const f = cpu(bodies, (b) => fast(b, k++ % bodies.length));
    row[`${part}: general µs`] = +g.toFixed(1);
    row[`${part}: fast µs`] = +f.toFixed(1);
    row[`${part}: ×`] = +(g / f).toFixed(1);
  }
  rows.push(row);
}
console.log(
  `\n/track main-thread work per 5-event request, CPU µs (${REQUESTS} requests; load average ${load1.toFixed(1)} → ${loadavg()[0].toFixed(1)}):`,
);
console.table(rows);
