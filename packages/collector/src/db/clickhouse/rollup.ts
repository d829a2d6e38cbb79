/**
 * Rolled-up complete days on the ClickHouse cluster: what a read would otherwise recompute from
 * every stored event, kept per shard in two tables of one *generation*:
 * - `rolled_users_<through>_<fingerprint>`: per (dim, key, user), the user's events and summed
 *   value in that cell, over the events of the days up to `through` (each `$insert_id` once);
 *   a user's events all live on one shard, so per-user rows and per-cell user counts of the
 *   shards add up;
 * - `rolled_workspaces_<through>_<fingerprint>`: the (dim, key, workspace folder) triples of the
 *   cells `all` and `code` over the same events, with the last day each was seen (counted across
 *   shards through `cluster()`: in hostile data a folder could appear under users of two shards);
 * - `rolled_trends_<through>_<fingerprint>`: per (trend cell, day, extension version, user), the
 *   user's events and summed value (`trendDayRows`; the cells of `TREND_DIMS` only): what the
 *   trends count, distinct users per week included (a user's rows are on one shard). Partitioned
 *   by ISO week, each day inserted once: a new day is one day's statement beside the previous
 *   generation's weeks (hard links); a purge hard-links the kept weeks, copies the kept days of
 *   the week of the cutoff and counts the cutoff day again (copies of purged events on it count
 *   there now), so the table never holds a purged day's rows;
 * - `rolled_sums_<through>_<fingerprint>`: the trends' figures over that table, per (trend cell,
 *   grain, period, version): users, summed value, events (`trendSums`; no user's id). Partitioned
 *   by ISO week too: a new day computes its week again (a week's users over its days) and
 *   hard-links the others' partitions; a purge computes the cutoff's week again. A trends read
 *   takes a series' rolled figures from cells × periods rows instead of grouping per-user rows.
 *   A pure function of the trends table, so optional: a generation an older collector built
 *   without it stays valid (no layout change, no rebuild from the events after an upgrade); the
 *   reader then groups the per-user rows, and the next roll-up of its days adds it.
 * - `rolled_byuser_<through>_<fingerprint>`, `rolled_byfolder_<through>_<fingerprint>`: the users
 *   table ordered by user and the workspace triples ordered by folder, in small granules
 *   (`Generation.index`): a read after a batch looks up the batch's users and folders by
 *   primary key. Optional like the sums (a copy of the two tables).
 * A read then merges the generation with the events of the later days only (`reader.ts`), so its
 * cost follows the users and today's events, not the stored events.
 *
 * A generation is named after the days it covers and a fingerprint of their day partitions on
 * every shard (newest block and rows): once any of those partitions changes (a late insert, a
 * merge that collapsed a retried event, a purge), the name no longer matches and readers ignore
 * it. Building is idempotent and atomic: each shard fills a temporary table and renames it to the
 * generation's name, so two collectors building the same generation at once leave one, and a
 * reader never sees a half-built table. A finished table holds each key once, in one part
 * (merged by `OPTIMIZE … FINAL` when filling it left several). Building drops the older
 * generations.
 *
 * Incremental, without re-grouping the previous generation's rows (18.16 groups ~1M (cell,
 * user) rows of 64-character ids in tens of seconds, and merges sorted parts of them in one or
 * two): the users table is a `SummingMergeTree` and the workspaces table a `ReplacingMergeTree`
 * keeping the latest `last`. A new day: the previous generation's parts are hard-linked into the
 * new table (`ATTACH PARTITION … FROM`, no copy), the new day's rows inserted beside them, and
 * the merge adds them up, so a daily build reads one day of events and merges sorted parts.
 * A purge (`subtractPurged`) builds the generation minus the purged days: the previous rows and
 * the purged days' rows negated, in a staging table merged into one part (the merge adds them
 * up and leaves out a row whose sums are zero: a user with no kept event in that cell), whose
 * part alone is hard-linked into the new table, which so never holds a purged-only user's id;
 * the staging table is dropped, and so is every other generation (their rows hold the purged
 * users' ids). The workspace triples last seen before the cutoff are left out. From the events
 * only when no valid generation exists (the first build, or a covered partition changed).
 * Every per-user row set (the first build's, a new day's, a purge's negated rows) is summed per
 * user in a map keyed by a hash of the cell (`userRows`), not grouped by (cell, user) strings.
 * `test/clickhouse-incremental.test.ts` compares both with a build from the events, and the
 * per-user maps with the grouping.
 */
