/**
 * Opens the storage a `--db` URL names: SQLite or PostgreSQL (the SQL `Store`), or a ClickHouse
 * cluster (`ClickHouseStore`).
 */
import type { EventStore } from "./backend.js";
import { ClickHouseStore } from "./clickhouse/store.js";
import { isClickHouseUrl } from "./clickhouse/url.js";
import { openDb } from "./driver.js";
import { Store } from "./store.js";

export function openStore(db: string): EventStore {
  return isClickHouseUrl(db) ? new ClickHouseStore(db) : new Store(openDb(db));
}
