/**
 * The client's collaborators, all injected so that the client is pure TypeScript (no `vscode`
 * import) and its tests are deterministic: a clock, a JSON store, a sender and a logger.
 */
import type { TrackEvent } from "../schema.js";

/**
 * Persistent key/value storage of JSON values (VS Code's `ExtensionContext.globalState` fits:
 * `get` is synchronous, `update` returns a thenable). `set(key, undefined)` deletes the key.
 */
export interface Store {
  get(key: string): unknown;
  set(key: string, value: unknown): void | PromiseLike<void>;
}

/** Time source and timers; the tests drive a fake one. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Where the client reports what it does and what went wrong (an output channel, the console). */
export type Logger = (message: string) => void;

/**
 * What became of one batch:
 * - `ok`: accepted, the batch is done;
 * - `retry`: a network error, a 5xx or a 429 — send the same batch again later
 *   (`retryAfterMs` when the sink said how long to wait);
 * - `drop`: any other answer (4xx, a rejected payload) — sending it again cannot help.
 */
export type SendResult =
  | { readonly kind: "ok" }
  | { readonly kind: "retry"; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: "drop"; readonly reason: string };

/** Delivers one batch of events in one request. Must resolve (never reject); `signal` aborts the request. */
export interface Sender {
  send(events: readonly TrackEvent[], signal?: AbortSignal): Promise<SendResult>;
}

/**
 * Facts about the editor and machine, given by the host (the extension reads them from `vscode`
 * and `os`). They are normalized and checked against the schema before use (see
 * `normalizeEnvironment`), so a value the schema would reject becomes a neutral placeholder
 * instead of making every event invalid.
 */
export interface HostEnvironment {
  /** `os.platform()` */
  readonly os: string;
  /** `os.arch()` */
  readonly nodeArch: string;
  /** `os.release()`; only its first three numbers are kept. */
  readonly platformversion: string;
  /** `publisher.name` of the extension */
  readonly extname: string;
  readonly extversion: string;
  /** `vscode.version` */
  readonly vscodeversion: string;
  /** `vscode.env.appHost` */
  readonly product: string;
  /** `desktop`, `web` or `unknown` */
  readonly uikind: string;
  /** `vscode.env.remoteName`, or undefined when local */
  readonly remotename: string | undefined;
  /** `vscode.env.isNewAppInstall` */
  readonly isnewappinstall: boolean;
}

/** A diagnostic as the language server publishes it; only `severity` and `code` are ever read. */
export interface ServerDiagnostic {
  readonly severity?: unknown;
  readonly code?: unknown;
}

/** The language server's `telemetry/event` payload (Oso's shape). Anything else is ignored. */
export interface ServerTelemetryEvent {
  readonly diagnostics: readonly ServerDiagnostic[];
  readonly lsp_event: { readonly lsp_method: string; readonly lsp_file_extensions: readonly string[] };
  readonly policy_stats: Readonly<Record<string, unknown>>;
  readonly resource_block_stats: Readonly<Record<string, unknown>>;
}
