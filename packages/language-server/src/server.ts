/**
 * The Polar language server: Oso's `polar-language-server` semantics on the Polar IDE analyzer,
 * plus editor features. `startServer` holds all the logic; `main.ts` only creates the connection
 * (VS Code's CSS server is the model).
 *
 * Oso's semantics kept here:
 * - every document the client tells about is part of the policy; `didClose` keeps it (the whole
 *   policy matters, not only open editors); full-text sync;
 * - after every load, diagnostics are published for every tracked document with its version
 *   (empty lists clear stale ones) and a final empty list for each removed document;
 * - after every load a `telemetry/event` with Oso's payload shape is sent.
 *
 * Beyond Oso: folders deleted outside the editor are noticed by checking that tracked `file:`
 * documents still exist; a burst of notifications is analysed once (the superseded intermediate
 * states are never published); every handler is contained by `runSafe`.
 */
import { parseFile, Policy, type Line, type PublishedDiagnostic } from "@polar-ide/analyzer";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  DiagnosticSeverity,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  TextDocumentSyncKind,
  WatchKind,
  type CancellationToken,
  type Connection,
  type Diagnostic,
  type DocumentSymbol,
  type Hover,
  type InitializeParams,
  type InitializeResult,
  type Location,
  type Position,
} from "vscode-languageserver";
import { definition, documentSymbols, hover, type ParsedDocument } from "./features.js";
import { formatError, runSafe, runSafeNotification, type Logger } from "./run-safe.js";
import { fileExists as defaultFileExists, isSameOrUnder, uniqueExtensions } from "./uris.js";

/** `source` of every published diagnostic, as Oso's server sets it. */
export const DIAGNOSTIC_SOURCE = "Polar Language Server";

/** The four notifications that trigger a load, as named in the telemetry event. */
export type LspMethod =
  "textDocument/didOpen" | "textDocument/didChange" | "workspace/didChangeWatchedFiles" | "workspace/didDeleteFiles";

/** The `telemetry/event` payload, in Oso's shape. */
export interface TelemetryEvent {
  readonly diagnostics: Diagnostic[];
  readonly lsp_event: { readonly lsp_method: LspMethod; readonly lsp_file_extensions: string[] };
  readonly policy_stats: Record<string, number>;
  readonly resource_block_stats: Record<string, number>;
}

/** What the server needs from its host; injectable for tests. */
export interface RuntimeEnvironment {
  /** Whether a tracked `file:` URI still exists on disk. */
  fileExists(uri: string): Promise<boolean>;
  /** Milliseconds clock, for the load scheduler's cap. */
  now(): number;
}

/** `initializationOptions` the server understands (all optional). */
export interface PolarInitializationOptions {
  /**
   * Interval of the check that tracked `file:` documents still exist (catches folders removed
   * outside the editor); 0 turns it off. Default 2000 ms.
   */
  existenceCheckIntervalMs?: number;
}

const DEFAULT_EXISTENCE_CHECK_MS = 2000;
/** A document must be missing in this many consecutive checks before it is dropped (editors save by rename). */
const MISSING_CHECKS_BEFORE_REMOVAL = 2;
/** Longest a load waits for a burst of notifications to end. */
const MAX_LOAD_DELAY_MS = 50;

interface Tracked {
  readonly uri: string;
  version: number | null;
  document: TextDocument;
  /** Bumped on every change, to tell a snapshot from the current state. */
  revision: number;
  /** The existence check saw the file on disk: only such documents are dropped when missing. */
  seenOnDisk: boolean;
  missingChecks: number;
  parsed: { revision: number; lines: readonly Line[] } | null;
}

/** Notifications received since the last load, merged. */
interface PendingLoad {
  method: LspMethod;
  readonly uris: string[];
}

/**
 * Wires the Polar language server to a connection and starts listening. All state lives in this
 * closure, one server per connection (one per project root).
 */
