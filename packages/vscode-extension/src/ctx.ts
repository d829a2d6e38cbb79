/**
 * The extension's context: one object that owns every long-lived part and every disposable.
 */
import * as vscode from "vscode";
import { ClientManager, CLIENT_NAME } from "./clients.js";
import { COMMANDS } from "./commands.js";
import { TelemetryController } from "./telemetry.js";

/** Everything the extension runs, created at activation and disposed at deactivation. */
export class Ctx {
  readonly output: vscode.OutputChannel;
  readonly telemetry: TelemetryController;
  readonly clients: ClientManager;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(readonly extensionContext: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel(CLIENT_NAME);
    this.telemetry = new TelemetryController(extensionContext, this.output);
    const serverModule = extensionContext.asAbsolutePath("out/server.js");
    this.clients = new ClientManager(serverModule, this.output, (folder, root, event) =>
      this.telemetry.record(folder, root, event),
    );
    for (const [id, handler] of Object.entries(COMMANDS)) {
      this.subscriptions.push(
        vscode.commands.registerCommand(id, () =>
          handler(this).catch((e: unknown) => {
            const message = e instanceof Error ? e.message : String(e);
            this.output.appendLine(`[polar] command ${id} failed: ${message}`);
            void vscode.window.showErrorMessage(`Polar: ${id} failed: ${message}`);
          }),
        ),
      );
    }
    this.subscriptions.push(
      vscode.workspace.onDidChangeWorkspaceFolders((e) => void this.clients.onDidChangeWorkspaceFolders(e)),
      vscode.workspace.onDidChangeConfiguration((e) => void this.clients.onDidChangeConfiguration(e)),
      vscode.workspace.onDidOpenTextDocument((doc) => void this.clients.onDidOpenTextDocument(doc)),
    );
  }

  /** Starts the language servers of the open workspace folders. */
  start(): Promise<void> {
    return this.clients.startAll();
  }

  async dispose(): Promise<void> {
    for (const d of this.subscriptions.splice(0)) d.dispose();
    await this.clients.dispose();
    await this.telemetry.dispose();
    this.output.dispose();
  }
}