import { createHash, randomBytes } from "node:crypto";
import type { ClickHouseClient } from "@clickhouse/client";
import { rows } from "./client.js";
import { addDays, weekOf as weekStart } from "../trend-sql.js";
import { TREND_GRAINS, bind, bindDay } from "./sql.js";

/** One generation: its tables (the same names on every shard) and the last day it covers. */
export interface Generation {
  readonly users: string;
  readonly workspaces: string;
  /** Per (trend cell, day, version, user): the trends' rows (`trendDayRows`). */
  readonly trends: string;
  /**
   * Per (trend cell, grain, period, version): the trends' figures over `trends` (`trendSums`),
   * or null when the generation has none (built by an older collector: the reader then computes
   * them from `trends`, and the next `buildGeneration` of its days adds them).
   */
  readonly sums: string | null;
  /**
   * The users table ordered by user and the workspace triples ordered by folder, in small
   * granules (`BY_USER_COLUMNS`), so that a read after a batch finds the rows of the batch's
   * users and folders by primary key (`reader.ts`' delta); null when the generation has none
   * (built by an older collector: a read then computes its figures from all the later events,
   * and the next `buildGeneration` of its days adds them).
   */
  readonly index: { readonly users: string; readonly folders: string } | null;
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
const TRENDS_PREFIX = "rolled_trends_";
const SUMS_PREFIX = "rolled_sums_";
const BY_USER_PREFIX = "rolled_byuser_";
const BY_FOLDER_PREFIX = "rolled_byfolder_";
const TEMPORARY_PREFIX = "rolled_tmp_";
/**
 * The tables' layout (2: the workspace triples have their last day; 3: summing and replacing
 * engines, signed event counts; 4: the trends' per-(cell, day, version, user) table). A
 * generation of an older layout never matches: the first build after an upgrade is from the events.
 */
const LAYOUT = "4:";

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
    trends: `${TRENDS_PREFIX}${last}_${fingerprint}`,
    sums: `${SUMS_PREFIX}${last}_${fingerprint}`,
    index: {
      users: `${BY_USER_PREFIX}${last}_${fingerprint}`,
      folders: `${BY_FOLDER_PREFIX}${last}_${fingerprint}`,
    },
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

/** Every shard's rolled-up tables (`currentGeneration`'s `tables`). */
export function rolledTablesOf(shards: readonly ClickHouseClient[]): Promise<string[][]> {
  return Promise.all(shards.map(rolledTables));
}

/**
 * The newest generation every shard holds whose partitions are unchanged, covering no day after
 * `latest` (when given); null when there is none. `tables` (`rolledTablesOf`) may be listed at
 * the same time as `states`: a generation's name holds the partitions it covers, so whichever
 * is listed first, only a generation of those partitions as `states` has them matches.
 */
export async function currentGeneration(
  shards: readonly ClickHouseClient[],
  states: readonly (readonly PartitionState[])[],
  latest: string | null,
  tables?: readonly (readonly string[])[],
): Promise<Generation | null> {
  const perShard = tables ?? (await rolledTablesOf(shards));
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
    if (candidates.has(g.users) && candidates.has(g.workspaces) && candidates.has(g.trends)) {
      return {
        ...g,
        sums: g.sums !== null && candidates.has(g.sums) ? g.sums : null,
        index: g.index !== null && candidates.has(g.index.users) && candidates.has(g.index.folders) ? g.index : null,
      };
    }
  }
  return null;
}

/** A statement computed on the shard it runs on (from what that shard stores). */
type Select = (shard: ClickHouseClient) => Promise<string>;

/**
 * The most distinct (dim, key) cells `userRows` names by a hash; beyond (hostile data), it groups
 * by the cells themselves.
 */
