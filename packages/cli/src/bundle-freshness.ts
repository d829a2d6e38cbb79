/**
 * Whether polar-check's one-file bundle (see bundle.ts) may be run in place of the modules in
 * dist/: only while it is at least as new as every file it was built from. A `tsc -b` after the
 * bundling rewrites some of those files, and from then on the launcher runs the modules again
 * until the bundle is rebuilt, so a stale bundle never answers for newer code.
 *
 * The check itself is in bin/bundle-launcher.js, which the launcher runs on every start: it is
 * CommonJS so that a polar-check process never initialises Node's ES module loader. This module
 * is its typed face for the bundler and the tests (both directories, src/ and dist/, sit beside bin/).
 */
import { createRequire } from "node:module";

interface BundleLauncher {
  readonly BUNDLE_FILE: string;
  readonly BUNDLE_INPUTS_FILE: string;
  readonly freshBundle: (dir: string) => string | null;
}

const launcher = createRequire(import.meta.url)("../bin/bundle-launcher.js") as BundleLauncher;

/** The bundle's file name (a CommonJS script), in the directory it was built into. */
export const BUNDLE_FILE = launcher.BUNDLE_FILE;
/** Beside the bundle: `{ "inputs": [paths relative to that directory] }`. */
export const BUNDLE_INPUTS_FILE = launcher.BUNDLE_INPUTS_FILE;

/** The inputs list written beside the bundle. */
export interface BundleInputs {
  readonly inputs: readonly string[];
}

/**
 * The path of the bundle in directory `dir` when it exists and no input is newer than it; `null`
 * when it is missing, stale, an input is gone, or the inputs list is missing or unreadable (then
 * the caller runs the modules, which is always correct).
 */
export const freshBundle: (dir: string) => string | null = launcher.freshBundle;
