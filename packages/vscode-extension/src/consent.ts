/**
 * Who decides whether usage data is collected and sent: VS Code first, our setting second, and an
 * endpoint must be configured. Free of `vscode` so that the rule is unit-tested directly.
 */
import type { CollectionMode } from "@polar-ide/telemetry/client";

/** Full name of the extension's own switch. */
export const METRICS_SETTING = "oso.polarLanguageServer.metrics.enabled";

/** Full name of the endpoint setting. */
export const ENDPOINT_SETTING = "oso.polarLanguageServer.telemetry.endpoint";

/** Values of `oso.polarLanguageServer.metrics.enabled`. */
export type MetricsSetting = "default" | "local" | "off";

/**
 * Reads the raw setting. Anything but the documented `default` and `local` counts as `off`, so a
 * typo or an old Oso value (`on`) can never turn collection on against VS Code's setting.
 */
export function parseMetricsSetting(raw: unknown): MetricsSetting {
  if (raw === undefined || raw === null || raw === "default") return "default";
  return raw === "local" ? "local" : "off";
}

/** What the client does, and every switch that keeps it from sending (empty when it sends). */
export interface CollectionState {
  readonly mode: CollectionMode;
  readonly reasons: readonly string[];
}

/**
 * The rule. `send` only when VS Code allows usage telemetry (`TelemetryLogger.isUsageEnabled`,
 * which follows `telemetry.telemetryLevel`), our setting is `default` and an endpoint is set: the
 * setting can only restrict, never enable sending. `local` (the user's explicit choice) aggregates
 * for the user to see and never sends, so it needs neither VS Code's consent nor an endpoint.
 * Any other combination is `off`; `reasons` names every switch that is off.
 */
export function collectionState(
  vscodeUsageEnabled: boolean,
  setting: MetricsSetting,
  endpoint: string | undefined,
): CollectionState {
  if (setting === "local") return { mode: "local", reasons: [`${METRICS_SETTING} is "local": nothing is ever sent`] };
  const reasons: string[] = [];
  if (!vscodeUsageEnabled)
    reasons.push("VS Code's telemetry setting (telemetry.telemetryLevel) does not allow usage data");
  if (setting === "off") reasons.push(`${METRICS_SETTING} is "off"`);
  if (endpoint === undefined) reasons.push(`no ${ENDPOINT_SETTING} is configured`);
  return { mode: reasons.length === 0 ? "send" : "off", reasons };
}
