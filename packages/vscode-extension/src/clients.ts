/**
 * One language client per project root, as Oso's extension runs them: each workspace folder is a
 * root by default, or the folders listed in `oso.polarLanguageServer.projectRoots`; each server is
 * told its root (`initializationOptions.projectRoots`). Polar documents that no root serves (a file
 * outside every root, an untitled buffer) go to one more client, started when the first such
 * document is open (`single-files.ts`). Folders come and go, settings change, and the user can
 * restart everything; every start and stop runs through one queue so that they never interleave.
 */
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  type LanguageClientOptions,
} from "vscode-languageclient/node.js";
import { config, CONFIG_SECTION } from "./config.js";
import { PROJECT_ROOTS_SETTING } from "./roots.js";
import { serverOptions } from "./server-options.js";
import { exclusiveMiddleware, isSingleFile, SINGLE_FILE_SELECTOR, type Matcher } from "./single-files.js";
import type { PolarInitializationOptions } from "@polar-ide/language-server";

/** Name of the language clients (and of their output channel), as in Oso. */
export const CLIENT_NAME = "Polar Language Server";

/** Receives every `telemetry/event` a server sends, with the root it belongs to. */
export type TelemetryListener = (folder: vscode.WorkspaceFolder, root: vscode.Uri, event: unknown) => void;

interface RootClient {
  readonly root: vscode.Uri;
  readonly client: LanguageClient;
  readonly disposables: vscode.Disposable[];
  /** The documents this client serves (also what the one-file client leaves alone). */
  readonly selector: vscode.DocumentSelector;
}

/** The one-file client and the root selectors it was started against. */
interface SingleFileClient {
  readonly client: LanguageClient;
  /** Key of the root selectors it excludes: the client is restarted when they change. */
  readonly rootsKey: string;
}

/** How long a stopping server may take before it is killed. */
const STOP_TIMEOUT_MS = 2000;
/** Documents opened at a time when a root starts (a big repository has thousands). */
const OPEN_BATCH = 32;

