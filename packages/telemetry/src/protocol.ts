/**
 * The language server's `telemetry/event` notification, declared once for both ends (the model is
 * rust-analyzer's `lsp_ext.ts`): the language server builds its payload with these types, and the
 * telemetry client reads what arrives with `parseTelemetryEvent`. The payload keeps Oso's shape:
 * `{diagnostics, lsp_event: {lsp_method, lsp_file_extensions}, policy_stats, resource_block_stats}`.
 *
 * No dependency on an LSP library: the types are the JSON the notification carries.
 */

/** The LSP notification the payload travels in (server → client; LSP's own telemetry notification). */
export const TELEMETRY_EVENT_METHOD = "telemetry/event";

/** The four LSP notifications that trigger a load (the payload's `lsp_event.lsp_method`). */
export const LSP_METHODS = [
  "textDocument/didOpen",
  "textDocument/didChange",
  "workspace/didChangeWatchedFiles",
  "workspace/didDeleteFiles",
] as const;

/** One of `LSP_METHODS`. */
export type LspMethod = (typeof LSP_METHODS)[number];

const METHOD_SET: ReadonlySet<string> = new Set(LSP_METHODS);

/** Whether a value is one of the four methods. */
export function isLspMethod(value: unknown): value is LspMethod {
  return typeof value === "string" && METHOD_SET.has(value);
}

/**
 * What telemetry reads of each diagnostic the server published (an LSP `Diagnostic`): its
 * severity (1 error, 2 warning) and its code. The server sends whole diagnostics (messages,
 * ranges, sources); nothing else of them is ever read, and `parseTelemetryEvent` does not copy it.
 */
export interface TelemetryDiagnostic {
  readonly severity?: number;
  readonly code?: string | number;
}

/** What triggered the load. */
export interface LspEvent {
  readonly lsp_method: LspMethod;
  /** Extensions (no dot) of the files named by the notification(s), de-duplicated. */
  readonly lsp_file_extensions: readonly string[];
}

/**
 * The `telemetry/event` payload: one per load. `D` is the diagnostic type of the sender (the
 * language server's payload carries whole LSP diagnostics).
 */
export interface TelemetryEventParams<D extends TelemetryDiagnostic = TelemetryDiagnostic> {
  /** Every published diagnostic of the load. */
  readonly diagnostics: readonly D[];
  readonly lsp_event: LspEvent;
  /** The analyzer's policy counters (`total_rules`, `polar_files`, …). */
  readonly policy_stats: Readonly<Record<string, number>>;
  /** The analyzer's resource-block counters (`resource_blocks`, `roles`, …). */
  readonly resource_block_stats: Readonly<Record<string, number>>;
}

/** `parseTelemetryEvent`'s answer: the payload, or why it cannot be used. */
export type TelemetryEventParse =
  { readonly ok: true; readonly event: TelemetryEventParams } | { readonly ok: false; readonly reason: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The finite numbers of a stats object; anything else reads as absent. */
function stats(v: unknown): Record<string, number> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(
    Object.entries(v).filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1])),
  );
}

/**
 * Reads a received payload (anything a server may send). A payload that is not an object, or
 * whose `lsp_event.lsp_method` is not one of the four, cannot be attributed to a load and is
 * refused with the reason. The rest is read tolerantly, each part on its own: a missing or
 * malformed list reads as empty, diagnostics that are not objects are skipped, a severity that is
 * not a number or a code that is neither a string nor a number reads as absent, extensions that
 * are not strings and stats that are not finite numbers are dropped. Only the fields declared
 * above are copied, so nothing else a payload holds (messages, URIs) reaches the caller.
 */
export function parseTelemetryEvent(value: unknown): TelemetryEventParse {
  if (!isRecord(value)) return { ok: false, reason: "payload is not an object" };
  const lsp = value.lsp_event;
  if (!isRecord(lsp) || !isLspMethod(lsp.lsp_method)) {
    return { ok: false, reason: "payload has no known lsp_event.lsp_method" };
  }
  const diagnostics: TelemetryDiagnostic[] = [];
  for (const d of Array.isArray(value.diagnostics) ? (value.diagnostics as unknown[]) : []) {
    if (!isRecord(d)) continue;
    const severity = typeof d.severity === "number" ? d.severity : undefined;
    const code = typeof d.code === "string" || typeof d.code === "number" ? d.code : undefined;
    diagnostics.push({
      ...(severity === undefined ? {} : { severity }),
      ...(code === undefined ? {} : { code }),
    });
  }
  const extensions = Array.isArray(lsp.lsp_file_extensions)
    ? (lsp.lsp_file_extensions as unknown[]).filter((e): e is string => typeof e === "string")
    : [];
  return {
    ok: true,
    event: {
      diagnostics,
      lsp_event: { lsp_method: lsp.lsp_method, lsp_file_extensions: extensions },
      policy_stats: stats(value.policy_stats),
      resource_block_stats: stats(value.resource_block_stats),
    },
  };
}
