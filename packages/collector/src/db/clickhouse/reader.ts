/**
 * Reading one set (live or shared) from the ClickHouse cluster. The per-key figures, the
 * per-code distributions and the suppression's lookups read the newest generation of rolled-up
 * complete days (`rollup.ts`) where one covers part of the set, merged per user with the set's
 * other events (today's, for the live set), or the events alone otherwise; the trends likewise
 * read the generation's per-(cell, day, version, user) rows (a series' figures over them computed
 * once per generation) and the later events. What is computed is kept as a snapshot until the events change (then, after a
 * batch, brought forward by the batch's users and folders alone: `deltaSnapshot`), and the lookups'
 * and the trends' answers with it. Summed figures read each `$insert_id` once (`uniqueEvents`,
 * `Source.rest`); distinct counts are indifferent to repeats.
 */
import type { ClickHouseClient } from "@clickhouse/client";
import type {
  BreakdownRow,
  CellRef,
  CodeRow,
  PeriodUsers,
  RollupReader,
  Totals,
  TrendRef,
  TrendRow,
} from "../backend.js";
import { n, percentile } from "../queries.js";
import { rows } from "./client.js";
import { addDays, type Grain } from "../trend-sql.js";
import { groupByPeriods } from "../trend-queries.js";
import { TREND_DIMS, type Generation, type PartitionState } from "./rollup.js";
import { CELLS, CELL_COLUMNS, TREND_GRAINS, bind, bindDay, uniqueEvents } from "./sql.js";

/** One key's figures. */
interface KeyFigures {
  users: number;
  total: number;
  events: number;
  workspaces: number;
}

/** The per-key figures and per-code distributions of one set. */
export interface Snapshot {
  readonly keys: Map<string, Map<string, KeyFigures>>;
  readonly hist: Map<string, { value: number; users: number }[]>;
}

/**
 * What one set's events are read into while they stay unchanged: the snapshot, and the answers
 * of the suppression's and the trends' lookups (by query), so that reading the same dashboard
 * or trends again runs no query over the events.
 */
export interface SetState {
  readonly source: Source;
  readonly snapshot: Promise<Snapshot>;
  readonly lookups: Map<string, Promise<Record<string, unknown>[][]>>;
  /**
   * The events after the generation that `snapshot` counts (a delta's base), or null when they
   * are not known exactly (no generation with index tables, or the events changed while the
   * snapshot was computed): the next read then computes its snapshot from all of them.
   */
  readonly folded: Promise<Folded | null>;
  /**
   * The suppression's batched "users also outside" (`usersAlsoOutside`) of the cells every user
   * is in, once asked: the cells (`cellId`s, in order) and per cell the count. A delta carries it
   * over when the cells are the same.
   */
  whole: { readonly cells: string; readonly counts: Promise<number[]> } | null;
}

/**
 * The events after a generation that a snapshot counts, per shard: their `$insert_id`s (each
 * once) and the newest block number of the shard's `events_local` when they were read (a later
 * insert is a part with a higher block number: only those parts hold events not listed here).
 */
export interface Folded {
  /** The generation's users table (a delta applies to the same generation only). */
  readonly rolled: string;
  readonly ids: readonly IdLayers[];
  readonly blocks: readonly bigint[];
}

/**
 * A set of `$insert_id`s grown batch by batch without copying it whole each time: the sets it
 * was made of are shared, never changed (the previous state may still be read, or be the base of
 * another delta); a new batch is a layer of its own, merged with the newest layers while they are
 * no more than twice its size (so each id is copied a logarithmic number of times, and there
 * are logarithmically many layers).
 */
export class IdLayers {
  private constructor(
    private readonly layers: readonly ReadonlySet<string>[],
    /** How many ids (the layers are disjoint). */
    readonly size: number,
  ) {}

  static of(ids: ReadonlySet<string>): IdLayers {
    return new IdLayers([ids], ids.size);
  }

  has(id: string): boolean {
    return this.layers.some((layer) => layer.has(id));
  }

  /** These ids and `added` (none of which these hold); this one is unchanged. */
  with(added: ReadonlySet<string>): IdLayers {
    if (added.size === 0) return this;
    const layers = [...this.layers];
    let top = added;
    while (layers.length > 0 && layers.at(-1)!.size <= top.size * 2) top = new Set([...layers.pop()!, ...top]);
    layers.push(top);
    return new IdLayers(layers, this.size + added.size);
  }

  /** How many sets it reads (tests). */
  get depth(): number {
    return this.layers.length;
  }
}

/** At most this many `$insert_id`s per shard are kept as a delta's base (beyond: no delta). */
export const MAX_FOLDED = 2_000_000;

/** Where the reader runs its queries. */
export interface Cluster {
  /** The entry point: reads through the `Distributed` table `events`. */
  readonly entry: ClickHouseClient;
  /** Every shard: reads its `events_local`. */
  readonly shards: readonly ClickHouseClient[];
}

/** The figures of (`dim`, `key`) in `keys`, at zero until first counted. */
function cellIn(keys: Map<string, Map<string, KeyFigures>>, dim: string, key: string): KeyFigures {
  let byKey = keys.get(dim);
  if (byKey === undefined) keys.set(dim, (byKey = new Map()));
  let f = byKey.get(key);
  if (f === undefined) byKey.set(key, (f = { users: 0, total: 0, events: 0, workspaces: 0 }));
  return f;
}

/** Runs `query` on every shard, in parallel. */
async function onShards(cluster: Cluster, query: string): Promise<Record<string, unknown>[][]> {
  return Promise.all(cluster.shards.map((s) => rows(s, query)));
}

