// Where a rebuild's and a purge's time goes (issue 12): every statement they run, timed, on N
// generated events (rows generated in SQL, `bench/lib/generated-rows.mjs`: 20k users with 3 days
// each, 300 days). Per backend: the set-based rebuild of both sets (`rebuildSets`), then the purge
// of the oldest day and of the 29 days after it (`purgeBefore`); for each, the total and the
// statements that cost most (statement → calls, ms), on the driver's own connection (SQLite: the
// writer thread's settings).
//
// node bench/collector-statements.mjs [--backends sqlite,postgres] [--events 200000] [--top 15]
//   [--dist <another build's packages/collector/dist>[,<another>…]] [--rounds 1] [--skip-rebuild]
//   [--compact]
// --skip-rebuild times the purges only: the generated database is rebuilt once, untimed, by the
// last build, and every run purges a copy of it. On SQLite each statement's CPU time (this
// process's, the statements run in it) is given beside its wall time: on a loaded machine it is
// the figure that compares builds.
// With several --dist builds (a base copied aside before a change, then this tree's), each round
// runs every build in turn on a fresh copy of the same generated database (A/B, alternating), and
// the last table gives each build's median per figure. The load average is printed with each run.
// The generated database is made (and migrated) by the first build: when a later build adds a
// migration, list the base first (the later build migrates its copy before its purges, untimed).
// --keep <dir> keeps the generated database (SQLite: <dir>/sqlite-<N>[-rebuilt].db; PostgreSQL: the
// database pristine_<N>[_rebuilt] on the --postgres server) and reuses it when a later run asks
// for the same --events (and --skip-rebuild or not): generating and rebuilding 10M events takes
// longer than the purges. --postgres <admin url> uses a running server (one that outlives the run,
// for --keep) instead of a throw-away one. The rebuild of the pristine database (--skip-rebuild)
// is reported per statement as the runs' rebuilds are.
// --compact compacts each run's copy with that run's build before its purges (untimed, its time
// printed): a serving collector's database is as the last daily purge's compaction left it (on
// PostgreSQL the heap's order and the rollup tables' pages are compaction's), not as generated.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { fill } from "./lib/generated-rows.mjs";
import { startPostgres } from "./lib/postgres.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const flag = (n, d) => {
  const i = process.argv.indexOf(`--${n}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const EVENTS = Number(flag("events", "200000"));
const TOP = Number(flag("top", "15"));
const ROUNDS = Number(flag("rounds", "1"));
const BACKENDS = flag("backends", "sqlite,postgres").split(",");
const SKIP_REBUILD = process.argv.includes("--skip-rebuild");
const COMPACT = process.argv.includes("--compact");
const KEEP = flag("keep", undefined);
const PG_URL = flag("postgres", undefined);
const KEPT = `${EVENTS}${SKIP_REBUILD ? "_rebuilt" : ""}`;
if (KEEP !== undefined) mkdirSync(KEEP, { recursive: true });
const DISTS = flag("dist", join(ROOT, "packages/collector/dist"))
  .split(",")
  .map((d) => resolve(d));
const DAY_MS = 86_400_000;
const ago = (n) => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10);
const load = () => loadavg()[0].toFixed(1);

/** The modules of one build. */
async function build(dist) {
  const mod = (p) => import(pathToFileURL(join(dist, p)).href);
  const [driver, migrations, rebuild, purge, ingest, index] = await Promise.all([
    mod("db/driver.js"),
    mod("db/migrations.js"),
    mod("db/rebuild.js"),
    mod("db/purge.js"),
    mod("db/ingest.js"),
    mod("index.js"),
  ]);
  return { dist, ...driver, ...migrations, ...rebuild, ...purge, compact: ingest.compact, Store: index.Store };
}

/** A statement's label: its first words, placeholders and literals kept (they tell parts apart). */
const label = (sql) => sql.replace(/\s+/g, " ").slice(0, 150);

/** `db` with every statement timed into `log` (SQL → { calls, ms }). */
function timed(db, log) {
  const note = (sql, t, cpu) => {
    const e = log.get(sql) ?? { calls: 0, ms: 0, cpu: 0 };
    const used = process.cpuUsage(cpu);
    e.calls++;
    e.ms += performance.now() - t;
    e.cpu += (used.user + used.system) / 1000;
    log.set(sql, e);
  };
  const wrap = (q) => ({
    async all(sql, params) {
      const t = performance.now();
      const cpu = process.cpuUsage();
      try {
        return await q.all(sql, params);
      } finally {
        note(sql, t, cpu);
      }
    },
    async run(sql, params) {
      const t = performance.now();
      const cpu = process.cpuUsage();
      try {
        return await q.run(sql, params);
      } finally {
        note(sql, t, cpu);
      }
    },
  });
  return {
    dialect: db.dialect,
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    exclusive: (id, fn) => db.exclusive(id, (tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}

/** Prints the statements of one timed step; returns the CPU seconds of its statements (this process). */
function report(title, ms, log) {
  const rows = [...log].map(([sql, e]) => ({
    statement: label(sql),
    calls: e.calls,
    ms: Math.round(e.ms),
    "cpu ms": Math.round(e.cpu),
  }));
  rows.sort((a, b) => b.ms - a.ms);
  const statements = rows.reduce((s, r) => s + r.ms, 0);
  const cpu = rows.reduce((s, r) => s + r["cpu ms"], 0) / 1000;
  console.log(
    `\n${title}: ${(ms / 1000).toFixed(2)} s, ${rows.reduce((s, r) => s + r.calls, 0)} statements (${rows.length} distinct) taking ${(statements / 1000).toFixed(2)} s (${cpu.toFixed(2)} s of CPU in this process); load ${load()}`,
  );
  console.table(rows.slice(0, TOP));
  return cpu;
}

/** One run of a build on a database filled with the generated events (its copy is consumed). */
async function runOnce(b, url, name) {
  const log = new Map();
  const db = timed(b.openDb(url, name === "sqlite" ? { sqlite: { writer: true } } : {}), log);
  const figures = {};
  try {
    await b.migrate(db);
    // A build with a newer migration migrates its copy first: not part of the purge's figures.
    log.clear();
    let t;
    if (COMPACT) {
      t = performance.now();
      await b.compact(db);
      figures["compact s"] = (performance.now() - t) / 1000;
      console.log(
        `\n${name} ${b.dist}: compacted the copy in ${figures["compact s"].toFixed(1)} s (untimed; load ${load()})`,
      );
      log.clear();
    }
    if (!SKIP_REBUILD) {
      t = performance.now();
      await b.rebuildSets(db, ago(0));
      figures["rebuild s"] = (performance.now() - t) / 1000;
      figures["rebuild cpu s"] = report(`${name} ${b.dist}: rebuild of both sets`, figures["rebuild s"] * 1000, log);
      log.clear();
    }
    t = performance.now();
    figures["purge 1 day events"] = await b.purgeBefore(db, ago(298));
    figures["purge 1 day s"] = (performance.now() - t) / 1000;
    figures["purge 1 day cpu s"] = report(
      `${name} ${b.dist}: purge of 1 day (${figures["purge 1 day events"]} events)`,
      figures["purge 1 day s"] * 1000,
      log,
    );
    log.clear();
    t = performance.now();
    figures["purge +29 days events"] = await b.purgeBefore(db, ago(269));
    figures["purge +29 days s"] = (performance.now() - t) / 1000;
    figures["purge +29 days cpu s"] = report(
      `${name} ${b.dist}: purge of 29 more days (${figures["purge +29 days events"]} events)`,
      figures["purge +29 days s"] * 1000,
      log,
    );
    figures.load = Number(load());
  } finally {
    await db.close();
  }
  return figures;
}

const builds = await Promise.all(DISTS.map(build));

/** The rebuild of the generated database every purge run starts from (by the last build; timed per statement). */
async function pristineRebuild(db) {
  const log = new Map();
  const t = performance.now();
  const cpu = process.cpuUsage();
  await builds.at(-1).rebuildSets(timed(db, log), ago(0));
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  report(`pristine rebuild with ${builds.at(-1).dist}`, ms, log);
  console.log(
    `rebuilt it in ${(ms / 1000).toFixed(1)} s, ${((used.user + used.system) / 1e6).toFixed(1)} s of CPU in this process (load ${load()})`,
  );
}
const results = [];
let pgAdmin;
const dir = mkdtempSync(join(tmpdir(), "polar-bench-statements-"));
const pgServer = !BACKENDS.includes("postgres") ? null : PG_URL ? { url: PG_URL, stop() {} } : await startPostgres();
try {
  for (const name of BACKENDS) {
    // The generated events once, in a pristine database; each run works on a copy of it.
    let pristine;
    let copy;
    if (name === "sqlite") {
      pristine = KEEP === undefined ? join(dir, "pristine.db") : join(KEEP, `sqlite-${KEPT.replace("_", "-")}.db`);
      if (KEEP !== undefined && existsSync(pristine)) console.log(`sqlite: reusing ${pristine}`);
      else {
        // Built under a temporary name: an interrupted run leaves no half-built database to reuse.
        // With --keep, an interrupted generation resumes after its last committed slice (row x is
        // the same whatever --events: a half-generated larger database can be renamed and reused).
        const building = `${pristine}.building`;
        if (KEEP === undefined) rmSync(building, { force: true });
        const store = new builds[0].Store(builds[0].openDb(`sqlite:${building}`));
        await store.migrate();
        const [{ c: stored }] = await store.db.all("SELECT COUNT(*) AS c FROM events");
        if (Number(stored) > 0) console.log(`sqlite: resuming ${building} after ${stored} events`);
        const t = performance.now();
        for (let from = Number(stored) + 1; from <= EVENTS; from += 1_000_000)
          await fill(store, from, Math.min(EVENTS, from + 999_999));
        console.log(
          `sqlite: generated ${EVENTS} events in ${((performance.now() - t) / 1000).toFixed(1)} s (load ${load()})`,
        );
        if (SKIP_REBUILD) await pristineRebuild(store.db);
        await store.db.all("PRAGMA wal_checkpoint(TRUNCATE)"); // all of it in the one file copied
        await store.close();
        renameSync(building, pristine);
      }
      let n = 0;
      copy = () => {
        const file = join(dir, `run${++n}.db`);
        copyFileSync(pristine, file);
        return `sqlite:${file}`;
      };
    } else {
      const admin = (pgAdmin = builds[0].openDb(pgServer.url));
      pristine = KEEP === undefined ? "pristine" : `pristine_${KEPT}`;
      const exists = await admin.all("SELECT 1 FROM pg_database WHERE datname = $1", [pristine]);
      if (KEEP !== undefined && exists.length > 0) console.log(`postgres: reusing database ${pristine}`);
      else {
        const building = `${pristine}_building`;
        await admin.run(`DROP DATABASE IF EXISTS ${building}`);
        await admin.run(`DROP DATABASE IF EXISTS ${pristine}`);
        await admin.run(`CREATE DATABASE ${building}`);
        const store = new builds[0].Store(builds[0].openDb(pgServer.url.replace(/\/postgres$/, `/${building}`)));
        await store.migrate();
        const t = performance.now();
        for (let from = 1; from <= EVENTS; from += 1_000_000) await fill(store, from, Math.min(EVENTS, from + 999_999));
        await store.db.run("VACUUM ANALYZE events");
        console.log(
          `postgres: generated ${EVENTS} events in ${((performance.now() - t) / 1000).toFixed(1)} s (load ${load()})`,
        );
        if (SKIP_REBUILD) await pristineRebuild(store.db);
        await store.close();
        await admin.run(`ALTER DATABASE ${building} RENAME TO ${pristine}`);
      }
      let n = 0;
      const tag = process.pid;
      copy = async () => {
        const db = `run${tag}_${++n}`;
        await admin.run(`CREATE DATABASE ${db} TEMPLATE ${pristine}`);
        return pgServer.url.replace(/\/postgres$/, `/${db}`);
      };
      const close = admin.close.bind(admin);
      process.on("beforeExit", () => void close());
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const b of builds) {
        const url = await copy();
        const figures = await runOnce(b, url, name);
        results.push({ backend: name, build: b.dist, round, events: EVENTS, ...figures });
        if (name === "sqlite") rmSync(url.slice("sqlite:".length), { force: true });
        else if (PG_URL) await pgAdmin.run(`DROP DATABASE ${url.slice(url.lastIndexOf("/") + 1)}`);
      }
    }
  }
} finally {
  pgServer?.stop();
  rmSync(dir, { recursive: true, force: true });
}
const round = (v) => (typeof v === "number" ? +v.toFixed(2) : v);
console.log("\nEvery run:");
console.table(results.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]))));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log("Medians per backend and build:");
const groups = new Map();
for (const r of results) {
  const k = `${r.backend}\u0000${r.build}`;
  groups.set(k, [...(groups.get(k) ?? []), r]);
}
console.table(
  [...groups.values()].map((rs) => {
    const out = { backend: rs[0].backend, build: rs[0].build, runs: rs.length };
    for (const k of ["rebuild s", "purge 1 day s", "purge +29 days s", "load"])
      out[k] = round(median(rs.map((r) => r[k])));
    return out;
  }),
);
