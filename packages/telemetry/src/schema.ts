/**
 * The `diagnostic_load` telemetry event (docs/architecture.md §3): every property it may carry, defined once.
 *
 * The extension builds events from it, the collector validates and stores them with it, and the
 * docs generator prints the seed's "data / purpose" table from it. A property that is not listed
 * here is rejected by the collector, so adding data to the event starts with this file (and a
 * new `SCHEMA_VERSION`).
 */
import { DIAGNOSTIC_CODES, type DiagnosticCode } from "@polar-ide/analyzer/codes";
import { LSP_METHODS, type LspMethod } from "./protocol.js";

/** Name of the one event the extension sends. */
export const EVENT_NAME = "diagnostic_load";

/** Bumped whenever a property is added, removed or changes meaning. */
export const SCHEMA_VERSION = 1;

/**
 * How a property behaves when the client merges the loads of one workspace folder into one event:
 * - `identifier`: one-way hashes that tell users / projects apart; constant within an event;
 * - `counter`: summed over every load in the batch;
 * - `gauge`: the value of the last load wins;
 * - `environment`: facts about the editor and machine, constant per installation;
 * - `protocol`: transport fields (dedupe key, schema version, project token, library tag).
 */
export type PropertyKind = "identifier" | "counter" | "gauge" | "environment" | "protocol";

/**
 * Value types, each with its own validation in `validate.ts`. A string (or string-set item) with
 * `values` is an allow-list: its `pattern` is built from exactly those values (`oneOf`), so the
 * validator, which checks the pattern, and the client, which maps anything else to `other`,
 * agree by construction.
 */
export type PropertyType =
  | { readonly type: "integer"; readonly min: number; readonly max: number }
  | {
      readonly type: "string";
      readonly pattern: RegExp;
      readonly maxLength: number;
      readonly example: string;
      readonly values?: readonly string[];
    }
  | { readonly type: "boolean" }
  | {
      readonly type: "string-set";
      readonly pattern: RegExp;
      readonly maxLength: number;
      readonly maxItems: number;
      readonly example: string;
      readonly values?: readonly string[];
    };

/** One property of the event. */
export interface PropertySpec {
  readonly name: string;
  readonly kind: PropertyKind;
  readonly value: PropertyType;
  /** Absent optional counters mean 0; other optional properties are added by some senders only. */
  readonly required: boolean;
  /** What is collected, in the words of the seed's "Data collected" column. */
  readonly data: string;
  /** Why it is collected: the seed's "Purpose" column. */
  readonly purpose: string;
  /** The source file that computes the value, for the docs' "link to code" column. */
  readonly source: string;
  /**
   * Identifiers only: what whoever holds the stored events (the operator of the sink) can and
   * cannot learn from this value. Printed in the docs next to the derivation in `data`.
   */
  readonly reveals?: string;
}

/** The value every allow-list ends with: anything not listed is sent as this, never as itself. */
export const OTHER = "other";

/** File name extensions `LSP_file_extensions` may name (a file called `notes.alice` must not send "alice"). */
export const FILE_EXTENSIONS = ["polar", OTHER] as const;

/**
 * `vscode.env.appHost`: `desktop` on the desktop; on the web the embedder's identifier — VS Code
 * documents `github.dev` and `codespaces`, VS Code Server's own web client (`code serve-web`,
 * code-server) sets `server-distro`, and an embedder that says nothing is `web`.
 */
export const APP_HOSTS = ["desktop", "web", "github.dev", "codespaces", "server-distro", OTHER] as const;

/**
 * `vscode.env.remoteName` (the part of the remote authority before `+`): the remote kinds VS
 * Code's own telemetry reports by name (`cleanRemoteAuthority` in VS Code's telemetryUtils.ts),
 * `none` when the window is local, `other` for any other remote extension's name.
 */
export const REMOTE_NAMES = [
  "none",
  "ssh-remote",
  "dev-container",
  "attached-container",
  "wsl",
  "tunnel",
  "codespaces",
  "amlext",
  OTHER,
] as const;

/** `os.platform()` values Node.js documents. */
export const OS_PLATFORMS = [
  "aix",
  "android",
  "cygwin",
  "darwin",
  "freebsd",
  "haiku",
  "linux",
  "netbsd",
  "openbsd",
  "sunos",
  "win32",
  OTHER,
] as const;

/** `os.arch()` values Node.js documents. */
export const CPU_ARCHITECTURES = [
  "arm",
  "arm64",
  "ia32",
  "loong64",
  "mips",
  "mipsel",
  "ppc",
  "ppc64",
  "riscv64",
  "s390",
  "s390x",
  "x64",
  OTHER,
] as const;

/**
 * Extensions that send `diagnostic_load` (`publisher.name`): this one as packaged, and Oso's,
 * whose event this is. A fork's identifier (which can name a person) is sent as `other`.
 */
