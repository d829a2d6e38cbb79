/**
 * `@polar-ide/telemetry`: the `diagnostic_load` event, defined once — its properties
 * (`schema.ts`) and their validation (`validate.ts`).
 */
export * from "./schema.js";
export * from "./validate.js";
