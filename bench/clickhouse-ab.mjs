// A/B of the ClickHouse roll-up, trends and purge: this build against a base build (a copy of packages/collector/dist made
// before the change, BENCH_CLICKHOUSE_BASE_DIST, default bench/tmp/ch-base/dist; path relative to this file or absolute),
// the same generated events loaded into two databases of one cluster, reads alternating. node bench/clickhouse-ab.mjs [events] [rounds]
import { createClient } from "@clickhouse/client";
import { startClickHouseCluster, loadGenerated } from "./lib/clickhouse.mjs";
import { dayBefore, importBuild, loadAverage as load, median as med, sql, time, today } from "./lib/ab.mjs";
const N = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const NEW = await importBuild("../packages/collector/dist");
const BASE = await importBuild(process.env.BENCH_CLICKHOUSE_BASE_DIST ?? "./tmp/ch-base/dist");
const cluster = await startClickHouseCluster();
try {
  const sides = { new: { m: NEW, db: "ab_new" }, base: { m: BASE, db: "ab_base" } };
  for (const s of Object.values(sides)) {
    s.store = new s.m.idx.ClickHouseStore(cluster.url(s.db));
    await s.store.migrate();
    const t = await time(() => loadGenerated(cluster, s.db, 0, N));
    console.log(JSON.stringify({ db: s.db, loadS: +(t / 1000).toFixed(1), load: load() }));
  }
  const out = {};
  // Builds: full then a day, each side (base first, then new: one after the other).
  for (const [name, s] of [
    ["base", sides.base],
    ["new", sides.new],
  ]) {
    const builders = cluster.shards.map((url) => createClient({ url, database: s.db, request_timeout: 3_600_000 }));
    out[`${name} full build s`] = +(
      (await time(() => s.m.roll.buildGeneration(builders, dayBefore(2)))) / 1000
    ).toFixed(1);
    out[`${name} add a day s`] = +((await time(() => s.m.roll.buildGeneration(builders, dayBefore(1)))) / 1000).toFixed(
      1,
    );
    await Promise.all(builders.map((b) => b.close()));
    await s.store.refreshShared(today);
    out[`${name} first dashboard ms`] = +(await time(() => s.m.idx.dashboardData(s.store, 5))).toFixed(0);
    out[`${name} build load`] = load();
    console.log(JSON.stringify(out));
  }
  // Reads, alternating: a batch arrives on each side, then trends weekly, trends daily of a code by version.
  const res = {
    new: { weekly: [], code: [], dash: [], weeklyAgain: [] },
    base: { weekly: [], code: [], dash: [], weeklyAgain: [] },
  };
  const loads = [];
  for (let i = 0; i < ROUNDS; i++) {
    for (const name of i % 2 === 0 ? ["base", "new"] : ["new", "base"]) {
      const s = sides[name];
      await sql(
        cluster.shards[0],
        s.db,
        `INSERT INTO events_local SELECT day, concat('r${i}-', insert_id), distinct_id, workspace_folder, extversion, cell_dim, cell_key, cell_value, props_int, props_text FROM events_local WHERE day = today() LIMIT 5`,
      );
      res[name].dash.push(await time(() => s.m.idx.dashboardData(s.store, 5)));
      res[name].weekly.push(
        await time(() => s.m.trends(s.store, 5, today, { grain: "week", code: null, split: null })),
      );
      res[name].code.push(
        await time(() =>
          s.m.trends(s.store, 5, today, { grain: "day", code: "ParseError::UnrecognizedEOF", split: "version" }),
        ),
      );
      res[name].weeklyAgain.push(
        await time(() => s.m.trends(s.store, 5, today, { grain: "week", code: null, split: null })),
      );
    }
    loads.push(load());
    console.log(JSON.stringify({ round: i, new: res.new.weekly.at(-1), base: res.base.weekly.at(-1), load: load() }));
  }
  // Same answers?
  const a = await NEW.trends(sides.new.store, 5, today, {
    grain: "day",
    code: "ParseError::UnrecognizedEOF",
    split: "version",
  });
  const b = await BASE.trends(sides.base.store, 5, today, {
    grain: "day",
    code: "ParseError::UnrecognizedEOF",
    split: "version",
  });
  const w1 = await NEW.trends(sides.new.store, 5, today, { grain: "week", code: null, split: "version" });
  const w2 = await BASE.trends(sides.base.store, 5, today, { grain: "week", code: null, split: "version" });
  for (const name of ["new", "base"])
    for (const k of Object.keys(res[name])) out[`${name} ${k} p50 ms`] = med(res[name][k]);
  out.sameTrends = JSON.stringify(a) === JSON.stringify(b) && JSON.stringify(w1) === JSON.stringify(w2);
  out.events = (await sides.new.store.live().totals()).events;
  out.loads = loads;
  // Purges and compaction, each side.
  for (const [name, s] of [
    ["base", sides.base],
    ["new", sides.new],
  ]) {
    out[`${name} compact s`] = +((await time(() => s.store.compact())) / 1000).toFixed(1);
    out[`${name} purge 1 day s`] = +((await time(() => s.store.purge(dayBefore(298)))) / 1000).toFixed(2);
    out[`${name} purge 29 days s`] = +((await time(() => s.store.purge(dayBefore(269)))) / 1000).toFixed(2);
    out[`${name} weekly after purge ms`] = +(
      await time(() => s.m.trends(s.store, 5, today, { grain: "week", code: null, split: null }))
    ).toFixed(0);
    out[`${name} purge load`] = load();
  }
  console.log(JSON.stringify(out, null, 1));
  for (const s of Object.values(sides)) await s.store.close();
} finally {
  cluster.stop();
}
