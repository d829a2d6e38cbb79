/**
 * The command line of polar-check: the help text, the option table, and parsing argv into
 * {@link Options}. Every problem with the command line is a {@link UsageError}: one sentence naming
 * the problem, printed with the list of valid options.
 */
import { parseArgs } from "node:util";
import { ACTOR_UNION_NAME, BUILTIN_CLASSES, RESOURCE_UNION_NAME, type ClassEnvironment } from "@polar-ide/analyzer";

/** Printed in text output in place of a file name for diagnostics that have no source location. */
export const NO_FILE_LABEL = "<policy>";

/** Code of the note reported for every inline query (`?=`) in the engine view. */
export const INLINE_QUERY_NOTE_CODE = "InlineQueryNotRun";

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
                       Oso refuses to register ${ACTOR_UNION_NAME}, ${RESOURCE_UNION_NAME} and the built-in
                       classes (${BUILTIN_CLASSES.join(", ")}), so they cannot be listed.
  --mro Sub:Base,...   extra ancestors of registered classes (needs --classes)
  -h, --help           show this help

What polar-check does not do:
  - It never runs inline queries (\`?= query;\`). Oso.loadFiles runs each one and fails the load
    when one has no result (e.g. \`?= 1 = 2;\`). With --classes every inline query is reported as
    a note (${INLINE_QUERY_NOTE_CODE}), which never changes the exit status.
  - It does not know your application: which classes exist and what they inherit from come from
    --classes and --mro, and a clean run without --classes says nothing about them.

Text output (stdout) prints each diagnostic as \`file:line:column: error|warning CODE: message\`,
with 1-based lines and columns (columns in UTF-16 code units, as LSP counts them); diagnostics
that belong to no file (e.g. a missing allow rule) are printed once, with ${NO_FILE_LABEL} for the
file. Multi-line messages keep their line breaks. Then come the notes
(\`file:line:column: note ${INLINE_QUERY_NOTE_CODE}: ...\`), a line saying which checks did not run
when loading stopped at an unrecoverable error (a parse error, a file-loading or a
resource-block error: as in Oso, later checks do not run), the statistics with --stats, and a
last line saying what was checked: \`checked 3 files, 41 rules: no problems\`.

JSON output (stdout) is one document: {"files", "diagnostics", "stats", "notes", "load"}, where
"load" is {"stage": "complete" | "stopped-after-files" | "stopped-after-shorthand",
"checksNotRun": [...]}. Each diagnostic and note is {"file", "code", "severity", "message",
"range"} (severity "note" for notes). An I/O problem prints {"error": {"kind": "io" |
"no-polar-files", "message", "paths", "code"}} instead (and the message on stderr). Command-line
mistakes are reported on stderr only, in either format.

Exit status: 0 without errors (warnings and notes do not count), 1 when there are errors, 2 for
usage or I/O problems.
`;

/** The valid options, listed after every usage error. */
export const OPTION_LIST = "--format text|json, --stats, --classes A,B,..., --mro Sub:Base,..., -h/--help";

/** A bad command line; exits with status 2. `message` is one sentence without a final period. */
export class UsageError extends Error {}

export interface Options {
  readonly format: "text" | "json";
  readonly stats: boolean;
  /** null: the editor view (no --classes). */
  readonly environment: ClassEnvironment | null;
  readonly paths: readonly string[];
}

const STRING_OPTIONS = new Set(["format", "classes", "mro"]);
const BOOLEAN_OPTIONS = new Set(["stats", "help"]);

/**
 * Why Oso refuses to register a class under `name`, or null when it accepts it. Checked against
 * oso@0.27.3: `registerClass` fails for the two union names (polar-core's `register_constant`)
 * and for the built-in classes the `Polar` constructor has registered (DuplicateClassAliasError).
 */
export function refusedClassReason(name: string): string | null {
  if (name === ACTOR_UNION_NAME || name === RESOURCE_UNION_NAME) {
    return `it is Oso's built-in union of the policy's ${name === ACTOR_UNION_NAME ? "actor" : "resource"} types, and Oso refuses to register a class under that name`;
  }
  if ((BUILTIN_CLASSES as readonly string[]).includes(name)) {
    return "it is a built-in class that Oso registers itself (so it is always registered here too), and Oso refuses to register it again";
  }
  return null;
}

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * Parses the arguments (without `node` and the script). Returns "help" when help is asked for,
 * anywhere on the line; throws a {@link UsageError} on the first problem otherwise.
 */
export function parseOptions(argv: readonly string[]): Options | "help" {
  // Non-strict parsing with tokens, so that every problem gets a message of ours instead of
  // Node's multi-line ones; the tokens are validated below.
  const { tokens } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: {
      format: { type: "string" },
      stats: { type: "boolean" },
      classes: { type: "string", multiple: true },
      mro: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
  });
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) return "help";

  let format: string | undefined;
  let stats = false;
  const classes: string[] = [];
  const mroPairs: string[] = [];
  let sawClasses = false;
  let sawMro = false;
  const paths: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") {
      paths.push(token.value);
      continue;
    }
    if (token.kind !== "option") continue;
    const { name, rawName, value } = token;
    if (STRING_OPTIONS.has(name)) {
      // `--format --stats`: the next option was taken as the value; `--format=-x` is explicit.
      if (value === undefined || (!token.inlineValue && value.startsWith("-"))) {
        throw new UsageError(`option '${rawName}' needs a value`);
      }
      if (name === "format") format = value;
      else if (name === "classes") {
        sawClasses = true;
        classes.push(...splitList(value));
      } else {
        sawMro = true;
        mroPairs.push(...splitList(value));
      }
    } else if (BOOLEAN_OPTIONS.has(name)) {
      if (value !== undefined) throw new UsageError(`option '${rawName}' takes no value`);
      if (name === "stats") stats = true;
    } else {
      throw new UsageError(`unknown option '${rawName}'`);
    }
  }

  if (format !== undefined && format !== "text" && format !== "json") {
    throw new UsageError(`unknown format '${format}' (--format takes 'text' or 'json')`);
  }
  let environment: ClassEnvironment | null = null;
  if (sawClasses) {
    for (const name of classes) {
      const reason = refusedClassReason(name);
      if (reason !== null) throw new UsageError(`--classes cannot list '${name}': ${reason}`);
    }
    const mro: Record<string, string[]> = {};
    for (const pair of mroPairs) {
      const colon = pair.indexOf(":");
      const sub = pair.slice(0, colon).trim();
      const base = pair.slice(colon + 1).trim();
      if (colon < 0 || sub === "" || base === "") {
        throw new UsageError(`--mro takes Sub:Base pairs, and '${pair}' is not one`);
      }
      (mro[sub] ??= []).push(base);
    }
    environment = { classes: [...new Set(classes)], mro, builtins: true };
  } else if (sawMro) {
    throw new UsageError("--mro needs --classes, since ancestors are given for registered classes");
  }
  if (paths.length === 0) throw new UsageError("no PATH given (name at least one Polar file or directory)");
  return { format: format === "json" ? "json" : "text", stats, environment, paths };
}
