/**
 * Storing validated batches: a group of batches (see `group-commit.ts`) in one transaction, with
 * prepared multi-row statements, skipping events whose `$insert_id` is already stored (or
 * appears earlier in the group) and queueing the new ones for both rollup sets. Each event gets
 * a fresh random id (`newEventId`): nothing stored orders events by arrival.
 *
 * SQLite: `INSERT … VALUES (…), (…) … RETURNING` in slices of at most 64 rows (one prepared
 * statement per slice size, cached by the driver), then the two queues, in one transaction. PostgreSQL: one statement per group (its own transaction: one round trip), the
 * rows sent as one JSON parameter and read back with the `events` row type, the queues filled
 * from the insert's `RETURNING` in the same statement.
 */
import { randomBytes } from "node:crypto";
import type { EventProperties, ValidEvent } from "@polar-ide/telemetry";
import { COLUMNS, encodeSet } from "./columns.js";
import type { Db, Queryable, SqlValue } from "./driver.js";

/** A validated batch and the UTC day it arrived. */
export interface DayBatch {
  readonly day: string;
  readonly events: readonly ValidEvent[];
}

/** `n` fresh event ids: 128 random bits each, hex, from one call to the generator. Carry no order. */
export function newEventIds(n: number): string[] {
  const hex = randomBytes(16 * n).toString("hex");
  const ids = new Array<string>(n);
  for (let i = 0; i < n; i++) ids[i] = hex.slice(32 * i, 32 * i + 32);
  return ids;
}

/**
 * Row counts of the multi-row statements on SQLite: a group of n rows is written in slices of
 * these sizes (n's binary digits, 64 at most), so that few distinct statements are ever
 * prepared (the driver caches them by text) whatever the group sizes.
 */
const SLICE_SIZES = [64, 32, 16, 8, 4, 2, 1];

/** Splits `items` into slices whose lengths are `SLICE_SIZES`. */
function slices<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (const size of SLICE_SIZES) {
    while (items.length - start >= size) {
      out.push(items.slice(start, start + size));
      start += size;
      if (size !== SLICE_SIZES[0]) break;
    }
  }
  return out;
}

function encode(p: EventProperties, name: string, type: "integer" | "text" | "boolean" | "set"): SqlValue {
  const v = p[name];
  switch (type) {
    case "integer":
      return typeof v === "number" ? v : 0;
    case "boolean":
      return v === true ? 1 : 0;
    case "set":
      return encodeSet(Array.isArray(v) ? v : []);
    case "text":
      return typeof v === "string" ? v : "";
  }
}

const COLUMN_LIST = `id, day, ${COLUMNS.map((c) => c.name).join(", ")}`;
const WIDTH = COLUMNS.length + 2;

function repeat(n: number, item: string): string {
  return new Array<string>(n).fill(item).join(", ");
}

const ROW_PLACEHOLDERS = `(${repeat(WIDTH, "?")})`;

function insertEventsSql(rows: number): string {
  return `INSERT INTO events (${COLUMN_LIST}) VALUES ${repeat(rows, ROW_PLACEHOLDERS)} ON CONFLICT (insert_id) DO NOTHING RETURNING id, day, insert_id`;
}

/** One stored row: random id, day, then the columns in `COLUMNS` order. */
function rowOf(id: string, day: string, ev: ValidEvent): SqlValue[] {
  const row: SqlValue[] = [id, day];
  for (const c of COLUMNS) row.push(encode(ev.properties, c.property.name, c.sqlType));
  return row;
}

/** Every row of a group, each with a fresh random id. */
function rowsOf(batches: readonly DayBatch[]): SqlValue[][] {
  const ids = newEventIds(batches.reduce((n, b) => n + b.events.length, 0));
  const rows: SqlValue[][] = [];
  for (const b of batches) for (const ev of b.events) rows.push(rowOf(ids[rows.length]!, b.day, ev));
  return rows;
}

/** How many events of each batch were newly stored, from the `$insert_id`s the insert stored. */
function countPerBatch(batches: readonly DayBatch[], stored: ReadonlySet<string>): number[] {
  // A stored `$insert_id` counts for the first batch (and event) that carries it.
  const claimed = new Set<string>();
  return batches.map((b) => {
    let n = 0;
    for (const ev of b.events) {
      const id = ev.properties.$insert_id;
      if (typeof id === "string" && stored.has(id) && !claimed.has(id)) {
        claimed.add(id);
        n++;
      }
    }
    return n;
  });
}

async function insertSqlite(tx: Queryable, batches: readonly DayBatch[]): Promise<Set<string>> {
  const rows = rowsOf(batches);
  const stored = new Set<string>();
  const queued: { id: string; day: string }[] = [];
  for (const slice of slices(rows)) {
    for (const r of await tx.all(insertEventsSql(slice.length), slice.flat())) {
      stored.add(String(r.insert_id));
      queued.push({ id: String(r.id), day: String(r.day) });
    }
  }
  for (const slice of slices(queued)) {
    await tx.run(
      `INSERT INTO pending_rollup (id) VALUES ${repeat(slice.length, "(?)")}`,
      slice.map((q) => q.id),
    );
    await tx.run(
      `INSERT INTO pending_shared (day, id) VALUES ${repeat(slice.length, "(?, ?)")}`,
      slice.flatMap((q) => [q.day, q.id]),
    );
  }
  return stored;
}

/** PostgreSQL: the whole group in one statement (one transaction, one round trip). */
const PG_INSERT = `WITH ins AS (
  INSERT INTO events (${COLUMN_LIST})
  SELECT ${COLUMN_LIST} FROM json_populate_recordset(NULL::events, ?::json)
  ON CONFLICT (insert_id) DO NOTHING RETURNING id, day, insert_id
), queued AS (INSERT INTO pending_rollup (id) SELECT id FROM ins),
shared AS (INSERT INTO pending_shared (day, id) SELECT day, id FROM ins)
SELECT insert_id FROM ins`;

async function insertPostgres(db: Db, batches: readonly DayBatch[]): Promise<Set<string>> {
  const names = ["id", "day", ...COLUMNS.map((c) => c.name)];
  const rows = rowsOf(batches).map((values) => {
    const row: Record<string, SqlValue> = {};
    names.forEach((n, i) => (row[n] = values[i]!));
    return row;
  });
  const result = await db.all(PG_INSERT, [JSON.stringify(rows)]);
  return new Set(result.map((r) => String(r.insert_id)));
}

/**
 * Stores a group of batches in one transaction (all of them or none); resolves after commit
 * with the number of events newly stored per batch.
 */
export async function insertGroup(db: Db, batches: readonly DayBatch[]): Promise<number[]> {
  if (batches.every((b) => b.events.length === 0)) return batches.map(() => 0);
  const stored =
    db.dialect.name === "postgres"
      ? await insertPostgres(db, batches)
      : await db.transaction((tx) => insertSqlite(tx, batches));
  return countPerBatch(batches, stored);
}
