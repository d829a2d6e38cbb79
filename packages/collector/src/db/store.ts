/**
 * The collector's one query layer: ingest, rollups, read queries and retention, written once for
 * both SQLite and PostgreSQL on top of `driver.ts`.
 *
 * Ingest stores validated events and marks them pending in the same transaction. A rollup step
 * (run on a timer and before every read) folds pending events into `rollup_user` /
 * `rollup_workspace`, keyed by user, so read queries cost O(users), not O(events). Purging old
 * events rebuilds the rollups from the events that remain, so they always equal a fold of the
 * `events` table.
 */
import {
  CODE_PROPERTIES,
  DIAGNOSTIC_CODES,
  LSP_METHODS,
  lspMethodProperty,
  type EventProperties,
  type ValidEvent,
} from "@polar-ide/telemetry";
import { COLUMNS, columnName, decodeSet, encodeSet } from "./columns.js";
import type { Db, Queryable, SqlValue } from "./driver.js";
import { migrate } from "./migrations.js";

const LOCK_ROLLUP = 7_002;
/** Events folded per rollup transaction: bounds the time one step holds the lock. */
const ROLLUP_CHUNK = 20_000;

/** Gauges whose being non-zero counts as using a feature. */
export const FEATURES = [
  "resource_blocks",
  "actors",
  "resources",
  "roles",
  "permissions",
  "relations",
  "shorthand_rules",
  "cross_resource_shorthand_rules",
  "inline_queries",
  "rule_types",
] as const;

/** Environment properties shown as breakdowns. */
export const ENVIRONMENT = [
  "os",
  "nodeArch",
  "product",
  "uikind",
  "remotename",
  "extversion",
  "vscodeversion",
  "isnewappinstall",
] as const;

/** Buckets of `polar_chars` (policy size), in display order. */
export const POLAR_CHARS_BUCKETS = ["0", "1–999", "1k–9.9k", "10k–99k", "100k+"] as const;
/** Buckets of `polar_files` (files per policy), in display order. */
export const POLAR_FILES_BUCKETS = ["0", "1", "2", "3–5", "6–10", "11+"] as const;

function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

interface Part {
  readonly dim: string;
  /** SQL expression of the key. */
  readonly key: string;
  /** SQL expression of the value summed into `total`. */
  readonly total: string;
  readonly where: string;
}

/** The unpivot of one event into rollup rows, generated from the schema. */
function rollupParts(): Part[] {
  const parts: Part[] = [{ dim: "all", key: "''", total: "1", where: "1 = 1" }];
  for (const code of DIAGNOSTIC_CODES) {
    const col = columnName(CODE_PROPERTIES.get(code)!);
    parts.push({ dim: "code", key: lit(code), total: `e.${col}`, where: `e.${col} > 0` });
  }
  parts.push({
    dim: "unknown",
    key: "''",
    total: "e.unknown_diagnostic_count",
    where: "e.unknown_diagnostic_count > 0",
  });
  for (const [key, col] of [
    ["success", "load_success_count"],
    ["failure", "load_failure_count"],
  ] as const) {
    parts.push({ dim: "load", key: lit(key), total: `e.${col}`, where: `e.${col} > 0` });
  }
  for (const [key, col] of [
    ["error", "error_count"],
    ["warning", "warning_count"],
  ] as const) {
    parts.push({ dim: "severity", key: lit(key), total: `e.${col}`, where: `e.${col} > 0` });
  }
  for (const f of FEATURES) parts.push({ dim: "feature", key: lit(f), total: "1", where: `e.${f} > 0` });
  parts.push({
    dim: "polar_chars",
    key: `CASE WHEN e.polar_chars = 0 THEN '0' WHEN e.polar_chars < 1000 THEN '1–999' WHEN e.polar_chars < 10000 THEN '1k–9.9k' WHEN e.polar_chars < 100000 THEN '10k–99k' ELSE '100k+' END`,
    total: "1",
    where: "1 = 1",
  });
  parts.push({
    dim: "polar_files",
    key: `CASE WHEN e.polar_files = 0 THEN '0' WHEN e.polar_files = 1 THEN '1' WHEN e.polar_files = 2 THEN '2' WHEN e.polar_files <= 5 THEN '3–5' WHEN e.polar_files <= 10 THEN '6–10' ELSE '11+' END`,
    total: "1",
    where: "1 = 1",
  });
  const irt = columnName(CODE_PROPERTIES.get("ValidationError::InvalidRuleType")!);
  parts.push({
    dim: "invalid_rule_type",
    key: "CASE WHEN e.rule_types > 0 THEN 'with user-defined rule types' ELSE 'built-in rule types only' END",
    total: `e.${irt}`,
    where: `e.${irt} > 0`,
  });
  for (const env of ENVIRONMENT) {
    const col = columnName(env);
    const key = env === "isnewappinstall" ? `CASE WHEN e.${col} = 1 THEN 'true' ELSE 'false' END` : `e.${col}`;
    parts.push({ dim: `env:${env}`, key, total: "1", where: "1 = 1" });
  }
  for (const m of LSP_METHODS) {
    const col = columnName(lspMethodProperty(m));
    parts.push({ dim: "lsp_method", key: lit(m), total: `e.${col}`, where: `e.${col} > 0` });
  }
  return parts;
}

