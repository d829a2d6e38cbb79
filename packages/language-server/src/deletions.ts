/**
 * Deletions the client reports: `workspace/didChangeWatchedFiles` (deleted files, or folders) and
 * `workspace/didDeleteFiles` (every tracked document under a deleted path). Deletions outside the
 * editor are the existence check's job.
 */
import { FileChangeType } from "vscode-languageserver";
import type { ServerContext } from "./context.js";
import { isString } from "./params.js";
import { runSafeNotification } from "./run-safe.js";

export function registerDeletions({ connection, documents, loads, classes, logger, log }: ServerContext): void {
  connection.onDidChangeWatchedFiles((params) =>
    runSafeNotification(
      logger,
      () => {
        const changes: unknown = params?.changes;
        if (!Array.isArray(changes)) {
          log("didChangeWatchedFiles: malformed params ignored");
          return;
        }
        // A created, changed or deleted polar.json (or a deleted folder holding one): the classes.
        classes.onWatchedFiles(
          (changes as unknown[]).flatMap((c) => {
            const u = (c as { uri?: unknown } | null)?.uri;
            return isString(u) ? [u] : [];
          }),
        );
        const deleted: string[] = [];
        for (const c of changes as unknown[]) {
          const change = c as { uri?: unknown; type?: unknown } | null;
          if (change !== null && isString(change.uri) && change.type === FileChangeType.Deleted)
            deleted.push(change.uri);
        }
        // A deleted watched path may be a folder: drop everything under it too.
        const gone = deleted.flatMap((uri) => documents.removeUnder(uri));
        if (gone.length > 0) loads.request("workspace/didChangeWatchedFiles", deleted);
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
        const gone = uris.flatMap((uri) => documents.removeUnder(uri));
        // As Oso: no load (and no telemetry) when no tracked document was under the deleted paths.
        if (gone.length > 0) loads.request("workspace/didDeleteFiles", uris);
      },
      "didDeleteFiles",
    ),
  );
}
