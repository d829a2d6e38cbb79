/**
 * The ingest inbox (migration 7): how an acknowledged batch becomes durable cheaply, and how it
 * reaches `events` later, off the request path.
 *
 * Why (issue 12, measured on the SQLite writer thread): inserting an event into `events` costs
 * ~100 µs of writer time, most of it at COMMIT — each event lands on a random page of five
 * B-trees (the random-id primary key, the unique `$insert_id` index, the day index and the two
 * rollup queues), and every commit writes each page it dirtied to the log. A group of 50
 * batches dirtied ~1000 pages. Sequential keys would make that cheap but would store arrival
 * order, which nothing at rest may give (issue 9). So ingest writes ONE row per group and day
 * (`writeInbox`: a fresh random key, the day, the event count, and the batches' encoded events
 * concatenated in shuffled order — a few pages, appended once), fsyncs, and acknowledges;
 * `materialise` moves inbox rows into `events` and the queues in steps of thousands of events,
 * where each dirty page is written once per step instead of once per group.
 *
 * Contracts:
 * - all or nothing: a batch is inside exactly one inbox row, written in one transaction;
 *   materialising a row (insert its events, queue them, delete the row) is one transaction too,
 *   so after a crash a row is either still in the inbox or wholly in `events`, never both;
 * - counted once, first one wins: materialising skips events whose `$insert_id` is stored (or
 *   repeated in the step). Between copies of one event that are both still in the inbox, the
 *   copy of the earliest day wins: inbox rows are materialised day by day, oldest first, and in
 *   day order inside a step — a retry never arrives on an earlier day than its original, and
 *   the inbox keeps no finer order (copies of one day are the same retried properties);
 * - no stale figure: every read, purge, rebuild and compaction materialises the whole inbox
 *   first (`Store`), and the process that writes it keeps the backlog bounded (`InboxBacklog`:
 *   the SQLite writer thread, or `Store` on PostgreSQL and in-memory SQLite);
 * - no arrival order at rest: random keys, shuffled batches, one day; deleted rows are zeroed
 *   on SQLite (`secure_delete`) and left behind by compaction's rewrite on PostgreSQL.
 */
import { randomBytes } from "node:crypto";
import type { Db, Queryable, SqlValue } from "./driver.js";
import { materialisePostgresSql, newEventIds, storeRowsSqlite, type DayBatch, type DayRows } from "./insert.js";

/** `items` in a uniformly random order (Fisher–Yates over the system's random source). */
export function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  if (out.length < 2) return out;
  const random = randomBytes(4 * out.length);
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.readUInt32LE(4 * i) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The inbox rows of a group: one per day, its batches' events concatenated in random order. */
function inboxRows(batches: readonly DayBatch[]): SqlValue[][] {
  const byDay = new Map<string, DayBatch[]>();
  for (const b of batches) {
    if (b.events === 0) continue;
    const list = byDay.get(b.day);
    if (list === undefined) byDay.set(b.day, [b]);
    else list.push(b);
  }
  const ids = newEventIds(byDay.size);
  let n = 0;
  return [...byDay].map(([day, list]) => {
    // Each batch's rows are `[[…],[…]]`: concatenated without the outer brackets, one array.
    const body = `[${shuffle(list)
      .map((b) => b.rows.slice(1, -1))
      .join(",")}]`;
    return [ids[n++]!, day, list.reduce((s, b) => s + b.events, 0), body];
  });
}

/**
 * Stores a group of batches in the inbox, in one transaction (all of them or none); resolves
 * after commit with each batch's event count (duplicates are dropped when materialised).
 */
export async function writeInbox(db: Db, batches: readonly DayBatch[]): Promise<number[]> {
  const rows = inboxRows(batches);
  if (rows.length > 0) {
    const sql = `INSERT INTO inbox (id, day, events, body) VALUES ${rows.map(() => "(?, ?, ?, ?)").join(", ")}`;
    // PostgreSQL: one statement is one transaction (one round trip).
    if (db.dialect.name === "postgres") await db.run(sql, rows.flat());
    else await db.transaction((tx) => tx.run(sql, rows.flat()));
  }
  return batches.map((b) => b.events);
}

/** Inbox rows to materialise next: at least one, and about `chunk` events. */
async function pick(tx: Queryable, chunk: number): Promise<{ ids: string[]; events: number }> {
  // Earliest days first: a retry never arrives on an earlier day than its original, so the copy
  // of the earliest day is the first one, and it is materialised first (it wins).
  const heads = await tx.all("SELECT id, events FROM inbox ORDER BY day, id LIMIT ?", [Math.max(1, Math.floor(chunk))]);
  const ids: string[] = [];
  let events = 0;
  for (const h of heads) {
    if (ids.length > 0 && events + Number(h.events) > chunk) break;
    ids.push(String(h.id));
    events += Number(h.events);
  }
  return { ids, events };
}

