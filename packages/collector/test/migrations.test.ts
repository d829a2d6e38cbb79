/**
 * Migrations on both backends: the latest schema has a column for every stored property (on a
 * fresh database and on databases upgraded from every earlier migration, filled with data that
 * must survive), migrations are reversible, and a shipped migration is literal text that the
 * live telemetry schema cannot change.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PROPERTIES, type ValidEvent } from "@polar-ide/telemetry";
import { LATEST_MIGRATION, MIGRATIONS, Store, migrateDown, openDb } from "../src/index.js";
import { COLUMNS } from "../src/db/columns.js";
import { V1_COLUMN_NAMES } from "../src/db/migrations/v1-columns.js";
import type { SqlValue } from "../src/db/driver.js";
import { hex, makeEvent, withDatabases } from "./helpers.js";

const databases = withDatabases();

const STORED = PROPERTIES.filter((p) => !["token", "mp_lib", "$lib_version"].includes(p.name)).map((p) =>
  p.name.replace(/^\$/, "").toLowerCase(),
);

async function columnsOf(store: Store, table: string): Promise<string[]> {
  const rows =
    store.db.dialect.name === "sqlite"
      ? await store.db.all("SELECT name FROM pragma_table_info(?)", [table])
      : await store.db.all("SELECT column_name AS name FROM information_schema.columns WHERE table_name = ?", [table]);
  return rows.map((r) => String(r.name)).sort();
}

/** What a collector of an older version stored: rows written with that version's columns. */
async function fillAt(store: Store, migration: number, events: readonly ValidEvent[], day: string): Promise<void> {
  const names = V1_COLUMN_NAMES.split(/,\s*/);
  const byName = new Map(COLUMNS.map((c) => [c.name, c]));
  await store.db.transaction(async (tx) => {
    for (const ev of events) {
      const values: SqlValue[] = names.map((name) => {
        const c = byName.get(name)!;
        const v = ev.properties[c.property.name];
        if (c.sqlType === "boolean") return v === true ? 1 : 0;
        if (c.sqlType === "set") return Array.isArray(v) ? [...v].sort().join(",") : "";
        return (v ?? (c.sqlType === "integer" ? 0 : "")) as SqlValue;
      });
      if (migration >= 3) {
        // Migration 3's collector: a random id, queued for both rollup sets.
        const id = hex(16);
        await tx.run(
          `INSERT INTO events (id, day, ${names.join(", ")}) VALUES (?, ?, ${names.map(() => "?").join(", ")})`,
          [id, day, ...values],
        );
        // Migration 9's collector queues the live set by (day, id).
        if (migration >= 9) await tx.run("INSERT INTO pending_rollup (day, id) VALUES (?, ?)", [day, id]);
        else await tx.run("INSERT INTO pending_rollup (id) VALUES (?)", [id]);
        await tx.run("INSERT INTO pending_shared (day, id) VALUES (?, ?)", [day, id]);
        continue;
      }
      const [row] = await tx.all(
        `INSERT INTO events (day, ${names.join(", ")}) VALUES (?, ${names.map(() => "?").join(", ")}) RETURNING seq`,
        [day, ...values],
      );
      // Migration 2's collector queued every stored event for its rollups.
      if (migration >= 2) await tx.run("INSERT INTO pending_rollup (seq) VALUES (?)", [Number(row!.seq)]);
    }
  });
}

