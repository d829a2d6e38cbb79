/**
 * FROZEN (shipped). Migration 3: nothing at rest orders events by arrival (issue 9).
 *
 * `events.seq` (and SQLite's rowid) kept the exact arrival order of every event forever. Now:
 * - `events` is keyed by `id`, 128 random bits (hex) drawn at ingest; on SQLite every table is
 *   `WITHOUT ROWID`, so rows live in a B-tree ordered by their random (or natural) key; on
 *   PostgreSQL there is no sequence. The rows of the old table are copied in random order (so
 *   PostgreSQL's heap does not keep the old order either) under fresh random ids, in one
 *   transaction (so they share one `xmin`).
 * - The queue of events not yet rolled up is keyed by the same random id; a second queue
 *   (`pending_shared`, by day and id) feeds the second set of rollups, `shared_*`: the shared
 *   view, which only ever holds complete UTC days.
 * - Deduplication by `$insert_id` is unchanged (`events_insert_id`, unique).
 * The rollups are rebuilt from the events (everything is queued again), so they equal a fold of
 * `events` after the upgrade as before.
 */
import type { Migration } from "./migration.js";
import { M002_DOWN, M002_UP } from "./002-rollups.js";
import { V1_COLUMN_NAMES, V1_COLUMNS_POSTGRES, V1_COLUMNS_SQLITE } from "./v1-columns.js";

const DROP_V2 = M002_DOWN;
const DROP_V3: readonly string[] = [
  "DROP TABLE shared_hist",
  "DROP TABLE shared_key",
  "DROP TABLE shared_workspace",
  "DROP TABLE shared_user",
  "DROP TABLE rollup_hist",
  "DROP TABLE rollup_key",
  "DROP TABLE rollup_workspace",
  "DROP TABLE rollup_user",
  "DROP TABLE rollup_wdelta",
  "DROP TABLE rollup_delta",
  "DROP TABLE rollup_events",
  "DROP TABLE rollup_batch",
  "DROP TABLE pending_shared",
  "DROP TABLE pending_rollup",
];

