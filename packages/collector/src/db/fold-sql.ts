/**
 * SQLite: the deltas of a rollup step summed per group of events before they are unpivoted
 * (issue 12, the sustained rate). A fold step's time was building its deltas: the unpivot of
 * every event into one row per part that counts it (~32 of the 57 parts for bench:collector's
 * events), sorted by (dim, key, 64-character user id, …) to be grouped — 154 µs of CPU per event
 * for `rollup_delta` and 101 for `trend_delta`, of ~340 for a whole step (20k-event steps, 5 000
 * users). A part whose key is a constant (the codes, features, loads, severities, LSP methods,
 * `all`: 46 of 57, and every part of the trends) needs no row per event: one `GROUP BY` of the
 * batch's rows per user (per user, day and version for the trends) sums each such part's value
 * and counts its events, and the per-group rows are unpivoted — one row per (part, group) that
 * has events. The same figures as the unpivot of every event: per (part, group), the events for
 * which the part's condition holds and the sum of its value over them (`test/rebuild.test.ts`
 * compares the fold with the set-based rebuild on random events).
 */
import { lit, pick, unpivotSql, type Part } from "./rollup-sql.js";

/** Whether a part's key is one constant (a literal), the same for every event it counts. */
export function constantKey(p: Part): boolean {
  return p.key.startsWith("'");
}

/**
 * `SELECT dim, key, <groups' aliases>, total, events` over the batch (`rollup_events e`): per
 * group of events (`groups`: expression over `e` and alias) and part, whose keys must be
 * constants, the part's events and summed value, for the (part, group) pairs with events.
 */
export function groupedPartsSql(parts: readonly Part[], groups: readonly (readonly [string, string])[]): string {
  if (!parts.every(constantKey)) throw new Error("groupedPartsSql: a part's key is not a constant");
  const sums = parts
    .map(
      (p, i) =>
        `SUM(CASE WHEN ${p.where} THEN ${p.total} ELSE 0 END) AS t${i}, SUM(CASE WHEN ${p.where} THEN 1 ELSE 0 END) AS n${i}`,
    )
    .join(", ");
  const branches = parts.map((p, i) => `SELECT ${i} AS n, ${lit(p.dim)} AS dim`).join(" UNION ALL ");
  return `SELECT b.dim AS dim, ${pick(parts.map((p) => p.key))} AS key, ${groups.map(([, a]) => `g.${a} AS ${a}`).join(", ")}, ${pick(parts.map((_, i) => `g.t${i}`))} AS total, ${pick(parts.map((_, i) => `g.n${i}`))} AS events
FROM (SELECT ${groups.map(([x, a]) => `${x} AS ${a}`).join(", ")}, ${sums} FROM rollup_events e GROUP BY ${groups.map(([x]) => x).join(", ")}) g
CROSS JOIN (${branches}) b WHERE ${pick(parts.map((_, i) => `g.n${i} > 0`))}`;
}

/**
 * The same columns as `groupedPartsSql` for any parts: the constant-key ones summed per group,
 * the others unpivoted per event (one event each) — to be grouped by the caller.
 */
export function partsRowsSql(parts: readonly Part[], groups: readonly (readonly [string, string])[]): string {
  const constant = parts.filter(constantKey);
  const perEvent = parts.filter((p) => !constantKey(p));
  const out: string[] = [];
  if (constant.length > 0) out.push(groupedPartsSql(constant, groups));
  if (perEvent.length > 0) {
    const extra = groups.map(([x, a]) => `${x} AS ${a}`).join(", ");
    const u = unpivotSql(perEvent, "sqlite", extra);
    out.push(`SELECT dim, key, ${groups.map(([, a]) => a).join(", ")}, total, 1 AS events FROM (${u}) p`);
  }
  return out.join("\nUNION ALL\n");
}

/**
 * `rollup_delta` of the batch in `rollup_events`: the constant-key parts' rows, one per (part,
 * user) already, inserted as they come; then each per-event-key part (a size bucket, the rule
 * types, an environment property) grouped by its key and user, one `GROUP BY` of the batch per
 * part: no row per event and part to pick its expressions for and sort by the part's name too
 * (the unpivot of those 10 parts cost ~36 µs per event).
 */
export function deltaSqlGrouped(parts: readonly Part[]): string[] {
  const into = "INSERT INTO rollup_delta (dim, key, distinct_id, total, events)";
  const perEvent = parts
    .filter((p) => !constantKey(p))
    .map(
      (p) =>
        `SELECT ${lit(p.dim)}, ${p.key}, e.distinct_id, SUM(${p.total}), COUNT(*) FROM rollup_events e WHERE ${p.where} GROUP BY ${p.key}, e.distinct_id`,
    );
  return [
    `${into} ${groupedPartsSql(parts.filter(constantKey), [["e.distinct_id", "distinct_id"]])}`,
    ...(perEvent.length > 0 ? [`${into} ${perEvent.join("\nUNION ALL\n")}`] : []),
  ];
}
