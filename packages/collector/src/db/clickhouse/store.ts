/**
 * The ClickHouse cluster backend of the collector's storage (`EventStore`): events in a
 * `ReplacingMergeTree` per shard, day partitions, a `Distributed` table sharded by a hash of
 * `distinct_id` (see `migrations.ts`), and figures computed from the events at read time
 * (`reader.ts`).
 *
 * Exactly once: a batch's `$insert_id`s already stored anywhere in the cluster are skipped before
 * inserting (one lookup by the sorting key); what two concurrent deliveries of the same batch
 * still store twice lands on the same shard (same `distinct_id`) and is collapsed at read time,
 * so no figure counts it twice, merged or not.
 *
 * All or nothing: the batch is one insert through the `Distributed` table with
 * `insert_distributed_sync=1` (together with the batches that arrived meanwhile: group commit),
 * acknowledged once every shard has its rows. A shard stores its
 * part of a batch atomically (one block); a batch spanning shards (several users: Mixpanel's
 * clients send one user's events) that fails on one shard has its new rows deleted again from
 * the others before the error is answered, and a retry stores what is missing.
 */
import type { ClickHouseClient } from "@clickhouse/client";
import type { EventProperties, ValidEvent } from "@polar-ide/telemetry";
import type { EventStore, RollupReader } from "../backend.js";
import { COLUMNS, encodeSet } from "../columns.js";
import { n } from "../queries.js";
import { connect, rows } from "./client.js";
import { CLICKHOUSE_MIGRATIONS, LATEST_CLICKHOUSE_MIGRATION, ddl } from "./migrations.js";
import { ClickHouseReader, computeSnapshot, type Cluster, type SetState } from "./reader.js";
import { bind, bindDay, uniqueEvents } from "./sql.js";
import { parseClickHouseUrl, type ClickHouseTarget } from "./url.js";

const MIGRATIONS_TABLE =
  "CREATE TABLE IF NOT EXISTS schema_migrations (id UInt32, name String) ENGINE = MergeTree() ORDER BY id";

/** The columns a batch's rows give: the arrival day and a column per stored property. */
const INSERTED: [string, ...string[]] = ["day", ...COLUMNS.map((c) => c.name)];

/** One stored row: the arrival day and a column per stored property. */
type EventRow = Record<string, string | number>;

function encodeRow(day: string, p: EventProperties): EventRow {
  const row: EventRow = { day };
  for (const c of COLUMNS) {
    const v = p[c.property.name];
    row[c.name] =
      c.sqlType === "integer"
        ? typeof v === "number"
          ? v
          : 0
        : c.sqlType === "boolean"
          ? v === true
            ? 1
            : 0
          : c.sqlType === "set"
            ? encodeSet(Array.isArray(v) ? v : [])
            : typeof v === "string"
              ? v
              : "";
  }
  return row;
}

/** Most events one group insert takes. */
const GROUP_EVENTS = 20_000;

