/**
 * FROZEN (shipped). Migration 2: the rollup tables (per-user and per-workspace presence, per-key
 * figures, per-code histograms), the queue of events not yet rolled up (by `seq`) and the
 * scratch tables of a rollup step. Replaced by migration 3's layout.
 */
import type { Migration } from "./migration.js";

/** The statements of migration 2 (migration 3's `down` re-creates this layout with them). */
export const M002_UP = {
  sqlite: [
    `CREATE TABLE pending_rollup (seq INTEGER PRIMARY KEY)`,
    `CREATE TABLE rollup_batch (seq INTEGER PRIMARY KEY)`,
    `CREATE TABLE rollup_events AS SELECT * FROM events WHERE 1 = 0`,
    `CREATE TABLE rollup_delta (dim TEXT NOT NULL, key TEXT NOT NULL, distinct_id TEXT NOT NULL, total INTEGER NOT NULL, events INTEGER NOT NULL)`,
    `CREATE TABLE rollup_wdelta (dim TEXT NOT NULL, key TEXT NOT NULL, workspace_folder TEXT NOT NULL)`,
    `CREATE TABLE rollup_user (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  total INTEGER NOT NULL,
  events INTEGER NOT NULL,
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
  users INTEGER NOT NULL,
  total INTEGER NOT NULL,
  events INTEGER NOT NULL,
  workspaces INTEGER NOT NULL,
  PRIMARY KEY (dim, key)
)`,
    `CREATE TABLE rollup_hist (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  value INTEGER NOT NULL,
  users INTEGER NOT NULL,
  PRIMARY KEY (dim, key, value)
)`,
  ],
  postgres: [
    `CREATE TABLE pending_rollup (seq BIGINT PRIMARY KEY)`,
    `CREATE TABLE rollup_batch (seq BIGINT PRIMARY KEY)`,
    `CREATE TABLE rollup_events AS SELECT * FROM events WHERE 1 = 0`,
    `CREATE TABLE rollup_delta (dim TEXT NOT NULL, key TEXT NOT NULL, distinct_id TEXT NOT NULL, total BIGINT NOT NULL, events BIGINT NOT NULL)`,
    `CREATE TABLE rollup_wdelta (dim TEXT NOT NULL, key TEXT NOT NULL, workspace_folder TEXT NOT NULL)`,
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
  ],
} as const;

/** Drops migration 2's tables. */
export const M002_DOWN: readonly string[] = [
  "DROP TABLE rollup_hist",
  "DROP TABLE rollup_key",
  "DROP TABLE rollup_workspace",
  "DROP TABLE rollup_user",
  "DROP TABLE rollup_wdelta",
  "DROP TABLE rollup_delta",
  "DROP TABLE rollup_events",
  "DROP TABLE rollup_batch",
  "DROP TABLE pending_rollup",
];

export const M002_ROLLUPS: Migration = {
  id: 2,
  name: "rollups",
  up: M002_UP,
  down: { sqlite: M002_DOWN, postgres: M002_DOWN },
};
