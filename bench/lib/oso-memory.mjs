/**
 * Memory of Oso 0.27.3's engine holding a policy: the policy's files are written to a temporary
 * directory and loaded by a fresh Node process (oso-load.mjs --memory) with the policy's classes
 * registered; returns that process's resident and peak resident memory after the load, in MB, or
 * NaNs when the engine rejected the policy (the reason goes to stderr).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const OSO_LOAD = fileURLToPath(new URL("./oso-load.mjs", import.meta.url));

/** @param {{ classes: string[], files: { name: string, text: string }[] }} policy */
export function osoMemory(policy) {
  const dir = mkdtempSync(join(tmpdir(), "bench-oso-memory-"));
  try {
    const paths = policy.files.map((f, i) => {
      // The file names may be URIs or nested paths: keep only a safe, unique name.
      const path = join(dir, `${String(i).padStart(4, "0")}-${f.name.replace(/[^A-Za-z0-9_.-]/g, "_")}`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.text);
      return path;
    });
    const r = spawnSync(process.execPath, [OSO_LOAD, "--memory", policy.classes.join(","), ...paths], {
      encoding: "utf8",
      maxBuffer: 1 << 26,
    });
    if (r.status !== 0) {
      process.stderr.write(`Oso memory run failed: ${r.stderr}\n`);
      return { rssMb: NaN, peakMb: NaN };
    }
    return JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