export const EXTENSION_IDS = ["polar-ide.polar-ide", "osohq.oso", OTHER] as const;

/** `vscode.env.uiKind`, or `unknown`. */
export const UI_KINDS = ["desktop", "web", "unknown"] as const;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** A string property that takes exactly one of `values` (an allow-list). */
export function oneOf(
  values: readonly string[],
  example: string = values[0] ?? "",
): PropertyType & { readonly type: "string" } {
  return {
    type: "string",
    pattern: new RegExp(`^(${values.map(escapeRegExp).join("|")})$`),
    maxLength: Math.max(...values.map((v) => v.length)),
    example,
    values,
  };
}

/**
 * Every code `diagnostic_load` can report: the allow-list for `<code>_count`. Declared once, by
 * the analyzer that reports them (`@polar-ide/analyzer/codes`, a module with no imports).
 */
export { DIAGNOSTIC_CODES, type DiagnosticCode };

// The four LSP notifications that trigger a load are part of the language server's
// `telemetry/event` payload, declared in `protocol.ts`; re-exported here for the schema's users.
export { LSP_METHODS, type LspMethod } from "./protocol.js";

/**
 * Turns a diagnostic code or an LSP method into the middle of a property name: every run of
 * characters other than ASCII letters and digits becomes one `_`, so
 * `ParseError::UnrecognizedEOF` → `ParseError_UnrecognizedEOF` and `textDocument/didOpen` →
 * `textDocument_didOpen`. Codes and methods contain no `_`, so the mapping is reversible, and the
 * names stay safe for SQL columns, Mixpanel reports and VS Code's telemetry scrubber (which
 * treats `/` as a path separator).
 */
export function propertySafe(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, "_");
}

/** Property name of the counter of one diagnostic code: `ParseError_UnrecognizedEOF_count`. */
export function codeProperty(code: DiagnosticCode): string {
  return `${propertySafe(code)}_count`;
}

/** Property name of the counter of one LSP method: `LSP_method_textDocument_didOpen_count`. */
export function lspMethodProperty(method: LspMethod): string {
  return `LSP_method_${propertySafe(method)}_count`;
}

const LINK_BASE = "packages";
// A file, or a folder whose .ts files (recursively) the docs generator searches for the line.
const CLIENT_SOURCE = `${LINK_BASE}/telemetry/src/client`;
const STATS_SOURCE = `${LINK_BASE}/analyzer/src/stats.ts`;
const SERVER_SOURCE = `${LINK_BASE}/language-server/src`;

/** Counters of one batch can sum an hour of loads; 10^7 is far above anything real. */
const COUNTER: PropertyType = { type: "integer", min: 0, max: 10_000_000 };
const GAUGE: PropertyType = { type: "integer", min: 0, max: 1_000_000 };
const HEX64: PropertyType = { type: "string", pattern: /^[0-9a-f]{64}$/, maxLength: 64, example: "a".repeat(64) };

function counter(name: string, data: string, purpose: string, required = true): PropertySpec {
  return { name, kind: "counter", value: COUNTER, required, data, purpose, source: CLIENT_SOURCE };
}

function gauge(name: string, data: string, purpose: string, value: PropertyType = GAUGE): PropertySpec {
  return { name, kind: "gauge", value, required: true, data, purpose, source: STATS_SOURCE };
}

function environment(name: string, data: string, value: PropertyType): PropertySpec {
  return {
    name,
    kind: "environment",
    value,
    required: true,
    data,
    purpose: "Know which platforms and versions to support and test on.",
    source: CLIENT_SOURCE,
  };
}

const FEATURE_USAGE = "Feature usage stats.";

