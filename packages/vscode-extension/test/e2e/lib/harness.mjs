// The e2e run's bookkeeping: named checks, timings, logging, waiting, and the child processes
// it starts (each in its own process group, stopped at the end).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../../../../../", import.meta.url));
export const ARTIFACTS = join(REPO, ".artifacts", "e2e");
export const T0 = Date.now();
export const timings = {};
export const checks = [];
const children = [];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const since = () => Date.now() - T0;
export const log = (m) => console.log(`[e2e +${(since() / 1000).toFixed(1)}s] ${m}`);

/** Records a named check (printed at once; all are written to result.json at the end). */
export function check(name, ok, detail) {
  checks.push({ name, ok: Boolean(ok), ...(detail === undefined ? {} : { detail }) });
  console.log(
    `${ok ? "ok  " : "FAIL"} ${name}${ok || detail === undefined ? "" : `: ${JSON.stringify(detail).slice(0, 2000)}`}`,
  );
}

/** Polls `fn` until it returns something truthy; throws after `ms`. */
export async function waitFor(what, fn, ms = 60_000, every = 200) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(every);
  }
  throw new Error(`timeout after ${ms} ms waiting for ${what} (last: ${String(last).slice(0, 500)})`);
}

/** Starts a child in its own process group, output to `<logDir>/<name>.log`. */
export function start(name, cmd, args, opts) {
  const out = fs.openSync(join(opts.logDir, `${name}.log`), "w");
  const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ["ignore", out, out], detached: true });
  children.push(child);
  return child;
}

function signal(child, sig) {
  try {
    process.kill(-child.pid, sig);
  } catch {
    // already gone
  }
}

/** Stops the children started so far that `which` selects (all by default): SIGTERM, then SIGKILL. */
export async function stopAll(which = () => true) {
  const stopping = children.filter(which);
  for (const c of stopping) children.splice(children.indexOf(c), 1);
  for (const c of stopping) {
    signal(c, "SIGTERM");
    const exited = await Promise.race([
      new Promise((r) => c.once("exit", () => r(true))),
      sleep(3000).then(() => false),
    ]);
    if (!exited) signal(c, "SIGKILL");
  }
}

export { freePort } from "@polar-ide/testing";

export function sortKeys(o) {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
