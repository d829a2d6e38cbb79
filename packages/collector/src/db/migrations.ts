/**
 * Numbered, reversible migrations for both dialects. Applied in order inside one transaction
 * each; `schema_migrations` records which ran. Never edit a migration that has shipped: add one.
 *
 * Migration 1 creates the `events` columns of schema version 1. A schema change that adds
 * properties bumps `SCHEMA_VERSION` and comes with a migration adding their columns; a test
 * checks that the migrated table has a column for every stored property.
 */
import type { Db, Dialect } from "./driver.js";
import { COLUMNS } from "./columns.js";

/** One migration: statements to apply and to revert. */
export interface Migration {
  readonly id: number;
  readonly name: string;
  up(d: Dialect): string[];
  down(d: Dialect): string[];
}

function eventColumnsV1(d: Dialect): string {
  return COLUMNS.map((c) => {
    switch (c.sqlType) {
      case "integer":
        return `${c.name} ${d.bigint} NOT NULL`;
      case "boolean":
        return `${c.name} SMALLINT NOT NULL`;
      case "text":
      case "set":
        return `${c.name} TEXT NOT NULL`;
    }
  }).join(",\n  ");
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "events",
    up: (d) => [
      // seq: arrival order, only used to find events not yet rolled up. day: UTC arrival date,
      // the finest time the collector keeps.
      `CREATE TABLE events (
  seq ${d.serialPrimaryKey},
  day TEXT NOT NULL,
  ${eventColumnsV1(d)}
)`,
      "CREATE UNIQUE INDEX events_insert_id ON events (insert_id)",
      "CREATE INDEX events_day ON events (day)",
    ],
    down: () => ["DROP TABLE events"],
  },
  {
    id: 2,
    name: "rollups",
    up: (d) => [
      // Events stored but not yet folded into the rollups (written in the ingest transaction).
      `CREATE TABLE pending_rollup (seq ${d.bigint} PRIMARY KEY)`,
      // Scratch tables of one rollup step (emptied at its start and end, under the rollup lock).
      `CREATE TABLE rollup_batch (seq ${d.bigint} PRIMARY KEY)`,
      "CREATE TABLE rollup_events AS SELECT * FROM events WHERE 1 = 0",
      `CREATE TABLE rollup_delta (dim TEXT NOT NULL, key TEXT NOT NULL, distinct_id TEXT NOT NULL, total ${d.bigint} NOT NULL, events ${d.bigint} NOT NULL)`,
      "CREATE TABLE rollup_wdelta (dim TEXT NOT NULL, key TEXT NOT NULL, workspace_folder TEXT NOT NULL)",
      // Per (dimension, key, user): summed value and number of events; tells whether a user is
      // new to a key, and holds each user's total for the per-user distribution.
      `CREATE TABLE rollup_user (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  total ${d.bigint} NOT NULL,
  events ${d.bigint} NOT NULL,
  PRIMARY KEY (dim, key, distinct_id)
)`,
      // Per (dimension, key, workspace folder): presence only, for distinct-workspace counts.
      `CREATE TABLE rollup_workspace (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  workspace_folder TEXT NOT NULL,
  PRIMARY KEY (dim, key, workspace_folder)
)`,
      // Per (dimension, key): what the dashboard reads — a few hundred rows whatever the volume.
      `CREATE TABLE rollup_key (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  users ${d.bigint} NOT NULL,
  total ${d.bigint} NOT NULL,
  events ${d.bigint} NOT NULL,
  workspaces ${d.bigint} NOT NULL,
  PRIMARY KEY (dim, key)
)`,
      // Per diagnostic code: how many users have each per-user total (exact percentiles).
      `CREATE TABLE rollup_hist (
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  value ${d.bigint} NOT NULL,
  users ${d.bigint} NOT NULL,
  PRIMARY KEY (dim, key, value)
)`,
    ],
    down: () =>
      [
        "rollup_hist",
        "rollup_key",
        "rollup_workspace",
        "rollup_user",
        "rollup_wdelta",
        "rollup_delta",
        "rollup_events",
        "rollup_batch",
        "pending_rollup",
      ].map((t) => `DROP TABLE ${t}`),
  },
];

const CREATE_LOG = "CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL)";
const LOCK_MIGRATE = 7_001;

/** Applies every migration not yet applied; returns the ids applied now. */
export async function migrate(db: Db): Promise<number[]> {
  return db.exclusive(LOCK_MIGRATE, async (tx) => {
    await tx.run(CREATE_LOG);
    const done = new Set((await tx.all("SELECT id FROM schema_migrations")).map((r) => Number(r.id)));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.id)) continue;
      for (const sql of m.up(db.dialect)) await tx.run(sql);
      await tx.run("INSERT INTO schema_migrations (id, name) VALUES (?, ?)", [m.id, m.name]);
      applied.push(m.id);
    }
    return applied;
  });
}

/** Reverts migrations down to (excluding) `target`, newest first. */
export async function migrateDown(db: Db, target: number): Promise<number[]> {
  return db.exclusive(LOCK_MIGRATE, async (tx) => {
    await tx.run(CREATE_LOG);
    const done = new Set((await tx.all("SELECT id FROM schema_migrations")).map((r) => Number(r.id)));
    const reverted: number[] = [];
    for (const m of [...MIGRATIONS].reverse()) {
      if (m.id <= target || !done.has(m.id)) continue;
      for (const sql of m.down(db.dialect)) await tx.run(sql);
      await tx.run("DELETE FROM schema_migrations WHERE id = ?", [m.id]);
      reverted.push(m.id);
    }
    return reverted;
  });
}
