/**
 * Lifecycle: `initialize` (capabilities, `initializationOptions`), `initialized` (file watchers),
 * `shutdown`/`exit`, and the notifications the server accepts without using them.
 */
import {
  CodeActionKind,
  DidChangeWatchedFilesNotification,
  TextDocumentSyncKind,
  WatchKind,
  type InitializeParams,
  type InitializeResult,
} from "vscode-languageserver";
import type { ServerContext } from "./context.js";
import { pathToFileURL } from "node:url";
import { DEFAULT_EXISTENCE_CHECK_MS } from "./existence-check.js";
import { PROJECT_CONFIG_FILE } from "./project-config.js";
import { formatError, runSafeNotification } from "./run-safe.js";
import { LEGEND } from "./semantic-tokens.js";
import { followWorkspaceFolders } from "./workspace-folders.js";

/** `initializationOptions` the server understands (all optional). */
export interface PolarInitializationOptions {
  /**
   * Interval of the check that tracked `file:` documents still exist (catches folders removed
   * outside the editor); 0 turns it off. Default 2000 ms.
   */
  existenceCheckIntervalMs?: number;
  /**
   * The project roots (folder URIs) whose `file:` documents form one policy, when they differ from
   * the workspace folders (Oso's `projectRoots` setting). Documents outside every root are one-file
   * policies. Default: the workspace folders (else `rootUri`, else `rootPath`).
   */
  projectRoots?: string[];
  /**
   * The application's classes, as `oso.polarLanguageServer.classes` (the shape of polar.json's
   * `classes`); a root's polar.json replaces it. See `project-config.ts`.
   */
  classes?: unknown;
}

/** The project roots an `initialize` request names (see {@link PolarInitializationOptions.projectRoots}). */
export function rootsOf(params: InitializeParams | undefined): string[] {
  const options = (params?.initializationOptions ?? {}) as PolarInitializationOptions;
  if (Array.isArray(options.projectRoots)) return options.projectRoots.filter((r) => typeof r === "string");
  const folders = params?.workspaceFolders;
  if (Array.isArray(folders) && folders.length > 0) {
    return folders.map((f) => f?.uri).filter((u): u is string => typeof u === "string");
  }
  if (typeof params?.rootUri === "string") return [params.rootUri];
  if (typeof params?.rootPath === "string" && params.rootPath !== "") {
    try {
      return [pathToFileURL(params.rootPath).href];
    } catch {
      return [];
    }
  }
  return [];
}

export function registerLifecycle(context: ServerContext): void {
  const { connection, documents, existence, classes, logger, log } = context;
  let watchedFilesDynamic = false;
  let foldersChange = false;

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    try {
      watchedFilesDynamic = params?.capabilities?.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
      foldersChange = params?.capabilities?.workspace?.workspaceFolders === true;
      const options = (params?.initializationOptions ?? {}) as PolarInitializationOptions;
      const interval =
        typeof options.existenceCheckIntervalMs === "number" && options.existenceCheckIntervalMs >= 0
          ? options.existenceCheckIntervalMs
          : DEFAULT_EXISTENCE_CHECK_MS;
      existence.start(interval);
      const roots = rootsOf(params);
      // Roots taken from the workspace folders follow their changes (workspace-folders.ts).
      documents.setRoots(roots, !Array.isArray(options.projectRoots));
      classes.initialize(roots, options.classes);
      log(
        roots.length === 0
          ? "no project root: every document is a one-file policy"
          : `project roots: ${roots.join(", ")}`,
      );
    } catch (e) {
      logger.error(formatError("initialize", e));
    }
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: false },
        documentSymbolProvider: true,
        definitionProvider: true,
        hoverProvider: true,
        // `"` completes role/permission/relation names as they are typed in shorthand rules; `:` classes.
        completionProvider: { triggerCharacters: ['"', ":"] },
        referencesProvider: true,
        documentHighlightProvider: true,
        renameProvider: { prepareProvider: true },
        foldingRangeProvider: true,
        workspaceSymbolProvider: true,
        semanticTokensProvider: { legend: LEGEND, full: { delta: true }, range: false },
        selectionRangeProvider: true,
        signatureHelpProvider: { triggerCharacters: ["(", ","], retriggerCharacters: [","] },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite] },
        documentFormattingProvider: true,
        documentRangeFormattingProvider: true,
        workspace: {
          workspaceFolders: { supported: true, changeNotifications: true },
          // Every deletion in the editor, folders included: a folder may hold Polar files.
          fileOperations: { didDelete: { filters: [{ pattern: { glob: "**" } }] } },
        },
      },
      serverInfo: { name: "polar-language-server", version: "0.1.0" },
    };
  });

  connection.onInitialized(() => {
    followWorkspaceFolders(context, foldersChange);
    if (!watchedFilesDynamic) return;
    // Deleted Polar files, and anything else deleted (a folder holding Polar files).
    connection.client
      .register(DidChangeWatchedFilesNotification.type, {
        watchers: [
          { globPattern: "**/*.polar", kind: WatchKind.Delete },
          // The application's classes (project-classes.ts): created, changed and deleted.
          { globPattern: `**/${PROJECT_CONFIG_FILE}` },
        ],
      })
      .catch((e: unknown) => logger.error(formatError("registering file watchers failed", e)));
  });

  const stopTimers = (): void => existence.stop();
  connection.onShutdown(stopTimers);
  connection.onExit(stopTimers);

  // Only `oso.polarLanguageServer.classes` is read (project-classes.ts); other settings are ignored.
  connection.onDidChangeConfiguration((params) =>
    runSafeNotification(logger, () => classes.onConfiguration(params?.settings), "didChangeConfiguration"),
  );

  // Unknown notifications are logged and ignored (unknown requests get MethodNotFound from the
  // library); `$/` notifications are optional by definition and ignored silently.
  connection.onNotification((method: string) => {
    if (!method.startsWith("$/")) log(`unexpected notification ${method}`);
  });
}