const MAX_HASHED_CELLS = 10_000;

/** The events matching `where`, each `$insert_id` once, with their users and cells. */
function uniqueCells(where: string): string {
  return `(SELECT distinct_id, cell_dim, cell_key, cell_value FROM events_local WHERE ${where} LIMIT 1 BY insert_id)`;
}

/**
 * The per (dim, key, user) rows of the events matching `where` (each `$insert_id` once):
 * `dim, key, distinct_id, e` (events), `t` (summed value). Grouped per user, each user's cells
 * summed in a map keyed by a hash of the cell (`sumMap`), then one row per entry: 18.16 groups
 * a few thousand users with small maps about twice as fast as ~1M (dim, key, user) groups of
 * strings. The hash is named back to its cell from the cells the shard's matching events hold,
 * listed first; only when no two of them share a hash (checked here) and there are at most
 * `maxCells`: grouped by the cells themselves otherwise (`groupedUserRows`).
 */
export function userRows(where: string, maxCells = MAX_HASHED_CELLS): Select {
  return async (shard) => {
    const cells = await rows(
      shard,
      `SELECT dim, key, toString(cityHash64(dim, key)) AS h FROM events_local ARRAY JOIN cell_dim AS dim, cell_key AS key
WHERE ${where} GROUP BY dim, key LIMIT ${maxCells + 1}`,
    );
    const hashes = cells.map((c) => String(c.h));
    if (cells.length > maxCells || new Set(hashes).size !== hashes.length) return groupedUserRows(where);
    if (cells.length === 0)
      return `SELECT '' AS dim, '' AS key, '' AS distinct_id, toInt64(0) AS e, toInt64(0) AS t LIMIT 0`;
    const from = `[${hashes.map((h) => `toUInt64(${BigInt(h).toString()})`).join(", ")}]`;
    const named = (column: string) => `[${cells.map((c) => bind(String(c[column]))).join(", ")}]`;
    return `SELECT transform(h, ${from}, ${named("dim")}, '') AS dim, transform(h, ${from}, ${named("key")}, '') AS key, distinct_id, e, t FROM (
SELECT distinct_id, (sumMap(arrayMap((d_, k_) -> cityHash64(d_, k_), cell_dim, cell_key), arrayMap(v_ -> toInt64(1), cell_value), cell_value) AS m_).1 AS hs,
m_.2 AS es, m_.3 AS ts FROM ${uniqueCells(where)} GROUP BY distinct_id
) ARRAY JOIN hs AS h, es AS e, ts AS t`;
  };
}

/** `userRows` grouped by (dim, key, user): the same rows. */
export function groupedUserRows(where: string): string {
  return `SELECT dim, key, distinct_id, toInt64(count()) AS e, toInt64(sum(value)) AS t FROM ${uniqueCells(where)}
ARRAY JOIN cell_dim AS dim, cell_key AS key, cell_value AS value GROUP BY dim, key, distinct_id`;
}

/** The (dim, key, workspace) triples of the cells `all` and `code` of the events matching `where`, with their last day. */
function workspaceRows(where: string): string {
  return `SELECT dim, key, workspace_folder, max(day) AS last FROM events_local ARRAY JOIN cell_dim AS dim, cell_key AS key
WHERE ${where} AND (dim = 'all' OR dim = 'code') GROUP BY dim, key, workspace_folder`;
}

const USERS_COLUMNS =
  "(dim String, key String, distinct_id String, events Int64, total Int64) ENGINE = SummingMergeTree() ORDER BY (dim, key, distinct_id)";
const WORKSPACES_COLUMNS =
  "(dim String, key String, workspace_folder String, last Date) ENGINE = ReplacingMergeTree(last) ORDER BY (dim, key, workspace_folder)";

/**
 * The dims of the cells the trends follow (`read/trends.ts`: events, loads, a code's
 * occurrences): the only ones the trends table holds.
 */
export const TREND_DIMS: readonly string[] = ["all", "load", "code"];

