/**
 * FROZEN (shipped). Migration 9: the live rollup queue and the scratch chunk keyed by (day, id),
 * like `pending_shared` and, on SQLite, `events` (issue 12).
 *
 * Since migration 8, SQLite's `events` is keyed by (day, id), and `pending_rollup` and
 * `rollup_batch` named events by id alone: every fold and purge found its events through the
 * unique index `events_id`, one more random B-tree whose entry each insert added and each purged
 * event removed (on pages spread over the whole index). Now both carry the event's day: a chunk's
 * events are reached by the table's own key (a purged range is contiguous in the queue, the chunk
 * and the table alike), the chunk's days are read off the chunk, and `events_id` goes on SQLite.
 * Ids are still 128 random bits, unique in practice; the key (day, id) is what every lookup uses.
 * Nothing orders events by arrival: within a day, the key is the random id, as before.
 *
 * PostgreSQL: the same two tables (one SQL for both backends; `events` keeps its primary key on
 * id). Queued events keep their place in the queue; the scratch chunk is empty between steps.
 */
import type { Migration } from "./migration.js";

export const M009_QUEUES_BY_DAY: Migration = {
  id: 9,
  name: "queues-by-day",
  up: {
    sqlite: [
      `CREATE TABLE pending_rollup_v9 (day TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (day, id)) WITHOUT ROWID`,
      `INSERT INTO pending_rollup_v9 (day, id) SELECT e.day, p.id FROM pending_rollup p JOIN events e ON e.id = p.id`,
      "DROP TABLE pending_rollup",
      "ALTER TABLE pending_rollup_v9 RENAME TO pending_rollup",
      "DROP TABLE rollup_batch",
      `CREATE TABLE rollup_batch (day TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (day, id)) WITHOUT ROWID`,
      "DROP INDEX events_id",
    ],
    postgres: [
      `CREATE TABLE pending_rollup_v9 AS SELECT e.day AS day, p.id AS id FROM pending_rollup p JOIN events e ON e.id = p.id`,
      "DROP TABLE pending_rollup",
      `CREATE TABLE pending_rollup (day TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (day, id))`,
      "INSERT INTO pending_rollup (day, id) SELECT day, id FROM pending_rollup_v9",
      "DROP TABLE pending_rollup_v9",
      "DROP TABLE rollup_batch",
      `CREATE UNLOGGED TABLE rollup_batch (day TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (day, id))`,
    ],
  },
  down: {
    sqlite: [
      "CREATE UNIQUE INDEX events_id ON events (id)",
      "DROP TABLE rollup_batch",
      `CREATE TABLE rollup_batch (id TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID`,
      `CREATE TABLE pending_rollup_v8 (id TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID`,
      "INSERT INTO pending_rollup_v8 (id) SELECT id FROM pending_rollup",
      "DROP TABLE pending_rollup",
      "ALTER TABLE pending_rollup_v8 RENAME TO pending_rollup",
    ],
    postgres: [
      "DROP TABLE rollup_batch",
      `CREATE UNLOGGED TABLE rollup_batch (id TEXT NOT NULL PRIMARY KEY)`,
      `CREATE TABLE pending_rollup_v8 AS SELECT id FROM pending_rollup`,
      "DROP TABLE pending_rollup",
      `CREATE TABLE pending_rollup (id TEXT NOT NULL PRIMARY KEY)`,
      "INSERT INTO pending_rollup (id) SELECT id FROM pending_rollup_v8",
      "DROP TABLE pending_rollup_v8",
    ],
  },
};