/**
 * Where a set's figures come from: a generation of rolled-up days (`rollup.ts`), if one covers
 * part of the set, and the set's other events.
 */
export interface Source {
  /** The set's events (a condition on `events_local`/`events` columns): what trends read. */
  readonly where: string;
  /** The rolled tables and the last day they cover, or null. */
  readonly rolled: Generation | null;
  /**
   * The set's events not in `rolled` (all of them without it), minus those whose `$insert_id`
   * the rolled days hold: what summed figures add to the rolled ones. Two copies of an event
   * exist only where two deliveries raced past the insert-time lookup (`writer.ts`), seconds
   * apart, so on the same day or on two consecutive ones: a copy after the rolled days can
   * only repeat one on their last day, which is all this looks up.
   */
  readonly rest: string;
  /** The same events, repeats included: what distinct counts read. */
  readonly restAny: string;
  /** The cluster's name (for `cluster()` over every shard's rolled workspaces). */
  readonly cluster: string;
}

/** The source of the events matching `where`, with `rolled` covering part of them (or none). */
export function sourceOf(where: string, rolled: Generation | null, cluster: string): Source {
  if (rolled === null) return { where, rolled, rest: where, restAny: where, cluster };
  const last = bindDay(rolled.through);
  const restAny = `${where} AND day > ${last}`;
  return {
    where,
    rolled,
    restAny,
    rest: `${restAny} AND insert_id NOT IN (SELECT insert_id FROM events_local WHERE day = ${last})`,
    cluster,
  };
}

/**
 * Per (dim, key, user) of a shard: events and summed value (`e`, `t`), over the rolled days and
 * the set's other events, restricted to the cells matching `cells` (a condition on `dim` and
 * `key`).
 */
function userCells(source: Source, cells = "1 = 1"): string {
  const fresh = `SELECT dim, key, distinct_id, toUInt64(1) AS e, value AS t FROM ${uniqueEvents(source.rest, CELL_COLUMNS)} ${CELLS} WHERE ${cells}`;
  if (source.rolled === null) return fresh;
  return `SELECT dim, key, distinct_id, toUInt64(events) AS e, total AS t FROM ${source.rolled.users} WHERE ${cells}
UNION ALL ${fresh}`;
}

/**
 * Per shard, the per-cell figures of a generation (per cell and, for codes, per user total: the
 * histogram), in the rows `computeSnapshot` adds up: computed once per generation.
 */
export function rolledFigures(cluster: Cluster, rolled: Generation): Promise<Record<string, unknown>[][]> {
  return onShards(
    cluster,
    `SELECT dim, key, v, count() AS users, sum(e) AS events, sum(t) AS total FROM (
SELECT dim, key, if(dim = 'code', total, 0) AS v, events AS e, total AS t FROM ${rolled.users}
) GROUP BY dim, key, v`,
  );
}

/**
 * What the set's events after the rolled days change in the generation's figures (rows as
 * `rolledFigures`', added to them): per (cell, user) of those events, as if the user were new in
 * the cell (one more user, at the user's new total); then, for each pair the generation already
 * holds (the generation's rows of those users only, joined with the small side), that user is
 * taken out again at both totals and put back at their sum.
 */
function deltaQuery(source: Source, rolled: Generation): string {
  const fresh = `(SELECT dim, key, distinct_id, count() AS e, sum(value) AS t FROM ${uniqueEvents(source.rest, CELL_COLUMNS)} ${CELLS}
GROUP BY dim, key, distinct_id)`;
  return `SELECT dim, key, v, sum(d) AS users, sum(de) AS events, sum(dt) AS total FROM (
SELECT dim, key, if(dim = 'code', t, 0) AS v, toInt64(1) AS d, e AS de, t AS dt FROM ${fresh}
UNION ALL
SELECT dim, key, x.1 AS v, x.2 AS d, toUInt64(0) AS de, toInt64(0) AS dt FROM (
SELECT dim, key, pt, t FROM (
SELECT dim, key, distinct_id, total AS pt FROM ${rolled.users} WHERE distinct_id IN (SELECT distinct_id FROM events_local WHERE ${source.rest})
) ANY INNER JOIN ${fresh} USING (dim, key, distinct_id)
) ARRAY JOIN [(if(dim = 'code', t, 0), toInt64(-1)), (if(dim = 'code', pt, 0), toInt64(-1)), (if(dim = 'code', pt + t, 0), toInt64(1))] AS x
) GROUP BY dim, key, v`;
}

/**
 * Computes the snapshot of a set's events: from the events alone, or the generation's figures
 * (`figuresOf`: `rolledFigures`, kept per generation) changed by the later events.
 */
