/**
 * Every value the client computes for `diagnostic_load` is computed in this file: the identifiers,
 * the counters merged over the loads of a batch, the gauges, the file-extension set and the
 * environment. (The docs' "link to code" column points here.) Pure functions over plain JSON
 * objects, so the aggregate can be persisted as is and the tests need no clock.
 */
import { createHmac, randomBytes } from "node:crypto";
import {
  CODE_PROPERTIES,
  DIAGNOSTIC_CODES,
  EVENT_NAME,
  LSP_METHODS,
  PROPERTIES,
  PROPERTY_BY_NAME,
  SCHEMA_VERSION,
  OTHER,
  lspMethodProperty,
  type DiagnosticCode,
  type EventProperties,
  type TrackEvent,
} from "../schema.js";
import { parseTelemetryEvent } from "../protocol.js";
import { describeSensitive } from "../validate.js";
import type { HostEnvironment } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Identity
//
// Both identifiers are keyed hashes under the installation's secret (256 random bits drawn on
// first use, kept in the extension's local state, never sent). Neither uses `machineId`: VS
// Code's machineId is a hash of a MAC address that other extensions send too, so anything
// computed from it (and a public salt) could be recomputed by whoever knows or guesses it.
// Both include the UTC month, so nothing sent in one month can be joined with another month.

/** The calendar month (UTC) of a time, `YYYY-MM`: the rotation period of both identifiers. */
export function calendarMonth(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 7);
}

