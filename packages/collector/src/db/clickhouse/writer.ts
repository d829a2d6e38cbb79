/**
 * Storing batches on the cluster: each shard's rows go straight into that shard's `events_local`
 * (the collector computes the shard as the `Distributed` table would, `shard.ts`, and the cells,
 * `cells.ts`), all shards in parallel.
 *
 * Group commit: batches arriving while inserts are in flight wait and go together in the next
 * group (18.16 writes a part per insert: one insert per request would make a part per request).
 * Up to `IN_FLIGHT` groups are stored at once, so a group forms while the previous one is
 * written. A batch sharing an `$insert_id` with a group in flight waits for that group (so the
 * lookup below sees it).
 *
 * Exactly once: on each shard, the group's `$insert_id`s that shard already stores are skipped
 * first (one lookup by the sorting key of `events_local`; a retry has the same `distinct_id`, so
 * the same shard, whatever day it is retried). What two collectors still store twice (two
 * deliveries racing past the lookup) lands on the same shard and is collapsed at read time.
 *
 * All or nothing, and what an acknowledgement means: a batch is answered once every shard's
 * insert of its group returned — on 18.16 the shard has then written its part (one block,
 * atomic) to its files (not fsynced: see the README). If any shard fails, the rows the group
 * added on the others are deleted again (an `ALTER … DELETE`) and every batch of the group is
 * answered with an error; the client's retry stores what is missing.
 */
import type { ClickHouseClient } from "@clickhouse/client";
import type { EventProperties, ValidEvent } from "@polar-ide/telemetry";
import { COLUMNS, encodeSet } from "../columns.js";
import { cellsOf, type StoredRow } from "./cells.js";
import { rows } from "./client.js";
import { M002_COLUMNS, M002_INTEGERS, M002_TEXTS } from "./migrations.js";
import type { ShardMap } from "./shard.js";
import { bind } from "./sql.js";

/** Most events one group takes. */
const GROUP_EVENTS = 20_000;
/**
 * Groups stored at once. One measured best on 2 cores (bench/collector.mjs, same run: 1 → 248
 * req/s, 2 → 173, 4 → 85 at load 7–10): a group forms while the previous one is stored, and
 * fewer, larger inserts cost the shards less than more, smaller ones.
 */
const IN_FLIGHT = 1;
/** How long a failed group's answer waits for the deletion of its rows. */
const UNDO_WAIT_MS = 30_000;

/** One row of `events_local` (migration 2), as JSONEachRow gives it. */
type Row = Record<(typeof M002_COLUMNS)[number], string | string[] | number[]>;

