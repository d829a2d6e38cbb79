/**
 * Rolled-up complete days on the ClickHouse cluster: what a read would otherwise recompute from
 * every stored event, kept per shard in two tables of one *generation*:
 * - `rolled_users_<through>_<fingerprint>`: per (dim, key, user), the user's events and summed
 *   value in that cell, over the events of the days up to `through` (each `$insert_id` once);
 *   a user's events all live on one shard, so per-user rows and per-cell user counts of the
 *   shards add up;
 * - `rolled_workspaces_<through>_<fingerprint>`: the (dim, key, workspace folder) triples of the
 *   cells `all` and `code` over the same events, with the last day each was seen (counted across
 *   shards through `cluster()`: in hostile data a folder could appear under users of two shards).
 * A read then merges the generation with the events of the later days only (`reader.ts`), so its
 * cost follows the users and today's events, not the stored events.
 *
 * A generation is named after the days it covers and a fingerprint of their day partitions on
 * every shard (newest block and rows): once any of those partitions changes (a late insert, a
 * merge that collapsed a retried event, a purge), the name no longer matches and readers ignore
 * it. Building is idempotent and atomic: each shard fills a temporary table and renames it to the
 * generation's name, so two collectors building the same generation at once leave one, and a
 * reader never sees a half-built table. Building drops the older generations.
 *
 * Incremental: a new day is added to the newest valid generation (its rows plus the day's,
 * re-grouped), so a daily build reads one day of events and the per-user rows, not every event;
 * a purge builds the generation minus the purged days (`subtractPurged`: their events
 * subtracted, users left with none and workspace triples last seen before the cutoff gone) and
 * drops every other one (their rows hold the purged users' ids). From the events only when no
 * valid generation exists (the first build, or a covered partition changed).
 * `test/clickhouse-incremental.test.ts` compares both with a build from the events.
 */
import { createHash, randomBytes } from "node:crypto";
import type { ClickHouseClient } from "@clickhouse/client";
import { rows } from "./client.js";
import { addDays } from "../trend-sql.js";
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
/** The tables' layout (2: the workspace triples have their last day). */
const LAYOUT = "2:";

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
  // The layout's version first: a generation of an older layout never matches.
  const fingerprint = createHash("sha256")
    .update(`${LAYOUT}${JSON.stringify(covered)}`)
    .digest("hex")
    .slice(0, 16);
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

/** The per (dim, key, user) rows of the events matching `where` (each `$insert_id` once). */
function userRows(where: string): string {
  return `SELECT dim, key, distinct_id, toInt64(count()) AS e, toInt64(sum(value)) AS t FROM (
SELECT distinct_id, cell_dim, cell_key, cell_value FROM events_local WHERE ${where} LIMIT 1 BY insert_id
) ARRAY JOIN cell_dim AS dim, cell_key AS key, cell_value AS value GROUP BY dim, key, distinct_id`;
}

/** The (dim, key, workspace) triples of the cells `all` and `code` of the events matching `where`, with their last day. */
function workspaceRows(where: string): string {
  return `SELECT dim, key, workspace_folder, max(day) AS last FROM events_local ARRAY JOIN cell_dim AS dim, cell_key AS key
WHERE ${where} AND (dim = 'all' OR dim = 'code') GROUP BY dim, key, workspace_folder`;
}

const USERS_COLUMNS =
  "(dim String, key String, distinct_id String, events UInt64, total Int64) ENGINE = MergeTree() ORDER BY (dim, key, distinct_id)";
const WORKSPACES_COLUMNS =
  "(dim String, key String, workspace_folder String, last Date) ENGINE = MergeTree() ORDER BY (dim, key, workspace_folder)";

/**
 * Fills the table `name` on `shard` with `select` (under a temporary name, merged into one part
 * with its rows in key order, then renamed), unless it is there already.
 */
async function materialize(shard: ClickHouseClient, name: string, columns: string, select: string): Promise<void> {
  const have = await rolledTables(shard);
  if (have.includes(name)) return;
  const tmp = `${TEMPORARY_PREFIX}${Date.now().toString(36)}_${randomBytes(6).toString("hex")}_${name.startsWith(USERS_PREFIX) ? "u" : "w"}`;
  try {
    await shard.command({ query: `CREATE TABLE ${tmp} ${columns}` });
    await shard.command({ query: `INSERT INTO ${tmp} ${select}` });
    // One part, rows in key order (nothing follows arrival).
    await shard.command({ query: `OPTIMIZE TABLE ${tmp} FINAL` });
    await shard.command({ query: `RENAME TABLE ${tmp} TO ${name}` });
  } catch (e) {
    await shard.command({ query: `DROP TABLE IF EXISTS ${tmp}` });
    // Another collector renamed the same generation in first: it is there, the same.
    if (!(await rolledTables(shard)).includes(name)) throw e;
  }
}

