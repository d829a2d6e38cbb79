/**
 * Where the language server's resident memory comes from (issue 13), stage by stage: prints, does
 * not assert. The built `polar-language-server` runs over stdio on a generated 50k-line one-file
 * RBAC policy (BENCH_LINES); its resident set (and peak) is read from /proc after start-up, after
 * the file is opened and loaded, after BENCH_EDITS one-character ranged edits (with the server's
 * CPU time per edit and the edit → publish latency p50/p95 beside it), after three outlines, and
 * after 4 s idle (the server collects its garbage 2 s after the last load: src/idle-gc.ts). Run
 * `npm run build` first, then `node bench/server-memory.mjs`.
 *
 * BENCH_MEMORY_FLAGS: `;`-separated sets of extra Node flags (after the shipped SERVER_NODE_FLAGS)
 * to compare in the same run, e.g. `;--heap-growing-percent=30` (the empty set is the shipped
 * server); each set is run BENCH_ROUNDS times (default 2), the sets alternating. On a loaded
 * machine only the comparison within one run means anything. A `NAME=value` word in a set is an
 * environment variable of the server process, not a flag, e.g.
 * `;MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072` (glibc's malloc tunables).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node.js";
import { SERVER_NODE_FLAGS } from "@polar-ide/language-server/node-flags";
import { generateRbacPolicy } from "./lib/rbac.mjs";

const SERVER = fileURLToPath(new URL("../packages/language-server/dist/main.js", import.meta.url));
const LINES = Number(process.env.BENCH_LINES ?? 50_000);
const EDITS = Number(process.env.BENCH_EDITS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const FLAG_SETS = (process.env.BENCH_MEMORY_FLAGS ?? "")
  .split(";")
  .map((set) => set.split(/\s+/).filter((f) => f !== ""));

/** Resident and peak resident memory (MB) of a process, from /proc (Linux). */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mb = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return `${mb("VmRSS").toFixed(0)} / ${mb("VmHWM").toFixed(0)}`;
}

/** CPU time (user + system, ms) a process has used, from /proc (clock ticks of 10 ms). */
function cpuMsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A set's environment variables (`NAME=value`) and its Node flags. */
function split(set) {
  const isEnv = (word) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(word);
  const env = Object.fromEntries(
    set.filter(isEnv).map((word) => [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)]),
  );
  return { env, flags: set.filter((word) => !isEnv(word)) };
}

async function run(text, set) {
  const { env, flags } = split(set);
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...flags, SERVER, "--stdio"], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const waiting = new Map(); // version → resolve
  connection.onNotification("textDocument/publishDiagnostics", (p) => {
    waiting.get(p.version)?.();
    waiting.delete(p.version);
  });
  connection.onNotification("telemetry/event", () => undefined);
  connection.onNotification("window/logMessage", () => undefined);
  connection.listen();
  await connection.sendRequest("initialize", {
    processId: null,
    rootUri: "file:///bench",
    capabilities: {},
    initializationOptions: { existenceCheckIntervalMs: 0 },
  });
  await connection.sendNotification("initialized", {});
  const uri = "file:///bench/policy.polar";
  const row = { started: memoryOf(child.pid) };
  let published = new Promise((resolve) => waiting.set(1, resolve));
  await connection.sendNotification("textDocument/didOpen", {
    textDocument: { uri, languageId: "polar", version: 1, text },
  });
  await published;
  await new Promise((r) => setTimeout(r, 300));
  row.loaded = memoryOf(child.pid);
  const eol = { line: 0, character: text.indexOf("\n") };
  const latencies = [];
  let cpu0 = 0;
  for (let i = 0, version = 2; i < EDITS + 20; i++, version++) {
    if (i === 20) cpu0 = cpuMsOf(child.pid); // the first 20 warm up the JIT
    const change =
      i % 2 === 0
        ? { range: { start: eol, end: eol }, text: "x" }
        : { range: { start: eol, end: { line: 0, character: eol.character + 1 } }, text: "" };
    published = new Promise((resolve) => waiting.set(version, resolve));
    const t0 = performance.now();
    await connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version },
      contentChanges: [change],
    });
    await published;
    if (i >= 20) latencies.push(performance.now() - t0);
  }
  row.cpuPerEdit = (cpuMsOf(child.pid) - cpu0) / EDITS;
  latencies.sort((a, b) => a - b);
  row.p50 = latencies[Math.floor(latencies.length * 0.5)];
  row.p95 = latencies[Math.ceil(latencies.length * 0.95) - 1];
  row.edited = memoryOf(child.pid);
  for (let i = 0; i < 3; i++) await connection.sendRequest("textDocument/documentSymbol", { textDocument: { uri } });
  row.outlined = memoryOf(child.pid);
  await new Promise((r) => setTimeout(r, 4000));
  row.idle = memoryOf(child.pid);
  await connection.sendRequest("shutdown");
  await connection.sendNotification("exit");
  connection.dispose();
  return row;
}

const text = generateRbacPolicy(LINES, 1).files[0].text;
const rows = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const flags of FLAG_SETS) {
    process.stderr.write(`round ${round + 1}: ${flags.join(" ") || "(shipped flags)"}…\n`);
    rows.push({ flags, ...(await run(text, flags)) });
  }
}
console.log(
  `\npolar-language-server RSS / peak (MB) by stage, one ${LINES}-line file, ${EDITS} edits (node ${process.version}; flags after ${SERVER_NODE_FLAGS.join(" ")})\n`,
);
console.log(
  "| extra flags / environment | started | opened + loaded | after the edits | CPU per edit | edit p50 / p95 | after 3 outlines | 4 s idle |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(
    `| ${r.flags.join(" ") || "—"} | ${r.started} | ${r.loaded} | ${r.edited} | ${r.cpuPerEdit.toFixed(1)} ms | ${r.p50.toFixed(1)} / ${r.p95.toFixed(1)} ms | ${r.outlined} | ${r.idle} |`,
  );
}