/**
 * Per (trend cell, day, extension version, user) of the shard's events of `day`: the user's
 * events and summed value. Each `$insert_id` once, on the earliest day it was stored
 * (`afterPrevious`: not the events whose `$insert_id` the day before holds — two copies of an
 * event lie on the same day or on two consecutive ones — as the incremental build counts them).
 */
export function trendDayRows(day: string, afterPrevious = true): string {
  const d = bindDay(day);
  const previous = afterPrevious
    ? ` AND insert_id NOT IN (SELECT insert_id FROM events_local WHERE day = ${d} - 1)`
    : "";
  return `SELECT dim, key, day, extversion AS version, distinct_id, toInt64(count()) AS events, toInt64(sum(value)) AS total FROM (
SELECT insert_id, distinct_id, day, extversion, cell_dim, cell_key, cell_value FROM events_local WHERE day = ${d}${previous} LIMIT 1 BY insert_id
) ARRAY JOIN cell_dim AS dim, cell_key AS key, cell_value AS value WHERE dim IN (${TREND_DIMS.map(bind).join(", ")})
GROUP BY dim, key, day, version, distinct_id`;
}

/**
 * The trends table: partitioned by ISO week (a purge copies at most one week's kept days, the
 * other weeks' parts are hard-linked), each day inserted once (its rows grouped: no key twice, so
 * no merge is needed).
 */
const TRENDS_COLUMNS =
  "(dim String, key String, day Date, version String, distinct_id String, events Int64, total Int64) ENGINE = SummingMergeTree() PARTITION BY toMonday(day) ORDER BY (dim, key, day, version, distinct_id)";

/**
 * The trends' figures (`read/trends.ts`' series) over the per-user rows of the trends table
 * `trends` of one ISO week (`week`, its Monday): per (trend cell, grain, period, version), the
 * distinct users, summed value and events, for the week's days and the week itself. A user's
 * rows all live on one shard, so the shards' figures add up; the week's row counts its users
 * over its days (those of a later day too), which is why a new day computes its week again.
 */
export function trendSums(trends: string, week: string): string {
  const monday = bindDay(week);
  return `SELECT dim, key, grain, toDate(period) AS period, version, uniqExact(distinct_id) AS users, sum(v) AS total, sum(e) AS events FROM (
SELECT dim, key, distinct_id, v, e, t.1 AS grain, t.2 AS period, t.3 AS version FROM (
SELECT dim, key, distinct_id, day, version AS extversion, total AS v, events AS e FROM ${trends} WHERE day >= ${monday} AND day <= ${monday} + 6
) ${TREND_GRAINS}
) GROUP BY dim, key, grain, period, version`;
}

/**
 * The sums table: partitioned by ISO week like the trends table (a week's day and week rows
 * together), so that a new day or a purge computes one week again and hard-links the others.
 */
const SUMS_COLUMNS =
  "(dim String, key String, grain String, period Date, version String, users UInt64, total Int64, events Int64) ENGINE = MergeTree() PARTITION BY toMonday(period) ORDER BY (dim, key, grain, period, version)";

/**
 * The optional index tables (`Generation.index`): a pure function of the users and workspaces
 * tables (no layout change: a generation without them stays valid). Ordered by user (folder)
 * first, in granules of 256 rows instead of 8192: a read after a batch looks up a few users'
 * rows (`distinct_id IN (…)`, which 18.16 answers from the primary key when it is the key's first
 * column) instead of reading the whole table.
 */
const BY_USER_COLUMNS =
  "(distinct_id String, dim String, key String, events Int64, total Int64) ENGINE = MergeTree() ORDER BY (distinct_id, dim, key) SETTINGS index_granularity = 256";
const BY_FOLDER_COLUMNS =
  "(workspace_folder String, dim String, key String) ENGINE = MergeTree() ORDER BY (workspace_folder, dim, key) SETTINGS index_granularity = 256";

/** The statements that fill a temporary table (`tmp`) on one shard. */
type Fill = (shard: ClickHouseClient, tmp: string) => Promise<void>;