export const M003_NO_ARRIVAL_ORDER: Migration = {
  id: 3,
  name: "no-arrival-order",
  up: {
    sqlite: [
      `CREATE TABLE events_v3 (
  id TEXT NOT NULL PRIMARY KEY,
  day TEXT NOT NULL,
${V1_COLUMNS_SQLITE}
) WITHOUT ROWID`,
      `INSERT INTO events_v3 (id, day, ${V1_COLUMN_NAMES})
SELECT lower(hex(randomblob(16))), day, ${V1_COLUMN_NAMES} FROM events ORDER BY random()`,
      "DROP TABLE events",
      "ALTER TABLE events_v3 RENAME TO events",
      "CREATE UNIQUE INDEX events_insert_id ON events (insert_id)",
      "CREATE INDEX events_day ON events (day)",
      ...DROP_V2,
      `CREATE TABLE pending_rollup (id TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID`,
      `CREATE TABLE pending_shared (day TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (day, id)) WITHOUT ROWID`,
      `CREATE TABLE rollup_batch (id TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID`,
      `CREATE TABLE rollup_events (
  id TEXT NOT NULL PRIMARY KEY,
  day TEXT NOT NULL,
${V1_COLUMNS_SQLITE}
) WITHOUT ROWID`,
      `CREATE TABLE rollup_delta (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  total INTEGER NOT NULL,
  events INTEGER NOT NULL,
  PRIMARY KEY (dim, key, distinct_id)
) WITHOUT ROWID`,
      `CREATE TABLE rollup_wdelta (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  workspace_folder TEXT NOT NULL,
  PRIMARY KEY (dim, key, workspace_folder)
) WITHOUT ROWID`,
      `CREATE TABLE rollup_user (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  total INTEGER NOT NULL,
  events INTEGER NOT NULL,
  PRIMARY KEY (dim, key, distinct_id)
) WITHOUT ROWID`,
      `CREATE TABLE rollup_workspace (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  workspace_folder TEXT NOT NULL,
  PRIMARY KEY (dim, key, workspace_folder)
) WITHOUT ROWID`,
      `CREATE TABLE rollup_key (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  users INTEGER NOT NULL,
  total INTEGER NOT NULL,
  events INTEGER NOT NULL,
  workspaces INTEGER NOT NULL,
  PRIMARY KEY (dim, key)
) WITHOUT ROWID`,
      `CREATE TABLE rollup_hist (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  value INTEGER NOT NULL,
  users INTEGER NOT NULL,
  PRIMARY KEY (dim, key, value)
) WITHOUT ROWID`,
      `CREATE TABLE shared_user (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  total INTEGER NOT NULL,
  events INTEGER NOT NULL,
  PRIMARY KEY (dim, key, distinct_id)
) WITHOUT ROWID`,
      `CREATE TABLE shared_workspace (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  workspace_folder TEXT NOT NULL,
  PRIMARY KEY (dim, key, workspace_folder)
) WITHOUT ROWID`,
      `CREATE TABLE shared_key (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  users INTEGER NOT NULL,
  total INTEGER NOT NULL,
  events INTEGER NOT NULL,
  workspaces INTEGER NOT NULL,
  PRIMARY KEY (dim, key)
) WITHOUT ROWID`,
      `CREATE TABLE shared_hist (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  value INTEGER NOT NULL,
  users INTEGER NOT NULL,
  PRIMARY KEY (dim, key, value)
) WITHOUT ROWID`,
      "INSERT INTO pending_rollup (id) SELECT id FROM events",
      "INSERT INTO pending_shared (day, id) SELECT day, id FROM events",
    ],
    postgres: [
      `CREATE TABLE events_v3 (
  id TEXT NOT NULL PRIMARY KEY,
  day TEXT NOT NULL,
${V1_COLUMNS_POSTGRES}
)`,
      `INSERT INTO events_v3 (id, day, ${V1_COLUMN_NAMES})
SELECT replace(gen_random_uuid()::text, '-', ''), day, ${V1_COLUMN_NAMES} FROM events ORDER BY random()`,
      "DROP TABLE events",
      "ALTER TABLE events_v3 RENAME TO events",
      "ALTER INDEX events_v3_pkey RENAME TO events_pkey",
      "CREATE UNIQUE INDEX events_insert_id ON events (insert_id)",
      "CREATE INDEX events_day ON events (day)",
      ...DROP_V2,
      `CREATE TABLE pending_rollup (id TEXT NOT NULL PRIMARY KEY)`,
      `CREATE TABLE pending_shared (day TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (day, id))`,
      `CREATE TABLE rollup_batch (id TEXT NOT NULL PRIMARY KEY)`,
      `CREATE TABLE rollup_events (
  id TEXT NOT NULL PRIMARY KEY,
  day TEXT NOT NULL,
${V1_COLUMNS_POSTGRES}
)`,
      `CREATE TABLE rollup_delta (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  total BIGINT NOT NULL,
  events BIGINT NOT NULL,
  PRIMARY KEY (dim, key, distinct_id)
)`,
      `CREATE TABLE rollup_wdelta (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  workspace_folder TEXT NOT NULL,
  PRIMARY KEY (dim, key, workspace_folder)
)`,
      `CREATE TABLE rollup_user (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  total BIGINT NOT NULL,
  events BIGINT NOT NULL,
  PRIMARY KEY (dim, key, distinct_id)
)`,
      `CREATE TABLE rollup_workspace (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  workspace_folder TEXT NOT NULL,
  PRIMARY KEY (dim, key, workspace_folder)
)`,
      `CREATE TABLE rollup_key (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  users BIGINT NOT NULL,
  total BIGINT NOT NULL,
  events BIGINT NOT NULL,
  workspaces BIGINT NOT NULL,
  PRIMARY KEY (dim, key)
)`,
      `CREATE TABLE rollup_hist (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  value BIGINT NOT NULL,
  users BIGINT NOT NULL,
  PRIMARY KEY (dim, key, value)
)`,
      `CREATE TABLE shared_user (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  total BIGINT NOT NULL,
  events BIGINT NOT NULL,
  PRIMARY KEY (dim, key, distinct_id)
)`,
      `CREATE TABLE shared_workspace (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  workspace_folder TEXT NOT NULL,
  PRIMARY KEY (dim, key, workspace_folder)
)`,
      `CREATE TABLE shared_key (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  users BIGINT NOT NULL,
  total BIGINT NOT NULL,
  events BIGINT NOT NULL,
  workspaces BIGINT NOT NULL,
  PRIMARY KEY (dim, key)
)`,
      `CREATE TABLE shared_hist (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  value BIGINT NOT NULL,
  users BIGINT NOT NULL,
  PRIMARY KEY (dim, key, value)
)`,
      "INSERT INTO pending_rollup (id) SELECT id FROM events",
      "INSERT INTO pending_shared (day, id) SELECT day, id FROM events",
    ],
  },
  down: {
    sqlite: [
      ...DROP_V3,
      `CREATE TABLE events_v2 (
  seq INTEGER PRIMARY KEY,
  day TEXT NOT NULL,
${V1_COLUMNS_SQLITE}
)`,
      `INSERT INTO events_v2 (day, ${V1_COLUMN_NAMES}) SELECT day, ${V1_COLUMN_NAMES} FROM events ORDER BY id`,
      "DROP TABLE events",
      "ALTER TABLE events_v2 RENAME TO events",
      "CREATE UNIQUE INDEX events_insert_id ON events (insert_id)",
      "CREATE INDEX events_day ON events (day)",
      ...M002_UP.sqlite,
      "INSERT INTO pending_rollup (seq) SELECT seq FROM events",
    ],
    postgres: [
      ...DROP_V3,
      `CREATE TABLE events_v2 (
  seq BIGSERIAL PRIMARY KEY,
  day TEXT NOT NULL,
${V1_COLUMNS_POSTGRES}
)`,
      `INSERT INTO events_v2 (day, ${V1_COLUMN_NAMES}) SELECT day, ${V1_COLUMN_NAMES} FROM events ORDER BY id`,
      "DROP TABLE events",
      "ALTER TABLE events_v2 RENAME TO events",
      "ALTER INDEX events_v2_pkey RENAME TO events_pkey",
      "ALTER SEQUENCE events_v2_seq_seq RENAME TO events_seq_seq",
      "CREATE UNIQUE INDEX events_insert_id ON events (insert_id)",
      "CREATE INDEX events_day ON events (day)",
      ...M002_UP.postgres,
      "INSERT INTO pending_rollup (seq) SELECT seq FROM events",
    ],
  },
};
