/**
 * `@polar-ide/collector`: the self-hosted sink of the `diagnostic_load` telemetry event.
 */
export { buildApp, utcDay, BODY_LIMIT, type AppOptions } from "./app.js";
export { loadConfig, ConfigError, envName, withDefaults, DEFAULTS, type Config, type FullConfig } from "./config.js";
export { openDb, type Db } from "./db/driver.js";
export { Store } from "./db/store.js";
export type { EventStore, RollupReader } from "./db/backend.js";
export { openStore } from "./db/open.js";
export { ClickHouseStore } from "./db/clickhouse/store.js";
export { parseClickHouseUrl, type ClickHouseTarget } from "./db/clickhouse/url.js";
export { MIGRATIONS, migrate, migrateDown } from "./db/migrations.js";
export { RateLimiter, sourceKey } from "./rate-limit.js";
export { Auth, SESSION_COOKIE } from "./routes/auth.js";
export { startCollector, retentionCutoff, protectDatabaseFile, type RunningCollector } from "./server.js";
export { summary, dashboardData, type Summary } from "./routes/api.js";
export { sharedApi, type SharedApiOptions } from "./routes/shared-api.js";
export {
  operatorDashboard,
  sharedDashboard,
  summaryOf,
  OTHER_KEY,
  type Dashboard,
  type Cell,
  type CodeCell,
} from "./read/views.js";
export { LATEST_MIGRATION } from "./db/migrations.js";