/** Starts, stops and restarts the language clients of every workspace folder. */
export class ClientManager implements vscode.Disposable {
  private readonly folders = new Map<string, RootClient[]>();
  /**
   * Folders whose `projectRoots` setting is invalid: no server runs for them (a partial policy
   * would mislead), and the one-file client leaves their Polar files alone too.
   */
  private readonly blocked = new Map<string, vscode.DocumentSelector>();
  private single: SingleFileClient | null = null;
  private queue: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly serverModule: string,
    private readonly output: vscode.OutputChannel,
    private readonly onTelemetry: TelemetryListener,
  ) {}

  /** Starts a client for every root of every open workspace folder. */
  startAll(): Promise<void> {
    return this.enqueue(async () => {
      for (const folder of vscode.workspace.workspaceFolders ?? []) await this.startFolder(folder);
      await this.syncSingleFiles();
    });
  }

  /** A Polar document was opened (or an untitled buffer became Polar): it may need the one-file client. */
  onDidOpenTextDocument(doc: vscode.TextDocument): Promise<void> {
    if (this.single !== null || this.disposed || !isSingleFile(doc, this.rootSelectors(), match))
      return Promise.resolve();
    return this.enqueue(() => this.syncSingleFiles());
  }

  /** Follows workspace folders being added and removed. */
  onDidChangeWorkspaceFolders(e: vscode.WorkspaceFoldersChangeEvent): Promise<void> {
    return this.enqueue(async () => {
      for (const folder of e.removed) await this.stopFolder(folder.uri.toString());
      for (const folder of e.added) await this.startFolder(folder);
      await this.syncSingleFiles();
    });
  }

  /**
   * Restarts the clients of the folders whose project roots changed; tells the servers of the
   * folders whose `classes` changed (`workspace/didChangeConfiguration`, no restart).
   */
  onDidChangeConfiguration(e: vscode.ConfigurationChangeEvent): Promise<void> {
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (!e.affectsConfiguration(`${CONFIG_SECTION}.classes`, folder)) continue;
      const settings = classesSettings(folder);
      for (const { client } of this.folders.get(folder.uri.toString()) ?? []) {
        void client.sendNotification(DidChangeConfigurationNotification.type, { settings }).catch((err: unknown) => {
          this.output.appendLine(`[polar] sending the classes setting failed: ${String(err)}`);
        });
      }
    }
    // The folders open now, not those open at activation (Oso captured the latter).
    const affected = (vscode.workspace.workspaceFolders ?? []).filter((folder) =>
      e.affectsConfiguration(`${CONFIG_SECTION}.projectRoots`, folder),
    );
    if (affected.length === 0) return Promise.resolve();
    return this.restart(affected);
  }

  /** Stops and starts every client ("Polar: Restart Language Server"). */
  restartAll(): Promise<void> {
    return this.restart(vscode.workspace.workspaceFolders ?? []);
  }

  /** Number of running clients per workspace folder URI (for the output log and tests). */
  describe(): string {
    return [
      ...[...this.folders].map(([folder, roots]) => `${folder}: ${roots.map((r) => r.root.toString()).join(", ")}`),
      ...(this.single === null ? [] : ["one-file policies: running"]),
    ].join("\n");
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.enqueue(async () => {
      await this.stopSingleFiles();
      for (const key of [...this.folders.keys()]) await this.stopFolder(key);
    });
  }

  private restart(folders: readonly vscode.WorkspaceFolder[]): Promise<void> {
    return this.enqueue(async () => {
      for (const folder of folders) {
        await this.stopFolder(folder.uri.toString());
        await this.startFolder(folder);
      }
      await this.syncSingleFiles(true);
    });
  }

  /** Runs `op` after every earlier operation; a failure is shown and does not block later ones. */
  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.queue.then(op);
    this.queue = run.catch((e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      this.output.appendLine(
        `[polar] language server start/stop failed: ${e instanceof Error && e.stack ? e.stack : message}`,
      );
      void vscode.window.showErrorMessage(`Polar: the language server could not be started: ${message}`);
    });
    return this.queue;
  }

  private async startFolder(folder: vscode.WorkspaceFolder): Promise<void> {
    if (this.disposed) return;
    const key = folder.uri.toString();
    if (this.folders.has(key)) return;
    const roots = await this.projectRoots(folder);
    if (roots === null) {
      this.blocked.set(key, [{ scheme: "file", language: "polar", pattern: underPattern(folder.uri) }]);
      return;
    }

    const started: RootClient[] = [];
    this.folders.set(key, started);
    const included = new Set<string>();
    for (const root of roots) {
      const rootClient = await this.startRoot(folder, root);
      started.push(rootClient);
      for (const uri of await openPolarFiles(root)) included.add(uri.toString());
    }
    // Oso's hint for multi-policy folders: a file outside every root is never checked.
    if (roots.length > 1 || roots[0]?.toString() !== folder.uri.toString()) {
      const all = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, "**/*.polar"));
      for (const uri of all) {
        if (!included.has(uri.toString()))
          this.output.appendLine(
            `[polar] Polar file not included by any project root (checked on its own when opened): ${uri.toString()}`,
          );
      }
    }
  }

  /**
   * The roots of one folder, or null (after telling the user why) when the setting is invalid:
   * like Oso, no server starts for a folder whose roots are wrong, since a partial policy would
   * report misleading errors.
   */
  private async projectRoots(folder: vscode.WorkspaceFolder): Promise<vscode.Uri[] | null> {
    const parsed = config.projectRoots(folder);
    const problems = [...parsed.errors];
    const roots: vscode.Uri[] = [];
    for (const path of parsed.paths) {
      const uri = path === "" ? folder.uri : vscode.Uri.joinPath(folder.uri, ...path.split("/"));
      try {
        const stat = await vscode.workspace.fs.stat(uri);
        if ((stat.type & vscode.FileType.Directory) === 0) problems.push(`path isn't a directory: ${path}`);
        else roots.push(uri);
      } catch {
        problems.push(`path doesn't exist: ${path}`);
      }
    }
    if (problems.length > 0) {
      const message = `Invalid ${PROJECT_ROOTS_SETTING} configuration in workspace folder "${folder.name}" — ${problems.join("; ")}. No Polar language server runs for this folder until it is fixed.`;
      this.output.appendLine(`[polar] ${message}`);
      void vscode.window.showErrorMessage(message);
      return null;
    }
    if (roots.length === 0) roots.push(folder.uri);
    return roots;
  }

  private async startRoot(folder: vscode.WorkspaceFolder, root: vscode.Uri): Promise<RootClient> {
    const polarFiles = new vscode.RelativePattern(root, "**/*.polar");
    // Created and changed Polar files, even unopened ones, reach the server as didOpen/didChange.
    const createChangeWatcher = vscode.workspace.createFileSystemWatcher(polarFiles, false, false, true);
    // Every deletion under the root, not only `*.polar`: VS Code reports a deleted folder as
    // one event for the folder itself (microsoft/vscode#60813), and it may hold Polar files.
    const deleteWatcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(root, "**/*"),
      true,
      true,
      false,
    );

    const options = serverOptions(this.serverModule, ["--nolazy", "--inspect=6009"]);
    const selector = [{ scheme: "file", language: "polar", pattern: underPattern(root) }];
    const initializationOptions: PolarInitializationOptions = {
      projectRoots: [root.toString()],
      // The application's classes for this folder; a polar.json at the root replaces them (server side).
      classes: config.classes(folder),
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: selector,
      initializationOptions,
      synchronize: { fileEvents: deleteWatcher },
      middleware: {
        // A starting client sends every open document, and VS Code keeps the model of a file
        // deleted on disk (`rm -r` in a terminal): unmodified and gone, it is not part of the policy.
        didOpen: async (doc, next) => (doc.isDirty || (await existsOnDisk(doc.uri)) ? next(doc) : undefined),
      },
      diagnosticCollectionName: "polar",
      workspaceFolder: folder,
      outputChannel: this.output,
    };
    const client = new LanguageClient("polar", CLIENT_NAME, options, clientOptions);
    const disposables: vscode.Disposable[] = [
      createChangeWatcher,
      deleteWatcher,
      client.onTelemetry((event: unknown) => this.onTelemetry(folder, root, event)),
      createChangeWatcher.onDidCreate((uri) => void openDocument(uri)),
      createChangeWatcher.onDidChange((uri) => void openDocument(uri)),
    ];
    try {
      await client.start();
    } catch (e) {
      for (const d of disposables) d.dispose();
      throw e;
    }
    this.output.appendLine(`[polar] language server started for ${root.toString()}`);
    return { root, client, disposables, selector };
  }

  /** The selectors of every running root client, and of the blocked folders. */
  private rootSelectors(): vscode.DocumentSelector[] {
    return [...[...this.folders.values()].flat().map((r) => r.selector), ...this.blocked.values()];
  }

  /**
   * Brings the one-file client in line with the roots: (re)started when a Polar document that no
   * root serves is open and the roots changed since it started (or `force`), stopped when the
   * roots changed and no such document is open; it re-reads the open documents when it starts.
   */
  private async syncSingleFiles(force = false): Promise<void> {
    if (this.disposed) return;
    const selectors = this.rootSelectors();
    const rootsKey = JSON.stringify(selectors);
    if (this.single !== null && this.single.rootsKey === rootsKey && !force) return;
    await this.stopSingleFiles();
    if (!vscode.workspace.textDocuments.some((d) => isSingleFile(d, selectors, match))) return;

    const options = serverOptions(this.serverModule, ["--nolazy"]);
    // No project root: every document the server is given is a one-file policy.
    const initializationOptions: PolarInitializationOptions = { projectRoots: [] };
    const client = new LanguageClient("polar", CLIENT_NAME, options, {
      documentSelector: SINGLE_FILE_SELECTOR,
      initializationOptions,
      middleware: exclusiveMiddleware((doc) => isSingleFile(doc, selectors, match)),
      diagnosticCollectionName: "polar-single-files",
      outputChannel: this.output,
    });
    // No telemetry: events are counted per workspace folder, and these documents have none
    // (an untitled buffer, a file outside every folder); see CHANGELOG.md.
    await client.start();
    this.single = { client, rootsKey };
    this.output.appendLine("[polar] language server started for one-file policies");
  }

  private async stopSingleFiles(): Promise<void> {
    const single = this.single;
    this.single = null;
    if (single === null) return;
    single.client.diagnostics?.clear();
    try {
      await single.client.dispose(STOP_TIMEOUT_MS);
    } catch (e) {
      this.output.appendLine(`[polar] stopping the one-file server failed: ${String(e)}`);
    }
  }

  private async stopFolder(key: string): Promise<void> {
    const roots = this.folders.get(key);
    this.folders.delete(key);
    this.blocked.delete(key);
    for (const { root, client, disposables } of roots ?? []) {
      for (const d of disposables) d.dispose();
      // No stale squiggles from a server that is going away.
      client.diagnostics?.clear();
      try {
        await client.dispose(STOP_TIMEOUT_MS);
      } catch (e) {
        this.output.appendLine(`[polar] stopping the server of ${root.toString()} failed: ${String(e)}`);
      }
    }
  }
}

