/**
 * The helpers the property-based rollup suites (`fold-chunks`, `purge`) compare with
 * (`validEvent`, `rollupSnapshot`, `emptyStore` in `helpers.ts`): a snapshot that missed a table
 * or came back empty would let those suites pass on any rollups, so it is held here to see every
 * table of both sets and to change when the rollups do.
 */
import { codeProperty, type DiagnosticCode } from "@polar-ide/telemetry";
import { describe, expect, it } from "vitest";
import { LIVE, SHARED, setTables } from "../src/db/rollup-sql.js";
import { ROLLUP_TABLES, emptyStore, id64, onMigratedStore, rollupSnapshot, sqliteUrl, validEvent } from "./helpers.js";

const CODES: DiagnosticCode[] = ["ParseError::UnrecognizedEOF", "ValidationWarning::MissingAllowRule"];

describe("validEvent", () => {
  it("sets each listed code's count (none for 0), the folder, extensions, version and os", () => {
    const e = validEvent(CODES, {
      user: 3,
      workspace: 4,
      codes: [2, 0],
      extensions: ["other"],
      version: "0.28.0",
      os: "darwin",
    });
    const p = e.properties as Record<string, unknown>;
    expect(p[codeProperty(CODES[0]!)]).toBe(2);
    expect(p[codeProperty(CODES[1]!)] ?? 0).toBe(0);
    expect(p).toMatchObject({
      distinct_id: id64("user", 3),
      workspace_folder: id64("ws", 4),
      error_count: 2,
      warning_count: 0,
      LSP_file_extensions: ["other"],
      extversion: "0.28.0",
      os: "darwin",
    });
    const noOs = validEvent(CODES, { user: 3, workspace: 4, codes: [0, 1], extensions: [], version: "0.27.3" });
    expect((noOs.properties as Record<string, unknown>)[codeProperty(CODES[1]!)]).toBe(1);
    expect((noOs.properties as Record<string, unknown>).os).not.toBe("darwin");
  });
});

describe("rollupSnapshot and emptyStore", () => {
  it("see every rollup table of both sets, change with the rollups, and empty everything", async () => {
    const db = sqliteUrl();
    try {
      await onMigratedStore(db.url, async (store) => {
        expect([...ROLLUP_TABLES].sort()).toEqual([...setTables(LIVE), ...setTables(SHARED)].sort());
        const empty = await rollupSnapshot(store);
        expect(Object.keys(empty).sort()).toEqual([...ROLLUP_TABLES].sort());
        expect(Object.values(empty).every((rows) => rows.length === 0)).toBe(true);

        const event = (user: number) =>
          validEvent(CODES, { user, workspace: user, codes: [1, 2], extensions: ["polar"], version: "0.28.0" });
        await store.insertBatch("2026-11-01", [event(1), event(2)]);
        await store.refresh();
        await store.refreshShared("2026-11-03");
        const one = await rollupSnapshot(store);
        // Every table of both sets holds rows (the histograms too: both codes occurred).
        for (const t of ROLLUP_TABLES) expect(one[t]!.length, t).toBeGreaterThan(0);
        expect(one[LIVE.user]!.join("\n")).toContain(id64("user", 2));
        expect(one[SHARED.user]!.join("\n")).toContain(id64("user", 2));
        // Sorted rows, numbers as numbers: a second look is equal, a new event is not.
        expect(await rollupSnapshot(store)).toEqual(one);
        await store.insertBatch("2026-11-01", [event(7)]);
        await store.refresh();
        const two = await rollupSnapshot(store);
        expect(two).not.toEqual(one);
        expect(two[LIVE.user]!.join("\n")).toContain(id64("user", 7));
        expect(two[SHARED.user]).toEqual(one[SHARED.user]);

        // One more batch acknowledged but not yet out of the inbox: emptied too.
        await store.insertBatch("2026-11-02", [event(9)]);
        await emptyStore(store);
        expect(await store.countEvents()).toBe(0);
        expect(await rollupSnapshot(store)).toEqual(empty);
        for (const q of ["inbox", "pending_rollup", "pending_shared"])
          expect(await store.db.all(`SELECT * FROM ${q}`)).toEqual([]);
      });
    } finally {
      db.cleanup();
    }
  });
});
