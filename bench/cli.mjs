/**
 * CLI benchmark (`npm run bench:cli`): the whole `polar-check --format json --classes …` process
 * against a Node process loading the same file into Oso 0.27.3's engine (`Oso.loadFiles` with the
 * same classes registered), on generated one-file policies of 10k and 50k lines in several shapes
 * (see lib/shapes.mjs). Both are timed end to end (spawn to exit: Node start-up, module loading,
 * reading, analysis / load), alternately in the same run so that machine load affects both alike;
 * prints medians and the ratio. Also checks that both accept each policy (no errors). On Linux it
 * also prints each process's CPU time (user + system, its threads included, from the children's
 * times in /proc/self/stat, 10 ms ticks): on a loaded machine the wall times measure the load as
 * much as the program, the CPU times much less so.
 *
 * polar-check runs as installed: the launcher with its one-file bundle (rebuilt here first, as
 * `npm run build -w @polar-ide/cli` does); `--no-bundle` runs the modules of dist/ instead.
 *
 * Options: `--sizes 10000,50000`, `--shapes small-blocks,…`, `--runs 3`, `--oso-timeout 600`
 * (seconds; Oso's rule-type validation is quadratic in the number of resource blocks), `--no-bundle`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { bundleCli } from "../packages/cli/dist/bundle.js";
import { SHAPES, generateShape } from "./lib/shapes.mjs";
import { fmtMs, quantile, table } from "./lib/stats.mjs";

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SIZES = (option("--sizes") ?? "10000,50000").split(",").map(Number);
const SHAPE_LIST = (option("--shapes") ?? SHAPES.join(",")).split(",");
const RUNS = Number(option("--runs") ?? "3");
const OSO_TIMEOUT_MS = Number(option("--oso-timeout") ?? "600") * 1000;
const BUNDLE = !args.includes("--no-bundle");

const CHECK = fileURLToPath(
  new URL(BUNDLE ? "../packages/cli/bin/polar-check.js" : "../packages/cli/dist/main.js", import.meta.url),
);
if (BUNDLE) await bundleCli();
const OSO = fileURLToPath(new URL("./lib/oso-load.mjs", import.meta.url));

/** CPU ms used by this process's waited-for children so far (cutime + cstime), or NaN off Linux. */
function childrenCpuMs() {
  try {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // cutime and cstime are fields 16 and 17 of stat(5), i.e. 13 and 14 after the name and state.
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** Runs a process to completion; returns its wall and CPU time, wall Infinity when it timed out. */
function timed(argv, timeout, accept) {
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { encoding: "utf8", maxBuffer: 1 << 30, timeout });
  const ms = performance.now() - t0;
  const cpu = childrenCpuMs() - cpu0;
  if (r.error?.code === "ETIMEDOUT" || r.signal === "SIGTERM") return { ms: Infinity, cpu };
  accept(r);
  return { ms, cpu };
}

function acceptCheck(r) {
  if (r.status !== 0) throw new Error(`polar-check exited ${r.status}: ${r.stderr}${r.stdout.slice(0, 2000)}`);
  const out = JSON.parse(r.stdout);
  const errors = out.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`polar-check reports errors: ${JSON.stringify(errors[0])}`);
}

function acceptOso(r) {
  if (r.status !== 0) throw new Error(`Oso rejected the policy: ${r.stderr}`);
}

const dir = mkdtempSync(join(tmpdir(), "bench-cli-"));
const rows = [];
try {
  for (const size of SIZES) {
    for (const shape of SHAPE_LIST) {
      const policy = generateShape(shape, size);
      const file = join(dir, `${shape}-${size}.polar`);
      writeFileSync(file, policy.text);
      const classes = policy.classes.join(",");
      const ours = [];
      const oso = [];
      const oursCpu = [];
      const osoCpu = [];
      let osoTimedOut = false;
      for (let i = 0; i < RUNS; i++) {
        const check = timed([CHECK, "--format", "json", "--classes", classes, file], 0, acceptCheck);
        ours.push(check.ms);
        oursCpu.push(check.cpu);
        if (!osoTimedOut) {
          const { ms: t, cpu } = timed([OSO, classes, file], OSO_TIMEOUT_MS, acceptOso);
          oso.push(t);
          if (t !== Infinity) osoCpu.push(cpu);
          // One timeout is enough: the next runs would time out too.
          if (t === Infinity) osoTimedOut = true;
        }
      }
      for (const list of [ours, oso, oursCpu, osoCpu]) list.sort((a, b) => a - b);
      const oursCpuMs = quantile(oursCpu, 0.5);
      const osoCpuMs = quantile(osoCpu, 0.5);
      const oursMs = quantile(ours, 0.5);
      const osoMs = quantile(oso, 0.5);
      const ratio =
        osoMs === Infinity ? `>${(OSO_TIMEOUT_MS / oursMs).toFixed(0)}×` : `${(osoMs / oursMs).toFixed(1)}×`;
      rows.push([
        shape,
        String(policy.lines),
        (Buffer.byteLength(policy.text) / 1e6).toFixed(2),
        `${fmtMs(oursMs)} (${fmtMs(ours[0])}–${fmtMs(ours[ours.length - 1])})`,
        osoMs === Infinity
          ? `>${fmtMs(OSO_TIMEOUT_MS)} (timeout)`
          : `${fmtMs(osoMs)} (${fmtMs(oso[0])}–${fmtMs(oso[oso.length - 1])})`,
        ratio,
        fmtMs(oursCpuMs),
        osoMs === Infinity ? "–" : fmtMs(osoCpuMs),
        osoMs === Infinity ? "–" : `${(osoCpuMs / oursCpuMs).toFixed(1)}×`,
      ]);
      process.stderr.write(`done ${shape} ${size}\n`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`polar-check vs Oso loadFiles, whole processes — node ${process.version}, ${new Date().toISOString()}`);
console.log(`polar-check: ${BUNDLE ? "launcher + one-file bundle" : "dist/ modules (--no-bundle)"}`);
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}; ${RUNS} runs each, median (min–max) in ms\n`,
);
console.log(
  table(
    [
      "shape",
      "lines",
      "MB",
      "polar-check --format json",
      "node + Oso loadFiles",
      "Oso / ours",
      "ours CPU",
      "Oso CPU",
      "CPU Oso / ours",
    ],
    rows,
  ),
);