export async function computeSnapshot(
  cluster: Cluster,
  source: Source,
  figuresOf: (rolled: Generation) => Promise<Record<string, unknown>[][]>,
): Promise<Snapshot> {
  // One pass: per user and cell, then per cell (and, for codes, per user total: the histogram).
  const keyQuery =
    source.rolled === null
      ? `SELECT dim, key, if(dim = 'code', t, 0) AS v, count() AS users, sum(e) AS events, sum(t) AS total FROM (
SELECT dim, key, distinct_id, sum(e) AS e, sum(t) AS t FROM (${userCells(source)}) GROUP BY dim, key, distinct_id
) GROUP BY dim, key, v`
      : deltaQuery(source, source.rolled);
  // A workspace folder could (in hostile data) appear under users of two shards: count it once.
  const freshWorkspaces = `SELECT dim, key, workspace_folder FROM events ${CELLS} WHERE ${source.restAny} AND (dim = 'all' OR dim = 'code')`;
  const workspaceQuery = `SELECT dim, key, uniqExact(workspace_folder) AS workspaces FROM (${
    source.rolled === null
      ? freshWorkspaces
      : `SELECT dim, key, workspace_folder FROM cluster('${source.cluster}', currentDatabase(), '${source.rolled.workspaces}')
UNION ALL ${freshWorkspaces}`
  }) GROUP BY dim, key`;
  const [perShardDelta, perShardRolled, workspaces] = await Promise.all([
    onShards(cluster, keyQuery),
    source.rolled === null ? [] : figuresOf(source.rolled),
    rows(cluster.entry, workspaceQuery),
  ]);
  const perShardKeys = [...perShardRolled, ...perShardDelta];
  const keys = new Map<string, Map<string, KeyFigures>>();
  const cell = (dim: string, key: string): KeyFigures => cellIn(keys, dim, key);
  // A user's events all live on one shard: users, totals and events add up over shards.
  const byValue = new Map<string, Map<number, number>>();
  for (const shard of perShardKeys) {
    for (const r of shard) {
      const f = cell(String(r.dim), String(r.key));
      f.users += n(r.users);
      f.total += n(r.total);
      f.events += n(r.events);
      if (String(r.dim) !== "code") continue;
      const key = String(r.key);
      let m = byValue.get(key);
      if (m === undefined) byValue.set(key, (m = new Map()));
      m.set(n(r.v), (m.get(n(r.v)) ?? 0) + n(r.users));
    }
  }
  for (const r of workspaces) cell(String(r.dim), String(r.key)).workspaces = n(r.workspaces);
  const hist = new Map<string, { value: number; users: number }[]>();
  for (const [key, m] of byValue) {
    hist.set(
      key,
      [...m]
        .filter(([, users]) => users !== 0)
        .map(([value, users]) => ({ value, users }))
        .sort((a, b) => a.value - b.value),
    );
  }
  return { keys, hist };
}

/** The newest block number of each shard's `events_local` in `states` (`partitionStates`). */
export function newestBlocks(states: readonly (readonly PartitionState[])[]): bigint[] {
  return states.map((list) => list.reduce((m, p) => (BigInt(p.block) > m ? BigInt(p.block) : m), -1n));
}

/**
 * Per shard, the `$insert_id`s of the set's events after the generation (`source.restAny`): the
 * delta base of a snapshot just computed (null beyond `MAX_FOLDED`).
 */
export async function foldedIds(cluster: Cluster, source: Source): Promise<IdLayers[] | null> {
  const perShard = await onShards(
    cluster,
    `SELECT DISTINCT insert_id FROM events_local WHERE ${source.restAny} LIMIT ${MAX_FOLDED + 1}`,
  );
  if (perShard.some((list) => list.length > MAX_FOLDED)) return null;
  return perShard.map((list) => IdLayers.of(new Set(list.map((r) => String(r.insert_id)))));
}

/** A cell's id in maps: dim and key. */
function cellId(dim: string, key: string): string {
  return `${dim}\u0000${key}`;
}

/** A deep copy of a snapshot (the previous one may still be read). */
function copySnapshot(s: Snapshot): {
  keys: Map<string, Map<string, KeyFigures>>;
  hist: Map<string, Map<number, number>>;
} {
  const keys = new Map([...s.keys].map(([dim, byKey]) => [dim, new Map([...byKey].map(([k, f]) => [k, { ...f }]))]));
  const hist = new Map([...s.hist].map(([key, list]) => [key, new Map(list.map((h) => [h.value, h.users]))]));
  return { keys, hist };
}

/** The cells every user of a snapshot is in (but `all`): those `usersAlsoOutside` batches. */
export function wholeCellsOf(s: Snapshot): CellRef[] {
  const everyone = s.keys.get("all")?.get("")?.users ?? 0;
  return [...s.keys]
    .filter(([dim]) => dim !== "all")
    .flatMap(([dim, byKey]) => [...byKey].filter(([, f]) => f.users === everyone).map(([key]) => ({ dim, key })));
}

/** The cells of `usersAlsoOutside`'s batched counts, as one string (`SetState.whole`). */
export function wholeKey(cells: readonly CellRef[]): string {
  return cells.map((c) => cellId(c.dim, c.key)).join("\u0001");
}

/** What a delta computed: the new snapshot, its delta base, and the whole cells' counts' change. */
export interface Delta {
  readonly snapshot: Snapshot;
  readonly folded: Folded;
  /** Per user of the batch, before and after: the per-cell rows (to move "also outside" counts). */
  readonly users: Map<string, Map<string, { before: number; after: number }>>;
}

/**
 * The snapshot of the set's events as they are now from the previous one (`prev`, which counts
 * the events `folded` lists) and the events added since (a batch): read from the parts written
 * after `folded.blocks`, those not listed. For each user of those events (one shard's), the
 * user's rows before and after them: the generation's (the index table by user: a few granules
 * per user) and the user's other later events; per cell, a user new in it is one more user, and
 * the histogram moves the user from the old total to the new one. New workspace triples: those
 * of the added events that neither the generation (index table by folder) nor the other later
 * events hold, on any shard. Null when the set cannot be brought forward this way (the
 * generation has no index tables, an event listed is gone: the caller computes it whole).
 * The caller checks that the events did not change while this ran (no insert between its
 * reads of the partitions, before and after).
 */
