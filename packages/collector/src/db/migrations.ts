/**
 * Numbered, reversible migrations for both dialects, applied in order inside one transaction
 * each; `schema_migrations` records which ran.
 *
 * Every shipped migration is FROZEN: its statements are literal text (`migrations/NNN-*.ts`),
 * never derived from the live telemetry schema, so a schema change cannot silently change a
 * migration that already ran somewhere. A schema change that adds properties bumps
 * `SCHEMA_VERSION` and comes with a new migration adding their columns to `events` and
 * `rollup_events`; `test/migrations.test.ts` checks that the migrated tables have a column for
 * every stored property, on a fresh database and on databases upgraded from every earlier
 * migration.
 */
import type { Db } from "./driver.js";
import type { Migration } from "./migrations/migration.js";
import { M001_EVENTS } from "./migrations/001-events.js";
import { M002_ROLLUPS } from "./migrations/002-rollups.js";
import { M003_NO_ARRIVAL_ORDER } from "./migrations/003-no-arrival-order.js";
import { M004_TRENDS } from "./migrations/004-trends.js";
import { M005_WORKSPACE_COUNTS } from "./migrations/005-workspace-counts.js";
import { M006_UNLOGGED_SCRATCH } from "./migrations/006-unlogged-scratch.js";
import { M007_INBOX } from "./migrations/007-inbox.js";
import { M008_EVENTS_BY_DAY } from "./migrations/008-events-by-day.js";
import { M009_QUEUES_BY_DAY } from "./migrations/009-queues-by-day.js";
import { M010_ROLLUP_FILLFACTOR } from "./migrations/010-rollup-fillfactor.js";

export type { Migration } from "./migrations/migration.js";

export const MIGRATIONS: readonly Migration[] = [
  M001_EVENTS,
  M002_ROLLUPS,
  M003_NO_ARRIVAL_ORDER,
  M004_TRENDS,
  M005_WORKSPACE_COUNTS,
  M006_UNLOGGED_SCRATCH,
  M007_INBOX,
  M008_EVENTS_BY_DAY,
  M009_QUEUES_BY_DAY,
  M010_ROLLUP_FILLFACTOR,
];

/** The newest migration's id. */
export const LATEST_MIGRATION = MIGRATIONS[MIGRATIONS.length - 1]!.id;

const CREATE_LOG = "CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL)";
const LOCK_MIGRATE = 7_001;

/**
 * Applies every migration not yet applied, up to `target` (default: all); returns the ids
 * applied now.
 */
export async function migrate(db: Db, target = LATEST_MIGRATION): Promise<number[]> {
  return db.exclusive(LOCK_MIGRATE, async (tx) => {
    await tx.run(CREATE_LOG);
    const done = new Set((await tx.all("SELECT id FROM schema_migrations")).map((r) => Number(r.id)));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.id) || m.id > target) continue;
      for (const sql of m.up[db.dialect.name]) await tx.run(sql);
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
      for (const table of m.mustBeEmptyToRevert ?? []) {
        const [held] = await tx.all(`SELECT COUNT(*) AS n FROM ${table}`);
        const n = Number(held?.n ?? 0);
        if (n > 0) {
          throw new Error(
            `cannot revert migration ${m.id} (${m.name}): ${table} holds ${n} row(s) of acknowledged data that reverting would lose; read the summary once (reads materialise them), then revert`,
          );
        }
      }
      for (const sql of m.down[db.dialect.name]) await tx.run(sql);
      await tx.run("DELETE FROM schema_migrations WHERE id = ?", [m.id]);
      reverted.push(m.id);
    }
    return reverted;
  });
}
