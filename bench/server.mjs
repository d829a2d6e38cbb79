/**
 * Language-server benchmark (`npm run bench:server`): prints, does not assert.
 *
 * For a generated RBAC policy of 10k lines in 100 files and of 50k lines in 100 files, the built
 * `polar-language-server` runs as a child process over stdio. Every file is opened, then a
 * one-character edit is applied to one file again and again; the latency measured is from sending
 * `textDocument/didChange` to receiving the `publishDiagnostics` of that document for that version
 * (p50/p95/p99). The same full reload is timed in Oso's engine (oso@0.27.3, WASM: `clearRules` +
 * load of all files), which is what Oso's server does on every keystroke. The server's memory
 * (resident set, peak) is read from /proc, beside that of a Node process holding the same policy
 * in Oso's engine (lib/oso-memory.mjs).
 *
 * Feature requests (p50/p95, one at a time, after the edits): hover on a rule call and definition
 * of a shorthand rule's role on every workspace but the 50k-line one (after the outlines on the
 * one-file one); on the 10k-line workspace, completion inside a shorthand rule (`"|reader"`), references, document highlight and rename of a declared
 * role, the quick fixes at a misspelt rule call (`lib/quick-fix.mjs`), semantic tokens (full) and
 * formatting of the edited file; on a 1k-line one-file workspace, completion, semantic tokens and
 * formatting of that file. A
 * request the server does not offer is reported as skipped.
 *
 * One big file (issue 13): a 50k-line policy in a single file, edited at its first line (every item
 * after the edit moves). Besides the edit latency (with Oso's full reload of that file in the same
 * run), the outline (`textDocument/documentSymbol`) of the file is timed right after each of
 * BENCH_OUTLINE_RUNS edits (default 30) has been published: the first outline of a new text. The
 * edits are what an editor sends, a one-character ranged change at the end of the first line
 * (BENCH_OUTLINE_CHANGE=ranged, the default), or the whole text (`full`, as full-document sync
 * clients send every edit). Before those, two outlines are timed on their own: the server's first
 * (cold: it makes every item) after one more edit, and the first after the whole-text change that
 * restores the generated text (one item changed, the others cached). Beside them, the floor of
 * any server: one JSON.stringify and one JSON.parse of the same answer (JSON-RPC encodes it in
 * the server and decodes it in the client), the answer's items at every depth, and the server's
 * CPU time per outline request (user + system from /proc, a mean: less sensitive to the machine's
 * load than the latency, which includes the client's decoding).
 * The outline's latency is split where the client sees its bytes arrive (a `data` listener on the
 * server's stream, ahead of the JSON-RPC reader's): request sent → last byte of the answer received
 * ("server side": the server's work, its encoding and its writing, and the transfer, whose pipe the
 * client drains as it comes) and last byte → answer decoded ("client side": vscode-jsonrpc joining
 * the chunks, decoding the UTF-8 and JSON.parse). Over node-ipc a message arrives whole, already parsed.
 *
 * Environment: BENCH_EDITS (default 200), BENCH_OSO_RUNS (Oso reloads per workspace; default 3 at
 * 10k lines and 1 at 50k, where one reload takes tens of seconds), BENCH_FEATURE_RUNS (timed
 * requests per feature; default 100, after 10 unmeasured), BENCH_WORKSPACES (comma-separated
 * ids of the workspaces to run: `10k`, `50k`, `1k`, `50k-1file`, e.g. `10k,1k`; default all).
 * BENCH_SERVER_BASE: the dist/main.js of another build of the server, measured first in the same
 * run (edit latencies and their ratios printed to stderr). BENCH_SERVER: the dist/main.js of the
 * build measured as "new" (default: this tree's packages/language-server/dist/main.js). BENCH_OSO_RUNS=0 skips Oso entirely (reloads and memory). BENCH_SERVER_NODE_FLAGS: extra node
 * flags for the server process (space-separated, after the shipped SERVER_NODE_FLAGS), e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
 * BENCH_IDLE_MS (default 4000): how long the server idles after the feature requests before its
 * resident memory is read again ("server RSS idle": after its idle collection, idle-gc.ts).
 *
 * BENCH_TRANSPORTS (default `stdio`): comma-separated transports to run the server over, `stdio`
 * (a stream: the server's own JSON encoder, json-encoder.ts; what the VS Code extension uses),
 * `pipe` (`--pipe=NAME`, a stream too, the same encoder, with the server's stdout free) and/or `ipc`
 * (`--node-ipc`, forked as vscode-languageclient's TransportKind.ipc does: Node's IPC channel
 * serialises every message with JSON.stringify on its own). BENCH_ROUNDS (default 1): how many times every (build, transport) pair
 * runs, alternating base and new build within each round; with more than one run per pair a table
 * of the medians per pair follows the per-run lines on stderr. BENCH_SERVER_ENV: environment
 * variables for the server process (`NAME=value`, space-separated), e.g. glibc's malloc tunables.
 * BENCH_GC_TRACE=1 (pipe or ipc: over stdio V8's `--trace-gc` lines would corrupt the protocol stream)
 * adds `--trace-gc` and prints, for the slowest outlines, the collections the server logged while
 * each was in flight.
 */