export async function deltaSnapshot(
  cluster: Cluster,
  source: Source,
  prev: Snapshot,
  folded: Folded,
): Promise<Delta | null> {
  const rolled = source.rolled;
  if (rolled === null || rolled.index === null || rolled.users !== folded.rolled) return null;
  // The events of the parts written after the delta base (a merged part may hold older ones too).
  // Named in the statement (18.16 reads only the parts named by constants: not by a subquery);
  // a merge may replace a named part before the statement runs: then the parts are listed again.
  const newParts = async (s: ClickHouseClient, i: number) =>
    (
      await rows(
        s,
        `SELECT name FROM system.parts WHERE database = currentDatabase() AND table = 'events_local' AND active AND max_block_number > ${folded.blocks[i]!.toString()}`,
      )
    ).map((r) => String(r.name));
  // Per attempt: the new parts' events, then (at the same time as the statements that follow)
  // whether every part read is still active: a merge that replaced one before the statement ran
  // would have hidden its rows, and the attempt is made again.
  for (let attempt = 0; attempt < 5; attempt++) {
    const read = await Promise.all(
      cluster.shards.map(async (s, i) => {
        const parts = await newParts(s, i);
        if (parts.length === 0) return { parts, list: [] };
        if (parts.some((p) => !/^[0-9a-z_]+$/.test(p)))
          throw new Error(`ClickHouse: unexpected part ${parts.join(", ")}`);
        const list = await rows(
          s,
          `SELECT insert_id, distinct_id, workspace_folder, has(cell_dim, 'all') AS a, arrayFilter((k_, d_) -> d_ = 'code', cell_key, cell_dim) AS codes
FROM events_local WHERE ${source.restAny} AND _part IN (${parts.map((p) => `'${p}'`).join(", ")})`,
        );
        return { parts, list };
      }),
    );
    const stillActive = Promise.all(
      cluster.shards.map(async (s, i) => {
        const { parts } = read[i]!;
        if (parts.length === 0) return true;
        const active = new Set(await newParts(s, i));
        return parts.every((p) => active.has(p));
      }),
    );
    const [delta, active] = await Promise.all([
      fromAdded(
        read.map((r) => r.list),
        cluster,
        source,
        prev,
        folded,
      ),
      stillActive,
    ]);
    if (active.every(Boolean)) return delta;
  }
  return null;
}

/** `deltaSnapshot` from the rows of the parts written after the delta base (`added`, per shard). */
async function fromAdded(
  added: readonly Record<string, unknown>[][],
  cluster: Cluster,
  source: Source,
  prev: Snapshot,
  folded: Folded,
): Promise<Delta | null> {
  const rolled = source.rolled!;
  const index = rolled.index!;
  const last = bindDay(rolled.through);
  const ids = added.map((list, i) => {
    const fresh = new Set<string>();
    for (const r of list) if (!folded.ids[i]!.has(String(r.insert_id))) fresh.add(String(r.insert_id));
    return fresh;
  });
  const nextIds = folded.ids.map((had, i) => had.with(ids[i]!));
  if (nextIds.some((set) => set.size > MAX_FOLDED)) return null;
  const users = new Map<string, Map<string, { before: number; after: number }>>();
  const next: Folded = { rolled: folded.rolled, ids: nextIds, blocks: folded.blocks };
  if (ids.every((set) => set.size === 0)) return { snapshot: prev, folded: next, users };
  const allIds = ids.flatMap((set) => [...set]);
  const listed = (set: Iterable<string>) => [...set].map(bind).join(", ");
  // The added events' workspace triples (distinct counts: copies included, as `restAny`).
  const triples = new Map<string, { dim: string; key: string; folder: string }>();
  added.forEach((list, i) => {
    for (const r of list) {
      if (!ids[i]!.has(String(r.insert_id))) continue;
      const folder = String(r.workspace_folder);
      const cells = [...(n(r.a) === 1 ? [["all", ""]] : []), ...(r.codes as string[]).map((k) => ["code", String(k)])];
      for (const [dim, key] of cells)
        triples.set(`${cellId(dim!, key!)}\u0000${folder}`, { dim: dim!, key: key!, folder });
    }
  });
  const folders = [...new Set([...triples.values()].map((t) => t.folder))];
  const tuples = [...triples.values()].map((t) => `(${bind(t.dim)}, ${bind(t.key)}, ${bind(t.folder)})`).join(", ");
  const [perShardRows, existing] = await Promise.all([
    Promise.all(
      cluster.shards.map((s, i) => {
        if (ids[i]!.size === 0) return Promise.resolve([]);
        const batch = listed(ids[i]!);
        // The batch's users, named in the statement (the rows of the new parts hold every copy of
        // the batch's events: a copy in an older part would be counted already): 18.16 builds a
        // subquery's set once per use, and the index lookups are half as long with constants.
        const batchUsers = listed(
          new Set(added[i]!.filter((r) => ids[i]!.has(String(r.insert_id))).map((r) => String(r.distinct_id))),
        );
        // `source.rest` for these events only: not those whose \$insert_id the generation's last
        // day holds, looked up for them only (by primary key for the batch's ids).
        const onLast = (which: string) =>
          `insert_id NOT IN (SELECT insert_id FROM events_local WHERE day = ${last} AND ${which})`;
        return rows(
          s,
          `SELECT dim, key, distinct_id, sum(be) AS be, sum(bt) AS bt, sum(ne) AS ne, sum(nt) AS nt FROM (
SELECT dim, key, distinct_id, toInt64(events) AS be, toInt64(total) AS bt, toInt64(0) AS ne, toInt64(0) AS nt FROM ${index.users} WHERE distinct_id IN (${batchUsers})
UNION ALL
SELECT dim, key, distinct_id, toInt64(1) AS be, toInt64(value) AS bt, toInt64(0) AS ne, toInt64(0) AS nt FROM ${uniqueEvents(`${source.restAny} AND distinct_id IN (${batchUsers}) AND insert_id NOT IN (${batch}) AND ${onLast(`distinct_id IN (${batchUsers})`)}`, CELL_COLUMNS)} ${CELLS}
UNION ALL
SELECT dim, key, distinct_id, toInt64(0) AS be, toInt64(0) AS bt, toInt64(1) AS ne, toInt64(value) AS nt FROM ${uniqueEvents(`${source.restAny} AND insert_id IN (${batch}) AND ${onLast(`insert_id IN (${batch})`)}`, CELL_COLUMNS)} ${CELLS}
) GROUP BY dim, key, distinct_id`,
        );
      }),
    ),
    folders.length === 0
      ? Promise.resolve([])
      : onShards(
          cluster,
          `SELECT DISTINCT dim, key, workspace_folder FROM (
SELECT dim, key, workspace_folder FROM ${index.folders} WHERE workspace_folder IN (${listed(folders)})
UNION ALL
SELECT dim, key, workspace_folder FROM (
SELECT workspace_folder, cell_dim, cell_key, cell_value FROM events_local WHERE ${source.restAny} AND workspace_folder IN (${listed(folders)}) AND insert_id NOT IN (${listed(allIds)})
) ${CELLS} WHERE dim = 'all' OR dim = 'code'
) WHERE (dim, key, workspace_folder) IN (${tuples})`,
        ),
  ]);
  const { keys, hist } = copySnapshot(prev);
  const cell = (dim: string, key: string): KeyFigures => cellIn(keys, dim, key);
  const move = (key: string, value: number, by: number) => {
    let m = hist.get(key);
    if (m === undefined) hist.set(key, (m = new Map()));
    m.set(value, (m.get(value) ?? 0) + by);
  };
  for (const shard of perShardRows) {
    for (const r of shard) {
      const dim = String(r.dim);
      const key = String(r.key);
      const be = n(r.be);
      const bt = n(r.bt);
      const ne = n(r.ne);
      const nt = n(r.nt);
      let mine = users.get(String(r.distinct_id));
      if (mine === undefined) users.set(String(r.distinct_id), (mine = new Map()));
      mine.set(cellId(dim, key), { before: be, after: be + ne });
      if (ne === 0) continue;
      const f = cell(dim, key);
      if (be === 0) f.users += 1;
      f.events += ne;
      f.total += nt;
      if (dim !== "code") continue;
      if (be > 0) move(key, bt, -1);
      move(key, bt + nt, 1);
    }
  }
  const known = new Set(
    existing.flatMap((shard) =>
      shard.map((r) => `${cellId(String(r.dim), String(r.key))}\u0000${String(r.workspace_folder)}`),
    ),
  );
  for (const [id, t] of triples) if (!known.has(id)) cell(t.dim, t.key).workspaces += 1;
  const snapshot: Snapshot = {
    keys,
    hist: new Map(
      [...hist].map(([key, m]) => [
        key,
        [...m]
          .filter(([, u]) => u !== 0)
          .map(([value, u]) => ({ value, users: u }))
          .sort((a, b) => a.value - b.value),
      ]),
    ),
  };
  return { snapshot, folded: next, users };
}

