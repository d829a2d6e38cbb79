/**
 * FROZEN (shipped). Migration 8: on SQLite, `events` is stored in (day, id) order (issue 12).
 *
 * Migration 3 keyed `events` by its random `id` alone, so a day's events were spread over the
 * whole B-tree and a purge of old days rewrote most of the table's pages (~170 µs of CPU per
 * purged event at 3M, the table's delete the largest statement). Now the table's primary key is
 * (day, id): a day's events are one contiguous range (a purge deletes ranges of pages), and within
 * a day they are in random id order, so nothing orders events by arrival within a day, as before.
 * Lookups by id alone (the rollup queues, the scratch chunks) go through `events_id` (unique: ids
 * stay unique); dedupe by `$insert_id` through `events_insert_id` as before; `events_day` is
 * dropped (the primary key starts with the day). Ids, days and values are copied unchanged, so the
 * rollups (folds of the same events) stay valid: nothing is queued again.
 *
 * PostgreSQL: no change (a heap has no key order; its purge is discussed in the collector README).
 */
import type { Migration } from "./migration.js";
import { V1_COLUMN_NAMES, V1_COLUMNS_SQLITE } from "./v1-columns.js";

export const M008_EVENTS_BY_DAY: Migration = {
  id: 8,
  name: "events-by-day",
  up: {
    sqlite: [
      `CREATE TABLE events_v8 (
  id TEXT NOT NULL,
  day TEXT NOT NULL,
${V1_COLUMNS_SQLITE},
  PRIMARY KEY (day, id)
) WITHOUT ROWID`,
      `INSERT INTO events_v8 (id, day, ${V1_COLUMN_NAMES})
SELECT id, day, ${V1_COLUMN_NAMES} FROM events ORDER BY day, id`,
      "DROP TABLE events",
      "ALTER TABLE events_v8 RENAME TO events",
      "CREATE UNIQUE INDEX events_id ON events (id)",
      "CREATE UNIQUE INDEX events_insert_id ON events (insert_id)",
    ],
    postgres: [],
  },
  down: {
    sqlite: [
      `CREATE TABLE events_v3 (
  id TEXT NOT NULL PRIMARY KEY,
  day TEXT NOT NULL,
${V1_COLUMNS_SQLITE}
) WITHOUT ROWID`,
      `INSERT INTO events_v3 (id, day, ${V1_COLUMN_NAMES})
SELECT id, day, ${V1_COLUMN_NAMES} FROM events ORDER BY id`,
      "DROP TABLE events",
      "ALTER TABLE events_v3 RENAME TO events",
      "CREATE UNIQUE INDEX events_insert_id ON events (insert_id)",
      "CREATE INDEX events_day ON events (day)",
    ],
    postgres: [],
  },
};