/** A batch waiting for its group's insert. */
interface Pending {
  readonly day: string;
  readonly events: readonly ValidEvent[];
  resolve(stored: number): void;
  reject(error: unknown): void;
}

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

  constructor(url: string) {
    this.target = parseClickHouseUrl(url);
    const db = this.target.database;
    this.cluster = {
      entry: connect(this.target, this.target.url, db),
      shards: this.target.shards.map((s) => connect(this.target, s, db)),
    };
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

  /** Batches waiting for the insert in flight to finish (group commit). */
  private waiting: Pending[] = [];
  private draining = false;

  /**
   * Stores a batch. Batches arriving while an insert is in flight wait and then go together in
   * the next one (one lookup, one insert): with ClickHouse, one insert per request would make a
   * part per request and wait on the shards each time. A group that fails fails every batch of it
   * (each is answered with an error and stores nothing it did not already have).
   */
  insertBatch(day: string, events: readonly ValidEvent[]): Promise<number> {
    bindDay(day);
    this.lastWriteAt = Date.now();
    return new Promise<number>((resolve, reject) => {
      this.waiting.push({ day, events, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const group: Pending[] = [];
        let size = 0;
        while (
          this.waiting.length > 0 &&
          (group.length === 0 || size + this.waiting[0]!.events.length <= GROUP_EVENTS)
        ) {
          const next = this.waiting.shift()!;
          group.push(next);
          size += next.events.length;
        }
        try {
          const counts = await this.storeGroup(group);
          group.forEach((b, i) => b.resolve(counts[i]!));
        } catch (e) {
          for (const b of group) b.reject(e);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Stores a group of batches in one insert; resolves with each batch's newly stored events. */
  private async storeGroup(group: readonly Pending[]): Promise<number[]> {
    // The first event of an `$insert_id` wins (as on SQL), within a batch and across the group.
    const fresh = new Map<string, { batch: number; row: EventRow }>();
    group.forEach((b, batch) => {
      for (const e of b.events) {
        const id = String(e.properties.$insert_id);
        if (!fresh.has(id)) fresh.set(id, { batch, row: encodeRow(b.day, e.properties) });
      }
    });
    const counts = group.map(() => 0);
    if (fresh.size === 0) return counts;
    const known = await rows(
      this.cluster.entry,
      `SELECT DISTINCT insert_id FROM events WHERE insert_id IN (${[...fresh.keys()].map(bind).join(", ")})`,
    );
    for (const r of known) fresh.delete(String(r.insert_id));
    if (fresh.size === 0) return counts;
    const values = [...fresh.values()].map((f) => f.row);
    try {
      // The column list leaves out the cells, which ClickHouse computes (their DEFAULT): 18.16
      // fills a field a JSON row omits with the type's default instead.
      await this.cluster.entry.insert({ table: "events", values, format: "JSONEachRow", columns: INSERTED });
    } catch (e) {
      if (new Set(values.map((v) => v.distinct_id)).size > 1) await this.undo([...fresh.keys()]);
      throw e;
    }
    for (const f of fresh.values()) counts[f.batch]!++;
    return counts;
  }

  /** Deletes a failed batch's new rows from the shards that took them (best effort). */
  private async undo(ids: readonly string[]): Promise<void> {
    const list = ids.map(bind).join(", ");
    await Promise.allSettled(
      this.cluster.shards.map((s) =>
        s.command({ query: `ALTER TABLE events_local DELETE WHERE insert_id IN (${list})` }),
      ),
    );
  }

  /**
   * What the events are now: per shard and day partition, the newest block number and the rows.
   * A stored batch is a new block, a purge drops partitions; a background merge changes
   * neither (unless it collapses a retried event, which is a change).
   */
  private async fingerprint(): Promise<string> {
    const perShard = await Promise.all(
      this.cluster.shards.map((s) =>
        rows(
          s,
          `SELECT partition_id, max(max_block_number) AS block, sum(rows) AS rows FROM system.parts
WHERE database = currentDatabase() AND table = 'events_local' AND active GROUP BY partition_id ORDER BY partition_id`,
        ),
      ),
    );
    return perShard
      .map((list) => list.map((r) => `${String(r.partition_id)}:${String(r.block)}:${String(r.rows)}`).join(","))
      .join(";");
  }

  /** The state of a set for the events as they are now: cached until they change. */
  private async snapshot(name: string, where: string): Promise<SetState> {
    const fingerprint = await this.fingerprint();
    const cached = this.cache.get(name);
    if (cached !== undefined && cached.fingerprint === fingerprint) return cached.state;
    const state: SetState = { snapshot: computeSnapshot(this.cluster, where), lookups: new Map() };
    this.cache.set(name, { fingerprint, state });
    state.snapshot.catch(() => {
      if (this.cache.get(name)?.state === state) this.cache.delete(name);
    });
    return state;
  }

  private sharedDay = "";

  async refresh(): Promise<number> {
    await (
      await this.snapshot("live", "1 = 1")
    ).snapshot;
    return 0;
  }

  async refreshShared(today: string): Promise<number> {
    this.sharedDay = today;
    await (
      await this.snapshot(`shared:${today}`, `day < ${bindDay(today)}`)
    ).snapshot;
    return 0;
  }

  live(): RollupReader {
    return new ClickHouseReader(this.cluster, "1 = 1", () => this.snapshot("live", "1 = 1"));
  }

  shared(): RollupReader {
    const where = `day < ${bindDay(this.sharedDay === "" ? "1970-01-01" : this.sharedDay)}`;
    return new ClickHouseReader(this.cluster, where, () => this.snapshot(`shared:${this.sharedDay}`, where));
  }

  /**
   * Drops every day partition before `cutoffDay` on every shard, then compacts (`compact`: the
   * dropped partitions' files are gone from the disks when it resolves); resolves with the events
   * dropped.
   */
  async purge(cutoffDay: string): Promise<number> {
    const cutoff = bindDay(cutoffDay);
    let deleted = 0;
    for (const shard of this.cluster.shards) {
      const [c] = await rows(shard, `SELECT uniqExact(insert_id) AS c FROM events_local WHERE day < ${cutoff}`);
      deleted += n(c?.c);
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
    await this.compact();
    return deleted;
  }

  /**
   * Merges each day partition that has several parts into one (`OPTIMIZE … FINAL`): a retried
   * event is then kept once at rest, and the day's rows sit in one part ordered by `$insert_id`
   * instead of one part per insert numbered in arrival order. Then waits until the servers have
   * deleted the files of the replaced parts and of dropped partitions (`waitForRemovedParts`).
   */
  async compact(): Promise<void> {
    for (const shard of this.cluster.shards) {
      const days = await rows(
        shard,
        `SELECT toString(min_date) AS day FROM system.parts WHERE database = currentDatabase() AND table = 'events_local' AND active
GROUP BY min_date HAVING count() > 1 ORDER BY min_date`,
      );
      for (const d of days) {
        const day = String(d.day);
        bindDay(day);
        await shard.command({ query: `OPTIMIZE TABLE events_local PARTITION '${day}' FINAL` });
      }
    }
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
        const inactive = (where: string) =>
          rows(
            shard,
            `SELECT name FROM system.parts WHERE database = currentDatabase() AND table = 'events_local' AND NOT active${where}`,
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
    await Promise.all([this.cluster.entry, ...this.cluster.shards].map((c: ClickHouseClient) => c.close()));
  }
}
