/**
 * The command table: every command of `package.json` `contributes.commands`, with its handler.
 */
import * as vscode from "vscode";
import type { Ctx } from "./ctx.js";

/** A command handler, given the extension's context. */
type Handler = (ctx: Ctx) => Promise<void>;

/** Command id → handler. `package.json` declares the same ids (a unit test checks it). */
export const COMMANDS: Readonly<Record<string, Handler>> = {
  /**
   * "Polar: Show Pending Telemetry": a read-only view of whether collection is on (and which
   * switch turned it off), the endpoint, the exact pending payload and the last batch sent.
   */
  "polar.showPendingTelemetry": async (ctx) => {
    await ctx.telemetry.showView();
  },

  /** "Polar: Restart Language Server": stops and starts every language client. */
  "polar.restartLanguageServer": async (ctx) => {
    await ctx.clients.restartAll();
    void vscode.window.setStatusBarMessage("Polar language servers restarted", 3000);
  },
};
