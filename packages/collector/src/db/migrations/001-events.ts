/**
 * FROZEN (shipped). Migration 1: the `events` table of schema version 1, with `seq` (arrival
 * order, removed by migration 3) and the UTC arrival day.
 */
import type { Migration } from "./migration.js";
import { V1_COLUMNS_POSTGRES, V1_COLUMNS_SQLITE } from "./v1-columns.js";

export const M001_EVENTS: Migration = {
  id: 1,
  name: "events",
  up: {
    sqlite: [
      `CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  day TEXT NOT NULL,
${V1_COLUMNS_SQLITE}
)`,
      "CREATE UNIQUE INDEX events_insert_id ON events (insert_id)",
      "CREATE INDEX events_day ON events (day)",
    ],
    postgres: [
      `CREATE TABLE events (
  seq BIGSERIAL PRIMARY KEY,
  day TEXT NOT NULL,
${V1_COLUMNS_POSTGRES}
)`,
      "CREATE UNIQUE INDEX events_insert_id ON events (insert_id)",
      "CREATE INDEX events_day ON events (day)",
    ],
  },
  down: {
    sqlite: ["DROP TABLE events"],
    postgres: ["DROP TABLE events"],
  },
};
