/**
 * `polar-check`: loads Polar files together, as Oso's engine would, and prints the diagnostics in
 * compiler style or as JSON, optionally with the statistics the language server's telemetry
 * would record for them. `run` holds all the logic and takes its I/O as a parameter so tests can
 * call it in-process; main.ts only wires it to the process.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Policy, type ClassEnvironment, type PolicyStatistics, type PublishedDiagnostic } from "@polar-ide/analyzer";

/** Where `run` writes; every call is one complete chunk of text. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Exit statuses. */
export const EXIT_OK = 0;
export const EXIT_ERRORS = 1;
export const EXIT_USAGE = 2;

/** Printed in text output in place of a file name for diagnostics that have no source location. */
export const NO_FILE_LABEL = "<policy>";

export const USAGE = `Usage: polar-check [--format text|json] [--stats] [--classes A,B,...] [--mro Sub:Base,...] PATH...

Loads every given Polar file, and every *.polar file below every given directory, together
(sorted by path) and reports what Oso 0.27.3 reports when loading them.

Options:
  --format text|json   output format (default: text)
  --stats              also print the policy statistics (text format; JSON always includes them)
  --classes A,B,...    classes the application registers: reports what the engine reports,
                       including unregistered classes, singleton variables and unknown
                       specializers (the built-in classes are registered too). Without it,
                       reports what the editor shows, which drops those three kinds.
  --mro Sub:Base,...   extra ancestors of registered classes (needs --classes)
  -h, --help           show this help

Text output prints each diagnostic as \`file:line:column: error|warning CODE: message\`, with
1-based lines and columns (columns in UTF-16 code units, as LSP counts them); diagnostics that
belong to no file (e.g. a missing allow rule) are printed once, with ${NO_FILE_LABEL} for the file.
Multi-line messages keep their line breaks.

Exit status: 0 without errors, 1 when there are errors, 2 for usage or I/O problems.
`;

/** A bad command line (`hint`: point to --help) or an unreadable path; both exit with status 2. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly hint = true,
  ) {
    super(message);
  }
}

interface Options {
  readonly format: "text" | "json";
  readonly stats: boolean;
  readonly environment: ClassEnvironment | null;
  readonly paths: readonly string[];
}

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function parseOptions(argv: readonly string[]): Options | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: "string" },
        stats: { type: "boolean" },
        classes: { type: "string", multiple: true },
        mro: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const v = parsed.values;
  if (v.help === true) return "help";
  const format = v.format ?? "text";
  if (format !== "text" && format !== "json") {
    throw new UsageError(`--format must be 'text' or 'json', not '${format}'`);
  }
  let environment: ClassEnvironment | null = null;
  if (v.classes !== undefined) {
    const classes = [...new Set(v.classes.flatMap(splitList))];
    const mro: Record<string, string[]> = {};
    for (const pair of (v.mro ?? []).flatMap(splitList)) {
      const colon = pair.indexOf(":");
      const sub = pair.slice(0, colon).trim();
      const base = pair.slice(colon + 1).trim();
      if (colon < 0 || sub === "" || base === "") {
        throw new UsageError(`--mro expects Sub:Base pairs, got '${pair}'`);
      }
      (mro[sub] ??= []).push(base);
    }
    environment = { classes, mro, builtins: true };
  } else if (v.mro !== undefined) {
    throw new UsageError("--mro needs --classes");
  }
  if (parsed.positionals.length === 0) throw new UsageError("no PATH given");
  return { format, stats: v.stats === true, environment, paths: parsed.positionals };
}

/** Every `*.polar` file below `dir` (symbolic links to directories are not followed, to avoid cycles). */
function polarFilesBelow(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) polarFilesBelow(path, out);
    else if (entry.name.endsWith(".polar") && (entry.isFile() || (entry.isSymbolicLink() && isFile(path)))) {
      out.push(path);
    }
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function describe(e: unknown): string {
  if (e instanceof Error && "code" in e && typeof e.code === "string") {
    const syscall = "syscall" in e && typeof e.syscall === "string" ? e.syscall : "access";
    return `${e.code} (${syscall})`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Files named on the command line plus the Polar files in named directories, deduplicated. */
function collectFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch (e) {
      throw new UsageError(`cannot read '${path}': ${describe(e)}`, false);
    }
    if (stat.isDirectory()) {
      try {
        polarFilesBelow(path, files);
      } catch (e) {
        throw new UsageError(`cannot read directory '${path}': ${describe(e)}`, false);
      }
    } else {
      files.push(path);
    }
  }
  // Policy orders its files (by code points) itself; this only removes paths named twice.
  const unique = [...new Set(files)];
  if (unique.length === 0) throw new UsageError(`no .polar files found in ${paths.join(", ")}`, false);
  return unique;
}

function formatDiagnostic(d: PublishedDiagnostic): string {
  const where = d.file === null ? NO_FILE_LABEL : `${d.file}:${d.range.start.line + 1}:${d.range.start.character + 1}`;
  return `${where}: ${d.severity} ${d.code}: ${d.message}\n`;
}

function formatStats(stats: PolicyStatistics): string {
  const lines = ["policy_stats:"];
  for (const [k, v] of Object.entries(stats.policy_stats)) lines.push(`  ${k}: ${v}`);
  lines.push("resource_block_stats:");
  for (const [k, v] of Object.entries(stats.resource_block_stats)) lines.push(`  ${k}: ${v}`);
  return lines.join("\n") + "\n";
}

/** Runs polar-check with the given arguments (without `node` and the script) and returns the exit status. */
export function run(argv: readonly string[], io: CliIo): number {
  try {
    const options = parseOptions(argv);
    if (options === "help") {
      io.stdout(USAGE);
      return EXIT_OK;
    }
    const files = collectFiles(options.paths);
    const policy = new Policy();
    for (const file of files) {
      let text;
      try {
        text = readFileSync(file, "utf8");
      } catch (e) {
        throw new UsageError(`cannot read '${file}': ${describe(e)}`, false);
      }
      policy.set(file, text);
    }
    const { diagnostics, stats } = policy.analyze({ environment: options.environment });
    if (options.format === "json") {
      io.stdout(JSON.stringify({ files: policy.names(), diagnostics, stats }, null, 2) + "\n");
    } else {
      io.stdout(diagnostics.map(formatDiagnostic).join(""));
      if (options.stats) io.stdout(formatStats(stats));
    }
    return diagnostics.some((d) => d.severity === "error") ? EXIT_ERRORS : EXIT_OK;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`polar-check: ${e.message}\n`);
      if (e.hint) io.stderr("Try 'polar-check --help' for usage.\n");
      return EXIT_USAGE;
    }
    throw e;
  }
}
