/**
 * Entry point of the Polar extension. Activation failures are shown to the user, never swallowed.
 */
import * as vscode from "vscode";
import { Ctx } from "./ctx.js";

let ctx: Ctx | undefined;

/** Called by VS Code at startup (`onStartupFinished`) or when a Polar file is around. */
export async function activate(context: vscode.ExtensionContext): Promise<void> {
  try {
    ctx = new Ctx(context);
    await ctx.start();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    ctx?.output.appendLine(`[polar] activation failed: ${e instanceof Error && e.stack ? e.stack : message}`);
    // Shown here rather than rethrown: VS Code would only log it.
    void vscode.window.showErrorMessage(`Polar: the extension failed to activate: ${message}`);
  }
}

/** Stops the language servers and sends the last telemetry batch (when allowed). */
export async function deactivate(): Promise<void> {
  const current = ctx;
  ctx = undefined;
  await current?.dispose();
}
