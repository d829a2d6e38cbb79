/**
 * The connections of the ClickHouse backend (the official `@clickhouse/client`, over HTTP): one
 * to the entry point (cluster-wide reads through the `Distributed` table) and one per shard (DDL,
 * each shard's writes, per-user figures).
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import type { ClickHouseTarget } from "./url.js";

/** Settings of every query. */
const SETTINGS = {
  // Nothing is inserted through the Distributed table (`writer.ts` writes to each shard), so no
  // insert_distributed_sync. Long reads (dashboards over 100M events) keep the connection alive with progress headers.
  send_progress_in_http_headers: 1,
  http_headers_progress_interval_ms: "10000",
} as const;

/**
 * A connection to `url`. `requestTimeoutMs` bounds a request's silence: 18.16 sends no progress
 * headers for an `INSERT … SELECT`, so the roll-up's (`rollup.ts`: minutes at 10M events) needs
 * a longer one than reads.
 */
export function connect(
  target: ClickHouseTarget,
  url: string,
  database: string | null,
  requestTimeoutMs = 300_000,
): ClickHouseClient {
  return createClient({
    url,
    username: target.username,
    password: target.password,
    ...(database === null ? {} : { database }),
    request_timeout: requestTimeoutMs,
    clickhouse_settings: SETTINGS,
    // 18.16 predates the HTTP compression negotiation the client would try.
    compression: { request: false, response: false },
  });
}

/** A query's rows (JSONEachRow; 64-bit integers arrive as strings). */
export async function rows(client: ClickHouseClient, query: string): Promise<Record<string, unknown>[]> {
  const result = await client.query({ query, format: "JSONEachRow" });
  return result.json<Record<string, unknown>>();
}