/** The calendar day (UTC) of a time, `YYYY-MM-DD`: the period of the daily cap. */
export function calendarDay(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

/** Hex HMAC-SHA-256 under the installation secret of the `\n`-joined parts (none contains `\n` but the last). */
function keyedHash(secretHex: string, parts: readonly string[]): string {
  return createHmac("sha256", Buffer.from(secretHex, "hex")).update(parts.join("\n")).digest("hex");
}

/**
 * `distinct_id`: HMAC-SHA-256(secret, `distinct_id` + month), hex. Hex because VS Code's
 * telemetry scrubber mangles base64. The same installation is a new, unrelated "user" every month.
 */
export function distinctId(secretHex: string, month: string): string {
  return keyedHash(secretHex, ["distinct_id", month]);
}

/**
 * `workspace_folder`: HMAC-SHA-256(secret, `workspace_folder` + month + folder URI), hex. A plain
 * hash with a public prefix (Oso's) lets anyone confirm a guessed path such as
 * `file:///home/alice/acme`; without the secret nobody can. The month keeps a join on this value
 * from linking an installation's ids of two months.
 */
export function workspaceFolderId(secretHex: string, month: string, folderUri: string): string {
  return keyedHash(secretHex, ["workspace_folder", month, folderUri]);
}

/**
 * The `workspace_folder` of an aggregate saved by an earlier version, which kept folders under
 * a month-less HMAC (the folder URI itself is not stored anywhere, so it cannot be re-hashed):
 * a fresh monthly id derived from the old key, so that the old, never-rotating value is not sent.
 */
export function migratedFolderId(secretHex: string, month: string, oldKey: string): string {
  return keyedHash(secretHex, ["workspace_folder.migrated", month, oldKey]);
}

/** A new per-installation secret: 256 random bits, hex. */
export function newSecret(): string {
  return randomBytes(32).toString("hex");
}

/** A new `$insert_id`: 128 random bits, hex (the schema's format; Mixpanel accepts ≤ 36 characters). */
export function newInsertId(): string {
  return randomBytes(16).toString("hex");
}

// ---------------------------------------------------------------------------------------------
// Aggregation

/**
 * The merged loads of one workspace folder, as persisted (plain JSON). `insertId` is drawn when
 * the aggregate starts and travels with it into the sealed event, so the pending view shows the
 * exact id that will be sent, and a retry re-sends the same id.
 */
export interface FolderAggregate {
  readonly insertId: string;
  /** Every counter property (required ones, `<code>_count`, `LSP_method_<method>_count`). */
  counters: Record<string, number>;
  /** Gauges of the latest load. */
  gauges: Record<string, number>;
  /** Union of the file extensions, in first-seen order. */
  extensions: string[];
}

/** Counter properties the client always sends; `<code>_count` and LSP counters are added below. */
const BASE_COUNTERS = [
  "diagnostic_count",
  "error_count",
  "warning_count",
  "load_success_count",
  "load_failure_count",
  "unknown_diagnostic_count",
] as const;

const CODE_SET: ReadonlySet<string> = new Set(DIAGNOSTIC_CODES);

/** Names of the gauge properties, from the schema (the analyzer's policy and resource-block stats). */
export const GAUGE_NAMES: readonly string[] = PROPERTIES.filter((p) => p.kind === "gauge").map((p) => p.name);

function limits(name: string): { min: number; max: number } {
  const v = PROPERTY_BY_NAME.get(name)?.value;
  return v !== undefined && v.type === "integer"
    ? { min: v.min, max: v.max }
    : { min: 0, max: Number.MAX_SAFE_INTEGER };
}

const EXTENSIONS_SPEC = PROPERTY_BY_NAME.get("LSP_file_extensions")?.value;
const MAX_EXTENSIONS = EXTENSIONS_SPEC?.type === "string-set" ? EXTENSIONS_SPEC.maxItems : 16;

/** An empty aggregate with a fresh `$insert_id`. */
export function emptyAggregate(insertId: string = newInsertId()): FolderAggregate {
  const counters: Record<string, number> = {};
  for (const name of BASE_COUNTERS) counters[name] = 0;
  for (const name of CODE_PROPERTIES.values()) counters[name] = 0;
  for (const method of LSP_METHODS) counters[lspMethodProperty(method)] = 0;
  const gauges: Record<string, number> = {};
  for (const name of GAUGE_NAMES) gauges[name] = 0;
  return { insertId, counters, gauges, extensions: [] };
}

/** A deep copy (aggregates are mutated in place by `addLoad`). */
export function cloneAggregate(a: FolderAggregate): FolderAggregate {
  return { insertId: a.insertId, counters: { ...a.counters }, gauges: { ...a.gauges }, extensions: [...a.extensions] };
}

function add(a: FolderAggregate, name: string, by: number): void {
  const { max } = limits(name);
  // Saturate instead of overflowing the schema's bound (the collector would reject the event).
  a.counters[name] = Math.min(max, (a.counters[name] ?? 0) + by);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A file extension as collected: `polar`, or `other` for anything else (the schema allows only
 * these two, so that no file name can leak through its extension).
 */
export function normalizeExtension(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  const ext = (raw.startsWith(".") ? raw.slice(1) : raw).toLowerCase();
  return fits("LSP_file_extensions", ext) ? ext : OTHER;
}

/**
 * Merges one `telemetry/event` payload into an aggregate. Only `severity` and `code` of each
 * diagnostic are read — never messages, ranges or URIs. Returns why the payload was ignored, or
 * null when it was merged. A payload whose LSP method is not one of the four cannot be
 * attributed (the schema's counters must add up), so it is ignored as a whole.
 */
export function addLoad(a: FolderAggregate, payload: unknown): string | null {
  const parsed = parseTelemetryEvent(payload);
  if (!parsed.ok) return parsed.reason;
  const { diagnostics, lsp_event: lsp } = parsed.event;

  let errors = 0;
  let warnings = 0;
  const codes: string[] = [];
  for (const d of diagnostics) {
    // LSP severities: 1 error, 2 warning. Polar reports nothing else; anything else is skipped
    // so that error_count + warning_count = diagnostic_count holds.
    if (d.severity === 1) errors++;
    else if (d.severity === 2) warnings++;
    else continue;
    codes.push(typeof d.code === "string" && CODE_SET.has(d.code) ? d.code : "");
  }

  add(a, "diagnostic_count", errors + warnings);
  add(a, "error_count", errors);
  add(a, "warning_count", warnings);
  add(a, errors === 0 ? "load_success_count" : "load_failure_count", 1);
  for (const code of codes) {
    // Codes off the allow-list are counted, never named: a code is free text from the server.
    if (code === "") add(a, "unknown_diagnostic_count", 1);
    else add(a, CODE_PROPERTIES.get(code as DiagnosticCode) ?? "unknown_diagnostic_count", 1);
  }
  add(a, lspMethodProperty(lsp.lsp_method), 1);

  for (const raw of lsp.lsp_file_extensions) {
    const ext = normalizeExtension(raw);
    if (ext !== null && !a.extensions.includes(ext) && a.extensions.length < MAX_EXTENSIONS) a.extensions.push(ext);
  }

  // Gauges: the latest load wins. A missing or malformed value reads as 0.
  const policy = parsed.event.policy_stats;
  const blocks = parsed.event.resource_block_stats;
  for (const name of GAUGE_NAMES) {
    const raw = name in policy ? policy[name] : blocks[name];
    const { min, max } = limits(name);
    a.gauges[name] = raw === undefined ? 0 : Math.min(max, Math.max(min, Math.trunc(raw)));
  }
  return null;
}

/** Whether an aggregate holds at least one load (an event must report one). */
export function hasLoads(a: FolderAggregate): boolean {
  return (a.counters.load_success_count ?? 0) + (a.counters.load_failure_count ?? 0) > 0;
}

/** Checks a persisted value before trusting it (the store may hold anything after a downgrade). */
export function parseAggregate(v: unknown): FolderAggregate | null {
  if (!isRecord(v) || typeof v.insertId !== "string" || !/^[0-9a-f]{32}$/.test(v.insertId)) return null;
  if (!isRecord(v.counters) || !isRecord(v.gauges) || !Array.isArray(v.extensions)) return null;
  const a = emptyAggregate(v.insertId);
  for (const name of Object.keys(a.counters)) {
    const n = v.counters[name];
    if (typeof n === "number" && Number.isInteger(n) && n >= 0) a.counters[name] = Math.min(limits(name).max, n);
  }
  for (const name of GAUGE_NAMES) {
    const n = v.gauges[name];
    if (typeof n === "number" && Number.isInteger(n) && n >= 0) a.gauges[name] = Math.min(limits(name).max, n);
  }
  for (const raw of v.extensions) {
    const ext = normalizeExtension(raw);
    if (ext !== null && !a.extensions.includes(ext) && a.extensions.length < MAX_EXTENSIONS) a.extensions.push(ext);
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Environment

/** Normalized environment properties, each one valid under the schema. */
export type EnvironmentProperties = Readonly<Record<keyof HostEnvironment, string | boolean>>;

/** Whether a string value passes the schema's check of a property (pattern, length, not sensitive). */
function fits(name: string, value: string): boolean {
  const spec = PROPERTY_BY_NAME.get(name)?.value;
  if (spec === undefined || (spec.type !== "string" && spec.type !== "string-set")) return false;
  spec.pattern.lastIndex = 0;
  return value.length <= spec.maxLength && describeSensitive(value) === null && spec.pattern.test(value);
}

function pick(name: keyof HostEnvironment, raw: unknown, fallback: string, lower = true): string {
  if (typeof raw !== "string") return fallback;
  const v = lower ? raw.trim().toLowerCase() : raw.trim();
  return fits(name, v) ? v : fallback;
}

/** The property's allow-list (`values` in the schema); `pick` falls back to `other` off the list. */
function allowListed(name: keyof HostEnvironment, raw: unknown): string {
  return pick(name, raw, OTHER);
}

/**
 * The environment properties, normalized so that every one passes the schema: the OS release
 * keeps only its first three numbers (`6.8.0-1026-azure` → `6.8.0`, Oso's rule); the OS, CPU,
 * extension, app host and remote kind are allow-lists (anything else is `other`, so no free text
 * such as a fork's publisher or a remote's host name is ever sent); a missing remote is `none`,
 * and `ssh-remote+host` keeps only its kind. A version the schema would reject becomes `0.0.0`,
 * so one odd value cannot block every event, and nothing unexpected is ever sent.
 */
export function normalizeEnvironment(host: Partial<HostEnvironment>): EnvironmentProperties {
  const release =
    typeof host.platformversion === "string" ? /^(\d+)(\.\d+)?(\.\d+)?/.exec(host.platformversion.trim()) : null;
  const remote =
    typeof host.remotename === "string" && host.remotename.trim() !== ""
      ? (host.remotename.trim().split("+")[0] ?? "")
      : "none";
  return {
    os: allowListed("os", host.os),
    nodeArch: allowListed("nodeArch", host.nodeArch),
    platformversion: release !== null ? pick("platformversion", release[0], "0") : "0",
    extname: allowListed("extname", host.extname),
    extversion: pick("extversion", host.extversion, "0.0.0", false),
    vscodeversion: pick("vscodeversion", host.vscodeversion, "0.0.0", false),
    product: allowListed("product", host.product),
    uikind: pick("uikind", host.uikind, "unknown"),
    remotename: allowListed("remotename", remote),
    isnewappinstall: host.isnewappinstall === true,
  };
}

// ---------------------------------------------------------------------------------------------
// The event

/** What, besides the aggregate, an event is made of. */
export interface EventContext {
  readonly distinctId: string;
  readonly workspaceFolder: string;
  readonly environment: EnvironmentProperties;
  readonly token: string;
}

/**
 * Builds the `/track` event of one folder's aggregate: exactly the schema's properties, in its
 * order (the optional `mp_lib` / `$lib_version` of Mixpanel's libraries are not sent). No time,
 * no IP, no session id — the schema has no such property and the collector rejects them.
 */
export function buildEvent(a: FolderAggregate, ctx: EventContext): TrackEvent {
  const properties: EventProperties = {};
  for (const spec of PROPERTIES) {
    const name = spec.name;
    switch (spec.kind) {
      case "identifier":
        if (name === "distinct_id") properties[name] = ctx.distinctId;
        else if (name === "workspace_folder") properties[name] = ctx.workspaceFolder;
        break;
      case "counter":
        if (name === "LSP_file_extensions") properties[name] = [...a.extensions].sort();
        else properties[name] = a.counters[name] ?? 0;
        break;
      case "gauge":
        properties[name] = a.gauges[name] ?? 0;
        break;
      case "environment": {
        const v = (ctx.environment as Record<string, string | boolean>)[name];
        if (v !== undefined) properties[name] = v;
        break;
      }
      case "protocol":
        if (name === "$insert_id") properties[name] = a.insertId;
        else if (name === "schema_version") properties[name] = SCHEMA_VERSION;
        else if (name === "token") properties[name] = ctx.token;
        break;
    }
  }
  return { event: EVENT_NAME, properties };
}
