/**
 * FROZEN (shipped). Migration 4: per-day and per-week rollups (issue 12), the one time kept
 * being the UTC arrival day.
 *
 * Each rollup set (live `rollup_*`, shared `shared_*`) gains two tables, folded with the others:
 * - `*_trend_user`: per (dimension, key, grain, period, version, user) the summed value and
 *   events, where grain is `day` or `week` (ISO weeks, from Monday), period is the day or the
 *   week's Monday (`YYYY-MM-DD`), and version is the extension version or `''` for all versions;
 * - `*_trend_key`: per (dimension, key, grain, period, version) users, total and events — what
 *   reads touch.
 * Dimensions: `all` (events), `load` (loads that succeeded / failed) and `code` (occurrences of
 * each diagnostic code). `trend_days` (each day of a rollup step with its week) and
 * `trend_delta` are scratch tables of a rollup step.
 *
 * Both sets are emptied and every event queued again, so that the new tables fold every stored
 * event (and the old ones are rebuilt alongside): the sets stay folds of `events`.
 */
import type { Migration } from "./migration.js";

const REBUILD: readonly string[] = [
  "DELETE FROM rollup_user",
  "DELETE FROM rollup_workspace",
  "DELETE FROM rollup_key",
  "DELETE FROM rollup_hist",
  "DELETE FROM shared_user",
  "DELETE FROM shared_workspace",
  "DELETE FROM shared_key",
  "DELETE FROM shared_hist",
  "DELETE FROM pending_rollup",
  "DELETE FROM pending_shared",
  "INSERT INTO pending_rollup (id) SELECT id FROM events",
  "INSERT INTO pending_shared (day, id) SELECT day, id FROM events",
];

const DROP: readonly string[] = [
  "DROP TABLE trend_delta",
  "DROP TABLE trend_days",
  "DROP TABLE shared_trend_key",
  "DROP TABLE shared_trend_user",
  "DROP TABLE rollup_trend_key",
  "DROP TABLE rollup_trend_user",
];

export const M004_TRENDS: Migration = {
  id: 4,
  name: "trends",
  up: {
    sqlite: [
      `CREATE TABLE rollup_trend_user (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  grain TEXT NOT NULL,
  period TEXT NOT NULL,
  version TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  total INTEGER NOT NULL,
  events INTEGER NOT NULL,
  PRIMARY KEY (dim, key, grain, period, version, distinct_id)
) WITHOUT ROWID`,
      `CREATE TABLE rollup_trend_key (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  grain TEXT NOT NULL,
  period TEXT NOT NULL,
  version TEXT NOT NULL,
  users INTEGER NOT NULL,
  total INTEGER NOT NULL,
  events INTEGER NOT NULL,
  PRIMARY KEY (dim, key, grain, period, version)
) WITHOUT ROWID`,
      `CREATE TABLE shared_trend_user (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  grain TEXT NOT NULL,
  period TEXT NOT NULL,
  version TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  total INTEGER NOT NULL,
  events INTEGER NOT NULL,
  PRIMARY KEY (dim, key, grain, period, version, distinct_id)
) WITHOUT ROWID`,
      `CREATE TABLE shared_trend_key (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  grain TEXT NOT NULL,
  period TEXT NOT NULL,
  version TEXT NOT NULL,
  users INTEGER NOT NULL,
  total INTEGER NOT NULL,
  events INTEGER NOT NULL,
  PRIMARY KEY (dim, key, grain, period, version)
) WITHOUT ROWID`,
      `CREATE TABLE trend_days (
  day TEXT NOT NULL,
  grain TEXT NOT NULL,
  period TEXT NOT NULL,
  PRIMARY KEY (day, grain)
) WITHOUT ROWID`,
      `CREATE TABLE trend_delta (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  grain TEXT NOT NULL,
  period TEXT NOT NULL,
  version TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  total INTEGER NOT NULL,
  events INTEGER NOT NULL,
  PRIMARY KEY (dim, key, grain, period, version, distinct_id)
) WITHOUT ROWID`,
      ...REBUILD,
    ],
    postgres: [
      `CREATE TABLE rollup_trend_user (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  grain TEXT NOT NULL,
  period TEXT NOT NULL,
  version TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  total BIGINT NOT NULL,
  events BIGINT NOT NULL,
  PRIMARY KEY (dim, key, grain, period, version, distinct_id)
)`,
      `CREATE TABLE rollup_trend_key (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  grain TEXT NOT NULL,
  period TEXT NOT NULL,
  version TEXT NOT NULL,
  users BIGINT NOT NULL,
  total BIGINT NOT NULL,
  events BIGINT NOT NULL,
  PRIMARY KEY (dim, key, grain, period, version)
)`,
      `CREATE TABLE shared_trend_user (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  grain TEXT NOT NULL,
  period TEXT NOT NULL,
  version TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  total BIGINT NOT NULL,
  events BIGINT NOT NULL,
  PRIMARY KEY (dim, key, grain, period, version, distinct_id)
)`,
      `CREATE TABLE shared_trend_key (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  grain TEXT NOT NULL,
  period TEXT NOT NULL,
  version TEXT NOT NULL,
  users BIGINT NOT NULL,
  total BIGINT NOT NULL,
  events BIGINT NOT NULL,
  PRIMARY KEY (dim, key, grain, period, version)
)`,
      `CREATE TABLE trend_days (
  day TEXT NOT NULL,
  grain TEXT NOT NULL,
  period TEXT NOT NULL,
  PRIMARY KEY (day, grain)
)`,
      `CREATE TABLE trend_delta (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  grain TEXT NOT NULL,
  period TEXT NOT NULL,
  version TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  total BIGINT NOT NULL,
  events BIGINT NOT NULL,
  PRIMARY KEY (dim, key, grain, period, version, distinct_id)
)`,
      ...REBUILD,
    ],
  },
  // The other rollup tables fold every event already: dropping the new ones is enough.
  down: { sqlite: DROP, postgres: DROP },
};