/**
 * The change of the batched "users also outside" counts of `cells` (`usersAlsoOutside`: per
 * cell, the users with events in it and outside it) that a delta's users make: per user, out at
 * their counts before, in at those after.
 */
export function outsideChange(cells: readonly CellRef[], users: Delta["users"]): number[] {
  const all = cellId("all", "");
  return cells.map((c) => {
    const id = cellId(c.dim, c.key);
    let change = 0;
    for (const mine of users.values()) {
      const everywhere = mine.get(all) ?? { before: 0, after: 0 };
      const inside = mine.get(id) ?? { before: 0, after: 0 };
      const counted = (i: number, e: number) => (i > 0 && i < e ? 1 : 0);
      change += counted(inside.after, everywhere.after) - counted(inside.before, everywhere.before);
    }
    return change;
  });
}

/** Matches a union of cells (a condition on `dim` and `key`, after `CELLS`). */
function anyCell(cells: readonly CellRef[]): string {
  return cells.map((c) => `(dim = ${bind(c.dim)} AND key = ${bind(c.key)})`).join(" OR ");
}

/**
 * Whether an event has any of `cells` (a condition on its cell arrays, before `CELLS`): the
 * lookups keep only such events before unpivoting them, instead of unpivoting every event. An
 * event holds each cell at most once.
 */
function hasAnyCell(cells: readonly CellRef[]): string {
  return `arrayExists((d_, k_) -> ${cells.map((c) => `(d_ = ${bind(c.dim)} AND k_ = ${bind(c.key)})`).join(" OR ")}, cell_dim, cell_key)`;
}

/** A row per grain and version (`TREND_GRAINS`). */
const GRAINS = TREND_GRAINS;

/**
 * Per shard, the trend rows of `cells` of the events matching `where`: one row per event, cell,
 * grain and version, with the event's value (`v`) and `e` = 1. Each `$insert_id` once, on the
 * earliest day it was stored (as the other backends and the rolled days count it: two copies of an
 * event lie on the same day or on two consecutive ones).
 */
function eventTrendRows(where: string, cells: readonly CellRef[], days: Days = ALL_DAYS): string {
  const columns = [...CELL_COLUMNS, "day", "extversion"];
  const earliest = `(insert_id, day) NOT IN (SELECT insert_id, day + 1 FROM events_local WHERE ${where} AND ${days("day + 1")})`;
  return `SELECT distinct_id, dim, key, v, e, t.1 AS grain, t.2 AS period, t.3 AS version FROM (
SELECT distinct_id, day, extversion, dim, key, toInt64(value) AS v, toInt64(1) AS e FROM ${uniqueEvents(`${where} AND ${days("day")} AND ${hasAnyCell(cells)} AND ${earliest}`, columns)} ${CELLS} WHERE ${anyCell(cells)}
) ${GRAINS}`;
}

