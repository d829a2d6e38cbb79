/**
 * Whether polar-check's one-file bundle (see bundle.ts) may be run in place of the modules in
 * dist/: only while it is at least as new as every file it was built from. A `tsc -b` after the
 * bundling rewrites some of those files, and from then on the launcher runs the modules again
 * until the bundle is rebuilt, so a stale bundle never answers for newer code.
 *
 * The launcher (bin/polar-check.js) runs this on every start, so it only reads one small JSON
 * file and stats the inputs (about fifty).
 */
import { readFileSync, statSync } from "node:fs";

/** The bundle's file name, in the directory it was built into. */
export const BUNDLE_FILE = "polar-check.bundle.js";
/** Beside the bundle: `{ "inputs": [paths relative to that directory] }`. */
export const BUNDLE_INPUTS_FILE = "polar-check.bundle.json";

/** The inputs list written beside the bundle. */
export interface BundleInputs {
  readonly inputs: readonly string[];
}

/**
 * The URL of the bundle in `dir` (a directory URL ending in `/`) when it exists and no input is
 * newer than it; `null` when it is missing, stale, an input is gone, or the inputs list is
 * missing or unreadable (then the caller runs the modules, which is always correct).
 */
export function freshBundle(dir: URL): string | null {
  try {
    const bundle = new URL(BUNDLE_FILE, dir);
    const built = statSync(bundle).mtimeMs;
    const list = JSON.parse(readFileSync(new URL(BUNDLE_INPUTS_FILE, dir), "utf8")) as Partial<BundleInputs>;
    if (!Array.isArray(list.inputs)) return null;
    for (const input of list.inputs) {
      if (typeof input !== "string" || statSync(new URL(input, dir)).mtimeMs > built) return null;
    }
    return bundle.href;
  } catch {
    // Missing or unreadable: not fresh.
    return null;
  }
}
