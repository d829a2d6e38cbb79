/**
 * Nothing finer than a day at rest (issue 9), on both backends: no column, rowid or sequence
 * orders stored rows by arrival; after compaction PostgreSQL's physical order and transaction
 * stamps do not either, and each day's events are stored together, in day order; a purged event's
 * values are not left in the SQLite files. The ClickHouse
 * cluster's part of these promises: `clickhouse-storage-privacy.test.ts`.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Harness, sendInArrivalOrder } from "./harness.js";
import { hex, id64, kendallTau, makeEvent, sqliteUrl, withDatabases } from "./helpers.js";

const databases = withDatabases();

const N = 40;

async function tables(h: Harness): Promise<string[]> {
  const rows =
    h.store.db.dialect.name === "sqlite"
      ? await h.store.db.all("SELECT name FROM sqlite_schema WHERE type = 'table' AND name <> 'schema_migrations'")
      : await h.store.db.all(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations'",
        );
  return rows.map((r) => String(r.name)).sort();
}

describe.each(databases.backends)("storage on %s", (name, makeDb) => {
  it("keeps nothing that orders events by arrival: no rowid, no sequence, no ordered column", async () => {
    const h = await Harness.start(await makeDb());
    try {
      // One event per request, in a known order.
      const { arrival, sent } = await sendInArrivalOrder(h, N, { firstUser: 1000, seed: 7 });
      const db = h.store.db;
      expect(await tables(h)).toContain("events");
      if (name === "sqlite") {
        for (const t of await tables(h)) {
          const [row] = await db.all("SELECT wr FROM pragma_table_list WHERE name = ?", [t]);
          expect(Number(row?.wr), `${t} is WITHOUT ROWID`).toBe(1);
        }
        await expect(db.all("SELECT rowid FROM events")).rejects.toThrow(/no such column/);
      } else {
        const [seqs] = await db.all("SELECT COUNT(*) AS c FROM pg_class WHERE relkind = 'S'");
        expect(Number(seqs?.c)).toBe(0);
        const defaults = await db.all(
          "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND (column_default IS NOT NULL OR is_identity = 'YES')",
        );
        expect(defaults).toEqual([]);
      }
      // No column of the events, nor of the queues, follows the arrival order (the inbox's
      // rows: inbox.test.ts). Acknowledged batches wait in the inbox until materialised.
      await h.store.materialiseInbox();
      const events = await db.all("SELECT * FROM events");
      expect(events).toHaveLength(N);
      const rankOfId = new Map(events.map((r) => [String(r.id), arrival.get(String(r.insert_id))!]));
      for (const column of Object.keys(events[0]!)) {
        const pairs = events.map((r): [number, string | number] => [
          arrival.get(String(r.insert_id))!,
          r[column] as string | number,
        ]);
        expect(Math.abs(kendallTau(pairs)), `events.${column}`).toBeLessThan(0.5);
      }
      // The order rows come back in without ORDER BY (the storage order) says nothing either —
      // on PostgreSQL after compaction (the heap keeps insertion order until then; see ingest.ts).
      if (name === "postgres") await h.store.compact();
      const scan = await db.all("SELECT insert_id FROM events");
      expect(
        Math.abs(kendallTau(scan.map((r, i): [number, number] => [arrival.get(String(r.insert_id))!, i]))),
      ).toBeLessThan(0.5);
      for (const queue of ["pending_rollup", "pending_shared"]) {
        const rows = await db.all(`SELECT * FROM ${queue}`);
        expect(rows).toHaveLength(N);
        for (const column of Object.keys(rows[0]!)) {
          const pairs = rows.map((r): [number, string | number] => [rankOfId.get(String(r.id))!, r[column] as string]);
          expect(Math.abs(kendallTau(pairs)), `${queue}.${column}`).toBeLessThan(0.5);
        }
        const order = rows.map((r, i): [number, number] => [rankOfId.get(String(r.id))!, i]);
        expect(Math.abs(kendallTau(order)), `${queue} storage order`).toBeLessThan(0.5);
      }
      if (name === "postgres") {
        // One transaction rewrote the table: every row has the same xmin.
        const [x] = await db.all("SELECT COUNT(DISTINCT xmin::text) AS c FROM events");
        expect(Number(x?.c)).toBe(1);
      }
      // Deduplication by $insert_id is intact: a retried batch adds only its new event.
      await h.send([...sent.slice(0, 3), makeEvent({ user: 1 })]);
      expect(await h.store.countEvents()).toBe(N + 1);
    } finally {
      await h.close();
    }
  });
});

describe.each(databases.backends)("compaction on %s", (name, makeDb) => {
  it("stores each day's events together, in day order, in no arrival order within a day", async () => {
    const h = await Harness.start(await makeDb());
    try {
      // Days sent out of order, 30 events a visit in batches of 5, some days in several visits.
      const arrival = new Map<string, number>();
      const visits = ["2026-10-30", "2026-10-28", "2026-10-30", "2026-10-29", "2026-10-28", "2026-10-31"];
      let user = 2000;
      for (const day of visits) {
        h.day = day;
        for (let i = 0; i < 6; i++) {
          const batch = Array.from({ length: 5 }, () => makeEvent({ user: user++ }));
          for (const ev of batch) arrival.set(String(ev.properties.$insert_id), arrival.size);
          await h.send(batch);
        }
      }
      await h.store.compact();
      // The storage order (PostgreSQL: the heap's, a sequential scan): each day one run, the runs
      // in day order — a purge of the oldest days reads the first pages only (issue 12).
      const scan = await h.store.db.all("SELECT * FROM events");
      expect(scan).toHaveLength(arrival.size);
      const runs = scan.map((e) => String(e.day)).filter((d, i, a) => i === 0 || a[i - 1] !== d);
      expect(runs).toEqual([...new Set(visits)].sort());
      for (const day of runs) {
        const order = scan
          .filter((e) => e.day === day)
          .map((e, i): [number, number] => [arrival.get(String(e.insert_id))!, i]);
        expect(Math.abs(kendallTau(order)), `${day} storage order`).toBeLessThan(0.5);
      }
    } finally {
      await h.close();
    }
  });
});

describe("purge on sqlite", () => {
  const sqlite = sqliteUrl();
  databases.cleanup(sqlite.cleanup);

  it("leaves no byte of a purged event in the database files", async () => {
    const url = sqlite.url;
    const file = url.slice("sqlite:".length);
    const h = await Harness.start(url, 2, "2025-01-10");
    try {
      const gone = makeEvent({ user: 424242, workspace: 434343, codes: { "ParseError::ExtraToken": 2 } });
      const insertId = String(gone.properties.$insert_id);
      const secrets = [insertId, id64("user", 424242), id64("ws", 434343)];
      await h.send([gone, makeEvent({ user: 1 })]);
      h.day = "2026-01-10";
      await h.send([makeEvent({ user: 2 }), makeEvent({ user: 3, workspace: 1 + Number.parseInt(hex(1), 16) })]);
      // The rollups (both sets) hold the user too before the purge.
      await h.summary("operator");
      h.day = "2026-01-11";
      await h.summary("shared");
      const bytes = (): string =>
        [file, `${file}-wal`]
          .filter(existsSync)
          .map((f) => readFileSync(f).toString("latin1"))
          .join("");
      await h.store.compact();
      for (const s of secrets) expect(bytes()).toContain(s);
      expect(await h.store.purge("2025-06-01")).toBe(2);
      expect(await h.store.countEvents()).toBe(2);
      for (const s of secrets) expect(bytes(), s).not.toContain(s);
      expect((await h.summary()).events).toBe(2);
    } finally {
      await h.close();
    }
  });
});

describe("purge on postgres", () => {
  it("leaves no byte of a purged event in the database's files (the WAL aside)", async () => {
    const h = await Harness.start(await databases.postgres().createDatabase(), 2, "2025-01-10");
    try {
      const gone = makeEvent({ user: 525252, workspace: 535353, codes: { "ParseError::ExtraToken": 2 } });
      const secrets = [String(gone.properties.$insert_id), id64("user", 525252), id64("ws", 535353)];
      await h.send([gone, makeEvent({ user: 1 })]);
      h.day = "2026-01-10";
      await h.send([makeEvent({ user: 2 }), makeEvent({ user: 3 })]);
      await h.summary("operator");
      h.day = "2026-01-11";
      await h.summary("shared");
      const [db] = await h.store.db.all("SELECT oid::text AS oid FROM pg_database WHERE datname = current_database()");
      const dir = join(databases.postgres().dataDirectory, "base", String(db!.oid));
      const bytes = async (): Promise<string> => {
        // Flush shared buffers to the files (and let dropped files go).
        await h.store.db.run("CHECKPOINT");
        return readdirSync(dir)
          .map((f) => readFileSync(join(dir, f)).toString("latin1"))
          .join("");
      };
      for (const s of secrets) expect(await bytes()).toContain(s);
      expect(await h.store.purge("2025-06-01")).toBe(2);
      const after = await bytes();
      for (const s of secrets) expect(after, s).not.toContain(s);
      expect((await h.summary()).events).toBe(2);
    } finally {
      await h.close();
    }
  });
});
