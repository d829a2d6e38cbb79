// The rollup step's unpivot statements (issue 12), old against new in one run: the `UNION ALL` of
// one SELECT per part (a scan of the batch per part) against the generated single-scan form
// (`unpivotSql`: PostgreSQL lateral VALUES, SQLite a cross join with the parts' numbers). Both
// fill the same scratch tables from the same batch; their rows are compared, then timed
// alternately (old, new, old, new…) so the machine's load hits both alike.
//
// node bench/collector-unpivot.mjs [--events 20000] [--rounds 3]
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { openDb, Store } from "../packages/collector/dist/index.js";
import { COLUMNS } from "../packages/collector/dist/db/columns.js";
import {
  SCRATCH,
  buildDeltaSql,
  buildWorkspaceDeltaSql,
  lit,
  rollupParts,
} from "../packages/collector/dist/db/rollup-sql.js";
import { ALL_VERSIONS, TREND_DIMS, buildTrendDeltaSql, fillDays } from "../packages/collector/dist/db/trend-sql.js";
import { load } from "./collector-scale.mjs";

const flag = (n, d) => {
  const i = process.argv.indexOf(`--${n}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const N = Number(flag("events", "20000"));
const ROUNDS = Number(flag("rounds", "3"));

/** The statements as they were before the single-scan unpivot (one SELECT per part). */
function oldSql() {
  const F = "FROM rollup_events e";
  const parts = rollupParts();
  const u1 = parts
    .map(
      (p) =>
        `SELECT ${lit(p.dim)} AS dim, ${p.key} AS key, e.distinct_id AS distinct_id, ${p.total} AS total ${F} WHERE ${p.where}`,
    )
    .join("\nUNION ALL\n");
  const u2 = parts
    .filter((p) => p.dim === "all" || p.dim === "code")
    .map(
      (p) =>
        `SELECT ${lit(p.dim)} AS dim, ${p.key} AS key, e.workspace_folder AS workspace_folder ${F} WHERE ${p.where}`,
    )
    .join("\nUNION ALL\n");
  const u3 = parts
    .filter((p) => TREND_DIMS.includes(p.dim))
    .map(
      (p) =>
        `SELECT ${lit(p.dim)} AS dim, ${p.key} AS key, e.day AS day, e.extversion AS version, e.distinct_id AS distinct_id, ${p.total} AS total ${F} WHERE ${p.where}`,
    )
    .join("\nUNION ALL\n");
  return {
    rollup_delta: `INSERT INTO rollup_delta (dim, key, distinct_id, total, events)
SELECT dim, key, distinct_id, SUM(total), COUNT(*) FROM (${u1}) u GROUP BY dim, key, distinct_id`,
    rollup_wdelta: `INSERT INTO rollup_wdelta (dim, key, workspace_folder, events) SELECT dim, key, workspace_folder, COUNT(*) FROM (${u2}) u GROUP BY dim, key, workspace_folder`,
    trend_delta: `INSERT INTO trend_delta (dim, key, grain, period, version, distinct_id, total, events)
SELECT dim, key, grain, period, version, distinct_id, SUM(total), COUNT(*) FROM (
SELECT u.dim AS dim, u.key AS key, t.grain AS grain, t.period AS period, CASE WHEN s.split = 1 THEN u.version ELSE ${lit(ALL_VERSIONS)} END AS version, u.distinct_id AS distinct_id, u.total AS total
FROM (${u3}) u JOIN trend_days t ON t.day = u.day CROSS JOIN (SELECT 0 AS split UNION ALL SELECT 1 AS split) s
) x GROUP BY dim, key, grain, period, version, distinct_id`,
  };
}

function newSql(dialect) {
  return {
    rollup_delta: buildDeltaSql(dialect),
    rollup_wdelta: buildWorkspaceDeltaSql(dialect),
    trend_delta: buildTrendDeltaSql(dialect),
  };
}

async function digest(db, table) {
  const rows = await db.all(`SELECT * FROM ${table}`);
  const lines = rows
    .map((r) =>
      JSON.stringify(
        Object.keys(r)
          .sort()
          .map((k) => String(r[k])),
      ),
    )
    .sort();
  return { n: rows.length, hash: createHash("sha256").update(lines.join("\n")).digest("hex").slice(0, 12) };
}

async function run(name, url) {
  const db = openDb(url);
  const store = new Store(db);
  await store.migrate();
  await load(store, 1, N);
  for (const t of SCRATCH) await db.run(`DELETE FROM ${t}`);
  await db.run(`INSERT INTO rollup_batch (day, id) SELECT day, id FROM pending_rollup`);
  const names = COLUMNS.map((c) => c.name).join(", ");
  await db.run(
    `INSERT INTO rollup_events (id, day, ${names}) SELECT id, day, ${names} FROM events WHERE (day, id) IN (SELECT day, id FROM rollup_batch)`,
  );
  await db.transaction((tx) => fillDays(tx));
  const variants = { old: oldSql(), new: newSql(db.dialect.name) };
  const ms = { old: {}, new: {} };
  const seen = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of round % 2 === 0 ? ["old", "new"] : ["new", "old"]) {
      for (const [table, sql] of Object.entries(variants[v])) {
        await db.run(`DELETE FROM ${table}`);
        const t = process.hrtime.bigint();
        await db.run(sql);
        const took = Number(process.hrtime.bigint() - t) / 1e6;
        (ms[v][table] ??= []).push(took);
        const d = await digest(db, table);
        const key = `${table}`;
        if (seen[key] === undefined) seen[key] = d;
        else if (seen[key].hash !== d.hash || seen[key].n !== d.n)
          throw new Error(`${name} ${table}: ${v} gave ${JSON.stringify(d)}, expected ${JSON.stringify(seen[key])}`);
      }
    }
  }
  await store.close();
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  return Object.keys(variants.old).map((table) => ({
    backend: name,
    table,
    rows: seen[table].n,
    "old ms": Math.round(med(ms.old[table])),
    "new ms": Math.round(med(ms.new[table])),
    "old/new": +(med(ms.old[table]) / med(ms.new[table])).toFixed(2),
  }));
}

const dir = mkdtempSync(join(tmpdir(), "polar-bench-unpivot-"));
const { startPostgres } = await import("./lib/postgres.mjs");
const pg = await startPostgres();
try {
  const before = loadavg()[0].toFixed(1);
  const rows = [...(await run("SQLite", `sqlite:${join(dir, "u.db")}`)), ...(await run("PostgreSQL", pg.url))];
  console.log(
    `Unpivot statements, ${N} events in the batch, median of ${ROUNDS} (load average ${before} → ${loadavg()[0].toFixed(1)}); identical rows checked:`,
  );
  console.table(rows);
} finally {
  pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