/** A fixed statement as a `Select`. */
function fixed(select: string): Select {
  return () => Promise.resolve(select);
}

/** Fills with the rows `select` gives. */
function insert(select: Select): Fill {
  return async (shard, tmp) => {
    await shard.command({ query: `INSERT INTO ${tmp} ${await select(shard)}` });
  };
}

/**
 * Fills with the parts of the table `base` (hard links: nothing is copied), then the rows
 * `select` gives beside them (added to them by the merge).
 */
function extend(base: string, select: Select): Fill {
  return async (shard, tmp) => {
    const rowsOf = await select(shard);
    await shard.command({ query: `ALTER TABLE ${tmp} ATTACH PARTITION tuple() FROM ${base}` });
    await shard.command({ query: `INSERT INTO ${tmp} ${rowsOf}` });
  };
}

/** The days (`YYYY-MM-DD`) of the shard's `events_local` partitions from `from` (when given) to `through`. */
async function storedDays(shard: ClickHouseClient, from: string | null, through: string): Promise<string[]> {
  const list = await rows(
    shard,
    `SELECT DISTINCT toString(min_date) AS day FROM system.parts WHERE database = currentDatabase() AND table = 'events_local' AND active
AND min_date <= ${bindDay(through)}${from === null ? "" : ` AND min_date >= ${bindDay(from)}`} ORDER BY day`,
  );
  return list.map((r) => String(r.day));
}

/**
 * Fills a trends table: the week partitions of `base` (when given) from `keepFrom` on (hard
 * links; the week of `keepFrom`, when it starts before it, by a copy of its days from `keepFrom`
 * on), then the rows of the shard's days `from` (when given) to `through`, one day per statement
 * (`trendDayRows`; each `afterPrevious`, or not).
 */
function trendFill(
  base: string | null,
  keepFrom: string | null,
  days: { readonly from: string | null; readonly through: string; readonly afterPrevious: boolean },
): Fill {
  return async (shard, tmp) => {
    if (base !== null) {
      const weeks = await rows(
        shard,
        `SELECT DISTINCT toString(toMonday(min_date)) AS week FROM system.parts WHERE database = currentDatabase() AND table = ${bind(base)} AND active ORDER BY week`,
      );
      for (const w of weeks) {
        const week = String(w.week);
        bindDay(week);
        if (keepFrom === null || week >= keepFrom) {
          await shard.command({ query: `ALTER TABLE ${tmp} ATTACH PARTITION '${week}' FROM ${base}` });
        } else if (addDays(week, 6) >= keepFrom) {
          await shard.command({
            query: `INSERT INTO ${tmp} SELECT * FROM ${base} WHERE day >= ${bindDay(keepFrom)} AND day <= ${bindDay(addDays(week, 6))}`,
          });
        }
      }
    }
    for (const day of await storedDays(shard, days.from, days.through)) {
      await shard.command({ query: `INSERT INTO ${tmp} ${trendDayRows(day, days.afterPrevious)}` });
    }
  };
}

/** The ISO weeks (their Mondays, `YYYY-MM-DD`) of the table `name`'s active parts on `shard`. */
async function weeksOf(shard: ClickHouseClient, name: string): Promise<string[]> {
  const weeks = await rows(
    shard,
    `SELECT DISTINCT toString(toMonday(min_date)) AS week FROM system.parts WHERE database = currentDatabase() AND table = ${bind(name)} AND active ORDER BY week`,
  );
  return weeks.map((w) => {
    const week = String(w.week);
    bindDay(week);
    return week;
  });
}

/**
 * Fills a sums table from the trends table `trends` (finished: its final name): per week it
 * holds, the week partition of `base` (when given, when `base` has it and `again` is false for
 * it; hard links), or the week's `trendSums` computed from `trends`.
 */
function sumsFill(trends: string, base: string | null, again: (week: string) => boolean): Fill {
  return async (shard, tmp) => {
    const had = new Set(base === null ? [] : await weeksOf(shard, base));
    for (const week of await weeksOf(shard, trends)) {
      if (base !== null && had.has(week) && !again(week)) {
        await shard.command({ query: `ALTER TABLE ${tmp} ATTACH PARTITION '${week}' FROM ${base}` });
      } else {
        await shard.command({ query: `INSERT INTO ${tmp} ${trendSums(trends, week)}` });
      }
    }
  };
}