/** Which days a lookup reads: a condition on the day expression given. */
type Days = (day: string) => string;

const ALL_DAYS: Days = () => "1 = 1";

/** The days of the periods `refs` name (a day; the seven days of a week). */
function daysOf(refs: readonly { readonly grain: Grain; readonly period: string }[]): Days {
  const ranges = new Map<string, string>();
  for (const r of refs) ranges.set(`${r.grain}|${r.period}`, r.grain === "day" ? r.period : addDays(r.period, 6));
  return (day) =>
    ranges.size === 0
      ? "1 = 0"
      : `(${[...ranges]
          .map(([id, last]) => `(${day} >= ${bindDay(id.slice(id.indexOf("|") + 1))} AND ${day} <= ${bindDay(last)})`)
          .join(" OR ")})`;
}

/**
 * Per shard, the trend rows of `cells` of the rolled days (`rollup.ts`, the trends table: per
 * cell, day, version and user) matching `days` (a condition on `day`): as `eventTrendRows`', one
 * per user instead of per event (`v` summed, `e` the user's events).
 */
function rolledTrendRows(rolled: Generation, cells: readonly CellRef[], days = "1 = 1"): string {
  return `SELECT distinct_id, dim, key, v, e, t.1 AS grain, t.2 AS period, t.3 AS version FROM (
SELECT distinct_id, day, version AS extversion, dim, key, total AS v, events AS e FROM ${rolled.trends} WHERE (${anyCell(cells)}) AND ${days}
) ${GRAINS}`;
}

/** Whether the rolled trends table holds `cells` (it holds the dims the trends follow only). */
function rolledHolds(source: Source, cells: readonly CellRef[]): source is Source & { rolled: Generation } {
  return source.rolled !== null && cells.every((c) => TREND_DIMS.includes(c.dim));
}

/**
 * Per shard, the trend rows of `cells` of a set (`distinct_id, dim, key, v, e, grain, period,
 * version`; `e` events, `v` summed value): the rolled days' per-user rows and the rows of the
 * set's later events, or the set's events alone.
 */
function trendRows(source: Source, cells: readonly CellRef[], days: Days = ALL_DAYS): string {
  if (!rolledHolds(source, cells)) return eventTrendRows(source.where, cells, days);
  return `${rolledTrendRows(source.rolled, cells, days("day"))}
UNION ALL ${eventTrendRows(source.rest, cells, days)}`;
}

/** Per (grain, period, version) of trend rows: users, summed value, events. */
function trendFigures(trendRowsOf: string): string {
  return `SELECT grain, period, version, uniqExact(distinct_id) AS users, sum(v) AS total, sum(e) AS events
FROM (${trendRowsOf}) GROUP BY grain, period, version`;
}

/**
 * Per shard, the per-(grain, period, version) figures of one series of a generation: its rows of
 * the sums table (`rollup.ts`: computed when the days were rolled up), or computed from the
 * per-user rows when the generation has none. Kept per generation by the store.
 */
export function rolledTrend(
  cluster: Cluster,
  rolled: Generation,
  dim: string,
  key: string,
): Promise<Record<string, unknown>[][]> {
  if (rolled.sums !== null) {
    return onShards(
      cluster,
      `SELECT grain, toString(period) AS period, version, users, total, events FROM ${rolled.sums} WHERE dim = ${bind(dim)} AND key = ${bind(key)}`,
    );
  }
  return onShards(cluster, trendFigures(rolledTrendRows(rolled, [{ dim, key }])));
}

/** Adds up per-shard counts of disjoint users, grouped by `key`. */
function addUp<T>(
  perShard: Record<string, unknown>[][],
  key: (r: Record<string, unknown>) => string,
  make: (r: Record<string, unknown>) => T,
  add: (into: T, r: Record<string, unknown>) => void,
): T[] {
  const out = new Map<string, T>();
  for (const shard of perShard) {
    for (const r of shard) {
      const k = key(r);
      const cur = out.get(k);
      if (cur === undefined) out.set(k, make(r));
      else add(cur, r);
    }
  }
  return [...out.values()];
}

/** The reader of one set. */
export class ClickHouseReader implements RollupReader {
  constructor(
    private readonly cluster: Cluster,
    /** The set's state for the events as they are now (checked once per reader: one request). */
    private readonly load: () => Promise<SetState>,
    /** `rolledTrend` of a generation's series, kept per generation. */
    private readonly rolledTrendOf: (
      rolled: Generation,
      dim: string,
      key: string,
    ) => Promise<Record<string, unknown>[][]>,
  ) {}

  private state: Promise<SetState> | null = null;

  private current(): Promise<SetState> {
    this.state ??= this.load();
    return this.state;
  }

  private async snapshot(): Promise<Snapshot> {
    return (await this.current()).snapshot;
  }

  /** A lookup's rows (per shard, or `[rows]` of the entry point), run once per state of the events. */
  private async lookup(where: "shards" | "entry", query: string): Promise<Record<string, unknown>[][]> {
    const { lookups } = await this.current();
    const key = `${where}\u0000${query}`;
    let answer = lookups.get(key);
    if (answer === undefined) {
      answer = where === "shards" ? onShards(this.cluster, query) : rows(this.cluster.entry, query).then((r) => [r]);
      lookups.set(key, answer);
      answer.catch(() => lookups.delete(key));
    }
    return answer;
  }

