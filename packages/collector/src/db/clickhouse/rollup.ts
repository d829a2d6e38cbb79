/**
 * Rolled-up complete days on the ClickHouse cluster: what a read would otherwise recompute from
 * every stored event, kept per shard in two tables of one *generation*:
 * - `rolled_users_<through>_<fingerprint>`: per (dim, key, user), the user's events and summed
 *   value in that cell, over the events of the days up to `through` (each `$insert_id` once);
 *   a user's events all live on one shard, so per-user rows and per-cell user counts of the
 *   shards add up;
 * - `rolled_workspaces_<through>_<fingerprint>`: the (dim, key, workspace folder) triples of the
 *   cells `all` and `code` over the same events (counted across shards through `cluster()`: in
 *   hostile data a folder could appear under users of two shards).
 * A read then merges the generation with the events of the later days only (`reader.ts`), so its
 * cost follows the users and today's events, not the stored events.
 *
 * A generation is named after the days it covers and a fingerprint of their day partitions on
 * every shard (newest block and rows): once any of those partitions changes (a late insert, a
 * merge that collapsed a retried event, a purge), the name no longer matches and readers ignore
 * it. Building is idempotent and atomic: each shard fills a temporary table and renames it to the
 * generation's name, so two collectors building the same generation at once leave one, and a
 * reader never sees a half-built table. Building drops the older generations; purge drops them
 * all (their rows hold the purged users' ids), the next `refreshShared` builds a new one.
 */
import { createHash, randomBytes } from "node:crypto";
import type { ClickHouseClient } from "@clickhouse/client";
import { rows } from "./client.js";
import { bindDay } from "./sql.js";

/** One generation: its tables (the same names on every shard) and the last day it covers. */
export interface Generation {
  readonly users: string;
  readonly workspaces: string;
  /** `YYYY-MM-DD`. */
  readonly through: string;
}

/** One active day partition of `events_local` on one shard. */
export interface PartitionState {
  /** `YYYYMMDD` (the partition id of a `Date` partition key). */
  readonly id: string;
  readonly block: string;
  readonly rows: string;
}

const USERS_PREFIX = "rolled_users_";
const WORKSPACES_PREFIX = "rolled_workspaces_";
const TEMPORARY_PREFIX = "rolled_tmp_";

/** Every shard's active partitions of `events_local`, in partition order. */
export async function partitionStates(shards: readonly ClickHouseClient[]): Promise<PartitionState[][]> {
  return Promise.all(
    shards.map(async (s) =>
      (
        await rows(
          s,
          `SELECT partition_id, toString(max(max_block_number)) AS block, toString(sum(rows)) AS rows FROM system.parts
WHERE database = currentDatabase() AND table = 'events_local' AND active GROUP BY partition_id ORDER BY partition_id`,
        )
      ).map((r) => ({ id: String(r.partition_id), block: String(r.block), rows: String(r.rows) })),
    ),
  );
}

/** The generation covering the days up to `through` as the partitions are now. */
export function generationOf(states: readonly (readonly PartitionState[])[], through: string): Generation {
  bindDay(through);
  const last = through.replaceAll("-", "");
  const covered = states.map((list) => list.filter((p) => p.id <= last).map((p) => `${p.id}:${p.block}:${p.rows}`));
  const fingerprint = createHash("sha256").update(JSON.stringify(covered)).digest("hex").slice(0, 16);
  return {
    users: `${USERS_PREFIX}${last}_${fingerprint}`,
    workspaces: `${WORKSPACES_PREFIX}${last}_${fingerprint}`,
    through,
  };
}

/** The rolled tables on one shard. */
async function rolledTables(shard: ClickHouseClient): Promise<string[]> {
  return (
    await rows(
      shard,
      `SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, 'rolled_')`,
    )
  ).map((r) => String(r.name));
}

/**
 * The newest generation every shard holds whose partitions are unchanged, covering no day after
 * `latest` (when given); null when there is none.
 */
