/**
 * FROZEN (shipped). Migration 7: the ingest inbox (issue 12, "Ingest speed").
 *
 * A group of acknowledged batches is stored as ONE row of `inbox` (a fresh random key, the UTC
 * arrival day, how many events it holds, and the validated events in a compact encoding, the
 * group's batches in shuffled order), fsynced, then acknowledged; a later step off the request
 * path materialises inbox rows into `events` and the rollup queues in large transactions and
 * deletes them (`inbox.ts`). On SQLite the table is `WITHOUT ROWID` (rows ordered by their
 * random key; deleted rows are zeroed by `secure_delete`); on PostgreSQL it has no sequence
 * and no default, and compaction rewrites it like every other table.
 *
 * The body's layout is the `events` columns of schema version 1, in table order (one JSON array
 * of values per event). A later migration that changes the stored columns must materialise (or
 * rewrite) the inbox first; `inbox.ts` refuses a row of another width rather than guess.
 *
 * Reverting drops the table: `migrateDown` refuses while it holds rows (they are acknowledged
 * events; a read materialises them), so nothing acknowledged is lost by a revert.
 */
import type { Migration } from "./migration.js";

export const M007_INBOX: Migration = {
  id: 7,
  name: "inbox",
  up: {
    sqlite: [
      `CREATE TABLE inbox (
  id TEXT NOT NULL PRIMARY KEY,
  day TEXT NOT NULL,
  events INTEGER NOT NULL,
  body TEXT NOT NULL
) WITHOUT ROWID`,
    ],
    postgres: [
      `CREATE TABLE inbox (
  id TEXT NOT NULL PRIMARY KEY,
  day TEXT NOT NULL,
  events INTEGER NOT NULL,
  body TEXT NOT NULL
)`,
    ],
  },
  down: { sqlite: ["DROP TABLE inbox"], postgres: ["DROP TABLE inbox"] },
  mustBeEmptyToRevert: ["inbox"],
};
