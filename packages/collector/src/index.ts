/**
 * `@polar-ide/collector`: the self-hosted sink of the `diagnostic_load` telemetry event.
 */
export { buildApp, utcDay, BODY_LIMIT, type AppOptions } from "./app.js";
export { loadConfig, ConfigError, envName, type Config } from "./config.js";
export { openDb, type Db } from "./db/driver.js";
export { Store } from "./db/store.js";
export { MIGRATIONS, migrate, migrateDown } from "./db/migrations.js";
export { RateLimiter } from "./rate-limit.js";
export { startCollector, retentionCutoff, type RunningCollector } from "./server.js";
export { summary, dashboardData, type Summary } from "./routes/api.js";
