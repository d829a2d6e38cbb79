/**
 * Typed access to the extension's settings (all under `oso.polarLanguageServer`, Oso's names).
 */
import * as vscode from "vscode";
import { parseMetricsSetting, type MetricsSetting } from "./consent.js";
import { parseProjectRoots, type ParsedProjectRoots } from "./roots.js";

/** Section of every setting of the extension. */
export const CONFIG_SECTION = "oso.polarLanguageServer";

/** Default flush interval: one batch an hour, as Oso. */
const DEFAULT_FLUSH_SECONDS = 3600;

/** Settings that change which language clients run (a change restarts the affected ones). */
export const CLIENT_SETTINGS = [`${CONFIG_SECTION}.projectRoots`] as const;

/** Settings read by the telemetry controller. */
export const TELEMETRY_SETTINGS = [
  `${CONFIG_SECTION}.metrics.enabled`,
  `${CONFIG_SECTION}.telemetry.endpoint`,
  `${CONFIG_SECTION}.telemetry.token`,
  `${CONFIG_SECTION}.telemetry.flushIntervalSeconds`,
] as const;

/** Getters; each call reads the current value. */
export const config = {
  /** `projectRoots` of one workspace folder, checked (paths relative to the folder). */
  projectRoots(folder: vscode.WorkspaceFolder): ParsedProjectRoots {
    return parseProjectRoots(vscode.workspace.getConfiguration(CONFIG_SECTION, folder).get<unknown>("projectRoots"));
  },

  /**
   * `classes` of one workspace folder, as the user wrote it (null when not set): the language
   * server validates it (`@polar-ide/language-server/project-config`) and shows what is wrong.
   */
  classes(folder: vscode.WorkspaceFolder): unknown {
    return vscode.workspace.getConfiguration(CONFIG_SECTION, folder).get<unknown>("classes") ?? null;
  },

  metricsEnabled(): MetricsSetting {
    return parseMetricsSetting(vscode.workspace.getConfiguration(CONFIG_SECTION).get<unknown>("metrics.enabled"));
  },

  /** `/track` URL, or undefined when none is configured (nothing is sent then). */
  telemetryEndpoint(): string | undefined {
    const raw = vscode.workspace.getConfiguration(CONFIG_SECTION).get<unknown>("telemetry.endpoint");
    return typeof raw === "string" && raw.trim() !== "" ? raw.trim() : undefined;
  },

  telemetryToken(): string {
    const raw = vscode.workspace.getConfiguration(CONFIG_SECTION).get<unknown>("telemetry.token");
    return typeof raw === "string" ? raw.trim() : "";
  },

  flushIntervalMs(): number {
    const raw = vscode.workspace.getConfiguration(CONFIG_SECTION).get<unknown>("telemetry.flushIntervalSeconds");
    const seconds = typeof raw === "number" && Number.isFinite(raw) && raw >= 1 ? raw : DEFAULT_FLUSH_SECONDS;
    return Math.round(seconds * 1000);
  },
};
