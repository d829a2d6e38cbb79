// Loads Polar files into Oso 0.27.3's engine, as an application would (`Oso.loadFiles` with the
// given classes registered), for the CLI and server benchmarks:
// `node oso-load.mjs [--memory] A,B,C file.polar…`. Exits 1 (printing the error) when the engine
// rejects the policy. With `--memory`, prints the process's resident and peak resident memory
// after the load as JSON (`{"rssMb":…,"peakMb":…}`, from /proc: Linux), i.e. what an
// application holding the policy in Oso's engine needs.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Oso } = require("oso");

const args = process.argv.slice(2);
const memory = args[0] === "--memory";
const [classes, ...files] = memory ? args.slice(1) : args;
const oso = new Oso();
for (const name of (classes ?? "").split(",").filter(Boolean)) oso.registerClass(class {}, { name });
try {
  await oso.loadFiles(files);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
if (memory) {
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  process.stdout.write(JSON.stringify({ rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 }) + "\n");
}