import { fork, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import {
  createClientPipeTransport,
  createMessageConnection,
  generateRandomPipeName,
  IPCMessageReader,
  IPCMessageWriter,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-jsonrpc/node.js";
import { SERVER_NODE_FLAGS } from "@polar-ide/language-server/node-flags";
import { positionOf, timeRequest } from "./lib/lsp-features.mjs";
import { osoMemory } from "./lib/oso-memory.mjs";
import { generateRbacPolicy } from "./lib/rbac.mjs";
import { timeQuickFix } from "./lib/quick-fix.mjs";
import { fmtMs } from "./lib/stats.mjs";

const require = createRequire(import.meta.url);
/** The build measured as "new": BENCH_SERVER (a dist/main.js, e.g. a copy of a build, so that the tree may be rebuilt during the run), else this tree's. */
const SERVER =
  process.env.BENCH_SERVER ?? fileURLToPath(new URL("../packages/language-server/dist/main.js", import.meta.url));
const EDITS = Number(process.env.BENCH_EDITS ?? 200);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 4000);
const OSO_RUNS = process.env.BENCH_OSO_RUNS === undefined ? null : Number(process.env.BENCH_OSO_RUNS);
const FEATURE_RUNS = Number(process.env.BENCH_FEATURE_RUNS ?? 100);
const OUTLINE_RUNS = Number(process.env.BENCH_OUTLINE_RUNS ?? 30);
/** How the outline's edits are sent: `ranged` (one-character ranges, as editors send them) or `full` (the whole text). */
const OUTLINE_CHANGE = process.env.BENCH_OUTLINE_CHANGE ?? "ranged";
if (OUTLINE_CHANGE !== "ranged" && OUTLINE_CHANGE !== "full") throw new Error("BENCH_OUTLINE_CHANGE is ranged or full");
/** Another build of the server (its dist/main.js) to measure in the same run, before ours: an A/B of a change. */
const BASE_SERVER = process.env.BENCH_SERVER_BASE;
/** Node flags for the server process: SERVER_NODE_FLAGS, then BENCH_SERVER_NODE_FLAGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
const NODE_FLAGS = [
  // The flags the server ships with (its launcher and the extension use them), then the run's own.
  ...SERVER_NODE_FLAGS,
  ...(process.env.BENCH_SERVER_NODE_FLAGS?.split(/\s+/).filter((f) => f !== "") ?? []),
];
/** The transports to run the server over (`stdio`, `ipc`). */
const TRANSPORTS = (process.env.BENCH_TRANSPORTS ?? "stdio")
  .split(",")
  .map((t) => t.trim())
  .filter((t) => t !== "");
for (const t of TRANSPORTS)
  if (!["stdio", "pipe", "ipc"].includes(t)) throw new Error(`BENCH_TRANSPORTS: stdio, pipe or ipc, not ${t}`);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
/** Extra environment of the server process (`NAME=value NAME=value`). */
const SERVER_ENV = Object.fromEntries(
  (process.env.BENCH_SERVER_ENV ?? "")
    .split(/\s+/)
    .filter((a) => a !== "")
    .map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]),
);
const GC_TRACE = process.env.BENCH_GC_TRACE === "1";
if (GC_TRACE && TRANSPORTS.includes("stdio")) throw new Error("BENCH_GC_TRACE=1 needs BENCH_TRANSPORTS=pipe or ipc");
const ONLY = process.env.BENCH_WORKSPACES?.split(",").map((s) => s.trim());
const WORKSPACES = [
  { id: "10k", label: "10k lines, 100 files", lines: 10_000, files: 100, osoRuns: OSO_RUNS ?? 3, features: "all" },
  { id: "50k", label: "50k lines, 100 files", lines: 50_000, files: 100, osoRuns: OSO_RUNS ?? 1, features: "none" },
  { id: "1k", label: "1k lines, 1 file", lines: 1_000, files: 1, osoRuns: OSO_RUNS ?? 3, features: "file" },
  { id: "50k-1file", label: "50k lines, 1 file", lines: 50_000, files: 1, osoRuns: OSO_RUNS ?? 3, features: "outline" },
].filter((w) => ONLY === undefined || ONLY.includes(w.id));

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function ms(x) {
  if (Number.isNaN(x)) return "skipped";
  return `${x.toFixed(x < 10 ? 2 : 1)} ms`;
}