const FROM_BATCH = "FROM rollup_events e";

function buildDeltaSql(): string {
  const union = rollupParts()
    .map(
      (p) =>
        `SELECT ${lit(p.dim)} AS dim, ${p.key} AS key, e.distinct_id AS distinct_id, ${p.total} AS total ${FROM_BATCH} WHERE ${p.where}`,
    )
    .join("\nUNION ALL\n");
  return `INSERT INTO rollup_delta (dim, key, distinct_id, total, events)
SELECT dim, key, distinct_id, SUM(total), COUNT(*) FROM (${union}) u GROUP BY dim, key, distinct_id`;
}

function buildWorkspaceDeltaSql(): string {
  const parts = rollupParts().filter((p) => p.dim === "all" || p.dim === "code");
  const union = parts
    .map(
      (p) =>
        `SELECT ${lit(p.dim)} AS dim, ${p.key} AS key, e.workspace_folder AS workspace_folder ${FROM_BATCH} WHERE ${p.where}`,
    )
    .join("\nUNION ALL\n");
  return `INSERT INTO rollup_wdelta (dim, key, workspace_folder) SELECT DISTINCT dim, key, workspace_folder FROM (${union}) u`;
}

const JOIN_USER = "LEFT JOIN rollup_user u ON u.dim = d.dim AND u.key = d.key AND u.distinct_id = d.distinct_id";

/**
 * The statements of one rollup step after the deltas are computed, in order. Every statement
 * that reads `rollup_user` runs before the one that updates it: "new user for this key" and
 * "the user's previous total" are read from the state before the step.
 */
