/**
 * The ClickHouse cluster backend of the collector's storage (`EventStore`): events in a
 * `ReplacingMergeTree` per shard, day partitions, a `Distributed` table sharded by a hash of
 * `distinct_id` (see `migrations.ts`, `shard.ts`), and figures computed from the events at read
 * time (`reader.ts`). Batches are stored by `writer.ts` (exactly once, all or nothing, each
 * shard's rows straight into its table); what two concurrent deliveries of the same batch still
 * store twice lands on the same shard (same `distinct_id`) and is collapsed at read time, so no
 * figure counts it twice, merged or not.
 */
import type { ClickHouseClient } from "@clickhouse/client";
import type { ValidEvent } from "@polar-ide/telemetry";
import type { EventStore, RollupReader } from "../backend.js";
import { n } from "../queries.js";
import { connect, rows } from "./client.js";
import { CLICKHOUSE_MIGRATIONS, LATEST_CLICKHOUSE_MIGRATION, ddl } from "./migrations.js";
import { addDays } from "../trend-sql.js";
import {
  ClickHouseReader,
  computeSnapshot,
  deltaSnapshot,
  foldedIds,
  newestBlocks,
  outsideChange,
  rolledFigures,
  rolledTrend,
  sourceOf,
  wholeCellsOf,
  wholeKey,
  type Cluster,
  type Folded,
  type SetState,
  type Snapshot,
  type Source,
} from "./reader.js";
import {
  buildGeneration,
  currentGeneration,
  dropGenerations,
  partitionStates,
  rolledTablesOf,
  purgedStates,
  subtractPurged,
  type Generation,
  type PartitionState,
} from "./rollup.js";
import { discoverShards, type ShardMap } from "./shard.js";
import { bind, bindDay, uniqueEvents } from "./sql.js";
import { parseClickHouseUrl, type ClickHouseTarget } from "./url.js";
import { ShardWriter } from "./writer.js";

/** How long a roll-up statement may run without a byte of answer. */
const BUILD_TIMEOUT_MS = 3_600_000;

const MIGRATIONS_TABLE =
  "CREATE TABLE IF NOT EXISTS schema_migrations (id UInt32, name String) ENGINE = MergeTree() ORDER BY id";

/** A set's state (its snapshot and lookups) and the events it was computed from. */
interface Cached {
  readonly fingerprint: string;
  readonly state: SetState;
}

export class ClickHouseStore implements EventStore {
  lastWriteAt = 0;
  readonly target: ClickHouseTarget;
  private readonly cluster: Cluster;
  private readonly cache = new Map<string, Cached>();

  private readonly writer: ShardWriter;
  private layout: Promise<ShardMap> | null = null;

  constructor(url: string) {
    this.target = parseClickHouseUrl(url);
    const db = this.target.database;
    this.cluster = {
      entry: connect(this.target, this.target.url, db),
      shards: this.target.shards.map((s) => connect(this.target, s, db)),
    };
    this.builders = this.target.shards.map((s) => connect(this.target, s, db, BUILD_TIMEOUT_MS));
    this.writer = new ShardWriter(this.cluster.shards, () => this.shardMap());
  }

  /** Every shard, for the roll-up's statements (minutes long at 10M events). */
  private readonly builders: readonly ClickHouseClient[];

  /** Which shard stores whose events: read from the cluster once (again after a failure). */
  private shardMap(): Promise<ShardMap> {
    if (this.layout === null) {
      const layout = discoverShards(this.cluster.shards, this.target.shards, this.target.cluster);
      this.layout = layout;
      layout.catch(() => {
        if (this.layout === layout) this.layout = null;
      });
    }
    return this.layout;
  }

