/**
 * Analyzer benchmark (`npm run bench:analyzer`): generated RBAC policies of about 1k, 10k and 50k
 * lines, as one file and as 100 files, loaded in the engine view (the policy's classes registered)
 * by our analyzer and, in the same process, by Oso 0.27.3's WebAssembly engine (warm: after one
 * load, `clearRules` + `load` are timed). Also times our re-analysis after a one-character edit of
 * one file through the incremental `Policy` API. Prints a table with ratios, throughput and the
 * targets of the analyzer issue.
 *
 * Options: `--sizes 1000,10000` to choose sizes, `--no-oso` to skip the engine (it is slow: its
 * rule-type validation is quadratic in the number of resource blocks), `--analyzer <path>` to time
 * another build of the analyzer exporting the same API (e.g. an esbuild bundle of an older
 * commit's packages/analyzer/src/index.ts) for before/after comparisons.
 */
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { generateRbacPolicy } from "./lib/rbac.mjs";
import { fmtMs, measure, quantile, table } from "./lib/stats.mjs";

const require = createRequire(import.meta.url);
const { Polar } = require("oso/dist/src/Polar.js");

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SIZES = (option("--sizes") ?? "1000,10000,50000").split(",").map(Number);
const LAYOUTS = [1, 100];
const WITH_OSO = !args.includes("--no-oso");
const ANALYZER = option("--analyzer");
const { Policy } = await import(
  ANALYZER === undefined ? "../packages/analyzer/dist/index.js" : pathToFileURL(resolve(ANALYZER)).href
);

/** Targets from the analyzer issue (2-core machine). */
const TARGETS = {
  speedup: { 10000: 50, 50000: 250 },
  fullLoadMs: { 50000: 100 },
  editP95Ms: { "10000x100": 5 },
  mbPerS: 20,
};

/** Measured runs per size: fewer for the big policies (Oso needs seconds to minutes per load). */
function runsFor(lines) {
  if (lines <= 2000) return { ours: 30, oso: 10, edits: 200, warmup: 10 };
  if (lines <= 20000) return { ours: 15, oso: 3, edits: 200, warmup: 3 };
  return { ours: 8, oso: 1, edits: 50, warmup: 2 };
}

function bytesOf(files) {
  return files.reduce((n, f) => n + Buffer.byteLength(f.text, "utf8"), 0);
}

/** Our full load: a fresh Policy, every file set, one analysis. Fails loudly if the policy is not clean. */
function oursFullLoad(policy) {
  const environment = { classes: policy.classes };
  let last = null;
  const times = measure(
    () => {
      const p = new Policy();
      for (const f of policy.files) p.set(f.name, f.text);
      last = p.analyze({ environment });
    },
    { runs: runsFor(policy.lines).ours, warmup: runsFor(policy.lines).warmup },
  );
  const errors = last.all.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`generated policy has errors: ${errors[0].code}: ${errors[0].message}`);
  return times;
}

/** Re-analysis after a one-character edit of one file (the middle one), alternating two versions. */
function oursEdit(policy) {
  const environment = { classes: policy.classes };
  const p = new Policy();
  for (const f of policy.files) p.set(f.name, f.text);
  p.analyze({ environment });
  const target = policy.files[Math.floor(policy.files.length / 2)];
  // Flip one character of the file's first (comment) line: the policy stays clean.
  const edited = target.text.replace("# file", "# file!").replace("# file!", "# filE");
  if (edited.length !== target.text.length) throw new Error("edit must change exactly one character");
  let flip = false;
  return measure(
    () => {
      flip = !flip;
      p.set(target.name, flip ? edited : target.text);
      p.analyze({ environment });
    },
    { runs: runsFor(policy.lines).edits, warmup: 10 },
  );
}

/** Oso's warm load: one instance with the classes registered, one unmeasured load, then clearRules + load. */
function osoLoad(policy) {
  const polar = new Polar();
  for (const c of policy.classes) polar.registerClass(class {}, { name: c });
  const ffi = polar.getFfi();
  const sources = policy.files.map((f) => ({ src: f.text, filename: f.name }));
  const times = measure(
    () => {
      ffi.clearRules();
      ffi.load(sources);
      while (ffi.nextMessage() !== undefined);
    },
    { runs: runsFor(policy.lines).oso, warmup: 1 },
  );
  polar.free();
  return times;
}

const rows = [];
const verdicts = [];
for (const size of SIZES) {
  for (const files of LAYOUTS) {
    const policy = generateRbacPolicy(size, files);
    const bytes = bytesOf(policy.files);
    const full = oursFullLoad(policy);
    const fullMs = quantile(full, 0.5);
    const edit = oursEdit(policy);
    const oso = WITH_OSO ? quantile(osoLoad(policy), 0.5) : NaN;
    const speedup = oso / fullMs;
    const mbps = bytes / 1e6 / (fullMs / 1000);
    const key = `${size}x${files}`;
    const targetSpeedup = TARGETS.speedup[size];
    const targetFull = TARGETS.fullLoadMs[size];
    const targetEdit = TARGETS.editP95Ms[key];
    rows.push([
      `${policy.lines} lines / ${files} file${files > 1 ? "s" : ""}`,
      (bytes / 1e6).toFixed(2),
      fmtMs(fullMs) + (targetFull ? ` (≤${targetFull})` : ""),
      mbps.toFixed(1) + ` (≥${TARGETS.mbPerS})`,
      fmtMs(oso),
      (Number.isFinite(speedup) ? `${speedup.toFixed(0)}×` : "-") + (targetSpeedup ? ` (≥${targetSpeedup}×)` : ""),
      `${fmtMs(quantile(edit, 0.5))} / ${fmtMs(quantile(edit, 0.95))}` + (targetEdit ? ` (p95 ≤${targetEdit})` : ""),
    ]);
    const check = (ok, what) => verdicts.push(`${ok ? "met    " : "MISSED "} ${what}`);
    if (targetFull) check(fullMs <= targetFull, `${key}: full load ${fmtMs(fullMs)} ms ≤ ${targetFull} ms`);
    if (targetSpeedup && WITH_OSO)
      check(speedup >= targetSpeedup, `${key}: ${speedup.toFixed(0)}× faster than Oso ≥ ${targetSpeedup}×`);
    if (targetEdit)
      check(
        quantile(edit, 0.95) <= targetEdit,
        `${key}: edit p95 ${fmtMs(quantile(edit, 0.95))} ms ≤ ${targetEdit} ms`,
      );
    check(mbps >= TARGETS.mbPerS, `${key}: ${mbps.toFixed(1)} MB/s ≥ ${TARGETS.mbPerS} MB/s`);
    process.stderr.write(`done ${key}\n`);
  }
}

console.log(`Polar analyzer benchmark — node ${process.version}, ${new Date().toISOString()}`);
console.log(
  `analyzer: ${ANALYZER ?? "packages/analyzer/dist"}; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
console.log("Engine view (classes registered); times are medians in ms; targets in parentheses.\n");
console.log(
  table(
    ["policy", "MB", "ours full load", "ours MB/s", "Oso warm load", "speed-up", "edit re-analysis p50 / p95"],
    rows,
  ),
);
console.log("\nTargets:");
for (const v of verdicts) console.log(`  ${v}`);
