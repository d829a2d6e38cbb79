/**
 * FROZEN (shipped). Migration 10: on PostgreSQL, the per-user, per-folder and per-period rollup
 * tables leave 15 % of each page free (`fillfactor = 85`) (issue 12).
 *
 * A purge subtracts the purged days from those tables row by row (one `MERGE` per table), and the
 * daily compaction `CLUSTER`s them, which packed their pages full: no updated row could stay on
 * its page, so every update wrote the row elsewhere and a new entry at a random place of the
 * primary key. With free space on each page an update stays on its page (a HOT update) and the
 * index is not touched. Measured on a 3M-event database (`bench/collector-statements.mjs
 * --compact`, one pair, load 2.8–3.6): the 29-day purge 79.4 → 60.6 s, the per-user `MERGE`s
 * 5.3 / 4.6 → 2.7 / 2.6 s; the tables grow by up to 1/0.85. `CLUSTER` and inserts keep to the
 * setting, so the next compaction applies it to existing rows.
 *
 * SQLite has no such setting (its B-trees split pages as needed): nothing to do there.
 */
import type { Migration } from "./migration.js";

export const M010_ROLLUP_FILLFACTOR: Migration = {
  id: 10,
  name: "rollup-fillfactor",
  up: {
    sqlite: [],
    postgres: [
      "ALTER TABLE rollup_user SET (fillfactor = 85)",
      "ALTER TABLE shared_user SET (fillfactor = 85)",
      "ALTER TABLE rollup_workspace SET (fillfactor = 85)",
      "ALTER TABLE shared_workspace SET (fillfactor = 85)",
      "ALTER TABLE rollup_trend_user SET (fillfactor = 85)",
      "ALTER TABLE shared_trend_user SET (fillfactor = 85)",
    ],
  },
  down: {
    sqlite: [],
    postgres: [
      "ALTER TABLE rollup_user RESET (fillfactor)",
      "ALTER TABLE shared_user RESET (fillfactor)",
      "ALTER TABLE rollup_workspace RESET (fillfactor)",
      "ALTER TABLE shared_workspace RESET (fillfactor)",
      "ALTER TABLE rollup_trend_user RESET (fillfactor)",
      "ALTER TABLE shared_trend_user RESET (fillfactor)",
    ],
  },
};
