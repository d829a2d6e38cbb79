/**
 * ClickHouse SQL pieces of the read side: the cells of an event (stored with it, see
 * `migrations.ts`), the read-time collapse of retried events, and safe binding of values (18.16
 * has no query parameters).
 */

/**
 * A string value as a ClickHouse expression: `unhex('…')` of its UTF-8 bytes. Nothing of the
 * value reaches the SQL text but hex digits, so no value can end the literal or the statement.
 */
export function bind(value: string): string {
  return `unhex('${Buffer.from(value, "utf8").toString("hex")}')`;
}

/** A `YYYY-MM-DD` day as a Date expression (checked first: days come from the collector's clock). */
export function bindDay(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a day: ${JSON.stringify(day)}`);
  return `toDate('${day}')`;
}

/** One row per (event, cell): `dim`, `key`, `value` (the event's columns stay readable). */
export const CELLS = "ARRAY JOIN cell_dim AS dim, cell_key AS key, cell_value AS value";

/**
 * The events of one shard with each `$insert_id` once, restricted by `where`, with `columns`:
 * what every summed figure reads. Rows of a retried batch that merges have not collapsed yet are
 * collapsed here.
 */
export function uniqueEvents(where: string, columns: readonly string[]): string {
  return `(SELECT ${columns.join(", ")} FROM events_local WHERE ${where} LIMIT 1 BY insert_id)`;
}

/** The columns the per-key figures read. */
export const CELL_COLUMNS = ["insert_id", "distinct_id", "cell_dim", "cell_key", "cell_value"] as const;

/**
 * A row per trend grain (the day; the ISO week, named by its Monday) and version (all `''`, and
 * the row's `extversion`), after a row with `day` and `extversion`: `t.1` grain, `t.2` period,
 * `t.3` version.
 */
export const TREND_GRAINS = `ARRAY JOIN [('day', toString(day), ''), ('day', toString(day), extversion), ('week', toString(toMonday(day)), ''), ('week', toString(toMonday(day)), extversion)] AS t`;