/** The stored row of an event: a value per migration-1 column. */
export function storedRow(p: EventProperties): StoredRow {
  const row: Record<string, string | number> = {};
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

/** The `events_local` row of an event that arrived on `day`. */
export function encodeEvent(day: string, p: EventProperties): Row {
  const stored = storedRow(p);
  const cells = cellsOf(stored);
  return {
    day,
    insert_id: String(stored.insert_id ?? ""),
    distinct_id: String(stored.distinct_id ?? ""),
    workspace_folder: String(stored.workspace_folder ?? ""),
    extversion: String(stored.extversion ?? ""),
    cell_dim: cells.dims,
    cell_key: cells.keys,
    cell_value: cells.values,
    props_int: M002_INTEGERS.map((c) => Number(stored[c] ?? 0)),
    props_text: M002_TEXTS.map((c) => String(stored[c] ?? "")),
  };
}

/** A batch waiting for its group. */
interface Pending {
  readonly day: string;
  readonly events: readonly ValidEvent[];
  readonly ids: readonly string[];
  resolve(stored: number): void;
  reject(error: unknown): void;
}

export class ShardWriter {
  private waiting: Pending[] = [];
  private inFlight = 0;
  /** `$insert_id`s of the groups in flight. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly shards: readonly ClickHouseClient[],
    /** The cluster's layout (read once, after the migrations). */
    private readonly layout: () => Promise<ShardMap>,
  ) {}

  /** Stores a batch; resolves with its newly stored events once every shard has them. */
  insert(day: string, events: readonly ValidEvent[]): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const ids = events.map((e) => String(e.properties.$insert_id));
      this.waiting.push({ day, events, ids, resolve, reject });
      this.pump();
    });
  }

  /** Starts groups while fewer than `IN_FLIGHT` are stored. */
  private pump(): void {
    while (this.inFlight < IN_FLIGHT && this.waiting.length > 0) {
      const group: Pending[] = [];
      const rest: Pending[] = [];
      let size = 0;
      for (const b of this.waiting) {
        const fits = group.length === 0 || size + b.events.length <= GROUP_EVENTS;
        if (fits && !b.ids.some((id) => this.busy.has(id))) {
          group.push(b);
          size += b.events.length;
        } else {
          rest.push(b);
        }
      }
      if (group.length === 0) return;
      this.waiting = rest;
      const ids = group.flatMap((b) => b.ids);
      for (const id of ids) this.busy.add(id);
      this.inFlight++;
      this.storeGroup(group)
        .then(
          (counts) => group.forEach((b, i) => b.resolve(counts[i]!)),
          (e: unknown) => group.forEach((b) => b.reject(e)),
        )
        .finally(() => {
          for (const id of ids) this.busy.delete(id);
          this.inFlight--;
          this.pump();
        });
    }
  }

  /** Stores a group of batches; resolves with each batch's newly stored events. */
  private async storeGroup(group: readonly Pending[]): Promise<number[]> {
    const map = await this.layout();
    // The first event of an `$insert_id` wins (as on SQL), within a batch and across the group.
    const perShard = this.shards.map(() => new Map<string, { batch: number; row: Row }>());
    const seen = new Set<string>();
    group.forEach((b, batch) => {
      for (const e of b.events) {
        const id = String(e.properties.$insert_id);
        if (seen.has(id)) continue;
        seen.add(id);
        const row = encodeEvent(b.day, e.properties);
        perShard[map.shardOf(row.distinct_id as string)]!.set(id, { batch, row });
      }
    });
    const stored: (readonly string[])[] = this.shards.map(() => []);
    const results = await Promise.allSettled(
      perShard.map(async (fresh, i) => {
        if (fresh.size === 0) return;
        const shard = this.shards[i]!;
        const known = await rows(
          shard,
          `SELECT DISTINCT insert_id FROM events_local WHERE insert_id IN (${[...fresh.keys()].map(bind).join(", ")})`,
        );
        for (const r of known) fresh.delete(String(r.insert_id));
        if (fresh.size === 0) return;
        const ids = [...fresh.keys()];
        try {
          await shard.insert({
            table: "events_local",
            values: [...fresh.values()].map((f) => f.row),
            format: "JSONEachRow",
            columns: [...M002_COLUMNS],
          });
        } catch (e) {
          // The insert may have been written before the connection failed: undo it too.
          stored[i] = ids;
          throw e;
        }
        stored[i] = ids;
      }),
    );
    const failed = results.find((r) => r.status === "rejected");
    if (failed !== undefined) {
      await this.undo(stored);
      throw (failed as PromiseRejectedResult).reason;
    }
    const counts = group.map(() => 0);
    for (const fresh of perShard) for (const f of fresh.values()) counts[f.batch]!++;
    return counts;
  }

  /**
   * Deletes a failed group's new rows from the shards that may have taken them (best effort),
   * and waits until the deletion is done (at most `UNDO_WAIT_MS`): a retry answered after this
   * finds the rows gone and stores them again, instead of skipping rows about to be deleted.
   */
  private async undo(stored: readonly (readonly string[])[]): Promise<void> {
    await Promise.allSettled(
      stored.map(async (ids, i) => {
        if (ids.length === 0) return;
        const shard = this.shards[i]!;
        await shard.command({
          query: `ALTER TABLE events_local DELETE WHERE insert_id IN (${ids.map(bind).join(", ")})`,
        });
        const deadline = Date.now() + UNDO_WAIT_MS;
        while (Date.now() < deadline) {
          const [r] = await rows(
            shard,
            "SELECT count() AS c FROM system.mutations WHERE database = currentDatabase() AND table = 'events_local' AND is_done = 0",
          );
          if (Number(r?.c ?? 0) === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }),
    );
  }
}
