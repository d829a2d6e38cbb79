// A/B of the ClickHouse reads after a batch (issue 12): a base build (a copy of packages/collector/dist made before
// the change, BENCH_CLICKHOUSE_BASE_DIST, default bench/tmp/ch-delta-base/dist) against this build, both reading ONE
// database of one cluster (generated events loaded once, the generation built once by the base build; this build adds
// only optional tables to it), reads alternating after each batch. This build is packages/collector/dist as it is when
// the run starts (bench/lib/clickhouse.mjs imports it). Loading and the first build are long at 10M:
// BENCH_CLICKHOUSE_KEEP=1 leaves the cluster running at the end (its URLs printed; stop the two clickhouse-server
// processes by their pid and delete their folder), and BENCH_CLICKHOUSE_REUSE=<entry URL>,<shard 2 URL> reads such a
// cluster's database `delta_ab` instead of loading one. BENCH_CLICKHOUSE_PURGE=1: then the compaction and the purges
// with this build. node bench/clickhouse-delta.mjs [events] [rounds]
import { createClient } from "@clickhouse/client";
import { startClickHouseCluster, loadGenerated } from "./lib/clickhouse.mjs";
import { dayBefore, importBuild, loadAverage as load, median as med, sql, time, today } from "./lib/ab.mjs";

const N = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const BASE = await importBuild(process.env.BENCH_CLICKHOUSE_BASE_DIST ?? "./tmp/ch-delta-base/dist");
const log = (o) => console.log(JSON.stringify({ at: new Date().toISOString().slice(11, 19), ...o, load: load() }));
const REUSE = process.env.BENCH_CLICKHOUSE_REUSE?.split(",");
const cluster =
  REUSE === undefined
    ? await startClickHouseCluster()
    : {
        url: (db) =>
          `clickhouse://${REUSE[0].replace("http://", "")}/${db}?shards=${REUSE.map((u) => u.replace("http://", "")).join(",")}`,
        shards: REUSE,
        stop() {},
      };
const db = "delta_ab";
const RUN = Date.now().toString(36);
const weekly = { grain: "week", code: null, split: null };
async function loadAndBuild(base) {
  log({ loadS: +((await time(() => loadGenerated(cluster, db, 0, N))) / 1000).toFixed(1) });
  const builders = cluster.shards.map((url) => createClient({ url, database: db, request_timeout: 3_600_000 }));
  log({
    "base full build s": +((await time(() => BASE.roll.buildGeneration(builders, dayBefore(2)))) / 1000).toFixed(1),
  });
  log({
    "base add a day s": +((await time(() => BASE.roll.buildGeneration(builders, dayBefore(1)))) / 1000).toFixed(1),
  });
  await Promise.all(builders.map((b) => b.close()));
  log({ "base refreshShared s": +((await time(() => base.refreshShared(today))) / 1000).toFixed(1) });
  log({ "base first dashboard ms": +(await time(() => BASE.idx.dashboardData(base, 5))).toFixed(0) });
  log({ "base first weekly ms": +(await time(() => BASE.trends(base, 5, today, weekly))).toFixed(0) });
}
try {
  const base = new BASE.idx.ClickHouseStore(cluster.url(db));
  await base.migrate();
  if (REUSE === undefined) await loadAndBuild(base);
  const NEW = await importBuild("../packages/collector/dist");
  log({ "base first dashboard ms (this process)": +(await time(() => BASE.idx.dashboardData(base, 5))).toFixed(0) });
  const neu = new NEW.idx.ClickHouseStore(cluster.url(db));
  log({
    "new refreshShared s (adds its optional tables)": +((await time(() => neu.refreshShared(today))) / 1000).toFixed(1),
  });
  log({ "new first dashboard ms": +(await time(() => NEW.idx.dashboardData(neu, 5))).toFixed(0) });
  log({ "new first weekly ms": +(await time(() => NEW.trends(neu, 5, today, weekly))).toFixed(0) });
  const sides = { base: { m: BASE, store: base }, new: { m: NEW, store: neu } };
  const res = { base: { dash: [], weekly: [] }, new: { dash: [], weekly: [] } };
  let same = true;
  for (let i = 0; i < ROUNDS; i++) {
    await sql(
      cluster.shards[i % 2],
      db,
      `INSERT INTO events_local SELECT day, concat('d${RUN}-${i}-', insert_id), distinct_id, workspace_folder, extversion, cell_dim, cell_key, cell_value, props_int, props_text FROM events_local WHERE day = today() LIMIT ${i * 7}, 5`,
    );
    const answers = {};
    for (const name of i % 2 === 0 ? ["base", "new"] : ["new", "base"]) {
      const s = sides[name];
      let d;
      res[name].dash.push(await time(async () => (d = await s.m.idx.dashboardData(s.store, 5))));
      let w;
      res[name].weekly.push(await time(async () => (w = await s.m.trends(s.store, 5, today, weekly))));
      answers[name] = JSON.stringify([d, w]);
    }
    if (answers.base !== answers.new) same = false;
    log({
      round: i,
      base: [res.base.dash.at(-1), res.base.weekly.at(-1)],
      new: [res.new.dash.at(-1), res.new.weekly.at(-1)],
      same: answers.base === answers.new,
    });
  }
  const out = { events: (await neu.live().totals()).events, same };
  for (const name of ["base", "new"])
    for (const k of Object.keys(res[name])) out[`${name} ${k} after a batch p50 ms`] = med(res[name][k]);
  log(out);
  if (process.env.BENCH_CLICKHOUSE_PURGE === "1") {
    log({ "new compact s": +((await time(() => neu.compact())) / 1000).toFixed(1) });
    log({ "new purge 1 day s": +((await time(() => neu.purge(dayBefore(298)))) / 1000).toFixed(2) });
    log({ "new purge 29 days s": +((await time(() => neu.purge(dayBefore(269)))) / 1000).toFixed(2) });
    log({ "new dashboard after purge ms": +(await time(() => NEW.idx.dashboardData(neu, 5))).toFixed(0) });
  }
  await base.close();
  await neu.close();
} finally {
  if (process.env.BENCH_CLICKHOUSE_KEEP === "1") console.log(JSON.stringify({ kept: cluster.shards }));
  else cluster.stop();
}