/** Every property of `diagnostic_load`, in the order the docs list them. */
export const PROPERTIES: readonly PropertySpec[] = [
  {
    name: "distinct_id",
    kind: "identifier",
    value: HEX64,
    required: true,
    data: "HMAC-SHA-256, keyed by a random 256-bit secret created on this installation that never leaves it, of the text `distinct_id` and the UTC calendar month (`YYYY-MM`), hex. Derived from nothing else: not from `machineId`, a MAC address, a user or host name",
    purpose:
      "Distinguish users in a non-identifiable way. This helps us distinguish 1 user encountering the same error 10,000 times from 1,000 users each encountering it 10 times.",
    source: CLIENT_SOURCE,
    reveals:
      "Can learn: how many installations sent events in a month, and which events of that month came from the same installation. Cannot learn: who or which machine it is (nobody without the secret can compute an id, from a known `machineId`, a MAC address range or anything else); that two installations share a machine or a user (each has its own secret); nor which id of another month belongs to the same installation (the month is inside the keyed hash, so ids of two months are unrelated).",
  },
  {
    name: "workspace_folder",
    kind: "identifier",
    value: HEX64,
    required: true,
    data: "HMAC-SHA-256, keyed by the same per-installation secret, of the text `workspace_folder`, the UTC calendar month (`YYYY-MM`) and the workspace folder's URI, hex",
    purpose: "Distinguish errors occurring in project A from errors occurring in project B.",
    source: CLIENT_SOURCE,
    reveals:
      "Can learn: how many distinct folders an installation used in a month, and which events of that month came from the same folder. Cannot learn: the folder's path or name (a guessed path cannot be checked without the secret); that two installations opened the same folder (different secrets); nor that a folder of one month is a folder of another month (the month is inside the keyed hash, so joining on this value never links two months).",
  },
  counter("diagnostic_count", "# of diagnostics encountered, summed over the loads of the batch", FEATURE_USAGE),
  counter("error_count", "# of errors encountered, summed over the loads of the batch", FEATURE_USAGE),
  counter("warning_count", "# of warnings encountered, summed over the loads of the batch", FEATURE_USAGE),
  counter("load_success_count", "# of loads that resulted in no errors", FEATURE_USAGE),
  counter("load_failure_count", "# of loads that resulted in at least one error", FEATURE_USAGE),
  counter(
    "unknown_diagnostic_count",
    "# of diagnostics whose code is not on the allow-list",
    "Notice new diagnostic kinds without ever sending a code we did not list.",
  ),
  ...DIAGNOSTIC_CODES.map((code) =>
    counter(
      codeProperty(code),
      `# of \`${code}\` diagnostics encountered`,
      "Learn which errors users run into most, and how many users hit each.",
      false,
    ),
  ),
  gauge("total_rules", "# of rules in the loaded policy", FEATURE_USAGE),
  gauge("inline_queries", "# of inline queries in the loaded policy", FEATURE_USAGE),
  gauge("longhand_rules", '# of "regular" (non-shorthand) rules in the loaded policy', FEATURE_USAGE),
  gauge(
    "polar_chars",
    "# of characters across all files in the loaded policy",
    "Get a (very) rough sense of how much Polar code the average policy contains.",
    { type: "integer", min: 0, max: 1_000_000_000 },
  ),
  gauge(
    "polar_files",
    "# of Polar files in the loaded policy",
    "Get a rough sense for how common multi-file policies are.",
  ),
  gauge(
    "rule_types",
    "# of rule types in the loaded policy",
    "Distinguish invalid rule type errors for built-in rule types vs. (possibly) user-defined rule types.",
  ),
  gauge("resource_blocks", "# of resource blocks (actor & resource) in the loaded policy", FEATURE_USAGE),
  gauge("actors", "# of `actor` blocks in the loaded policy", FEATURE_USAGE),
  gauge("resources", "# of `resource` blocks in the loaded policy", FEATURE_USAGE),
  gauge("declarations", "# of declarations (roles, permissions, and relations) in loaded policy", FEATURE_USAGE),
  gauge("roles", "# of roles declared in loaded policy", FEATURE_USAGE),
  gauge("permissions", "# of permissions declared in loaded policy", FEATURE_USAGE),
  gauge("relations", "# of relations declared in loaded policy", FEATURE_USAGE),
  gauge("shorthand_rules", "# of shorthand rules in loaded policy", FEATURE_USAGE),
  gauge(
    "cross_resource_shorthand_rules",
    "# of shorthand rules that cross resource boundaries in loaded policy",
    FEATURE_USAGE,
  ),
  ...LSP_METHODS.map((method): PropertySpec => ({
    name: lspMethodProperty(method),
    kind: "counter",
    value: COUNTER,
    required: false,
    data: `# of loads triggered by the LSP notification \`${method}\``,
    purpose: "Learn which editor events trigger loads, to tune when the server re-checks a policy.",
    source: SERVER_SOURCE,
  })),
  {
    name: "LSP_file_extensions",
    kind: "counter",
    // An allow-list, not a free-form pattern: a file named `notes.alice` would otherwise send "alice".
    value: { ...oneOf(FILE_EXTENSIONS), type: "string-set", maxItems: FILE_EXTENSIONS.length },
    required: true,
    data: "Set of file name extensions of the files involved in the loads, united over the batch",
    purpose: "Learn which file extensions Polar policies use, to pick the files the server watches.",
    source: SERVER_SOURCE,
  },
  environment("os", "Operating system (`os.platform()`)", oneOf(OS_PLATFORMS, "linux")),
  environment("nodeArch", "CPU architecture (`os.arch()`)", oneOf(CPU_ARCHITECTURES, "x64")),
  environment("platformversion", "Operating system version, up to three numbers (`os.release()`)", {
    type: "string",
    pattern: /^\d{1,6}(\.\d{1,6}){0,2}$/,
    maxLength: 20,
    example: "6.1.0",
  }),
  environment("extname", "Extension identifier (`publisher.name`)", oneOf(EXTENSION_IDS, "osohq.oso")),
  environment("extversion", "Extension version", {
    type: "string",
    pattern: /^\d{1,6}\.\d{1,6}\.\d{1,6}(-[0-9A-Za-z.]{1,20})?$/,
    maxLength: 40,
    example: "0.27.3",
  }),
  environment("vscodeversion", "VS Code version (`vscode.version`)", {
    type: "string",
    pattern: /^\d{1,6}\.\d{1,6}\.\d{1,6}(-[0-9A-Za-z.]{1,20})?$/,
    maxLength: 40,
    example: "1.100.3",
  }),
  environment("product", "Where VS Code runs (`vscode.env.appHost`)", oneOf(APP_HOSTS)),
  environment("uikind", "UI kind (`vscode.env.uiKind`)", oneOf(UI_KINDS)),
  environment("remotename", "Kind of remote (`vscode.env.remoteName`), `none` when local", oneOf(REMOTE_NAMES)),
  environment("isnewappinstall", "Whether VS Code was installed less than a day ago (`vscode.env.isNewAppInstall`)", {
    type: "boolean",
  }),
  {
    name: "$insert_id",
    kind: "protocol",
    value: { type: "string", pattern: /^[0-9a-f]{32}$/, maxLength: 32, example: "0".repeat(32) },
    required: true,
    data: "Random 128-bit id of the event, hex",
    purpose:
      "Lets the collector drop a batch that is sent twice (a retry after a lost answer), so nothing is counted twice.",
    source: CLIENT_SOURCE,
  },
  {
    name: "schema_version",
    kind: "protocol",
    value: { type: "integer", min: SCHEMA_VERSION, max: SCHEMA_VERSION },
    required: true,
    data: "Version of this schema",
    purpose: "Read old and new events correctly after the event changes.",
    source: CLIENT_SOURCE,
  },
  {
    name: "token",
    kind: "protocol",
    value: { type: "string", pattern: /^[A-Za-z0-9_-]{1,64}$/, maxLength: 64, example: "polar-ide" },
    required: true,
    data: "Project token of the telemetry sink (the same for every installation; not stored)",
    purpose: "Route events to the right project; the collector rejects unknown tokens.",
    source: CLIENT_SOURCE,
  },
  {
    name: "mp_lib",
    kind: "protocol",
    value: { type: "string", pattern: /^[a-z0-9_-]{1,16}$/, maxLength: 16, example: "node" },
    required: false,
    data: "Name of the Mixpanel client library, when events are sent with one",
    purpose: "Added by Mixpanel's client libraries; accepted so that they can send unchanged.",
    source: CLIENT_SOURCE,
  },
  {
    name: "$lib_version",
    kind: "protocol",
    value: { type: "string", pattern: /^\d{1,6}\.\d{1,6}\.\d{1,6}$/, maxLength: 20, example: "0.18.0" },
    required: false,
    data: "Version of the Mixpanel client library, when events are sent with one",
    purpose: "Added by Mixpanel's client libraries; accepted so that they can send unchanged.",
    source: CLIENT_SOURCE,
  },
];