/** Resident and peak resident memory of a process, from /proc (Linux). */
function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
    return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
  } catch {
    return { rssMb: NaN, peakMb: NaN };
  }
}

/**
 * Starts the server over `transport`: `stdio` as an editor spawns a server binary, `ipc` as
 * vscode-languageclient forks a module with TransportKind.ipc (its stdout is then free: the
 * `--trace-gc` lines are read from it, `gcLines`).
 */
async function startServer(serverPath, transport) {
  const env = { ...process.env, ...SERVER_ENV };
  // When the bytes of an answer arrive: the first and last chunk (or message) while `armed`.
  const wire = { armed: false, first: 0, last: 0 };
  const arrived = () => {
    if (!wire.armed) return;
    const now = performance.now();
    if (wire.first === 0) wire.first = now;
    wire.last = now;
  };
  if (transport === "stdio") {
    const child = spawn(process.execPath, [...NODE_FLAGS, serverPath, "--stdio"], {
      stdio: ["pipe", "pipe", "inherit"],
      env,
    });
    // Before the reader's own listener (added when the connection listens): this one runs first.
    child.stdout.on("data", arrived);
    const connection = createMessageConnection(
      new StreamMessageReader(child.stdout),
      new StreamMessageWriter(child.stdin),
    );
    return { child, connection, gcLines: null, wire };
  }
  const traceFlags = GC_TRACE ? ["--trace-gc"] : [];
  let child;
  let connection;
  if (transport === "pipe") {
    const pipeName = generateRandomPipeName();
    const pipe = await createClientPipeTransport(pipeName);
    child = spawn(process.execPath, [...NODE_FLAGS, ...traceFlags, serverPath, `--pipe=${pipeName}`], {
      stdio: ["ignore", "pipe", "inherit"],
      env,
    });
    const [reader, writer] = await pipe.onConnected();
    // The socket under vscode-jsonrpc's reader (its stream wrapper's `stream`).
    reader.readable.stream.on("data", arrived);
    connection = createMessageConnection(reader, writer);
  } else {
    child = fork(serverPath, ["--node-ipc"], {
      execArgv: [...NODE_FLAGS, ...traceFlags],
      stdio: ["ignore", "pipe", "inherit", "ipc"],
      env,
    });
    child.on("message", arrived);
    connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  }
  const gcLines = [];
  let partial = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop();
    for (const line of lines) if (line.trim() !== "") gcLines.push(line.trim());
  });
  return { child, connection, gcLines, wire };
}

