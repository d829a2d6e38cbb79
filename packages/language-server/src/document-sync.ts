/**
 * Document synchronisation: `didOpen` and `didChange` track the new text and request a load;
 * `didClose` keeps a file (the whole policy matters, not only open editors; it is noted as closed)
 * and drops any other document (untitled buffers exist only while open); `didSave`
 * changes nothing (the tracked text is already up to date: every change was sent).
 */
import type { ServerContext } from "./context.js";
import type { TextEdit } from "@polar-ide/analyzer";
import { applyContentChanges } from "./documents.js";
import { isInteger, isString } from "./params.js";
import { runSafeNotification } from "./run-safe.js";

export function registerDocumentSync(context: ServerContext): void {
  const { connection, documents, loads, existence, logger, log } = context;

  /** Tracks a text; a document seen for the first time is checked for being on disk. */
  const track = (uri: string, version: number | null, text: string, edit: TextEdit | null = null): void => {
    if (documents.upsert(uri, version, text, edit)) void existence.noteOnDisk(uri);
  };

  connection.onDidOpenTextDocument((params) =>
    runSafeNotification(
      logger,
      () => {
        const item = params?.textDocument;
        if (!isString(item?.uri) || !isString(item?.text)) {
          log("didOpen: malformed params ignored");
          return;
        }
        if (documents.has(item.uri)) log(`reopened tracked document ${item.uri}`);
        track(item.uri, isInteger(item.version) ? item.version : null, item.text);
        documents.setOpen(item.uri, true);
        loads.request("textDocument/didOpen", [item.uri]);
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
        const current = documents.get(id.uri);
        if (current !== undefined && version !== null && current.version !== null && version < current.version) {
          log(`didChange: stale version ${version} < ${current.version} of ${id.uri} ignored`);
          return;
        }
        const changed = applyContentChanges(current?.document ?? null, changes);
        if (changed === null) {
          log("didChange: malformed content changes ignored");
          return;
        }
        if (current === undefined) log(`updated untracked document ${id.uri}`);
        // The change's offsets, when it was one ranged change of the tracked text: the analyzer re-reads only around it.
        track(id.uri, version, changed.text, current === undefined ? null : changed.edit);
        loads.request("textDocument/didChange", [id.uri]);
      },
      "didChange",
    ),
  );

  // The whole policy matters, not only open editors: closing keeps a file. A document that is not
  // a file (an untitled buffer, an in-memory model) exists only while open: closing drops it.
  connection.onDidCloseTextDocument((params) =>
    runSafeNotification(
      logger,
      () => {
        const uri: unknown = params?.textDocument?.uri;
        if (!isString(uri)) return;
        // Kept, but no longer open: a workspace folder removed later drops it (workspace-folders.ts).
        documents.setOpen(uri, false);
        if (uri.startsWith("file:") || !documents.forget(uri)) return;
        // A one-file policy: no other document's diagnostics change, so no load runs; its own are cleared now.
        void connection.sendDiagnostics({ uri, diagnostics: [] });
        log(`dropped closed document ${uri}`);
      },
      "didClose",
    ),
  );
  connection.onDidSaveTextDocument(() => undefined);
}
