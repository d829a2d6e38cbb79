/**
 * `polar-format`: the analyzer's formatter on the command line. Files are found and read as
 * polar-check finds and reads them (files.ts); `run` takes its I/O as a parameter so tests can
 * call it in-process, format-main.ts wires it to the process.
 */
import { chmodSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { formatPolar, lineIndexOf, parseFile } from "@polar-ide/analyzer";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE, type CliIo } from "./cli.js";
import { collectFiles, InputError, ioError, readPolicyFile } from "./files.js";
import { FORMAT_OPTION_LIST, FORMAT_USAGE, parseFormatOptions } from "./format-options.js";
import { UsageError } from "./options.js";

/** `file:line:column: CODE: message` for the first syntax error of a text that does not parse. */
function syntaxError(path: string, text: string): string {
  const parsed = parseFile({ name: path, text });
  if (parsed.ok) return `${path}: not formatted (the formatter could not keep its meaning)`;
  const d = parsed.error;
  const at = d.context === null ? { line: 0, character: 0 } : lineIndexOf({ text }).position(d.context.start);
  return `${path}:${at.line + 1}:${at.character + 1}: ${d.code}: ${d.message} (not formatted)`;
}

/**
 * Replaces `path`'s content: the new text goes to a temporary file beside it, which then takes
 * the original's place (and mode), so an interrupted run never leaves a half-written policy.
 */
function replaceFile(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.polar-format-${process.pid}.tmp`);
  try {
    const mode = statSync(path).mode;
    writeFileSync(temp, text, { mode });
    chmodSync(temp, mode);
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw ioError(e, path);
  }
}

/** Runs polar-format with the given arguments and returns the exit status. */
export function runFormat(argv: readonly string[], io: CliIo): number {
  let options;
  try {
    options = parseFormatOptions(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`polar-format: ${e.message}.\nValid options: ${FORMAT_OPTION_LIST}; see 'polar-format --help'.\n`);
    return EXIT_USAGE;
  }
  if (options === "help") {
    io.stdout(FORMAT_USAGE);
    return EXIT_OK;
  }

  let status = EXIT_OK;
  try {
    const files = collectFiles(options.paths).sort();
    // Read everything first: an unreadable file stops the run before anything is written.
    const texts = files.map((file) => [file, readPolicyFile(file)] as const);
    for (const [file, text] of texts) {
      const formatted = formatPolar(text)?.text ?? null;
      if (formatted === null) {
        io.stderr(`${syntaxError(file, text)}\n`);
        status = EXIT_ERRORS;
        if (options.mode === "print") io.stdout(text);
        continue;
      }
      if (options.mode === "print") io.stdout(formatted);
      else if (formatted !== text) {
        if (options.mode === "check") status = EXIT_ERRORS;
        else replaceFile(file, formatted);
        io.stdout(`${file}\n`);
      }
    }
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    io.stderr(`polar-format: ${e.message}\n`);
    return EXIT_USAGE;
  }
  return status;
}