/** Runs the server over `transport` on one workspace and measures edit → publish latency. */
async function benchServer(workspace, serverPath = SERVER, transport = "stdio") {
  const policy = generateRbacPolicy(workspace.lines, workspace.files);
  const { child, connection, gcLines, wire } = await startServer(serverPath, transport);
  const waiting = new Map(); // "uri@version" → resolve
  let telemetry = 0;
  let onTelemetry = () => undefined;
  connection.onNotification("textDocument/publishDiagnostics", (p) => {
    const key = `${p.uri}@${p.version}`;
    const resolve = waiting.get(key);
    if (resolve !== undefined) {
      waiting.delete(key);
      resolve(p);
    }
  });
  connection.onNotification("telemetry/event", () => {
    telemetry++;
    onTelemetry();
  });
  connection.onNotification("window/logMessage", () => undefined);
  connection.listen();
  const { capabilities } = await connection.sendRequest("initialize", {
    processId: null,
    // The project root: its files form one policy (a server told no root checks each file alone).
    rootUri: "file:///bench",
    capabilities: {},
    initializationOptions: { existenceCheckIntervalMs: 0 },
  });
  await connection.sendNotification("initialized", {});

  const uriOf = (name) => `file:///bench/${name}`;
  const openStart = performance.now();
  const lastUri = uriOf(policy.files.at(-1).name);
  const allOpened = new Promise((resolve) => waiting.set(`${lastUri}@1`, resolve));
  for (const f of policy.files) {
    await connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri: uriOf(f.name), languageId: "polar", version: 1, text: f.text },
    });
  }
  const opened = await allOpened;
  const openMs = performance.now() - openStart;
  // Wait for the load that saw every file (a burst of opens is analysed once or a few times).
  await new Promise((r) => setTimeout(r, 200));
  const errors = opened.diagnostics.filter((d) => d.severity === 1).length;
  const openLoads = telemetry;

  // One-character edits in a file in the middle of the workspace: add / remove a character in its header comment.
  const target = policy.files[Math.floor(policy.files.length / 2)];
  const uri = uriOf(target.name);
  const latencies = [];
  let version = 1;
  // A server that asks for incremental sync gets what an editor sends: the one-character range.
  const incremental = capabilities?.textDocumentSync?.change === 2;
  const eol = { line: 0, character: target.text.indexOf("\n") };
  for (let i = 0; i < EDITS + 20; i++) {
    version++;
    const text = i % 2 === 0 ? target.text.replace("\n", "x\n") : target.text;
    const change = !incremental
      ? { text }
      : i % 2 === 0
        ? { range: { start: eol, end: eol }, text: "x" }
        : { range: { start: eol, end: { line: 0, character: eol.character + 1 } }, text: "" };
    const published = new Promise((resolve) => waiting.set(`${uri}@${version}`, resolve));
    const t0 = performance.now();
    await connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version },
      contentChanges: [change],
    });
    await published;
    const dt = performance.now() - t0;
    if (i >= 20) latencies.push(dt); // the first 20 warm up the JIT
  }
  // The single big file: one more edit (a character added), then the server's first outline, which
  // makes every item (nothing is cached yet).
  const firstOutline = { coldMs: NaN, afterWholeTextMs: NaN };
  const timeOutline = async () => {
    const t0 = performance.now();
    await connection.sendRequest("textDocument/documentSymbol", { textDocument: { uri } });
    return performance.now() - t0;
  };
  if (workspace.features === "outline") {
    version++;
    const edited = new Promise((resolve) => waiting.set(`${uri}@${version}`, resolve));
    await connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: eol, end: eol }, text: "x" }],
    });
    await edited;
    firstOutline.coldMs = await timeOutline();
  }
  // Back to the generated text with a whole-text change (full-document sync; in the big file it
  // removes that character), then the feature requests on it.
  version++;
  const restored = new Promise((resolve) => waiting.set(`${uri}@${version}`, resolve));
  await connection.sendNotification("textDocument/didChange", {
    textDocument: { uri, version },
    contentChanges: [{ text: target.text }],
  });
  await restored;
  // The first outline after the whole-text change: its items are cached but one.
  if (workspace.features === "outline") firstOutline.afterWholeTextMs = await timeOutline();
  const outline =
    workspace.features === "outline"
      ? await benchOutline(connection, uri, target.text, version, waiting, child.pid, gcLines, wire)
      : null;
  if (outline !== null) {
    version = outline.version;
    Object.assign(outline, firstOutline);
  }
  const features = await benchFeatures(connection, capabilities, uri, target.text, workspace.features);
  const memory = memoryOf(child.pid);
  // Then idle: the server runs one full collection 2 s after its last load (idle-gc.ts).
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const idleMemory = memoryOf(child.pid);
  const loads = openLoads;
  onTelemetry = () => undefined;
  await connection.sendRequest("shutdown");
  await connection.sendNotification("exit");
  connection.dispose();
  latencies.sort((a, b) => a - b);
  return { policy, openMs, errors, latencies, memory, idleMemory, loads, features, outline };
}

/**
 * The outline of a document right after each of OUTLINE_RUNS one-character edits was published
 * (the first outline of each new text: nothing of it is cached yet), then restores the text.
 */