export function startServer(connection: Connection, runtime: Partial<RuntimeEnvironment> = {}): { dispose(): void } {
  const env: RuntimeEnvironment = {
    fileExists: runtime.fileExists ?? defaultFileExists,
    now: runtime.now ?? (() => performance.now()),
  };
  // Logging must never throw (a closed connection throws on send), or it would defeat runSafe.
  const logger: Logger = {
    error: (message) => {
      try {
        connection.console.error(message);
      } catch {
        // Nowhere left to report to.
      }
    },
  };
  const log = (message: string): void => {
    try {
      connection.console.log(`[pls] ${message}`);
    } catch {
      // Nowhere left to report to.
    }
  };

  const docs = new Map<string, Tracked>();
  const policy = new Policy();
  /** Documents removed since the last load: they get a final empty list, with their last version. */
  const removed = new Map<string, number | null>();
  let revisions = 0;
  let pending: PendingLoad | null = null;
  /** Event-loop turns since the last load request (-1: a request in this turn). */
  let quietTurns = 0;
  let existenceTimer: NodeJS.Timeout | null = null;
  let checking = false;

  // ------------------------------------------------------------------------------------------
  // Document state

  function upsert(uri: string, version: number | null, text: string): void {
    const existing = docs.get(uri);
    revisions++;
    if (existing === undefined) {
      docs.set(uri, {
        uri,
        version,
        document: TextDocument.create(uri, "polar", version ?? 0, text),
        revision: revisions,
        seenOnDisk: false,
        missingChecks: 0,
        parsed: null,
      });
      removed.delete(uri);
      void noteOnDisk(uri);
    } else {
      existing.version = version;
      existing.document = TextDocument.create(uri, "polar", version ?? 0, text);
      existing.revision = revisions;
    }
    policy.set(uri, text);
  }

  function remove(uri: string): boolean {
    const doc = docs.get(uri);
    if (doc === undefined) return false;
    docs.delete(uri);
    policy.delete(uri);
    removed.set(uri, doc.version);
    revisions++;
    return true;
  }

  /** Removes every tracked document that is `uri` or lies under it (a deleted folder). */
  function removeUnder(uri: string): string[] {
    const gone: string[] = [];
    for (const tracked of [...docs.keys()]) {
      if (isSameOrUnder(tracked, uri) && remove(tracked)) gone.push(tracked);
    }
    return gone;
  }

  function parsed(doc: Tracked): ParsedDocument {
    if (doc.parsed === null || doc.parsed.revision !== doc.revision) {
      const result = parseFile({ name: doc.uri, text: doc.document.getText() });
      doc.parsed = { revision: doc.revision, lines: result.ok ? result.lines : [] };
    }
    return { uri: doc.uri, document: doc.document, lines: doc.parsed.lines };
  }

  function allParsed(): ParsedDocument[] {
    return [...docs.values()].map(parsed);
  }

  // ------------------------------------------------------------------------------------------
  // Loads: analyse, publish, report

  /**
   * Requests a load for a notification. The load runs once the connection has handled every
   * message already queued (a full event-loop turn without a new load request), or after
   * MAX_LOAD_DELAY_MS: a burst of edits is analysed once, for the newest versions, and the
   * superseded versions are never published. The telemetry event of a merged load names the
   * last notification's method and the extensions of all of them (one event per load).
   */
  function requestLoad(method: LspMethod, uris: readonly string[]): void {
    if (pending !== null) {
      pending.method = method;
      pending.uris.push(...uris);
      quietTurns = -1;
      return;
    }
    pending = { method, uris: [...uris] };
    quietTurns = -1;
    const started = env.now();
    const tick = (): void => {
      // Run after one full event-loop turn without a new request. The connection handles one queued
      // message per turn and schedules the next one after the handler that requested this load, so
      // the turn right after a request does not yet tell whether more messages are queued.
      quietTurns++;
      if (quietTurns >= 1 || env.now() - started >= MAX_LOAD_DELAY_MS) {
        runSafeNotification(logger, load, "Polar load failed");
        return;
      }
      setImmediate(tick);
    };
    setImmediate(tick);
  }

  function load(): void {
    const event = pending;
    pending = null;
    if (event === null) return;
    const deleted = [...removed.entries()];
    removed.clear();
    const analysis = policy.analyze({ deletedFiles: deleted.length });

    const byUri = new Map<string, Diagnostic[]>();
    for (const uri of docs.keys()) byUri.set(uri, []);
    for (const d of analysis.diagnostics) {
      const lsp = toLspDiagnostic(d);
      if (d.file === null) {
        for (const list of byUri.values()) list.push(lsp);
      } else {
        const list = byUri.get(d.file);
        if (list !== undefined) list.push(lsp);
        else log(`diagnostic for untracked document ${d.file}: ${d.code}`);
      }
    }

    // Oso publishes from a map ordered by URI; removed documents are part of the same map.
    const publications: { uri: string; version: number | null; diagnostics: Diagnostic[] }[] = [];
    for (const [uri, version] of deleted) publications.push({ uri, version, diagnostics: [] });
    for (const [uri, diagnostics] of byUri)
      publications.push({ uri, version: docs.get(uri)?.version ?? null, diagnostics });
    publications.sort((a, b) => compareCodePoints(a.uri, b.uri));

    for (const p of publications) {
      void connection.sendDiagnostics(
        p.version === null
          ? { uri: p.uri, diagnostics: p.diagnostics }
          : { uri: p.uri, version: p.version, diagnostics: p.diagnostics },
      );
    }
    const telemetry: TelemetryEvent = {
      diagnostics: publications.flatMap((p) => p.diagnostics),
      lsp_event: { lsp_method: event.method, lsp_file_extensions: uniqueExtensions(event.uris) },
      policy_stats: { ...analysis.stats.policy_stats },
      resource_block_stats: { ...analysis.stats.resource_block_stats },
    };
    connection.telemetry.logEvent(telemetry);
  }

  // ------------------------------------------------------------------------------------------
  // Existence check: folders removed outside the editor (`rm -r`) send no event VS Code forwards.

  async function noteOnDisk(uri: string): Promise<void> {
    if (!uri.startsWith("file:")) return;
    try {
      const exists = await env.fileExists(uri);
      const doc = docs.get(uri);
      if (exists && doc !== undefined) doc.seenOnDisk = true;
    } catch (e) {
      logger.error(formatError(`existence check of ${uri} failed`, e));
    }
  }

  /**
   * Checks every tracked `file:` document. A document that was seen on disk and has been missing
   * for MISSING_CHECKS_BEFORE_REMOVAL consecutive checks is removed; one never seen on disk (a
   * new, unsaved buffer) is kept. A document changed while the check ran is left alone.
   */
  async function checkExistence(): Promise<void> {
    if (checking) return;
    checking = true;
    try {
      const snapshot = [...docs.values()]
        .filter((d) => d.uri.startsWith("file:"))
        .map((d) => ({ doc: d, revision: d.revision }));
      const results = await Promise.all(
        snapshot.map(async (s) => ({ ...s, exists: await env.fileExists(s.doc.uri).catch(() => true) })),
      );
      const gone: string[] = [];
      for (const { doc, revision, exists } of results) {
        if (docs.get(doc.uri) !== doc || doc.revision !== revision) continue;
        if (exists) {
          doc.seenOnDisk = true;
          doc.missingChecks = 0;
        } else if (doc.seenOnDisk && ++doc.missingChecks >= MISSING_CHECKS_BEFORE_REMOVAL) {
          if (remove(doc.uri)) gone.push(doc.uri);
        }
      }
      if (gone.length > 0) {
        log(`removed ${gone.length} document(s) missing on disk`);
        // A deletion noticed by the server stands in for the watched-file event the client could not send.
        requestLoad("workspace/didChangeWatchedFiles", gone);
      }
    } finally {
      checking = false;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Lifecycle

  let watchedFilesDynamic = false;

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    try {
      watchedFilesDynamic = params?.capabilities?.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
      const options = (params?.initializationOptions ?? {}) as PolarInitializationOptions;
      const interval =
        typeof options.existenceCheckIntervalMs === "number" && options.existenceCheckIntervalMs >= 0
          ? options.existenceCheckIntervalMs
          : DEFAULT_EXISTENCE_CHECK_MS;
      if (interval > 0) {
        existenceTimer = setInterval(() => {
          checkExistence().catch((e: unknown) => logger.error(formatError("existence check failed", e)));
        }, interval);
        existenceTimer.unref();
      }
    } catch (e) {
      logger.error(formatError("initialize", e));
    }
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Full, save: false },
        documentSymbolProvider: true,
        definitionProvider: true,
        hoverProvider: true,
        workspace: {
          workspaceFolders: { supported: true },
          // Every deletion in the editor, folders included: a folder may hold Polar files.
          fileOperations: { didDelete: { filters: [{ pattern: { glob: "**" } }] } },
        },
      },
      serverInfo: { name: "polar-language-server", version: "0.1.0" },
    };
  });

  connection.onInitialized(() => {
    if (!watchedFilesDynamic) return;
    // Deleted Polar files, and anything else deleted (a folder holding Polar files).
    connection.client
      .register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: "**/*.polar", kind: WatchKind.Delete }],
      })
      .catch((e: unknown) => logger.error(formatError("registering file watchers failed", e)));
  });

  const stopTimers = (): void => {
    if (existenceTimer !== null) clearInterval(existenceTimer);
    existenceTimer = null;
  };
  connection.onShutdown(stopTimers);
  connection.onExit(stopTimers);

  // ------------------------------------------------------------------------------------------
  // Notifications

  connection.onDidOpenTextDocument((params) =>
    runSafeNotification(
      logger,
      () => {
        const item = params?.textDocument;
        if (!isString(item?.uri) || !isString(item?.text)) {
          log("didOpen: malformed params ignored");
          return;
        }
        if (docs.has(item.uri)) log(`reopened tracked document ${item.uri}`);
        upsert(item.uri, isInteger(item.version) ? item.version : null, item.text);
        requestLoad("textDocument/didOpen", [item.uri]);
      },
      "didOpen",
    ),
  );

  connection.onDidChangeTextDocument((params) =>
    runSafeNotification(
      logger,
      () => {
        const id = params?.textDocument;
        const changes: unknown = params?.contentChanges;
        if (!isString(id?.uri) || !Array.isArray(changes) || changes.length === 0) {
          log("didChange: malformed params ignored");
          return;
        }
        const version = isInteger(id.version) ? id.version : null;
        const current = docs.get(id.uri);
        if (current !== undefined && version !== null && current.version !== null && version < current.version) {
          log(`didChange: stale version ${version} < ${current.version} of ${id.uri} ignored`);
          return;
        }
        const text = applyChanges(current?.document ?? null, changes);
        if (text === null) {
          log("didChange: malformed content changes ignored");
          return;
        }
        if (current === undefined) log(`updated untracked document ${id.uri}`);
        upsert(id.uri, version, text);
        requestLoad("textDocument/didChange", [id.uri]);
      },
      "didChange",
    ),
  );

  // The whole policy matters, not only open editors: closing keeps the document.
  connection.onDidCloseTextDocument(() => undefined);
  connection.onDidSaveTextDocument(() => undefined);

  connection.onDidChangeWatchedFiles((params) =>
    runSafeNotification(
      logger,
      () => {
        const changes: unknown = params?.changes;
        if (!Array.isArray(changes)) {
          log("didChangeWatchedFiles: malformed params ignored");
          return;
        }
        const deleted: string[] = [];
        for (const c of changes as unknown[]) {
          const change = c as { uri?: unknown; type?: unknown } | null;
          if (change !== null && isString(change.uri) && change.type === FileChangeType.Deleted)
            deleted.push(change.uri);
        }
        // A deleted watched path may be a folder: drop everything under it too.
        const gone = deleted.flatMap(removeUnder);
        if (gone.length > 0) requestLoad("workspace/didChangeWatchedFiles", deleted);
        else if (deleted.length > 0) log("didChangeWatchedFiles: no tracked document deleted");
      },
      "didChangeWatchedFiles",
    ),
  );

  connection.workspace.onDidDeleteFiles((params) =>
    runSafeNotification(
      logger,
      () => {
        const files: unknown = params?.files;
        if (!Array.isArray(files)) {
          log("didDeleteFiles: malformed params ignored");
          return;
        }
        const uris = (files as unknown[]).flatMap((f) => {
          const uri = (f as { uri?: unknown } | null)?.uri;
          return isString(uri) ? [uri] : [];
        });
        const gone = uris.flatMap(removeUnder);
        // As Oso: no load (and no telemetry) when no tracked document was under the deleted paths.
        if (gone.length > 0) requestLoad("workspace/didDeleteFiles", uris);
      },
      "didDeleteFiles",
    ),
  );

  // Settings are not used; clients send them anyway.
  connection.onDidChangeConfiguration(() => undefined);

  // Unknown notifications are logged and ignored (unknown requests get MethodNotFound from the
  // library); `$/` notifications are optional by definition and ignored silently.
  connection.onNotification((method: string) => {
    if (!method.startsWith("$/")) log(`unexpected notification ${method}`);
  });

  // ------------------------------------------------------------------------------------------
  // Requests

  function withDocument<T>(uri: unknown, f: (doc: Tracked) => T, none: T): T {
    if (!isString(uri)) return none;
    const doc = docs.get(uri);
    return doc === undefined ? none : f(doc);
  }

  function offsetOf(doc: Tracked, position: Position | undefined): number | null {
    if (!isInteger(position?.line) || !isInteger(position?.character)) return null;
    return doc.document.offsetAt(position);
  }

  connection.onDocumentSymbol((params, token: CancellationToken) =>
    runSafe(
      logger,
      () => withDocument<DocumentSymbol[]>(params?.textDocument?.uri, (doc) => documentSymbols(parsed(doc)), []),
      [],
      "documentSymbol",
      token,
    ),
  );

  connection.onDefinition((params, token: CancellationToken) =>
    runSafe(
      logger,
      () =>
        withDocument<Location[]>(
          params?.textDocument?.uri,
          (doc) => {
            const offset = offsetOf(doc, params.position);
            return offset === null ? [] : definition(allParsed(), parsed(doc), offset);
          },
          [],
        ),
      [],
      "definition",
      token,
    ),
  );

  connection.onHover((params, token: CancellationToken) =>
    runSafe(
      logger,
      () =>
        withDocument<Hover | null>(
          params?.textDocument?.uri,
          (doc) => {
            const offset = offsetOf(doc, params.position);
            return offset === null ? null : hover(allParsed(), parsed(doc), offset);
          },
          null,
        ),
      null,
      "hover",
      token,
    ),
  );

  connection.listen();
  return { dispose: stopTimers };
}