export async function currentGeneration(
  shards: readonly ClickHouseClient[],
  states: readonly (readonly PartitionState[])[],
  latest: string | null,
): Promise<Generation | null> {
  const perShard = await Promise.all(shards.map(rolledTables));
  const candidates = new Set(perShard[0] ?? []);
  for (const list of perShard.slice(1)) {
    const here = new Set(list);
    for (const name of candidates) if (!here.has(name)) candidates.delete(name);
  }
  const days = [...candidates]
    .filter((name) => name.startsWith(USERS_PREFIX))
    .map((name) => /^rolled_users_(\d{4})(\d{2})(\d{2})_[0-9a-f]{16}$/.exec(name))
    .filter((m) => m !== null)
    .map((m) => `${m[1]}-${m[2]}-${m[3]}`)
    .filter((day) => latest === null || day <= latest)
    .sort()
    .reverse();
  for (const day of new Set(days)) {
    const g = generationOf(states, day);
    if (candidates.has(g.users) && candidates.has(g.workspaces)) return g;
  }
  return null;
}

/**
 * Builds (on every shard) the generation covering the days up to `through`, unless it exists,
 * then drops every other generation. Resolves with it, or null when the partitions kept changing
 * while it was built (readers then use the events, and the next call tries again).
 */
export async function buildGeneration(
  shards: readonly ClickHouseClient[],
  through: string,
): Promise<Generation | null> {
  const day = bindDay(through);
  for (let attempt = 0; attempt < 2; attempt++) {
    const g = generationOf(await partitionStates(shards), through);
    await Promise.all(
      shards.map(async (shard) => {
        const have = new Set(await rolledTables(shard));
        const tag = `${TEMPORARY_PREFIX}${Date.now().toString(36)}_${randomBytes(6).toString("hex")}`;
        const steps: [string, string, string[]][] = [
          [
            g.users,
            "(dim String, key String, distinct_id String, events UInt64, total Int64) ENGINE = MergeTree() ORDER BY (dim, key, distinct_id)",
            [
              `SELECT dim, key, distinct_id, count() AS events, sum(value) AS total FROM (
SELECT distinct_id, cell_dim, cell_key, cell_value FROM events_local WHERE day <= ${day} LIMIT 1 BY insert_id
) ARRAY JOIN cell_dim AS dim, cell_key AS key, cell_value AS value GROUP BY dim, key, distinct_id`,
            ],
          ],
          [
            g.workspaces,
            "(dim String, key String, workspace_folder String) ENGINE = MergeTree() ORDER BY (dim, key, workspace_folder)",
            [
              `SELECT DISTINCT dim, key, workspace_folder FROM events_local ARRAY JOIN cell_dim AS dim, cell_key AS key
WHERE day <= ${day} AND (dim = 'all' OR dim = 'code')`,
            ],
          ],
        ];
        for (const [name, columns, [select]] of steps) {
          if (have.has(name)) continue;
          const tmp = `${tag}_${name.startsWith(USERS_PREFIX) ? "u" : "w"}`;
          try {
            await shard.command({ query: `CREATE TABLE ${tmp} ${columns}` });
            await shard.command({ query: `INSERT INTO ${tmp} ${select!}` });
            // One part, rows in key order (nothing follows arrival).
            await shard.command({ query: `OPTIMIZE TABLE ${tmp} FINAL` });
            await shard.command({ query: `RENAME TABLE ${tmp} TO ${name}` });
          } catch (e) {
            await shard.command({ query: `DROP TABLE IF EXISTS ${tmp}` });
            // Another collector renamed the same generation in first: it is there, the same.
            if (!(await rolledTables(shard)).includes(name)) throw e;
          }
        }
      }),
    );
    const now = generationOf(await partitionStates(shards), through);
    if (now.users === g.users) {
      await dropGenerations(shards, g);
      return g;
    }
  }
  return null;
}

/** Drops every generation but `keep` (every one when null), and leftover temporary tables. */
export async function dropGenerations(shards: readonly ClickHouseClient[], keep: Generation | null): Promise<void> {
  await Promise.all(
    shards.map(async (shard) => {
      for (const name of await rolledTables(shard)) {
        if (keep !== null && (name === keep.users || name === keep.workspaces)) continue;
        // A temporary table is another build's work in progress: dropped only when purging.
        if (keep !== null && name.startsWith(TEMPORARY_PREFIX)) continue;
        await shard.command({ query: `DROP TABLE IF EXISTS ${name}` });
      }
    }),
  );
}