async function benchOutline(connection, uri, text, version, waiting, pid, gcLines, wire) {
  const times = [];
  /** Per outline: request sent → last byte received (server side), last byte → decoded (client side). */
  const serverSide = [];
  const clientSide = [];
  /** Per outline: its latency and the `--trace-gc` lines the server wrote while it was in flight. */
  const traced = [];
  // The server's CPU time (user + system, from /proc) spent while each outline request was in flight.
  let serverCpuMs = 0;
  const floors = [];
  let size = 0;
  let items = 0;
  const eol = { line: 0, character: text.indexOf("\n") };
  const count = (symbols) => symbols.reduce((n, s) => n + 1 + count(s.children ?? []), 0);
  // An even number of edits: the last one restores the text.
  for (let i = 0; i < OUTLINE_RUNS + (OUTLINE_RUNS % 2); i++) {
    version++;
    const change =
      OUTLINE_CHANGE === "full"
        ? { text: i % 2 === 0 ? text.replace("\n", "x\n") : text }
        : i % 2 === 0
          ? { range: { start: eol, end: eol }, text: "x" }
          : { range: { start: eol, end: { line: 0, character: eol.character + 1 } }, text: "" };
    const published = new Promise((resolve) => waiting.set(`${uri}@${version}`, resolve));
    await connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version },
      contentChanges: [change],
    });
    await published;
    // The lines of the edit's own collections have arrived by now (give the pipe a moment).
    if (gcLines !== null) await new Promise((r) => setTimeout(r, 20));
    const gc0 = gcLines?.length ?? 0;
    const cpu0 = cpuMsOf(pid);
    wire.first = 0;
    wire.last = 0;
    wire.armed = true;
    const t0 = performance.now();
    const symbols = await connection.sendRequest("textDocument/documentSymbol", { textDocument: { uri } });
    const t1 = performance.now();
    wire.armed = false;
    times.push(t1 - t0);
    serverSide.push(wire.last - t0);
    clientSide.push(t1 - wire.last);
    if (gcLines !== null) {
      await new Promise((r) => setTimeout(r, 20));
      traced.push({ ms: times.at(-1), gc: gcLines.slice(gc0) });
    }
    serverCpuMs += cpuMsOf(pid) - cpu0;
    size = symbols?.length ?? 0;
    items = count(symbols ?? []);
    // The floor no server can go under: encoding the answer once and decoding it once (JSON-RPC
    // does both, in the server and in the client), timed here on the same answer.
    const e0 = performance.now();
    const json = JSON.stringify(symbols);
    const e1 = performance.now();
    JSON.parse(json);
    floors.push({ ms: e1 - e0 + (performance.now() - e1), bytes: Buffer.byteLength(json) });
  }
  floors.sort((a, b) => a.ms - b.ms);
  return {
    times: times.sort((a, b) => a - b),
    serverSide: serverSide.sort((a, b) => a - b),
    clientSide: clientSide.sort((a, b) => a - b),
    size,
    items,
    version,
    floor: floors[Math.floor(floors.length / 2)],
    serverCpuMs: serverCpuMs / times.length,
    traced,
  };
}

