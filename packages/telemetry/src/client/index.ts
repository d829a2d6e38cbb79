/**
 * The telemetry client (no `vscode` import): `TelemetryClient` aggregates the language server's
 * `telemetry/event` payloads into `diagnostic_load` events and delivers them through a `Sender`
 * (`MixpanelSender` for a Mixpanel-compatible `/track` endpoint).
 */
export * from "./types.js";
export * from "./event.js";
export * from "./sender.js";
export * from "./caps.js";
export * from "./delivery.js";
export * from "./persistence.js";
export * from "./aggregation.js";
export * from "./client.js";
