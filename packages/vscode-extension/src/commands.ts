/**
 * The command table: every command of `package.json` `contributes.commands`, with its handler.
 */
import * as vscode from "vscode";
import type { Ctx } from "./ctx.js";

/** A command handler, given the extension's context. */
type Handler = (ctx: Ctx) => Promise<void>;

/** Command id → handler. `package.json` declares the same ids (a unit test checks it). */
export const COMMANDS: Readonly<Record<string, Handler>> = {
  /** "Polar: Show Pending Telemetry": the exact JSON array the next batch would send. */
  "polar.showPendingTelemetry": async (ctx) => {
    const reason = ctx.telemetry.offReason();
    const payload = reason === undefined ? ctx.telemetry.pendingPayload() : "[]";
    const doc = await vscode.workspace.openTextDocument({ language: "json", content: `${payload}\n` });
    await vscode.window.showTextDocument(doc, { preview: true });
    if (reason !== undefined) {
      void vscode.window.showInformationMessage(`Polar telemetry is off (${reason}): nothing is collected or pending.`);
    } else if (payload.trim() === "[]") {
      void vscode.window.showInformationMessage("Polar telemetry: nothing is pending.");
    }
  },

  /** "Polar: Restart Language Server": stops and starts every language client. */
  "polar.restartLanguageServer": async (ctx) => {
    await ctx.clients.restartAll();
    void vscode.window.setStatusBarMessage("Polar language servers restarted", 3000);
  },
};
