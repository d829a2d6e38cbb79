/**
 * polar-check as one CommonJS script: dist/main.js and everything it imports (the analyzer's
 * dist included) bundled by esbuild into dist/polar-check.bundle.cjs, with the list of its inputs
 * beside it (see bundle-freshness.ts). A CI run is mostly start-up on small policies: Node then
 * resolves, reads and compiles one file instead of about fifty modules, and, the bundle and the
 * launcher being CommonJS, never initialises its ES module loader; together that saves tens of
 * milliseconds of every run (bench/cli.mjs measures the whole process).
 *
 * Built by `npm run build -w @polar-ide/cli` (after `tsc -b`) and by the CLI benchmark; a build
 * tool, never imported by the CLI itself.
 */
import { renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { BUNDLE_FILE, BUNDLE_INPUTS_FILE, type BundleInputs } from "./bundle-freshness.js";

export interface BundleOptions {
  /** The compiled entry point (default: this package's dist/main.js). */
  readonly entry?: string;
  /** Where the bundle and its inputs list go (default: the entry's directory). */
  readonly outDir?: string;
}

/** Writes `text` to `path` atomically (a launcher starting meanwhile sees the old or the new file). */
function writeAtomically(path: string, text: string | Uint8Array): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/** Bundles the CLI; returns the bundle's path and its inputs (relative to the bundle's directory). */
export async function bundleCli(options: BundleOptions = {}): Promise<{ bundle: string; inputs: string[] }> {
  const entry = options.entry ?? fileURLToPath(new URL("./main.js", import.meta.url));
  const outDir = resolve(options.outDir ?? dirname(entry));
  const bundle = join(outDir, BUNDLE_FILE);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    outfile: bundle,
    write: false,
    metafile: true,
    logLevel: "silent",
    banner: { js: "// polar-check bundled by @polar-ide/cli's src/bundle.ts; do not edit." },
  });
  const output = result.outputFiles.find((f) => f.path === bundle) ?? result.outputFiles[0];
  if (output === undefined) throw new Error("esbuild produced no output");
  // Metafile inputs are relative to esbuild's working directory; the list is relative to the bundle.
  const inputs = Object.keys(result.metafile.inputs).map((input) => relative(outDir, resolve(input)));
  const list: BundleInputs = { inputs };
  writeAtomically(bundle, output.contents);
  writeAtomically(join(outDir, BUNDLE_INPUTS_FILE), JSON.stringify(list, null, 2) + "\n");
  return { bundle, inputs };
}
