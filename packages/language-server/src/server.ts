/**
 * The Polar language server: Oso's `polar-language-server` semantics on the Polar IDE analyzer,
 * plus editor features. `startServer` wires the parts to a connection; `main.ts` only creates the
 * connection (VS Code's CSS server is the model).
 *
 * Oso's semantics kept:
 * - every document the client tells about is part of the policy; `didClose` keeps it (the whole
 *   policy matters, not only open editors) (`documents.ts`, `document-sync.ts`); unlike Oso's
 *   server, incremental sync: a keystroke in a big file sends the range, not the whole text;
 * - after every load, diagnostics are published for every tracked document with its version
 *   (empty lists clear stale ones) and a final empty list for each removed document; then a
 *   `telemetry/event` with Oso's payload shape is sent (`load.ts`).
 *
 * Beyond Oso: folders deleted outside the editor are noticed by checking that tracked `file:`
 * documents still exist (`existence-check.ts`); a burst of notifications is analysed once, the
 * superseded intermediate states are never published (`load-scheduler.ts`); the garbage a burst of
 * loads leaves is collected once the server is idle (`idle-gc.ts`); every handler is
 * contained by `runSafe` (`run-safe.ts`); files outside the project roots and non-file documents
 * are one-file policies (`documents.ts`); editor features — outline, definition, hover, completion,
 * references, highlight, rename, folding, workspace symbols — on an error-tolerant parse
 * (`language-features.ts` and the modules it wires).
 */
import type { Connection } from "vscode-languageserver";
import { connectionLogs, type ServerContext } from "./context.js";
import { Documents } from "./documents.js";
import { ExistenceCheck } from "./existence-check.js";
import { IdleCollector } from "./idle-gc.js";
import { registerDeletions } from "./deletions.js";
import { registerDocumentSync } from "./document-sync.js";
import { registerLanguageFeatures } from "./language-features.js";
import { registerLifecycle } from "./lifecycle.js";
import { runLoad } from "./load.js";
import { LoadScheduler } from "./load-scheduler.js";
import { ProjectClasses } from "./project-classes.js";
import { fileExists as defaultFileExists } from "./uris.js";

export { DIAGNOSTIC_SOURCE, type TelemetryEvent } from "./load.js";
export type { LspMethod } from "@polar-ide/telemetry/protocol";
export type { PolarInitializationOptions } from "./lifecycle.js";

/** What the server needs from its host; injectable for tests. */
export interface RuntimeEnvironment {
  /** Whether a tracked `file:` URI still exists on disk. */
  fileExists(uri: string): Promise<boolean>;
  /** Milliseconds clock, for the load scheduler's cap. */
  now(): number;
}

/**
 * Wires the Polar language server to a connection and starts listening. All state lives in the
 * parts made here, one server per connection (one per project root).
 */
export function startServer(connection: Connection, runtime: Partial<RuntimeEnvironment> = {}): { dispose(): void } {
  const env: RuntimeEnvironment = {
    fileExists: runtime.fileExists ?? defaultFileExists,
    now: runtime.now ?? (() => performance.now()),
  };
  const { logger, log } = connectionLogs(connection);
  const documents = new Documents();
  const mb = (bytes: number): string => (bytes / 1048576).toFixed(1);
  const idle = new IdleCollector(undefined, (used, committed) =>
    log(
      `idle collection: heap ${mb(used.before)} → ${mb(used.after)} MB (committed ${mb(committed.before)} → ${mb(committed.after)} MB)`,
    ),
  );
  const loads = new LoadScheduler(
    (load) => {
      runLoad(connection, documents, load, log);
      idle.loaded();
    },
    env.now,
    logger,
  );
  const existence = new ExistenceCheck(
    documents,
    env.fileExists,
    (gone) => {
      log(`removed ${gone.length} document(s) missing on disk`);
      // A deletion noticed by the server stands in for the watched-file event the client could not send.
      loads.request("workspace/didChangeWatchedFiles", gone);
    },
    logger,
  );
  const classes = new ProjectClasses(connection, documents, loads, logger, log);
  const context: ServerContext = { connection, documents, loads, existence, classes, logger, log };

  registerLifecycle(context);
  registerDocumentSync(context);
  registerDeletions(context);
  registerLanguageFeatures(context);

  connection.listen();
  return {
    dispose: () => {
      existence.stop();
      idle.dispose();
    },
  };
}