describe.each(databases.backends)("migrations on %s", (_name, makeDb) => {
  it("has a column for every stored property (events and the rollup copy) and reverts cleanly", async () => {
    const store = new Store(openDb(await makeDb()));
    try {
      expect(await store.migrate()).toEqual(MIGRATIONS.map((m) => m.id));
      expect(await columnsOf(store, "events")).toEqual(["day", "id", ...STORED].sort());
      expect(await columnsOf(store, "rollup_events")).toEqual(["day", "id", ...STORED].sort());
      expect(COLUMNS.map((c) => c.name).sort()).toEqual([...STORED].sort());
      expect(await migrateDown(store.db, 0)).toEqual(MIGRATIONS.map((m) => m.id).reverse());
      expect(await store.migrate()).toEqual(MIGRATIONS.map((m) => m.id));
      expect(await store.migrate()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  const earlier = MIGRATIONS.filter((m) => m.id < LATEST_MIGRATION).map((m) => m.id);
  it.each(earlier)("upgrades a filled database from migration %i without losing an event", async (from) => {
    const store = new Store(openDb(await makeDb()));
    try {
      expect(await store.migrate(from)).toEqual(MIGRATIONS.filter((m) => m.id <= from).map((m) => m.id));
      const old = [1, 2, 3, 4, 5].map(
        (u) =>
          makeEvent({
            user: u,
            codes: { "ParseError::UnrecognizedEOF": u },
            extensions: u % 2 === 0 ? ["polar", "other"] : ["polar"],
            env: { isnewappinstall: u === 3 },
          }) as unknown as ValidEvent,
      );
      await fillAt(store, from, old.slice(0, 3), "2026-10-30");
      await fillAt(store, from, old.slice(3), "2026-10-31");
      expect(await store.migrate()).toEqual(MIGRATIONS.filter((m) => m.id > from).map((m) => m.id));
      expect(await columnsOf(store, "events")).toEqual(["day", "id", ...STORED].sort());
      expect(await columnsOf(store, "rollup_events")).toEqual(["day", "id", ...STORED].sort());
      // Every event is there with every value; ids are fresh and random.
      const rows = await store.db.all("SELECT * FROM events");
      expect(rows).toHaveLength(5);
      for (const ev of old) {
        const row = rows.find((r) => r.insert_id === ev.properties.$insert_id)!;
        expect(row.id).toMatch(/^[0-9a-f]{32}$/);
        expect(row.distinct_id).toBe(ev.properties.distinct_id);
        expect(Number(row.parseerror_unrecognizedeof_count)).toBe(ev.properties.ParseError_UnrecognizedEOF_count);
        expect(row.lsp_file_extensions).toBe([...(ev.properties.LSP_file_extensions as string[])].sort().join(","));
        expect(Number(row.isnewappinstall)).toBe(ev.properties.isnewappinstall === true ? 1 : 0);
      }
      expect(new Set(rows.map((r) => r.day))).toEqual(new Set(["2026-10-30", "2026-10-31"]));
      // The rollups are rebuilt from the events: both views see them.
      await store.refresh();
      expect(await store.totals()).toEqual({ events: 5, users: 5, workspaces: 5 });
      expect((await store.codes())[0]).toMatchObject({ key: "ParseError::UnrecognizedEOF", users: 5, total: 15 });
      await store.refreshShared("2026-11-01");
      expect(await store.shared().totals()).toEqual({ events: 5, users: 5, workspaces: 5 });
      // Deduplication by $insert_id still holds for events stored before the upgrade: accepted
      // into the inbox, dropped when materialised.
      expect(await store.insertBatch("2026-11-01", old)).toBe(5);
      expect(await store.countEvents()).toBe(5);
    } finally {
      await store.close();
    }
  });
});

describe("shipped migrations", () => {
  it("ships literal statements: no migration module reads the live schema", () => {
    // The live schema reaches SQL only through columns.ts / @polar-ide/telemetry; a migration
    // that imported either would change when the schema changes.
    const dir = fileURLToPath(new URL("../src/db/migrations/", import.meta.url));
    const files = [
      ...readdirSync(dir).map((f) => join(dir, f)),
      fileURLToPath(new URL("../src/db/migrations.ts", import.meta.url)),
    ];
    expect(files.length).toBeGreaterThanOrEqual(MIGRATIONS.length + 1);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const imports = [...text.matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);
      expect(
        imports.filter((i) => /telemetry|\/columns\.js|vocabulary|rollup-sql/.test(i)),
        file,
      ).toEqual([]);
    }
    // Migration 1 names exactly the columns of schema version 1, whatever the schema says now.
    const v1 = V1_COLUMN_NAMES.split(/,\s*/);
    expect(v1).toHaveLength(66);
    expect(MIGRATIONS[0]!.up.sqlite[0]).toContain("lsp_file_extensions TEXT NOT NULL");
    expect(MIGRATIONS[0]!.up.postgres[0]).toContain("schema_version BIGINT NOT NULL");
  });
});