/**
 * Opens (in memory, not in an editor) every Polar file under `root`, which sends the server a
 * didOpen for each: the initial state of the policy, read through VS Code as Oso does.
 */
async function openPolarFiles(root: vscode.Uri): Promise<vscode.Uri[]> {
  const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(root, "**/*.polar"));
  for (let i = 0; i < uris.length; i += OPEN_BATCH) {
    await Promise.all(uris.slice(i, i + OPEN_BATCH).map(openDocument));
  }
  return uris;
}

function existsOnDisk(uri: vscode.Uri): Promise<boolean> {
  return Promise.resolve(vscode.workspace.fs.stat(uri)).then(
    () => true,
    () => false,
  );
}

async function openDocument(uri: vscode.Uri): Promise<void> {
  const key = uri.toString();
  if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === key)) return;
  try {
    await vscode.workspace.openTextDocument(uri);
  } catch {
    // Deleted again before it could be read, or not text: the delete watcher has the last word.
  }
}

/** VS Code's own document matcher: the one the root clients' selectors are applied with. */
const match: Matcher = (selector, doc) => vscode.languages.match(selector, doc);

/** The `workspace/didChangeConfiguration` settings the server reads (`oso.polarLanguageServer.classes`). */
function classesSettings(folder: vscode.WorkspaceFolder): { oso: { polarLanguageServer: { classes: unknown } } } {
  return { oso: { polarLanguageServer: { classes: config.classes(folder) } } };
}

/** Glob of the Polar files under a folder. */
function underPattern(folder: vscode.Uri): string {
  return `${globEscape(folder.fsPath.replace(/\\/g, "/"))}/**/*.polar`;
}

/** Makes a file system path literal inside a glob pattern. */
function globEscape(path: string): string {
  return path.replace(/[[\]{}*?]/g, (c) => `[${c}]`);
}
