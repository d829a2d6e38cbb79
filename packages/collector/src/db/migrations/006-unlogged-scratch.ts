/**
 * FROZEN (shipped). Migration 6: on PostgreSQL, the scratch tables of a rollup step and of a
 * purge are UNLOGGED (issue 12).
 *
 * Every row a rollup step or a purge writes into them (the picked ids, the copied events, the
 * deltas) is deleted again before the step commits, yet as logged tables each of those rows went
 * through the write-ahead log: a fold wrote its deltas twice, and copies of events and user ids
 * sat in WAL segments until they were recycled. Unlogged, they skip the log entirely (a crash
 * empties them, which is what a step expects anyway: it empties them first). SQLite has no such
 * table kind: nothing to do there.
 */
import type { Migration } from "./migration.js";

export const M006_UNLOGGED_SCRATCH: Migration = {
  id: 6,
  name: "unlogged-scratch",
  up: {
    sqlite: [],
    postgres: [
      "ALTER TABLE rollup_batch SET UNLOGGED",
      "ALTER TABLE rollup_events SET UNLOGGED",
      "ALTER TABLE rollup_delta SET UNLOGGED",
      "ALTER TABLE rollup_wdelta SET UNLOGGED",
      "ALTER TABLE trend_days SET UNLOGGED",
      "ALTER TABLE trend_delta SET UNLOGGED",
    ],
  },
  down: {
    sqlite: [],
    postgres: [
      "ALTER TABLE trend_delta SET LOGGED",
      "ALTER TABLE trend_days SET LOGGED",
      "ALTER TABLE rollup_wdelta SET LOGGED",
      "ALTER TABLE rollup_delta SET LOGGED",
      "ALTER TABLE rollup_events SET LOGGED",
      "ALTER TABLE rollup_batch SET LOGGED",
    ],
  },
};
