/**
 * FROZEN (shipped). Migration 5: per-workspace event counts, so that a purge can subtract the
 * purged days from the rollups instead of rebuilding them from scratch (issue 12).
 *
 * The per-(dimension, key, workspace folder) presence tables (`rollup_workspace`,
 * `shared_workspace`) and the scratch table of a rollup step (`rollup_wdelta`) gain `events`:
 * how many folded events of the folder count towards the cell. A purge subtracts the purged
 * events and drops a folder from a cell when its count reaches 0, which presence alone could not
 * tell. Both sets are emptied and every event queued again, so that the counts cover every
 * stored event.
 */
import type { Migration } from "./migration.js";

const REBUILD: readonly string[] = [
  "DELETE FROM rollup_user",
  "DELETE FROM rollup_workspace",
  "DELETE FROM rollup_key",
  "DELETE FROM rollup_hist",
  "DELETE FROM rollup_trend_user",
  "DELETE FROM rollup_trend_key",
  "DELETE FROM shared_user",
  "DELETE FROM shared_workspace",
  "DELETE FROM shared_key",
  "DELETE FROM shared_hist",
  "DELETE FROM shared_trend_user",
  "DELETE FROM shared_trend_key",
  "DELETE FROM pending_rollup",
  "DELETE FROM pending_shared",
  "INSERT INTO pending_rollup (id) SELECT id FROM events",
  "INSERT INTO pending_shared (day, id) SELECT day, id FROM events",
];

const DROP: readonly string[] = [
  "ALTER TABLE shared_workspace DROP COLUMN events",
  "ALTER TABLE rollup_workspace DROP COLUMN events",
  "ALTER TABLE rollup_wdelta DROP COLUMN events",
];

export const M005_WORKSPACE_COUNTS: Migration = {
  id: 5,
  name: "workspace-counts",
  up: {
    sqlite: [
      "ALTER TABLE rollup_wdelta ADD COLUMN events INTEGER NOT NULL DEFAULT 0",
      "ALTER TABLE rollup_workspace ADD COLUMN events INTEGER NOT NULL DEFAULT 0",
      "ALTER TABLE shared_workspace ADD COLUMN events INTEGER NOT NULL DEFAULT 0",
      ...REBUILD,
    ],
    postgres: [
      "ALTER TABLE rollup_wdelta ADD COLUMN events BIGINT NOT NULL DEFAULT 0",
      "ALTER TABLE rollup_workspace ADD COLUMN events BIGINT NOT NULL DEFAULT 0",
      "ALTER TABLE shared_workspace ADD COLUMN events BIGINT NOT NULL DEFAULT 0",
      // No column has a default on PostgreSQL (nothing there may look like a sequence).
      "ALTER TABLE rollup_wdelta ALTER COLUMN events DROP DEFAULT",
      "ALTER TABLE rollup_workspace ALTER COLUMN events DROP DEFAULT",
      "ALTER TABLE shared_workspace ALTER COLUMN events DROP DEFAULT",
      ...REBUILD,
    ],
  },
  down: { sqlite: DROP, postgres: DROP },
};
