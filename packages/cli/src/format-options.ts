/**
 * The command line of polar-format: the help text and parsing argv. Problems are polar-check's
 * {@link UsageError}s (one sentence, printed with the list of valid options).
 */
import { parseArgs } from "node:util";
import { FORMAT_WIDTH } from "@polar-ide/analyzer";
import { UsageError } from "./options.js";

export const FORMAT_USAGE = `Usage: polar-format [--check | --write] PATH...

Formats Polar files in the one canonical layout of docs/formatting.md (lines up to ${FORMAT_WIDTH}
columns, comments kept where they were). PATHs are files, or directories whose *.polar files
(below, sorted by path) are all formatted.

Options:
  --check      print the files that are not formatted (one per line) and change nothing
  --write      rewrite the files that are not formatted, in place, and print their names
  -h, --help   show this help

Without --check or --write, the formatted text of every file is printed on stdout, one file
after the other. A file with a syntax error is never formatted: its first error is reported on
stderr (\`file:line:column: CODE: message\`), and it is printed unchanged.

Exit status: 0 when every file is formatted (or was formatted now); 1 when --check found a file
that is not formatted, or a file has a syntax error; 2 for usage or I/O problems.
`;

export const FORMAT_OPTION_LIST = "--check, --write, -h/--help";

export interface FormatOptions {
  readonly mode: "print" | "check" | "write";
  readonly paths: readonly string[];
}

/** Parses the arguments (without `node` and the script); "help" when help is asked for. */
export function parseFormatOptions(argv: readonly string[]): FormatOptions | "help" {
  const { tokens } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: { check: { type: "boolean" }, write: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) return "help";
  let check = false;
  let write = false;
  const paths: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") paths.push(token.value);
    if (token.kind !== "option") continue;
    if (token.name !== "check" && token.name !== "write") throw new UsageError(`unknown option '${token.rawName}'`);
    if (token.value !== undefined) throw new UsageError(`option '${token.rawName}' takes no value`);
    if (token.name === "check") check = true;
    else write = true;
  }
  if (check && write) throw new UsageError("--check and --write cannot be used together");
  if (paths.length === 0) throw new UsageError("no PATH given (name at least one Polar file or directory)");
  return { mode: check ? "check" : write ? "write" : "print", paths };
}