/** `PROPERTIES` by name. */
export const PROPERTY_BY_NAME: ReadonlyMap<string, PropertySpec> = new Map(PROPERTIES.map((p) => [p.name, p]));

/** The property name of every allow-listed code, by code. */
export const CODE_PROPERTIES: ReadonlyMap<DiagnosticCode, string> = new Map(
  DIAGNOSTIC_CODES.map((code) => [code, codeProperty(code)]),
);

/**
 * Names that must never appear, with the reason given back to the sender: Mixpanel's own
 * time, IP and geolocation fields would store exactly what the design promises never to store.
 */
export const FORBIDDEN_PROPERTIES: ReadonlyMap<string, string> = new Map([
  ["time", "timestamps are never collected"],
  ["$time", "timestamps are never collected"],
  ["timestamp", "timestamps are never collected"],
  ["$timestamp", "timestamps are never collected"],
  ["ip", "IP addresses are never collected"],
  ["$ip", "IP addresses are never collected"],
  ["vscodesessionid", "session ids are never collected"],
  ["$device_id", "device ids are never collected"],
  ["$user_id", "user ids are never collected"],
  ["$city", "locations are never collected"],
  ["$region", "locations are never collected"],
  ["mp_country_code", "locations are never collected"],
]);

/** The properties of one event: numbers, strings, booleans and sets of strings. */
export type EventProperties = Record<string, number | string | boolean | string[]>;

/** One event as it travels in Mixpanel's `/track` format. */
export interface TrackEvent {
  readonly event: typeof EVENT_NAME;
  readonly properties: EventProperties;
}