const APPLY_DELTA_SQL: readonly string[] = [
  // Per-user distribution of each code: the user's old total loses one user, the new one gains one.
  `INSERT INTO rollup_hist (dim, key, value, users)
SELECT d.dim, d.key, u.total, -COUNT(*) FROM rollup_delta d ${JOIN_USER} WHERE d.dim = 'code' AND u.total IS NOT NULL GROUP BY d.dim, d.key, u.total
ON CONFLICT (dim, key, value) DO UPDATE SET users = rollup_hist.users + excluded.users`,
  `INSERT INTO rollup_hist (dim, key, value, users)
SELECT d.dim, d.key, COALESCE(u.total, 0) + d.total, COUNT(*) FROM rollup_delta d ${JOIN_USER} WHERE d.dim = 'code' GROUP BY d.dim, d.key, COALESCE(u.total, 0) + d.total
ON CONFLICT (dim, key, value) DO UPDATE SET users = rollup_hist.users + excluded.users`,
  "DELETE FROM rollup_hist WHERE users = 0",
  `INSERT INTO rollup_key (dim, key, users, total, events, workspaces)
SELECT d.dim, d.key, SUM(CASE WHEN u.distinct_id IS NULL THEN 1 ELSE 0 END), SUM(d.total), SUM(d.events), 0 FROM rollup_delta d ${JOIN_USER} WHERE 1 = 1 GROUP BY d.dim, d.key
ON CONFLICT (dim, key) DO UPDATE SET users = rollup_key.users + excluded.users, total = rollup_key.total + excluded.total, events = rollup_key.events + excluded.events`,
  `INSERT INTO rollup_key (dim, key, users, total, events, workspaces)
SELECT w.dim, w.key, 0, 0, 0, COUNT(*) FROM rollup_wdelta w LEFT JOIN rollup_workspace r ON r.dim = w.dim AND r.key = w.key AND r.workspace_folder = w.workspace_folder
WHERE r.workspace_folder IS NULL GROUP BY w.dim, w.key
ON CONFLICT (dim, key) DO UPDATE SET workspaces = rollup_key.workspaces + excluded.workspaces`,
  `INSERT INTO rollup_user (dim, key, distinct_id, total, events) SELECT dim, key, distinct_id, total, events FROM rollup_delta WHERE 1 = 1
ON CONFLICT (dim, key, distinct_id) DO UPDATE SET total = rollup_user.total + excluded.total, events = rollup_user.events + excluded.events`,
  `INSERT INTO rollup_workspace (dim, key, workspace_folder) SELECT dim, key, workspace_folder FROM rollup_wdelta WHERE 1 = 1
ON CONFLICT (dim, key, workspace_folder) DO NOTHING`,
];

const SCRATCH = ["rollup_batch", "rollup_events", "rollup_delta", "rollup_wdelta"];
const ROLLUPS = ["rollup_user", "rollup_workspace", "rollup_key", "rollup_hist"];

/** One row of a breakdown: a key, its distinct users, summed value and events. */
export interface BreakdownRow {
  readonly key: string;
  readonly users: number;
  readonly total: number;
  readonly events: number;
}

/** Per-code figures before k-suppression. */
export interface CodeRow extends BreakdownRow {
  readonly workspaces: number;
  /** Occurrences of the user with the most, over all occurrences. */
  readonly topUserShare: number;
  /** Per-user occurrences at the 50th, 90th and 99th percentile, and the maximum. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Totals over every stored event. */
export interface Totals {
  readonly events: number;
  readonly users: number;
  readonly workspaces: number;
}

function n(v: unknown): number {
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : typeof v === "string" ? Number(v) : 0;
}

/** The storage of one collector (or of many sharing one PostgreSQL). */
export class Store {
  private readonly deltaSql = buildDeltaSql();
  private readonly workspaceDeltaSql = buildWorkspaceDeltaSql();
  /** One rollup at a time per process (the database lock covers other processes). */
  private rolling: Promise<number> | null = null;
  /** When the last batch was stored (ms): the background rollup waits for quiet moments. */
  lastWriteAt = 0;

  constructor(readonly db: Db) {}

  /** Applies pending migrations. */
  migrate(): Promise<number[]> {
    return migrate(this.db);
  }

