/**
 * `workspace/didChangeWorkspaceFolders`: when the project roots are the workspace folders (no
 * explicit `projectRoots`), the server follows the folders the client adds and removes. Documents
 * move between the roots' policy and one-file policies (`Documents.changeFolders`): a closed file
 * under a removed folder is dropped, an open one becomes a one-file policy, a tracked file under an
 * added folder joins the roots' policy. Then one load republishes every document's diagnostics
 * (and a final empty list for each dropped one). No `telemetry/event`: the load is not one of the
 * four notifications Oso's payload names (`LSP_METHODS`).
 *
 * The library delivers the notification when the client declared `workspace.workspaceFolders`
 * (the server's capability says `changeNotifications: true`, so nothing is registered
 * dynamically); `followWorkspaceFolders` is called from `initialized`.
 */
import type { WorkspaceFoldersChangeEvent } from "vscode-languageserver";
import type { ServerContext } from "./context.js";
import { isString } from "./params.js";
import { formatError, runSafeNotification } from "./run-safe.js";

/** The folder URIs of one side of a change event (malformed entries are skipped). */
function folderUris(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((f: unknown) => {
    const uri = (f as { uri?: unknown } | null)?.uri;
    return isString(uri) ? [uri] : [];
  });
}

/** Applies one change of the workspace folders and requests the load that republishes diagnostics. */
export function changeWorkspaceFolders(
  {
    documents,
    loads,
    log,
    classes,
  }: Pick<ServerContext, "documents" | "loads" | "log"> & Partial<Pick<ServerContext, "classes">>,
  event: Partial<WorkspaceFoldersChangeEvent> | undefined,
): void {
  const added = folderUris(event?.added);
  const removed = folderUris(event?.removed);
  if (added.length === 0 && removed.length === 0) {
    log("didChangeWorkspaceFolders: no folder added or removed");
    return;
  }
  const dropped = documents.changeFolders(added, removed);
  if (dropped === null) {
    log("didChangeWorkspaceFolders: the project roots are set by projectRoots; folders are not followed");
    return;
  }
  const roots = documents.projectRoots() ?? [];
  // The application's classes of the new roots (their polar.json), none of the removed ones'.
  classes?.setRoots(roots);
  log(
    `workspace folders changed (+${added.length} −${removed.length}): project roots ${roots.length === 0 ? "none" : roots.join(", ")}` +
      (dropped.length === 0 ? "" : `; dropped ${dropped.length} closed document(s) outside every root`),
  );
  loads.request(null, dropped);
}

/** Subscribes to the folder changes, when the client said it sends them (`workspace.workspaceFolders`). */
export function followWorkspaceFolders(context: ServerContext, clientSendsChanges: boolean): void {
  if (!clientSendsChanges) return;
  const { connection, logger } = context;
  try {
    connection.workspace.onDidChangeWorkspaceFolders((event) =>
      runSafeNotification(logger, () => changeWorkspaceFolders(context, event), "didChangeWorkspaceFolders"),
    );
  } catch (e) {
    logger.error(formatError("following workspace folders failed", e));
  }
}
