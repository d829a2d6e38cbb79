/**
 * Who decides whether usage data is collected: VS Code first, our setting second. Free of
 * `vscode` so that the rule is unit-tested directly.
 */

/** Full name of the extension's own switch. */
export const METRICS_SETTING = "oso.polarLanguageServer.metrics.enabled";

/** Values of `oso.polarLanguageServer.metrics.enabled`. */
export type MetricsSetting = "default" | "off";

/**
 * Reads the raw setting. Anything but the documented `default` counts as `off`, so a typo or an
 * old Oso value (`on`) can never turn collection on against VS Code's setting.
 */
export function parseMetricsSetting(raw: unknown): MetricsSetting {
  return raw === undefined || raw === null || raw === "default" ? "default" : "off";
}

/**
 * Collection happens only when VS Code allows usage telemetry (`TelemetryLogger.isUsageEnabled`,
 * which follows `telemetry.telemetryLevel`) and our setting does not say `off`: the setting can
 * only restrict, never enable.
 */
export function telemetryAllowed(vscodeUsageEnabled: boolean, setting: MetricsSetting): boolean {
  return vscodeUsageEnabled && setting === "default";
}