/** A temporary table's name (dropped by a purge if left over). */
function temporaryName(kind: string): string {
  return `${TEMPORARY_PREFIX}${Date.now().toString(36)}_${randomBytes(6).toString("hex")}_${kind}`;
}

/**
 * Fills with the users table `base` minus the rows `negated` gives (the same columns, to be
 * subtracted): both in a staging table merged into one part (the merge adds them up and leaves
 * out a row whose sums are zero), whose part alone is then hard-linked into the new table: the
 * new table never holds a purged-only user's id, not even in a part a merge replaced. The staging
 * table (which holds `base`'s and the subtracted rows) is dropped before this resolves, whatever
 * happens. (Reading the staging table `FINAL` into the new table gives the same rows, ~5× slower
 * on 18.16.)
 */
function subtract(base: string, negated: Select): Fill {
  return async (shard, tmp) => {
    const subtracted = await negated(shard);
    const staging = temporaryName("s");
    try {
      await shard.command({ query: `CREATE TABLE ${staging} ${USERS_COLUMNS}` });
      await shard.command({ query: `ALTER TABLE ${staging} ATTACH PARTITION tuple() FROM ${base}` });
      await shard.command({
        query: `INSERT INTO ${staging} SELECT dim, key, distinct_id, -e, -t FROM (${subtracted})`,
      });
      await mergeIntoOne(shard, staging);
      await shard.command({ query: `ALTER TABLE ${tmp} ATTACH PARTITION tuple() FROM ${staging}` });
    } finally {
      await shard.command({ query: `DROP TABLE IF EXISTS ${staging}` });
    }
  };
}

/** The active parts of the table `name` on `shard`. */
async function activeParts(shard: ClickHouseClient, name: string): Promise<number> {
  const [r] = await rows(
    shard,
    `SELECT count() AS c FROM system.parts WHERE database = currentDatabase() AND table = ${bind(name)} AND active`,
  );
  return Number(r?.c ?? 0);
}

/**
 * Merges the table `name` into one part (`OPTIMIZE … FINAL`: the engine adds up or replaces the
 * rows of a key), unless it has one already. 18.16's `OPTIMIZE` does nothing while a background
 * merge works on the table: then waits for it and tries again.
 */
async function mergeIntoOne(shard: ClickHouseClient, name: string): Promise<void> {
  for (let pass = 0; pass < 20; pass++) {
    if ((await activeParts(shard, name)) <= 1) return;
    if (pass > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * 2 ** pass)));
    await shard.command({ query: `OPTIMIZE TABLE ${name} FINAL` });
  }
  throw new Error(`ClickHouse: ${name} is still in several parts after 20 OPTIMIZE … FINAL`);
}

/**
 * Fills the table `name` on `shard` (`fill`, under a temporary name, merged into one part with
 * each key once, then renamed), unless it is there already.
 */
async function materialize(
  shard: ClickHouseClient,
  name: string,
  columns: string,
  fill: Fill,
  merge = true,
): Promise<void> {
  const have = await rolledTables(shard);
  if (have.includes(name)) return;
  const kind = name.startsWith(USERS_PREFIX)
    ? "u"
    : name.startsWith(TRENDS_PREFIX)
      ? "t"
      : name.startsWith(SUMS_PREFIX)
        ? "a"
        : name.startsWith(BY_USER_PREFIX)
          ? "b"
          : name.startsWith(BY_FOLDER_PREFIX)
            ? "f"
            : "w";
  const tmp = temporaryName(kind);
  try {
    await shard.command({ query: `CREATE TABLE ${tmp} ${columns}` });
    await fill(shard, tmp);
    // One part, each key once, rows in key order (nothing follows arrival).
    if (merge) await mergeIntoOne(shard, tmp);
    await shard.command({ query: `RENAME TABLE ${tmp} TO ${name}` });
  } catch (e) {
    await shard.command({ query: `DROP TABLE IF EXISTS ${tmp}` });
    // Another collector renamed the same generation in first: it is there, the same.
    if (!(await rolledTables(shard)).includes(name)) throw e;
  }
}