  /**
   * Stores a validated batch in one transaction, skipping events whose `$insert_id` is already
   * stored. Resolves after commit with the number of events newly stored.
   */
  async insertBatch(day: string, events: readonly ValidEvent[]): Promise<number> {
    this.lastWriteAt = Date.now();
    const width = COLUMNS.length + 1;
    const perStatement = Math.max(1, Math.min(500, Math.floor(this.db.dialect.maxParams / width)));
    return this.db.transaction(async (tx) => {
      let inserted = 0;
      for (let start = 0; start < events.length; start += perStatement) {
        const slice = events.slice(start, start + perStatement);
        const params: SqlValue[] = [];
        const rows: string[] = [];
        const placeholders = `(${new Array(width).fill("?").join(", ")})`;
        for (const ev of slice) {
          params.push(day);
          for (const c of COLUMNS) params.push(encode(ev.properties, c.property.name, c.sqlType));
          rows.push(placeholders);
        }
        const sql = `INSERT INTO events (day, ${COLUMNS.map((c) => c.name).join(", ")}) VALUES ${rows.join(", ")} ON CONFLICT (insert_id) DO NOTHING RETURNING seq`;
        const seqs = (await tx.all(sql, params)).map((r) => n(r.seq));
        if (seqs.length > 0) {
          await tx.run(`INSERT INTO pending_rollup (seq) VALUES ${seqs.map(() => "(?)").join(", ")}`, seqs);
        }
        inserted += seqs.length;
      }
      return inserted;
    });
  }

  /**
   * Folds every pending event into the rollups, `chunk` events per transaction; resolves with
   * the number folded. The background timer uses small chunks so that, on SQLite (one thread),
   * a step never holds up ingest for long.
   */
  refresh(chunk = ROLLUP_CHUNK): Promise<number> {
    if (this.rolling !== null) return this.rolling;
    const run = (async () => {
      let total = 0;
      for (;;) {
        // Cheap check first: most reads find nothing pending and need no lock.
        if ((await this.db.all("SELECT seq FROM pending_rollup LIMIT 1")).length === 0) return total;
        const done = await this.rollupStep(chunk);
        // Let requests in between steps.
        await new Promise((r) => setImmediate(r));
        total += done;
        if (done === 0) return total;
      }
    })();
    this.rolling = run.finally(() => {
      this.rolling = null;
    });
    return this.rolling;
  }

  private rollupStep(chunk: number): Promise<number> {
    return this.db.exclusive(LOCK_ROLLUP, async (tx) => {
      for (const t of SCRATCH) await tx.run(`DELETE FROM ${t}`);
      const picked = await tx.run(
        `INSERT INTO rollup_batch (seq) SELECT seq FROM pending_rollup ORDER BY seq LIMIT ${Math.max(1, Math.floor(chunk))}`,
      );
      if (picked === 0) return 0;
      // Copy the slice once (rowid/PK lookups); the unpivot then scans only the copy.
      await tx.run("INSERT INTO rollup_events SELECT * FROM events WHERE seq IN (SELECT seq FROM rollup_batch)");
      await tx.run(this.deltaSql);
      await tx.run(this.workspaceDeltaSql);
      await this.extensionDelta(tx);
      for (const sql of APPLY_DELTA_SQL) await tx.run(sql);
      await tx.run("DELETE FROM pending_rollup WHERE seq IN (SELECT seq FROM rollup_batch)");
      for (const t of SCRATCH) await tx.run(`DELETE FROM ${t}`);
      return picked;
    });
  }

