/**
 * Planner statistics rebuilt from the remaining rows after a purge (issue 12).
 *
 * PostgreSQL's (auto)ANALYZE copies sampled column values into `pg_statistic` (most-common
 * values, histogram bounds: insert ids, distinct ids, workspace ids, days); SQLite's ANALYZE
 * (built with STAT4, as better-sqlite3 is) copies sampled index keys into `sqlite_stat4`. Neither
 * changes when rows are deleted, so a purged event's values would stay there until the next
 * ANALYZE. Compaction (`ingest.ts`) therefore ends with `refreshStatistics`:
 *
 * - SQLite: the collector itself never runs ANALYZE nor `PRAGMA optimize`, so there are no
 *   statistics unless an operator made them; if `sqlite_stat1` exists, ANALYZE again (the old
 *   samples are zeroed on deletion by `secure_delete`), before the WAL checkpoint.
 * - PostgreSQL: ANALYZE every table the collector writes (new statistics replace the old rows);
 *   an empty table keeps its old statistics through ANALYZE (PostgreSQL skips a table without
 *   rows), so its statistics are dropped by re-declaring each column's type (which removes the
 *   column's `pg_statistic` row; on an empty table that costs nothing); then `VACUUM FULL
 *   pg_statistic` rewrites the catalog, leaving the replaced rows behind in its old file, which
 *   is removed. That needs the collector's role to own the database (or be a superuser);
 *   otherwise PostgreSQL skips it with a warning and the old rows stay until vacuumed.
 */
import type { Db } from "./driver.js";

/** Rebuilds the statistics of `tables` (PostgreSQL) or of the whole file (SQLite, if any). */
export async function refreshStatistics(db: Db, tables: readonly string[]): Promise<void> {
  if (db.dialect.name === "sqlite") {
    const [stat] = await db.all("SELECT 1 AS x FROM sqlite_schema WHERE name = 'sqlite_stat1'");
    if (stat) await db.run("ANALYZE");
    return;
  }
  await db.run(`ANALYZE ${tables.join(", ")}`);
  for (const t of tables) {
    const [row] = await db.all(`SELECT EXISTS (SELECT 1 FROM ${t}) AS filled`);
    if (row?.filled) continue;
    const columns = await db.all(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
FROM pg_attribute a JOIN pg_statistic s ON s.starelid = a.attrelid AND s.staattnum = a.attnum
WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
      [t],
    );
    for (const c of columns) {
      await db.run(`ALTER TABLE ${t} ALTER COLUMN ${String(c.name)} TYPE ${String(c.type)}`);
    }
  }
  await db.run("VACUUM FULL pg_statistic");
}