/** A process's CPU time so far (user + system, ms), from /proc (Linux; clock ticks of 10 ms, so read as a mean over many requests). */
function cpuMsOf(pid) {
  try {
    // The fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** Feature request latencies on one document of the workspace (see the header). */
async function benchFeatures(connection, capabilities, uri, text, which) {
  if (which === "none") return [];
  const textDocument = { uri };
  // Inside the string of a shorthand rule's body: `  "read" if "|reader";`.
  const inShorthand = positionOf(text, '"read" if "reader"', '"read" if "'.length);
  // The role `reader` where its block declares it.
  const role = positionOf(text, 'roles = ["reader"', 'roles = ["'.length + 1);
  // A rule call: `is_visible_…(…) if … or has_permission(user, …)`.
  const ruleCall = positionOf(text, "has_permission(user", "has_".length);
  const options = { runs: FEATURE_RUNS };
  // Requests that place a few positions (LineTableDocument.positionAt): hover on a rule call,
  // definition of a shorthand rule's role (its declaration in the block).
  const positions = [
    await timeRequest(connection, "textDocument/hover", { textDocument, position: ruleCall }, options),
    await timeRequest(connection, "textDocument/definition", { textDocument, position: inShorthand }, options),
  ];
  // The one big file's outline is timed by benchOutline; whole-file requests there are issue 10's.
  if (which === "outline") return positions;
  const semanticTokens =
    capabilities?.semanticTokensProvider?.full !== undefined && capabilities.semanticTokensProvider.full !== false;
  const results = [
    ...positions,
    await timeRequest(
      connection,
      "textDocument/completion",
      { textDocument, position: inShorthand, context: { triggerKind: 2, triggerCharacter: '"' } },
      options,
    ),
  ];
  if (which === "all") {
    results.push(
      await timeRequest(
        connection,
        "textDocument/references",
        { textDocument, position: role, context: { includeDeclaration: true } },
        { ...options, offered: capabilities?.referencesProvider !== undefined },
      ),
      await timeRequest(
        connection,
        "textDocument/documentHighlight",
        { textDocument, position: role },
        { ...options, offered: capabilities?.documentHighlightProvider !== undefined },
      ),
      await timeRequest(
        connection,
        "textDocument/rename",
        { textDocument, position: role, newName: "viewer" },
        { ...options, offered: capabilities?.renameProvider !== undefined },
      ),
      ...(await timeQuickFix(connection, uri, text, options)),
    );
  }
  results.push(
    await timeRequest(
      connection,
      "textDocument/semanticTokens/full",
      { textDocument },
      { ...options, offered: semanticTokens },
    ),
    // The whole-document formatting of the file (issue 11: the formatter re-parses its output too).
    await timeRequest(
      connection,
      "textDocument/formatting",
      { textDocument, options: { tabSize: 2, insertSpaces: true } },
      { ...options, offered: capabilities?.documentFormattingProvider !== undefined },
    ),
  );
  return results;
}

/** Oso's engine (WASM) doing the full reload Oso's server does on every change. */
async function benchOso(policy, runs) {
  const { Oso } = require("oso");
  const oso = new Oso();
  for (const name of policy.classes) {
    const cls = { [name]: class {} }[name];
    oso.registerClass(cls);
  }
  const sources = policy.files.map((f) => ({ src: f.text, filename: f.name }));
  const times = [];
  for (let i = 0; i < runs; i++) {
    oso.clearRules();
    const t0 = performance.now();
    await oso.loadSources(sources);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times;
}

const rows = [];
/** One line of a run's figures (stderr). */
function runLine(w, build, transport, r) {
  const l = r.latencies;
  return (
    `${w.label} [${build}, ${transport}]: didChange → publish p50 ${ms(percentile(l, 50))}, p95 ${ms(percentile(l, 95))}, p99 ${ms(percentile(l, 99))}` +
    (r.outline === null
      ? ""
      : `; outline after an edit p50 ${ms(percentile(r.outline.times, 50))}, p95 ${ms(percentile(r.outline.times, 95))} ` +
        `(server side p50 ${ms(percentile(r.outline.serverSide, 50))}, p95 ${ms(percentile(r.outline.serverSide, 95))}; ` +
        `client side p50 ${ms(percentile(r.outline.clientSide, 50))}, p95 ${ms(percentile(r.outline.clientSide, 95))}), ` +
        `server CPU ${ms(r.outline.serverCpuMs)} per outline (mean); first outline (cold) ${ms(r.outline.coldMs)}, ` +
        `first after a whole-text change ${ms(r.outline.afterWholeTextMs)}`) +
    `; server RSS ${r.memory.rssMb.toFixed(0)} MB, peak ${r.memory.peakMb.toFixed(0)} MB, ` +
    `${r.idleMemory.rssMb.toFixed(0)} MB after ${IDLE_MS / 1000} s idle` +
    r.features
      .filter((f) => f.skipped === undefined)
      .map((f) => `; ${f.method.replace("textDocument/", "")} p50 ${fmtMs(f.p50)} ms, p95 ${fmtMs(f.p95)} ms`)
      .join("") +
    "\n"
  );
}
/** The collections logged during the slowest outlines of a run (BENCH_GC_TRACE=1). */
function gcReport(w, build, r) {
  if (r.outline === null || r.outline.traced.length === 0) return "";
  const slowest = [...r.outline.traced].sort((a, b) => b.ms - a.ms).slice(0, 5);
  const withGc = r.outline.traced.filter((t) => t.gc.length > 0).length;
  // A --trace-gc line's pause: `…, 12.34 / 0.00 ms …` (wall time of the collection).
  const pause = (line) => Number(/, ([\d.]+) \/ [\d.]+ ms/.exec(line)?.[1] ?? 0);
  const gcMs = r.outline.traced.map((t) => t.gc.reduce((sum, line) => sum + pause(line), 0));
  const latency = r.outline.traced.reduce((sum, t) => sum + t.ms, 0);
  const total = gcMs.reduce((a, b) => a + b, 0);
  return (
    `${w.label} [${build}]: ${withGc} of ${r.outline.traced.length} outlines had a collection in flight; ` +
    `collections took ${ms(total / gcMs.length)} per outline (mean), ${((100 * total) / latency).toFixed(1)}% of the outlines' latency; the slowest:\n` +
    slowest.map((t) => `  ${ms(t.ms)}: ${t.gc.length === 0 ? "no collection" : t.gc.join("\n    ")}\n`).join("")
  );
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2 === 1
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (const w of WORKSPACES) {
  // Every (build, transport) pair BENCH_ROUNDS times, base and new alternating within each round.
  const runs = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const transport of TRANSPORTS) {
      for (const [build, path] of BASE_SERVER === undefined
        ? [["new", SERVER]]
        : [
            ["base", BASE_SERVER],
            ["new", SERVER],
          ]) {
        process.stderr.write(`${w.label}: ${build} language server over ${transport}, round ${round + 1}…\n`);
        const r = await benchServer(w, path, transport);
        runs.push({ build, transport, r });
        process.stderr.write(runLine(w, build, transport, r) + (GC_TRACE ? gcReport(w, build, r) : ""));
      }
    }
  }
  if (runs.length > 1) {
    // Medians over the rounds of each figure, per (build, transport).
    process.stderr.write(
      `\n${w.label}: medians over ${ROUNDS} round(s), load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(" ")}\n` +
        "| build | transport | edit p50 | edit p95 | outline p50 | outline p95 | server side p50 / p95 | client side p50 / p95 | server CPU per outline | first outline (cold) | first after whole text | RSS after features | RSS idle |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (const transport of TRANSPORTS) {
      for (const build of ["base", "new"]) {
        const rs = runs.filter((x) => x.build === build && x.transport === transport).map((x) => x.r);
        if (rs.length === 0) continue;
        const m = (f) => median(rs.map(f));
        const hasOutline = rs[0].outline !== null;
        process.stderr.write(
          `| ${build} | ${transport} | ${ms(m((r) => percentile(r.latencies, 50)))} | ${ms(m((r) => percentile(r.latencies, 95)))} | ` +
            (hasOutline
              ? `${ms(m((r) => percentile(r.outline.times, 50)))} | ${ms(m((r) => percentile(r.outline.times, 95)))} | ` +
                `${ms(m((r) => percentile(r.outline.serverSide, 50)))} / ${ms(m((r) => percentile(r.outline.serverSide, 95)))} | ` +
                `${ms(m((r) => percentile(r.outline.clientSide, 50)))} / ${ms(m((r) => percentile(r.outline.clientSide, 95)))} | ` +
                `${ms(m((r) => r.outline.serverCpuMs))} | ${ms(m((r) => r.outline.coldMs))} | ${ms(m((r) => r.outline.afterWholeTextMs))} | `
              : "— | — | — | — | — | — | — | ") +
            `${m((r) => r.memory.rssMb).toFixed(0)} MB | ${m((r) => r.idleMemory.rssMb).toFixed(0)} MB |\n`,
        );
      }
    }
    // The feature requests' medians per (build, transport): an A/B of a change they share.
    const methods = [
      ...new Set(runs.flatMap((x) => x.r.features.filter((f) => f.skipped === undefined).map((f) => f.method))),
    ];
    if (methods.length > 0) {
      process.stderr.write("\n| build | transport | request | p50 | p95 |\n|---|---|---|---:|---:|\n");
      for (const method of methods)
        for (const transport of TRANSPORTS)
          for (const build of ["base", "new"]) {
            const fs = runs
              .filter((x) => x.build === build && x.transport === transport)
              .map((x) => x.r.features.find((f) => f.method === method && f.skipped === undefined))
              .filter((f) => f !== undefined);
            if (fs.length === 0) continue;
            process.stderr.write(
              `| ${build} | ${transport} | ${method} | ${fmtMs(median(fs.map((f) => f.p50)))} ms | ${fmtMs(median(fs.map((f) => f.p95)))} ms |\n`,
            );
          }
    }
  }
  const server = runs.findLast((x) => x.build === "new").r;
  // The server's figures came first (Oso's reload of a big single file can take minutes on a loaded machine).
  process.stderr.write(`${w.label}: Oso engine (${w.osoRuns} full reloads)…\n`);
  const oso = await benchOso(server.policy, w.osoRuns);
  process.stderr.write(`${w.label}: Oso engine memory…\n`);
  // BENCH_OSO_RUNS=0 skips Oso altogether (its memory too: that is one more full load).
  const osoMem = w.osoRuns === 0 ? { rssMb: NaN, peakMb: NaN } : osoMemory(server.policy);
  rows.push({ w, server, oso, osoMem });
}

console.log(
  `\npolar-language-server: didChange → publishDiagnostics, ${EDITS} one-character edits over ${TRANSPORTS.at(-1)} (node ${process.version})\n`,
);
console.log(
  "| workspace | lines | files | p50 | p95 | p99 | max | Oso engine full reload (median) | server RSS / peak | server RSS idle | Oso engine process RSS / peak |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const { w, server, oso, osoMem } of rows) {
  const l = server.latencies;
  console.log(
    `| ${w.label} | ${server.policy.lines} | ${server.policy.files.length} | ${ms(percentile(l, 50))} | ${ms(percentile(l, 95))} | ${ms(percentile(l, 99))} | ${ms(l.at(-1))} | ${ms(percentile(oso, 50))} | ${server.memory.rssMb.toFixed(0)} MB / ${server.memory.peakMb.toFixed(0)} MB | ${server.idleMemory.rssMb.toFixed(0)} MB | ${Number.isNaN(osoMem.rssMb) ? "skipped" : `${osoMem.rssMb.toFixed(0)} MB / ${osoMem.peakMb.toFixed(0)} MB`} |`,
  );
}
console.log("");
for (const { w, server } of rows) {
  console.log(
    `${w.label}: opening all ${server.policy.files.length} files took ${ms(server.openMs)} (${server.loads} loads); errors published for the edited file: ${server.errors}`,
  );
}
console.log(
  "Targets: p95 ≤ 10 ms at 10k lines, ≤ 50 ms at 50k lines; ≤ 30 ms for the 50k-line single file (issue 13).",
);
for (const { w, server, oso } of rows) {
  if (server.outline === null) continue;
  const l = server.latencies;
  const o = server.outline.times;
  console.log(
    (oso.length === 0
      ? `${w.label}: Oso skipped (BENCH_OSO_RUNS=0); `
      : `${w.label}: edit p50/p95 = ${(percentile(l, 50) / percentile(oso, 50)).toFixed(3)}× / ${(percentile(l, 95) / percentile(oso, 50)).toFixed(3)}× Oso's full reload (median) of the same run; `) +
      `outline after an edit (${OUTLINE_CHANGE} changes) p50 ${ms(percentile(o, 50))}, p95 ${ms(percentile(o, 95))}, max ${ms(o.at(-1))} ` +
      `(request sent → last byte received p50 ${ms(percentile(server.outline.serverSide, 50))}, p95 ${ms(percentile(server.outline.serverSide, 95))}; ` +
      `last byte → decoded p50 ${ms(percentile(server.outline.clientSide, 50))}, p95 ${ms(percentile(server.outline.clientSide, 95))}), the server's CPU ${ms(server.outline.serverCpuMs)} per outline (mean) (${server.outline.size} top-level symbols, ${server.outline.items} at every depth, ${o.length} runs; target ≤ 50 ms); ` +
      `the answer is ${(server.outline.floor.bytes / 1e6).toFixed(1)} MB of JSON, whose JSON.stringify + JSON.parse alone take ${ms(server.outline.floor.ms)} (median) in this process`,
  );
}

console.log(
  `\nFeature requests on the edited file, ${FEATURE_RUNS} each, one at a time (p50 / p95; size = items, locations, edits or tokens)\n`,
);
console.log("| workspace | request | p50 | p95 | size |");
console.log("|---|---|---:|---:|---:|");
for (const { w, server } of rows) {
  for (const f of server.features) {
    console.log(
      f.skipped === undefined
        ? `| ${w.label} | ${f.method} | ${fmtMs(f.p50)} ms | ${fmtMs(f.p95)} ms | ${f.size} |`
        : `| ${w.label} | ${f.method} | skipped: ${f.skipped} | | |`,
    );
  }
}
console.log(
  "Targets (issue 10): completion p95 ≤ 20 ms, references/rename ≤ 50 ms; semantic tokens (full) ≤ 50 ms on a 1k-line file.",
);
// The rename check analyses the renamed policy once, incrementally (a fork of the server's policy):
// rename should cost about references plus one edit's re-analysis, whatever the machine's load.
for (const { w, server } of rows) {
  const by = (m) => server.features.find((f) => f.method === m && f.skipped === undefined);
  const rename = by("textDocument/rename");
  const refs = by("textDocument/references");
  if (rename === undefined || refs === undefined) continue;
  const edit = (p) => percentile(server.latencies, p);
  console.log(
    `${w.label}: rename p50/p95 = ${(rename.p50 / (refs.p50 + edit(50))).toFixed(2)}× / ${(rename.p95 / (refs.p95 + edit(95))).toFixed(2)}× (references + didChange→publish) of the same run`,
  );
}
console.log("Target (issue 11): quick fixes (codeAction at a diagnostic) p95 ≤ 30 ms on the 10k-line workspace.");
console.log("Target (issue 11): formatting (whole document) p95 ≤ 50 ms on a 1k-line file.");
// Formatting and semantic tokens (full) both make one pass over the whole file: their ratio is
// readable on a loaded machine, where absolute times are noise.
for (const { w, server } of rows) {
  const by = (m) => server.features.find((f) => f.method === m && f.skipped === undefined);
  const format = by("textDocument/formatting");
  const tokens = by("textDocument/semanticTokens/full");
  if (format === undefined || tokens === undefined) continue;
  console.log(
    `${w.label}: formatting p50/p95 = ${(format.p50 / tokens.p50).toFixed(2)}× / ${(format.p95 / tokens.p95).toFixed(2)}× semantic tokens (full) of the same file and run`,
  );
}