  async totals(): Promise<Totals> {
    const all = (await this.snapshot()).keys.get("all")?.get("");
    return { events: all?.events ?? 0, users: all?.users ?? 0, workspaces: all?.workspaces ?? 0 };
  }

  async breakdown(dims: readonly string[]): Promise<Map<string, BreakdownRow[]>> {
    const s = await this.snapshot();
    const out = new Map<string, BreakdownRow[]>();
    for (const dim of dims) {
      const list = [...(s.keys.get(dim) ?? new Map<string, KeyFigures>())].map(([key, f]) => ({
        key,
        users: f.users,
        total: f.total,
        events: f.events,
      }));
      list.sort((a, b) => a.key.localeCompare(b.key));
      out.set(dim, list);
    }
    return out;
  }

  async codes(): Promise<CodeRow[]> {
    const s = await this.snapshot();
    const out: CodeRow[] = [];
    for (const [key, f] of s.keys.get("code") ?? new Map<string, KeyFigures>()) {
      const h = s.hist.get(key) ?? [];
      const max = h.length > 0 ? h[h.length - 1]!.value : 0;
      out.push({
        key,
        users: f.users,
        total: f.total,
        events: f.events,
        workspaces: f.workspaces,
        topUserShare: f.total === 0 ? 0 : max / f.total,
        p50: percentile(h, f.users, 0.5),
        p90: percentile(h, f.users, 0.9),
        p99: percentile(h, f.users, 0.99),
        max,
        hist: h,
      });
    }
    out.sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
    return out;
  }

  async unionUsers(cells: readonly CellRef[]): Promise<number> {
    if (cells.length === 0) return 0;
    const { source } = await this.current();
    const rolled =
      source.rolled === null ? "" : `SELECT distinct_id FROM ${source.rolled.users} WHERE ${anyCell(cells)} UNION ALL `;
    // A user's events all live on one shard: the shards' counts add up.
    const perShard = await this.lookup(
      "shards",
      `SELECT uniqExact(distinct_id) AS n FROM (${rolled}SELECT distinct_id FROM events_local WHERE ${source.restAny} AND ${hasAnyCell(cells)})`,
    );
    return perShard.reduce((sum, r) => sum + n(r[0]?.n), 0);
  }

  async unionWorkspaces(cells: readonly CellRef[]): Promise<number> {
    if (cells.length === 0) return 0;
    const { source } = await this.current();
    const rolled =
      source.rolled === null
        ? ""
        : `SELECT workspace_folder FROM cluster('${source.cluster}', currentDatabase(), '${source.rolled.workspaces}') WHERE ${anyCell(cells)} UNION ALL `;
    const [answer] = await this.lookup(
      "entry",
      `SELECT uniqExact(workspace_folder) AS n FROM (${rolled}SELECT workspace_folder FROM events WHERE ${source.restAny} AND ${hasAnyCell(cells)})`,
    );
    return n(answer?.[0]?.n);
  }

  /**
   * The cells every user of the set is in (but `all`): those the suppression asks
   * `usersAlsoOutside` about, one after the other.
   */
  private async wholeCells(): Promise<CellRef[]> {
    return wholeCellsOf(await this.snapshot());
  }

  async usersAlsoOutside(cell: CellRef, limit: number): Promise<number> {
    const { source } = await this.current();
    const cap = Math.max(1, Math.floor(limit));
    // A cell every user is in: one query answers it for all such cells (run once per state of
    // the events), per user their events everywhere and in each of those cells.
    const whole = await this.wholeCells();
    const at = whole.findIndex((c) => c.dim === cell.dim && c.key === cell.key);
    if (at >= 0) {
      const state = await this.current();
      const ids = wholeKey(whole);
      if (state.whole?.cells !== ids) {
        const each = whole.map((c) => `sumIf(e, dim = ${bind(c.dim)} AND key = ${bind(c.key)})`);
        const counts = this.lookup(
          "shards",
          `SELECT ${each.map((_, i) => `countIf(i${i} > 0 AND i${i} < everywhere) AS c${i}`).join(", ")} FROM (
SELECT distinct_id, sumIf(e, dim = 'all') AS everywhere, ${each.map((sum, i) => `${sum} AS i${i}`).join(", ")}
FROM (${userCells(source, `dim = 'all' OR ${anyCell(whole)}`)})
GROUP BY distinct_id)`,
        ).then((perShard) => whole.map((_, i) => perShard.reduce((s, r) => s + n(r[0]?.[`c${i}`]), 0)));
        const kept = { cells: ids, counts };
        state.whole = kept;
        counts.catch(() => {
          if (state.whole === kept) state.whole = null;
        });
      }
      return Math.min(cap, (await state.whole!.counts)[at]!);
    }
    return this.usersAlsoOutsideAlone(cell, cap);
  }

  /** `usersAlsoOutside` of one cell by a query of its own (what the batched answer must equal). */
  async usersAlsoOutsideAlone(cell: CellRef, limit: number): Promise<number> {
    const { source } = await this.current();
    const cap = Math.max(1, Math.floor(limit));
    const inCell = `dim = ${bind(cell.dim)} AND key = ${bind(cell.key)}`;
    // Per user of the cell: their events (those of the cell `all`), and those in the cell.
    const counts = await this.lookup(
      "shards",
      `SELECT count() AS n FROM (
SELECT distinct_id, sumIf(e, dim = 'all') AS everywhere, sumIf(e, ${inCell}) AS inside
FROM (${userCells(source, `(dim = 'all' OR (${inCell}))`)})
GROUP BY distinct_id HAVING inside > 0 AND inside < everywhere LIMIT ${cap})`,
    );
    return Math.min(
      cap,
      counts.reduce((s, r) => s + n(r[0]?.n), 0),
    );
  }

