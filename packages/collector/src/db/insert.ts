/**
 * The stored form of validated events, and storing them into `events` and the rollup queues.
 *
 * Ingest does not insert events: it encodes each validated batch once, on the thread that
 * validated it, into one compact string (`encodeEvents`: a JSON array with one array of column
 * values per event, in `COLUMNS` order — what reaches the SQLite writer thread is that string,
 * not event objects to clone), and the batch is acknowledged once it is durable in the inbox
 * (`inbox.ts`). Materialising inbox rows inserts their events here, in large transactions:
 * every event gets a fresh random id (`newEventIds`: nothing stored orders events by arrival),
 * events whose `$insert_id` is already stored (or appears earlier in the same step) are skipped,
 * and the new ones are queued for both rollup sets.
 *
 * SQLite: `INSERT … VALUES (…), (…) … RETURNING` in slices of at most 64 rows (one prepared
 * statement per slice size, cached by the driver), then the two queues. PostgreSQL: one
 * statement that deletes the picked inbox rows, expands their bodies with `json_array_elements`
 * and inserts the events and both queues (`materialisePostgresSql`).
 */
import { randomBytes } from "node:crypto";
import type { EventProperties, ValidEvent } from "@polar-ide/telemetry";
import { COLUMNS, encodeSet } from "./columns.js";
import type { Queryable, SqlValue } from "./driver.js";

/** A validated batch in its stored form (`encodeEvents`) and the UTC day it arrived. */
export interface DayBatch {
  readonly day: string;
  /** `encodeEvents` of the batch. */
  readonly rows: string;
  /** How many events `rows` holds. */
  readonly events: number;
}

/** `n` fresh event ids: 128 random bits each, hex, from one call to the generator. Carry no order. */
export function newEventIds(n: number): string[] {
  const hex = randomBytes(16 * n).toString("hex");
  const ids = new Array<string>(n);
  for (let i = 0; i < n; i++) ids[i] = hex.slice(32 * i, 32 * i + 32);
  return ids;
}

/** A value the validator let through that its column cannot hold (refused before the inbox). */
export class UnstorableEvent extends Error {
  override readonly name = "UnstorableEvent";
}

/** The width of an encoded event: one value per stored column. */
export const ROW_WIDTH = COLUMNS.length;

/** A property's value as its column stores it, or a throw: one line per column kind. */
function columnValue(c: (typeof COLUMNS)[number]): string {
  const v = `p[${JSON.stringify(c.property.name)}]`;
  switch (c.sqlType) {
    case "integer":
      // A value the database would refuse must be refused now: once in the inbox, a batch is
      // acknowledged, and a row that could not be materialised would block every one after it.
      return `(v = ${v}) === undefined ? 0 : typeof v === "number" && Number.isFinite(v) ? v : unstorable(i, ${JSON.stringify(c.property.name)})`;
    case "boolean":
      return `${v} === true ? 1 : 0`;
    case "set":
      return `set(${v})`;
    default:
      return `typeof (v = ${v}) === "string" ? v : ""`;
  }
}

/**
 * One event's column values, in `COLUMNS` order, as JSON will write them: a function generated
 * once from `COLUMNS` (nothing in it comes from input) that reads each property by name — the
 * validator's output objects share one shape, so each read is a monomorphic load, not a keyed
 * lookup — and returns one array literal.
 */
const rowValues = (
  new Function(
    "set",
    "unstorable",
    `return function rowValues(p, i) {\n  let v;\n  return [\n    ${COLUMNS.map(columnValue).join(",\n    ")}\n  ];\n};`,
  ) as (
    set: (v: unknown) => string,
    unstorable: (index: number, name: string) => never,
  ) => (p: EventProperties, index: number) => (string | number)[]
)(
  (v) => encodeSet(Array.isArray(v) ? (v as string[]) : []),
  (index, name) => {
    throw new UnstorableEvent(`event ${index}: ${name} is not a finite number`);
  },
);

/**
 * A batch's stored form: a JSON array holding, per event, the array of its column values in
 * `COLUMNS` order. Throws `UnstorableEvent` for a value its column cannot hold. One
 * `JSON.stringify` of the value arrays writes it (V8's serializer, a flat string: a string built
 * by `+=` is a rope, which `postMessage` clones ten times slower), instead of a JavaScript string
 * per value joined at the end: less garbage and main-thread time per request
 * (`bench/collector-request-path.mjs` compares both; `test/encode-events.test.ts` their texts).
 */
export function encodeEvents(events: readonly ValidEvent[]): string {
  // Arrays grown by push stay packed: a sized-but-empty array is holey, 25% slower to write.
  const rows: (string | number)[][] = [];
  for (let i = 0; i < events.length; i++) rows.push(rowValues(events[i]!.properties, i));
  return JSON.stringify(rows);
}

