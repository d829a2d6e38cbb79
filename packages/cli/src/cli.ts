/**
 * `polar-check`: loads Polar files together, as Oso's engine would, and prints the diagnostics in
 * compiler style or as JSON, optionally with the statistics the language server's telemetry
 * would record for them. `run` ties the parts together and takes its I/O as a parameter so tests
 * can call it in-process; main.ts only wires it to the process.
 */
import { Policy } from "@polar-ide/analyzer";
import { collectFiles, InputError, readPolicyFile } from "./files.js";
import { OPTION_LIST, parseOptions, UsageError, USAGE } from "./options.js";
import { inlineQueryNotes, jsonError, jsonReport, textReport } from "./report.js";

/** Where `run` writes; every call is one complete chunk of text. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Exit statuses. */
export const EXIT_OK = 0;
export const EXIT_ERRORS = 1;
export const EXIT_USAGE = 2;

/** Runs polar-check with the given arguments (without `node` and the script) and returns the exit status. */
export function run(argv: readonly string[], io: CliIo): number {
  let options;
  try {
    options = parseOptions(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`polar-check: ${e.message}.\nValid options: ${OPTION_LIST}; see 'polar-check --help'.\n`);
    return EXIT_USAGE;
  }
  if (options === "help") {
    io.stdout(USAGE);
    return EXIT_OK;
  }

  const policy = new Policy();
  try {
    for (const file of collectFiles(options.paths)) policy.set(file, readPolicyFile(file));
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    io.stderr(`polar-check: ${e.message}\n`);
    if (options.format === "json") io.stdout(JSON.stringify(jsonError(e), null, 2) + "\n");
    return EXIT_USAGE;
  }

  const analysis = policy.analyze({ environment: options.environment });
  // Inline queries are noted in the engine view only: the editor view mirrors the language server.
  const notes = options.environment === null ? [] : inlineQueryNotes(analysis.load);
  const report = { files: policy.names(), analysis, notes };
  if (options.format === "json") io.stdout(JSON.stringify(jsonReport(report), null, 2) + "\n");
  else io.stdout(textReport(report, { stats: options.stats }));
  return analysis.diagnostics.some((d) => d.severity === "error") ? EXIT_ERRORS : EXIT_OK;
}