  async trend(dim: string, key: string): Promise<TrendRow[]> {
    const { source } = await this.current();
    const series = [{ dim, key }];
    let perShard: Record<string, unknown>[][];
    if (rolledHolds(source, series)) {
      // The generation's figures (kept per generation), and those of the later events, with the
      // users of a week both hold counted over both (the rolled days of that week: a few rows).
      const after = addDays(source.rolled.through, 1);
      const straddling = `toString(toMonday(${bindDay(after)}))`;
      const [rolled, fresh] = await Promise.all([
        this.rolledTrendOf(source.rolled, dim, key),
        this.lookup(
          "shards",
          `SELECT grain, period, version, users, total, events, grain = 'week' AND period = ${straddling} AS straddles FROM (${trendFigures(
            `${eventTrendRows(source.rest, series)}
UNION ALL SELECT distinct_id, dim, key, toInt64(0) AS v, toInt64(0) AS e, grain, period, version FROM (${rolledTrendRows(
              source.rolled,
              series,
              `day >= toMonday(${bindDay(after)})`,
            )}) WHERE grain = 'week'`,
          )})`,
        ),
      ]);
      perShard = rolled.map((shard, i) => {
        const byId = new Map(
          shard.map((r) => [`${String(r.grain)}\u0000${String(r.period)}\u0000${String(r.version)}`, { ...r }]),
        );
        for (const r of fresh[i] ?? []) {
          const id = `${String(r.grain)}\u0000${String(r.period)}\u0000${String(r.version)}`;
          const had = byId.get(id);
          if (had === undefined) byId.set(id, r);
          else {
            had.users = n(r.straddles) === 1 ? n(r.users) : n(had.users) + n(r.users);
            had.total = n(had.total) + n(r.total);
            had.events = n(had.events) + n(r.events);
          }
        }
        return [...byId.values()];
      });
    } else {
      perShard = await this.lookup("shards", trendFigures(eventTrendRows(source.where, series)));
    }
    return addUp(
      perShard,
      (r) => `${String(r.grain)}\u0000${String(r.period)}\u0000${String(r.version)}`,
      (r) => ({
        grain: String(r.grain) as Grain,
        period: String(r.period),
        version: String(r.version),
        users: n(r.users),
        total: n(r.total),
        events: n(r.events),
      }),
      (into, r) => {
        into.users += n(r.users);
        into.total += n(r.total);
        into.events += n(r.events);
      },
    );
  }

  async trendUnionUsers(cells: readonly TrendRef[]): Promise<number> {
    if (cells.length === 0) return 0;
    const terms = groupByPeriods(cells).map(
      ({ ref, periods }) =>
        `(dim = ${bind(ref.dim)} AND key = ${bind(ref.key)} AND grain = ${bind(ref.grain)} AND version = ${bind(ref.version)} AND period IN (${[...periods].map((p) => `toString(${bindDay(p)})`).join(", ")}))`,
    );
    const series = [...new Map(cells.map((c) => [`${c.dim}\u0000${c.key}`, { dim: c.dim, key: c.key }])).values()];
    const perShard = await this.lookup(
      "shards",
      `SELECT uniqExact(distinct_id) AS n FROM (${trendRows((await this.current()).source, series, daysOf(cells))}) WHERE ${terms.join(" OR ")}`,
    );
    return perShard.reduce((sum, r) => sum + n(r[0]?.n), 0);
  }

  async trendOtherUsers(dim: string, key: string, listed: readonly string[]): Promise<PeriodUsers[]> {
    const excluded = ["", ...listed].map(bind).join(", ");
    const perShard = await this.lookup(
      "shards",
      `SELECT grain, period, uniqExact(distinct_id) AS users FROM (${trendRows((await this.current()).source, [{ dim, key }])})
WHERE version NOT IN (${excluded}) GROUP BY grain, period`,
    );
    return addUp(
      perShard,
      (r) => `${String(r.grain)}\u0000${String(r.period)}`,
      (r) => ({ grain: String(r.grain) as Grain, period: String(r.period), users: n(r.users) }),
      (into, r) => {
        into.users += n(r.users);
      },
    );
  }

  async trendUsersAlsoOutside(cell: TrendRef, limit: number): Promise<number> {
    const cap = Math.max(1, Math.floor(limit));
    const perShard = await this.lookup(
      "shards",
      `SELECT count() AS n FROM (
SELECT distinct_id, sumIf(e, dim = 'all') AS everywhere, sumIf(e, dim = ${bind(cell.dim)} AND key = ${bind(cell.key)}) AS inside
FROM (${trendRows((await this.current()).source, [{ dim: "all", key: "" }, cell], daysOf([cell]))})
WHERE grain = ${bind(cell.grain)} AND period = toString(${bindDay(cell.period)}) AND version = ${bind(cell.version)}
GROUP BY distinct_id HAVING inside > 0 AND inside < everywhere LIMIT ${cap})`,
    );
    return Math.min(
      cap,
      perShard.reduce((sum, r) => sum + n(r[0]?.n), 0),
    );
  }

  /** `trendUsersAlsoOutside` of each cell, one after the other (not batched yet on ClickHouse). */
  async trendUsersAlsoOutsideEach(cells: readonly TrendRef[], limit: number): Promise<number[]> {
    const out: number[] = [];
    for (const cell of cells) out.push(await this.trendUsersAlsoOutside(cell, limit));
    return out;
  }
}