/**
 * Row counts of the multi-row statements on SQLite: n rows are written in slices of these sizes
 * (n's binary digits, 64 at most), so that few distinct statements are ever prepared (the
 * driver caches them by text) whatever the step sizes.
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

const NAMES = COLUMNS.map((c) => c.name);
const COLUMN_LIST = `id, day, ${NAMES.join(", ")}`;
const WIDTH = ROW_WIDTH + 2;

function repeat(n: number, item: string): string {
  return new Array<string>(n).fill(item).join(", ");
}

const ROW_PLACEHOLDERS = `(${repeat(WIDTH, "?")})`;

function insertEventsSql(rows: number): string {
  return `INSERT INTO events (${COLUMN_LIST}) VALUES ${repeat(rows, ROW_PLACEHOLDERS)} ON CONFLICT (insert_id) DO NOTHING RETURNING id, day`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Encoded events of one day (decoded inbox bodies). */
export interface DayRows {
  readonly day: string;
  readonly rows: readonly (readonly SqlValue[])[];
}

/**
 * SQLite: inserts the events (fresh random ids; a stored `$insert_id` is skipped) and queues the
 * new ones for both rollup sets, inside the caller's transaction. Resolves with how many were
 * new.
 */
export async function storeRowsSqlite(tx: Queryable, days: readonly DayRows[]): Promise<number> {
  const ids = newEventIds(days.reduce((n, d) => n + d.rows.length, 0));
  const flat: SqlValue[][] = [];
  for (const d of days) {
    for (const values of d.rows) {
      if (values.length !== ROW_WIDTH) {
        throw new Error(`an inbox row holds ${values.length} values per event, the events table ${ROW_WIDTH}`);
      }
      flat.push([ids[flat.length]!, d.day, ...values]);
    }
  }
  // In key order (day, then the fresh random id): each insert lands next to the previous one in
  // `events` (keyed by (day, id) since migration 8) instead of on a random page (~20% less writer
  // CPU per event, `collector.mjs`-style loads of 15k events, measured with the day index of
  // migration 3's table; the unique index on insert_id takes random inserts, and since migration 9
  // there is no index on id alone, the queues naming events by (day, id) as well). Days
  // stay in order, so of two copies of an event in different days the earliest is still inserted
  // first and wins; copies of one day were in shuffled order already.
  flat.sort((a, b) => compareText(a[1] as string, b[1] as string) || compareText(a[0] as string, b[0] as string));
  const queued: { id: string; day: string }[] = [];
  for (const slice of slices(flat)) {
    for (const r of await tx.all(insertEventsSql(slice.length), slice.flat())) {
      queued.push({ id: String(r.id), day: String(r.day) });
    }
  }
  for (const slice of slices(queued)) {
    await tx.run(
      `INSERT INTO pending_rollup (day, id) VALUES ${repeat(slice.length, "(?, ?)")}`,
      slice.flatMap((q) => [q.day, q.id]),
    );
    await tx.run(
      `INSERT INTO pending_shared (day, id) VALUES ${repeat(slice.length, "(?, ?)")}`,
      slice.flatMap((q) => [q.day, q.id]),
    );
  }
  return queued.length;
}

/**
 * PostgreSQL: one statement that deletes the inbox rows whose ids are given (a JSON array, the
 * one parameter), expands their bodies, inserts the events (fresh random ids from
 * `gen_random_uuid`, 122 random bits; a stored `$insert_id` is skipped) and queues the new ones
 * for both rollup sets; rows are inserted in day order, so that of two copies of an event the
 * earliest day's is stored (`inbox.ts`). Answers one row: `events` (expanded) and `stored` (new).
 */
export function materialisePostgresSql(): string {
  const values = COLUMNS.map((c, i) =>
    c.sqlType === "integer" || c.sqlType === "boolean" ? `(r.v->>${i})::bigint` : `r.v->>${i}`,
  );
  return `WITH picked AS (
  DELETE FROM inbox WHERE id IN (SELECT json_array_elements_text(?::json)) RETURNING day, body
), r AS (
  SELECT p.day AS day, e.value AS v FROM picked p CROSS JOIN LATERAL json_array_elements(p.body::json) AS e(value)
  WHERE json_array_length(e.value) = ${ROW_WIDTH}
), bad AS (
  SELECT COUNT(*) AS n FROM picked p CROSS JOIN LATERAL json_array_elements(p.body::json) AS e(value)
  WHERE json_array_length(e.value) <> ${ROW_WIDTH}
), ins AS (
  INSERT INTO events (${COLUMN_LIST})
  SELECT replace(gen_random_uuid()::text, '-', ''), r.day, ${values.join(", ")} FROM r ORDER BY r.day
  ON CONFLICT (insert_id) DO NOTHING RETURNING id, day
), queued AS (INSERT INTO pending_rollup (day, id) SELECT day, id FROM ins),
shared AS (INSERT INTO pending_shared (day, id) SELECT day, id FROM ins)
SELECT (SELECT COUNT(*) FROM r) AS events, (SELECT COUNT(*) FROM ins) AS stored, (SELECT n FROM bad) AS bad`;
}