/** Orders URIs as Oso's server does (a BTreeMap of URLs: by bytes of UTF-8, i.e. by code points). */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]?.codePointAt(0) ?? 0;
    const q = y[i]?.codePointAt(0) ?? 0;
    if (p !== q) return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

function isString(x: unknown): x is string {
  return typeof x === "string";
}

function isInteger(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x);
}

/**
 * The text after a `didChange`: the server asks for full sync, so the last full-text change wins;
 * ranged (incremental) changes from a client that sends them anyway are applied to the tracked text.
 * Returns null when a change is malformed.
 */
function applyChanges(current: TextDocument | null, changes: readonly unknown[]): string | null {
  let doc = current ?? TextDocument.create("polar:tmp", "polar", 0, "");
  for (const c of changes) {
    const change = c as { text?: unknown; range?: unknown } | null;
    if (change === null || typeof change !== "object" || !isString(change.text)) return null;
    if (change.range === undefined || change.range === null) {
      doc = TextDocument.create(doc.uri, "polar", doc.version, change.text);
    } else {
      const r = change.range as { start?: Position; end?: Position };
      if (!isPosition(r.start) || !isPosition(r.end)) return null;
      doc = TextDocument.update(doc, [{ range: { start: r.start, end: r.end }, text: change.text }], doc.version + 1);
    }
  }
  return doc.getText();
}

function isPosition(p: unknown): p is Position {
  const q = p as { line?: unknown; character?: unknown } | undefined;
  return q !== undefined && q !== null && isInteger(q.line) && isInteger(q.character);
}

function toLspDiagnostic(d: PublishedDiagnostic): Diagnostic {
  return {
    range: {
      start: { line: d.range.start.line, character: d.range.start.character },
      end: { line: d.range.end.line, character: d.range.end.character },
    },
    severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: DIAGNOSTIC_SOURCE,
    message: d.message,
  };
}