/**
 * Materializes the index tables of `g` (`BY_USER_COLUMNS`) on `shard` from its users and
 * workspaces tables (finished: their final names), unless they are there.
 */
async function materializeIndex(shard: ClickHouseClient, g: Generation): Promise<void> {
  if (g.index === null) return;
  await materialize(
    shard,
    g.index.users,
    BY_USER_COLUMNS,
    insert(fixed(`SELECT distinct_id, dim, key, events, total FROM ${g.users}`)),
    false,
  );
  await materialize(
    shard,
    g.index.folders,
    BY_FOLDER_COLUMNS,
    insert(fixed(`SELECT DISTINCT workspace_folder, dim, key FROM ${g.workspaces}`)),
    false,
  );
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
    let users = insert(userRows(`day <= ${day}`));
    let workspaces = insert(fixed(workspaceRows(`day <= ${day}`)));
    let trends = trendFill(null, null, { from: null, through, afterPrevious: true });
    let sums = sumsFill(g.trends, null, () => true);
    if (base !== null) {
      const last = bindDay(base.through);
      const later = `day > ${last} AND day <= ${day}`;
      users = extend(
        base.users,
        userRows(`${later} AND insert_id NOT IN (SELECT insert_id FROM events_local WHERE day = ${last})`),
      );
      workspaces = extend(base.workspaces, fixed(workspaceRows(later)));
      trends = trendFill(base.trends, null, { from: addDays(base.through, 1), through, afterPrevious: true });
      // The weeks of the new days are computed again (a week's users over all its days).
      const firstNew = weekStart(addDays(base.through, 1));
      sums = sumsFill(g.trends, base.sums, (week) => week >= firstNew);
    }
    await Promise.all(
      shards.map(async (shard) => {
        await materialize(shard, g.users, USERS_COLUMNS, users);
        await materialize(shard, g.workspaces, WORKSPACES_COLUMNS, workspaces);
        await materialize(shard, g.trends, TRENDS_COLUMNS, trends, false);
        await materialize(shard, g.sums!, SUMS_COLUMNS, sums, false);
        await materializeIndex(shard, g);
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
  const users = subtract(
    base.users,
    userRows(`day < ${day} AND insert_id NOT IN (SELECT insert_id FROM events_local WHERE day = ${day})`),
  );
  const workspaces = insert(
    fixed(`SELECT dim, key, workspace_folder, last FROM ${base.workspaces} WHERE last >= ${day}`),
  );
  // The kept days' rows, but those of `cutoff` counted again: the copies of purged events it
  // holds now count there (as a build from the kept events counts them).
  const trends = trendFill(base.trends, addDays(cutoff, 1), { from: cutoff, through: cutoff, afterPrevious: false });
  // The cutoff's week is computed again (it lost the purged days, its first kept day is
  // counted again); the later weeks are unchanged.
  const cutoffWeek = weekStart(cutoff);
  const sums = sumsFill(g.trends, base.sums, (week) => week <= cutoffWeek);
  await Promise.all(
    shards.map(async (shard) => {
      await materialize(shard, g.users, USERS_COLUMNS, users);
      await materialize(shard, g.workspaces, WORKSPACES_COLUMNS, workspaces);
      await materialize(shard, g.trends, TRENDS_COLUMNS, trends, false);
      await materialize(shard, g.sums!, SUMS_COLUMNS, sums, false);
      await materializeIndex(shard, g);
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
        const kept =
          keep === null
            ? []
            : [keep.users, keep.workspaces, keep.trends, keep.sums, keep.index?.users, keep.index?.folders];
        if (kept.includes(name)) continue;
        if (!temporaries && name.startsWith(TEMPORARY_PREFIX)) continue;
        await shard.command({ query: `DROP TABLE IF EXISTS ${name}` });
      }
    }),
  );
}
