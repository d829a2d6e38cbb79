/**
 * `@polar-ide/telemetry`: the `diagnostic_load` event, defined once — its properties
 * (`schema.ts`) and their validation (`validate.ts`); and the language server's `telemetry/event`
 * payload they are computed from (`protocol.ts`, also importable alone as `@polar-ide/telemetry/protocol`).
 */
export * from "./schema.js";
export * from "./validate.js";
export * from "./protocol.js";