/**
 * Builds (on every shard) the generation covering the days up to `through`, unless it exists,
 * then drops every other generation. Incremental when a valid generation covers fewer days: its
 * rows plus those of the days after it (minus the events whose `$insert_id` its last day holds:
 * two copies of an event lie on the same day or on two consecutive ones), re-grouped; from the
 * events otherwise. Resolves with it, or null when the partitions kept changing while it was
 * built (readers then use the events, and the next call tries again).
 */
export async function buildGeneration(
  shards: readonly ClickHouseClient[],
  through: string,
): Promise<Generation | null> {
  const day = bindDay(through);
  for (let attempt = 0; attempt < 2; attempt++) {
    const states = await partitionStates(shards);
    const g = generationOf(states, through);
    const base = await currentGeneration(shards, states, addDays(through, -1));
    let users = userRows(`day <= ${day}`);
    let workspaces = workspaceRows(`day <= ${day}`);
    if (base !== null) {
      const last = bindDay(base.through);
      const later = `day > ${last} AND day <= ${day}`;
      users = `SELECT dim, key, distinct_id, sum(e) AS events, sum(t) AS total FROM (
SELECT dim, key, distinct_id, toInt64(events) AS e, total AS t FROM ${base.users}
UNION ALL ${userRows(`${later} AND insert_id NOT IN (SELECT insert_id FROM events_local WHERE day = ${last})`)}
) GROUP BY dim, key, distinct_id`;
      workspaces = `SELECT dim, key, workspace_folder, max(last) AS last FROM (
SELECT dim, key, workspace_folder, last FROM ${base.workspaces}
UNION ALL ${workspaceRows(later)}
) GROUP BY dim, key, workspace_folder`;
    }
    await Promise.all(
      shards.map(async (shard) => {
        await materialize(shard, g.users, USERS_COLUMNS, users);
        await materialize(shard, g.workspaces, WORKSPACES_COLUMNS, workspaces);
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

/**
 * Before a purge of the days before `cutoff`: builds (on every shard) the generation the newest
 * valid one becomes once those days' partitions are dropped: its rows minus the purged events
 * (each `$insert_id` once, not those its copy on `cutoff` keeps), users left with no event gone,
 * and the workspace triples last seen on a kept day. Named after the partitions that stay, so it
 * is valid once the purge has dropped the others. Null when no valid generation covers a kept
 * day (the purge then drops them all). The purge must check that the purged partitions are
 * still `purged` (a merge collapsing a retried event changes them) before dropping them.
 */
export async function subtractPurged(
  shards: readonly ClickHouseClient[],
  cutoff: string,
): Promise<{ readonly generation: Generation; readonly purged: string } | null> {
  const day = bindDay(cutoff);
  const states = await partitionStates(shards);
  const base = await currentGeneration(shards, states, null);
  if (base === null || base.through < cutoff) return null;
  const first = cutoff.replaceAll("-", "");
  const g = generationOf(
    states.map((list) => list.filter((p) => p.id >= first)),
    base.through,
  );
  const purged = JSON.stringify(states.map((list) => list.filter((p) => p.id < first)));
  const users = `SELECT dim, key, distinct_id, sum(e) AS events, sum(t) AS total FROM (
SELECT dim, key, distinct_id, toInt64(events) AS e, total AS t FROM ${base.users}
UNION ALL SELECT dim, key, distinct_id, -e, -t FROM (${userRows(`day < ${day} AND insert_id NOT IN (SELECT insert_id FROM events_local WHERE day = ${day})`)})
) GROUP BY dim, key, distinct_id HAVING events > 0`;
  const workspaces = `SELECT dim, key, workspace_folder, last FROM ${base.workspaces} WHERE last >= ${day}`;
  await Promise.all(
    shards.map(async (shard) => {
      await materialize(shard, g.users, USERS_COLUMNS, users);
      await materialize(shard, g.workspaces, WORKSPACES_COLUMNS, workspaces);
    }),
  );
  return { generation: g, purged };
}

/** The purged partitions' states as `subtractPurged` saw them, to compare before dropping them. */
export async function purgedStates(shards: readonly ClickHouseClient[], cutoff: string): Promise<string> {
  bindDay(cutoff);
  const first = cutoff.replaceAll("-", "");
  return JSON.stringify((await partitionStates(shards)).map((list) => list.filter((p) => p.id < first)));
}

/**
 * Drops every generation but `keep` (every one when null), and leftover temporary tables: only
 * when `temporaries` (another build's work in progress; a purge drops them, as they may hold
 * purged events).
 */
export async function dropGenerations(
  shards: readonly ClickHouseClient[],
  keep: Generation | null,
  temporaries = keep === null,
): Promise<void> {
  await Promise.all(
    shards.map(async (shard) => {
      for (const name of await rolledTables(shard)) {
        if (keep !== null && (name === keep.users || name === keep.workspaces)) continue;
        if (!temporaries && name.startsWith(TEMPORARY_PREFIX)) continue;
        await shard.command({ query: `DROP TABLE IF EXISTS ${name}` });
      }
    }),
  );
}