/** What one materialisation step did. */
export interface Materialised {
  /** Inbox rows taken (0: the inbox was empty). */
  readonly rows: number;
  /** Events they held. */
  readonly events: number;
  /** Events newly stored (the others were already stored). */
  readonly stored: number;
}

const PG_MATERIALISE = materialisePostgresSql();

/**
 * One step: moves about `chunk` events from the inbox into `events` and the rollup queues, in
 * one transaction, and deletes their inbox rows.
 */
export function materialise(db: Db, chunk: number): Promise<Materialised> {
  return db.transaction(async (tx) => {
    const { ids, events } = await pick(tx, chunk);
    if (ids.length === 0) return { rows: 0, events: 0, stored: 0 };
    if (db.dialect.name === "postgres") {
      const [r] = await tx.all(PG_MATERIALISE, [JSON.stringify(ids)]);
      if (Number(r?.bad ?? 0) > 0) {
        throw new Error(`an inbox row holds events of another width than the events table: not materialised`);
      }
      return { rows: ids.length, events: Number(r?.events ?? 0), stored: Number(r?.stored ?? 0) };
    }
    let days: DayRows[] = [];
    for (const id of ids) {
      const [row] = await tx.all("SELECT day, body FROM inbox WHERE id = ?", [id]);
      if (row === undefined) continue;
      days.push({ day: String(row.day), rows: JSON.parse(String(row.body)) as SqlValue[][] });
    }
    days = days.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
    const stored = await storeRowsSqlite(tx, days);
    for (const id of ids) await tx.run("DELETE FROM inbox WHERE id = ?", [id]);
    return { rows: ids.length, events, stored };
  });
}

/** Events waiting in the inbox. */
export async function inboxEvents(db: Queryable): Promise<number> {
  const [r] = await db.all("SELECT COALESCE(SUM(events), 0) AS n FROM inbox");
  return Number(r?.n ?? 0);
}

/** Whether the inbox holds anything (cheap: reads check it before materialising). */
export async function inboxHasRows(db: Queryable): Promise<boolean> {
  return (await db.all("SELECT id FROM inbox LIMIT 1")).length > 0;
}

/**
 * Events per materialisation step taken to keep the inbox bounded, between groups: small enough
 * that the groups waiting behind a step are not held up for long (a 5 000-event step held them
 * for seconds on a loaded machine: p99 4.5 s), large enough that pages are written once per
 * step. Quiet machine, bench:collector, SQLite (burst req/s, p99, sustained req/s): 1 000 events
 * per step 1 501, 929 ms, 494; 250: 1 245, 289 ms, 452; 100: 1 172, 233 ms, 471 — 250 keeps
 * most of the burst rate for a third of the tail.
 */
export const BACKGROUND_CHUNK = 250;

/**
 * The one rule that keeps the inbox bounded under a flood, for whichever process writes it (the
 * SQLite writer thread; `Store` itself on PostgreSQL and in-memory SQLite): once more than
 * `highWater` events wait, materialise in steps of `BACKGROUND_CHUNK`, one step between groups,
 * down to half of it. The count is this process's own (what it wrote, minus what it
 * materialised): on PostgreSQL shared by several collectors each bounds what it wrote, and every
 * read materialises the whole inbox anyway.
 */
export class InboxBacklog {
  /** Events in the inbox, as this process knows it. */
  private events = 0;
  private running = false;

  constructor(
    private readonly highWater: number,
    /** One materialisation step of about `chunk` events. */
    private readonly step: (chunk: number) => Promise<Materialised>,
  ) {}

  /** `n` events were written to the inbox (or found there at start-up). */
  added(n: number): void {
    this.events += n;
    if (this.running || this.events <= this.highWater) return;
    this.running = true;
    void (async () => {
      try {
        while (this.events > this.highWater / 2) {
          if ((await this.materialise(BACKGROUND_CHUNK)).events === 0) break;
          // Let the groups waiting meanwhile commit before the next step.
          await new Promise((r) => setImmediate(r));
        }
      } catch {
        // Nothing is lost (the step rolled back); the next read materialises and reports the error.
      } finally {
        this.running = false;
      }
    })();
  }

  /** One step (for this rule or for a read): keeps the count right. */
  async materialise(chunk: number): Promise<Materialised> {
    const m = await this.step(chunk);
    this.events = m.rows === 0 ? 0 : Math.max(0, this.events - m.events);
    return m;
  }
}