  /** File extensions are a set per event: unpivoted here rather than in SQL (no portable split). */
  private async extensionDelta(tx: Queryable): Promise<void> {
    const rows = await tx.all(
      `SELECT e.distinct_id AS distinct_id, e.lsp_file_extensions AS exts ${FROM_BATCH} WHERE e.lsp_file_extensions <> ''`,
    );
    const agg = new Map<string, { ext: string; user: string; count: number }>();
    for (const r of rows) {
      for (const ext of decodeSet(String(r.exts))) {
        const k = `${ext}\u0000${String(r.distinct_id)}`;
        const cur = agg.get(k);
        if (cur) cur.count++;
        else agg.set(k, { ext, user: String(r.distinct_id), count: 1 });
      }
    }
    const all = [...agg.values()];
    for (let i = 0; i < all.length; i += 500) {
      const slice = all.slice(i, i + 500);
      const params: SqlValue[] = [];
      for (const a of slice) params.push("lsp_extension", a.ext, a.user, a.count, a.count);
      await tx.run(
        `INSERT INTO rollup_delta (dim, key, distinct_id, total, events) VALUES ${slice.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
        params,
      );
    }
  }

  /**
   * Deletes events that arrived before `cutoffDay` (YYYY-MM-DD) and rebuilds the rollups from
   * the rest. Returns the number of events deleted.
   */
  async purge(cutoffDay: string): Promise<number> {
    const deleted = await this.db.exclusive(LOCK_ROLLUP, async (tx) => {
      const gone = await tx.run("DELETE FROM events WHERE day < ?", [cutoffDay]);
      if (gone === 0) return 0;
      await tx.run("DELETE FROM pending_rollup");
      for (const t of ROLLUPS) await tx.run(`DELETE FROM ${t}`);
      await tx.run("INSERT INTO pending_rollup (seq) SELECT seq FROM events");
      return gone;
    });
    // Rebuild in big steps: a step aggregates per user before it touches the rollups.
    if (deleted > 0) await this.refresh(200_000);
    return deleted;
  }

  /** Events, distinct users and distinct workspace folders. */
  async totals(): Promise<Totals> {
    const [r] = await this.db.all("SELECT users, events, workspaces FROM rollup_key WHERE dim = 'all' AND key = ''");
    return { events: n(r?.events), users: n(r?.users), workspaces: n(r?.workspaces) };
  }

  /** Users, summed values and events per key of one or more dimensions. */
  async breakdown(dims: readonly string[]): Promise<Map<string, BreakdownRow[]>> {
    const rows = await this.db.all(
      `SELECT dim, key, users, total, events FROM rollup_key WHERE dim IN (${dims.map(() => "?").join(", ")})`,
      dims,
    );
    const out = new Map<string, BreakdownRow[]>(dims.map((d) => [d, []]));
    for (const r of rows) {
      out.get(String(r.dim))?.push({ key: String(r.key), users: n(r.users), total: n(r.total), events: n(r.events) });
    }
    return out;
  }

  /** Every diagnostic code that occurred, with per-user distribution figures, most frequent first. */
  async codes(): Promise<CodeRow[]> {
    const rows = await this.db.all("SELECT key, users, total, events, workspaces FROM rollup_key WHERE dim = 'code'");
    const hist = new Map<string, { value: number; users: number }[]>();
    for (const h of await this.db.all(
      "SELECT key, value, users FROM rollup_hist WHERE dim = 'code' ORDER BY key, value",
    )) {
      const list = hist.get(String(h.key)) ?? [];
      list.push({ value: n(h.value), users: n(h.users) });
      hist.set(String(h.key), list);
    }
    const out: CodeRow[] = [];
    for (const r of rows) {
      const key = String(r.key);
      const users = n(r.users);
      const total = n(r.total);
      const h = hist.get(key) ?? [];
      // Nearest-rank percentile over the per-user totals, read off the histogram.
      const at = (p: number): number => {
        const rank = Math.max(1, Math.ceil(p * users));
        let seen = 0;
        for (const b of h) {
          seen += b.users;
          if (seen >= rank) return b.value;
        }
        return h.length > 0 ? h[h.length - 1]!.value : 0;
      };
      const max = h.length > 0 ? h[h.length - 1]!.value : 0;
      out.push({
        key,
        users,
        total,
        events: n(r.events),
        workspaces: n(r.workspaces),
        topUserShare: total === 0 ? 0 : max / total,
        p50: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        max,
      });
    }
    out.sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
    return out;
  }

  /** Number of stored events (tests and the benchmark). */
  async countEvents(): Promise<number> {
    const [r] = await this.db.all("SELECT COUNT(*) AS c FROM events");
    return n(r?.c);
  }

  /** Every stored `$insert_id` (tests). */
  async insertIds(): Promise<Set<string>> {
    return new Set((await this.db.all("SELECT insert_id FROM events")).map((r) => String(r.insert_id)));
  }

  close(): Promise<void> {
    return this.db.close();
  }
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
