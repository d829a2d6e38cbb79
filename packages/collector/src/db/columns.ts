/**
 * Storage columns of the `events` table, derived from the telemetry schema: one column per
 * stored property. Transport-only properties (project token, Mixpanel library tag) are not stored.
 */
import { PROPERTIES, type PropertySpec } from "@polar-ide/telemetry";

/** Properties that are checked but never stored. */
const NOT_STORED = new Set(["token", "mp_lib", "$lib_version"]);

/** One stored property and its column. */
export interface Column {
  readonly property: PropertySpec;
  /** Lower-case SQL identifier (safe unquoted in both dialects). */
  readonly name: string;
  readonly sqlType: "integer" | "text" | "boolean" | "set";
}

/** The column name of a property: lower case, `$` dropped (`$insert_id` → `insert_id`). */
export function columnName(property: string): string {
  return property.replace(/^\$/, "").toLowerCase();
}

/** Every stored column, in schema order. */
export const COLUMNS: readonly Column[] = PROPERTIES.filter((p) => !NOT_STORED.has(p.name)).map((p) => ({
  property: p,
  name: columnName(p.name),
  sqlType:
    p.value.type === "integer"
      ? "integer"
      : p.value.type === "boolean"
        ? "boolean"
        : p.value.type === "string-set"
          ? "set"
          : "text",
}));

/** Column of a stored property, by property name. */
export const COLUMN_BY_PROPERTY: ReadonlyMap<string, Column> = new Map(COLUMNS.map((c) => [c.property.name, c]));

/** Encodes a set of strings for its text column: sorted, comma-separated (items never hold a comma). */
export function encodeSet(items: readonly string[]): string {
  return [...items].sort().join(",");
}

/** Inverse of `encodeSet`. */
export function decodeSet(text: string): string[] {
  return text === "" ? [] : text.split(",");
}