  /** Creates the database and applies pending migrations on every shard (up to `target`). */
  async migrate(target = LATEST_CLICKHOUSE_MIGRATION): Promise<number[]> {
    const applied = new Set<number>();
    for (const url of this.target.shards) {
      const admin = connect(this.target, url, null);
      try {
        await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${this.target.database}` });
      } finally {
        await admin.close();
      }
    }
    for (const shard of this.cluster.shards) {
      await shard.command({ query: MIGRATIONS_TABLE });
      const done = new Set((await rows(shard, "SELECT DISTINCT id FROM schema_migrations")).map((r) => n(r.id)));
      for (const m of CLICKHOUSE_MIGRATIONS) {
        if (done.has(m.id) || m.id > target) continue;
        for (const sql of m.up) await shard.command({ query: ddl(sql, this.target.cluster, this.target.database) });
        await shard.insert({ table: "schema_migrations", values: [{ id: m.id, name: m.name }], format: "JSONEachRow" });
        applied.add(m.id);
      }
    }
    return [...applied].sort((a, b) => a - b);
  }

  /** Reverts migrations down to (excluding) `target` on every shard, newest first. */
  async migrateDown(target: number): Promise<number[]> {
    const reverted = new Set<number>();
    for (const shard of this.cluster.shards) {
      await shard.command({ query: MIGRATIONS_TABLE });
      const done = new Set((await rows(shard, "SELECT DISTINCT id FROM schema_migrations")).map((r) => n(r.id)));
      for (const m of [...CLICKHOUSE_MIGRATIONS].reverse()) {
        if (m.id <= target || !done.has(m.id)) continue;
        for (const sql of m.down) await shard.command({ query: ddl(sql, this.target.cluster, this.target.database) });
        await shard.command({ query: `ALTER TABLE schema_migrations DELETE WHERE id = ${m.id}` });
        reverted.add(m.id);
      }
    }
    return [...reverted].sort((a, b) => b - a);
  }

  /**
   * Stores a batch (`writer.ts`: straight into each shard's `events_local`, grouped with the
   * batches arriving meanwhile).
   */
  insertBatch(day: string, events: readonly ValidEvent[]): Promise<number> {
    bindDay(day);
    this.lastWriteAt = Date.now();
    return this.writer.insert(day, events);
  }

  /**
   * The state of a set for the events as they are now: cached until they change. What the
   * events are: per shard and day partition, the newest block number and the rows (a stored
   * batch is a new block, a purge drops partitions; a background merge changes neither, unless
   * it collapses a retried event, which is a change), and which generation of rolled-up days
   * (`rollup.ts`) covers a part of the set: the newest one with unchanged partitions, covering
   * no day after `latest` (null: any).
   */
  private async snapshot(name: string, where: string, latest: string | null): Promise<SetState> {
    // One round trip: the partitions and the rolled tables listed at the same time.
    const [states, tables] = await Promise.all([
      partitionStates(this.cluster.shards),
      rolledTablesOf(this.cluster.shards),
    ]);
    const rolled = await currentGeneration(this.cluster.shards, states, latest, tables);
    const fingerprint = `${JSON.stringify(states)}|${rolled?.users ?? ""}|${rolled?.index?.users ?? ""}`;
    const cached = this.cache.get(name);
    if (cached !== undefined && cached.fingerprint === fingerprint) return cached.state;
    const source = sourceOf(where, rolled, this.target.cluster);
    const computed = this.compute(source, states, cached?.state ?? null);
    const state: SetState = {
      source,
      snapshot: computed.then((c) => {
        if (c.whole !== null) state.whole = c.whole;
        return c.snapshot;
      }),
      lookups: new Map(),
      folded: computed.then(
        (c) => c.folded,
        () => null,
      ),
      whole: null,
    };
    this.cache.set(name, { fingerprint, state });
    state.snapshot.catch(() => {
      if (this.cache.get(name)?.state === state) this.cache.delete(name);
    });
    return state;
  }

  /**
   * A set's snapshot for the events as they are now (`states`): brought forward from the
   * previous state of the set (`prev`) by the events added since (`deltaSnapshot`: a batch's
   * users and folders, not every user), when it has a delta base for the same generation;
   * computed whole otherwise (then, with a generation that has index tables, the events after it
   * are listed as the next delta's base). Either way exact: the partitions are read again after,
   * and a delta (or a base) is kept only when no insert came meanwhile.
   */
  private async compute(
    source: Source,
    states: PartitionState[][],
    prev: SetState | null,
  ): Promise<{ snapshot: Snapshot; folded: Folded | null; whole: SetState["whole"] }> {
    // No insert meanwhile: the same partitions with the same newest blocks (a merge collapsing a
    // retried event changes a partition's rows, not which `$insert_id`s it holds).
    const inserts = (list: PartitionState[][]) => JSON.stringify(list.map((l) => l.map((p) => `${p.id}:${p.block}`)));
    const unchanged = async () => inserts(await partitionStates(this.cluster.shards)) === inserts(states);
    const rolled = source.rolled;
    if (prev !== null && rolled?.index != null && prev.source.where === source.where) {
      const [base, folded] = await Promise.all([prev.snapshot, prev.folded]).catch(() => [null, null] as const);
      const delta = base === null || folded === null ? null : await deltaSnapshot(this.cluster, source, base, folded);
      if (delta !== null && (await unchanged())) {
        let whole: SetState["whole"] = null;
        const cells = wholeCellsOf(delta.snapshot);
        if (prev.whole !== null && prev.whole.cells === wholeKey(cells)) {
          const change = outsideChange(cells, delta.users);
          whole = { cells: prev.whole.cells, counts: prev.whole.counts.then((c) => c.map((x, i) => x + change[i]!)) };
          this.snapshots.carried++;
        }
        this.snapshots.delta++;
        return { snapshot: delta.snapshot, folded: { ...delta.folded, blocks: newestBlocks(states) }, whole };
      }
    }
    this.snapshots.whole++;
    const snapshot = await computeSnapshot(this.cluster, source, (g) => this.figuresOf(g));
    let folded: Folded | null = null;
    if (rolled?.index != null) {
      const ids = await foldedIds(this.cluster, source);
      if (ids !== null && (await unchanged())) folded = { rolled: rolled.users, ids, blocks: newestBlocks(states) };
    }
    return { snapshot, folded, whole: null };
  }

  /**
   * How many snapshots were computed whole, brought forward by a delta, and with the batched
   * "users also outside" carried over (tests, benchmarks).
   */
  readonly snapshots = { whole: 0, delta: 0, carried: 0 };

  private sharedDay = "";

  /** The per-cell figures of the newest generation read (it never changes: a change is a new one). */
  private rolled: { readonly name: string; readonly figures: Promise<Record<string, unknown>[][]> } | null = null;

  private figuresOf(g: Generation): Promise<Record<string, unknown>[][]> {
    if (this.rolled?.name !== g.users) {
      const figures = rolledFigures(this.cluster, g);
      const kept = { name: g.users, figures };
      this.rolled = kept;
      figures.catch(() => {
        if (this.rolled === kept) this.rolled = null;
      });
    }
    return this.rolled!.figures;
  }

  /** Per series, the trend figures of the newest generation read (`rolledTrend`). */
  private rolledTrends: {
    readonly name: string;
    readonly series: Map<string, Promise<Record<string, unknown>[][]>>;
  } | null = null;

  private trendOf(g: Generation, dim: string, key: string): Promise<Record<string, unknown>[][]> {
    const name = `${g.trends}|${g.sums ?? ""}`;
    if (this.rolledTrends?.name !== name) this.rolledTrends = { name, series: new Map() };
    const { series } = this.rolledTrends;
    const id = `${dim}\u0000${key}`;
    let figures = series.get(id);
    if (figures === undefined) {
      figures = rolledTrend(this.cluster, g, dim, key);
      series.set(id, figures);
      figures.catch(() => {
        if (series.get(id) === figures) series.delete(id);
      });
    }
    return figures;
  }

  async refresh(): Promise<number> {
    await (
      await this.snapshot("live", "1 = 1", null)
    ).snapshot;
    return 0;
  }

  /**
   * Rolls up the complete days (every day before `today`) unless the newest generation covers
   * them already and is unchanged, then computes the shared set's state.
   */
  async refreshShared(today: string): Promise<number> {
    const through = addDays(today, -1);
    bindDay(through);
    const states = await partitionStates(this.cluster.shards);
    const last = through.replaceAll("-", "");
    const rolled = await currentGeneration(this.cluster.shards, states, through);
    // Also when the generation has no trend sums or index tables (built by an older collector):
    // they are added.
    if (
      (rolled?.through !== through || rolled.sums === null || rolled.index === null) &&
      states.some((list) => list.some((p) => p.id <= last))
    ) {
      await buildGeneration(this.builders, through);
    }
    this.sharedDay = today;
    await (
      await this.snapshot(`shared:${today}`, `day < ${bindDay(today)}`, through)
    ).snapshot;
    return 0;
  }

  live(): RollupReader {
    return new ClickHouseReader(
      this.cluster,
      () => this.snapshot("live", "1 = 1", null),
      (g, dim, key) => this.trendOf(g, dim, key),
    );
  }

  shared(): RollupReader {
    const today = this.sharedDay === "" ? "1970-01-01" : this.sharedDay;
    const where = `day < ${bindDay(today)}`;
    return new ClickHouseReader(
      this.cluster,
      () => this.snapshot(`shared:${this.sharedDay}`, where, addDays(today, -1)),
      (g, dim, key) => this.trendOf(g, dim, key),
    );
  }

  /**
   * Builds the newest generation of rolled-up days minus the days before `cutoffDay`
   * (`subtractPurged`), drops those days' partitions on every shard and every other generation,
   * then compacts (`compact`: the
   * dropped partitions' files are gone from the disks when it resolves); resolves with the events
   * dropped.
   */
  async purge(cutoffDay: string): Promise<number> {
    const cutoff = bindDay(cutoffDay);
    // The newest generation minus the purged days, valid once they are dropped (`rollup.ts`).
    let successor = await subtractPurged(this.builders, cutoffDay);
    let deleted = 0;
    for (const shard of this.cluster.shards) {
      const [c] = await rows(shard, `SELECT uniqExact(insert_id) AS c FROM events_local WHERE day < ${cutoff}`);
      deleted += n(c?.c);
    }
    // Unless the purged partitions changed since (a merge collapsing a retried event): then the
    // successor subtracted other rows than those dropped, and no generation is kept.
    if (successor !== null && (await purgedStates(this.cluster.shards, cutoffDay)) !== successor.purged) {
      successor = null;
    }
    for (const shard of this.cluster.shards) {
      // Day partitions: a part's min_date and max_date are its day.
      const days = await rows(
        shard,
        `SELECT DISTINCT toString(min_date) AS day FROM system.parts WHERE database = currentDatabase() AND table = 'events_local' AND active AND max_date < ${cutoff}`,
      );
      for (const d of days) {
        const day = String(d.day);
        bindDay(day);
        await shard.command({ query: `ALTER TABLE events_local DROP PARTITION '${day}'` });
      }
    }
    // Every other generation of rolled-up days holds the purged days (their users' ids): gone
    // too, and so are other builds' temporary tables.
    await dropGenerations(this.cluster.shards, successor?.generation ?? null, true);
    await this.compact();
    return deleted;
  }

  /**
   * Merges each day partition that has several parts into one (`OPTIMIZE … FINAL`): a retried
   * event is then kept once at rest, and the day's rows sit in one part ordered by `$insert_id`
   * instead of one part per insert numbered in arrival order. 18.16's `OPTIMIZE` does nothing
   * for a partition a background merge is working on: such partitions get another pass once
   * that merge is done (up to three passes; ingest may go on meanwhile). Then waits until the
   * servers have deleted the files of the replaced parts and of dropped partitions
   * (`waitForRemovedParts`).
   */
  async compact(): Promise<void> {
    await Promise.all(
      this.cluster.shards.map(async (shard) => {
        for (let pass = 0; pass < 3; pass++) {
          if (pass > 0) await waitForMerges(shard);
          const days = await rows(
            shard,
            `SELECT toString(min_date) AS day FROM system.parts WHERE database = currentDatabase() AND table = 'events_local' AND active
GROUP BY min_date HAVING count() > 1 ORDER BY min_date`,
          );
          if (days.length === 0) break;
          for (const d of days) {
            const day = String(d.day);
            bindDay(day);
            await shard.command({ query: `OPTIMIZE TABLE events_local PARTITION '${day}' FINAL` });
          }
        }
      }),
    );
    await this.waitForRemovedParts();
  }

  /**
   * Resolves once every part of `events_local` that is inactive now (a dropped partition's, or
   * one a merge replaced) is gone from its shard: their files stay on disk until the server's
   * cleanup deletes them, `old_parts_lifetime` after they were replaced, see `clickhouse/polar.xml`.
   * Parts that merges replace meanwhile (ingest goes on) are not waited for. Throws when that
   * takes longer than the shard's own settings allow.
   */
  private async waitForRemovedParts(): Promise<void> {
    await Promise.all(
      this.cluster.shards.map(async (shard, i) => {
        const [s] = await rows(
          shard,
          `SELECT sumIf(toUInt64(value), name = 'old_parts_lifetime') AS lifetime,
sumIf(toUInt64(value), name IN ('cleanup_delay_period', 'cleanup_delay_period_random_add')) AS cleanup
FROM system.merge_tree_settings WHERE name IN ('old_parts_lifetime', 'cleanup_delay_period', 'cleanup_delay_period_random_add')`,
        );
        const limitMs = (n(s?.lifetime) + 2 * n(s?.cleanup) + 30) * 1000;
        const deadline = Date.now() + limitMs;
        // Asking for `_state` lists the parts in every state: a part the cleanup has taken
        // (`Deleting`) is no longer listed otherwise, though its folder is still being removed.
        const inactive = (where: string) =>
          rows(
            shard,
            `SELECT name, _state FROM system.parts WHERE database = currentDatabase() AND table = 'events_local' AND NOT active${where}`,
          );
        const removed = (await inactive("")).map((r) => bind(String(r.name)));
        if (removed.length === 0) return;
        for (;;) {
          const left = (await inactive(` AND name IN (${removed.join(", ")})`)).length;
          if (left === 0) return;
          if (Date.now() > deadline) {
            throw new Error(
              `ClickHouse shard ${this.target.shards[i]} still keeps ${left} removed parts of events_local on disk after ${limitMs / 1000} s (see clickhouse/polar.xml)`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }),
    );
  }

  async countEvents(): Promise<number> {
    const counts = await Promise.all(
      this.cluster.shards.map((s) => rows(s, `SELECT count() AS c FROM ${uniqueEvents("1 = 1", ["insert_id"])}`)),
    );
    return counts.reduce((sum, r) => sum + n(r[0]?.c), 0);
  }

  async insertIds(): Promise<Set<string>> {
    return new Set(
      (await rows(this.cluster.entry, "SELECT DISTINCT insert_id FROM events")).map((r) => String(r.insert_id)),
    );
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.cluster.entry, ...this.cluster.shards, ...this.builders].map((c: ClickHouseClient) => c.close()),
    );
  }
}

/** Waits (up to 60 s) until no merge of `events_local` runs on `shard`. */
async function waitForMerges(shard: ClickHouseClient): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [r] = await rows(
      shard,
      "SELECT count() AS c FROM system.merges WHERE database = currentDatabase() AND table = 'events_local'",
    );
    if (n(r?.c) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
