/**
 * Running collector: store + app + background jobs (rollup timer, daily retention purge).
 */
import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { buildApp, utcDay } from "./app.js";
import type { Config } from "./config.js";
import type { EventStore } from "./db/backend.js";
import { openStore } from "./db/open.js";

const ROLLUP_EVERY_MS = 2_000;
/** Events per background rollup transaction (reads catch up in bigger steps). */
const BACKGROUND_CHUNK = 500;
const QUIET_MS = 1_000;
const QUIET_MAX_MS = 30_000;
const PURGE_EVERY_MS = 24 * 60 * 60 * 1000;

/** The UTC day before which events are deleted under a retention of `days`. */
export function retentionCutoff(days: number, now = new Date()): string {
  return utcDay(new Date(now.getTime() - days * 24 * 60 * 60 * 1000));
}

/**
 * Makes an SQLite database readable by its owner only (0600), creating it so if missing: it holds
 * every event. SQLite gives its -wal and -shm files the database file's permissions. Existing
 * files are tightened too. PostgreSQL and ClickHouse URLs are left alone (the server owns its files).
 */
export function protectDatabaseFile(db: string): void {
  if (/^(postgres(ql)?|clickhouse):\/\//.test(db)) return;
  const file = db.startsWith("sqlite:") ? db.slice("sqlite:".length) : db;
  if (file === ":memory:" || file === "") return;
  if (!existsSync(file)) closeSync(openSync(file, "a", 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(f, 0o600);
    } catch (e) {
      // Missing -wal/-shm, or a file someone else owns (then we could not have created it
      // permissively either): nothing to tighten.
      if ((e as NodeJS.ErrnoException).code !== "ENOENT" && (e as NodeJS.ErrnoException).code !== "EPERM") throw e;
    }
  }
}

/** A started collector. */
export interface RunningCollector {
  readonly app: FastifyInstance;
  readonly store: EventStore;
  readonly url: string;
  close(): Promise<void>;
}

/** Opens the database, migrates, starts the app and the background jobs. */
export async function startCollector(config: Config, options: { logger?: boolean } = {}): Promise<RunningCollector> {
  protectDatabaseFile(config.db);
  const store = openStore(config.db);
  await store.migrate();
  const app = await buildApp({ config, store, logger: options.logger ?? false });
  const jobError = (what: string) => (e: unknown) => app.log.error({ err: e }, `${what} failed`);
  // The background rollup yields to ingest: it runs when no batch arrived for a second (on
  // SQLite it shares the one thread with the requests), and at least every QUIET_MAX_MS.
  // Reads always catch up first, so they never see stale figures.
  let lastRollup = Date.now();
  const rollup = setInterval(() => {
    const now = Date.now();
    if (now - store.lastWriteAt < QUIET_MS && now - lastRollup < QUIET_MAX_MS) return;
    lastRollup = now;
    // Then the shared view's set folds the days that closed, so that its first reader after
    // midnight does not wait for a whole day's fold.
    void store
      .refresh(BACKGROUND_CHUNK)
      .then(() => store.refreshShared(utcDay(), BACKGROUND_CHUNK))
      .catch(jobError("rollup"));
  }, ROLLUP_EVERY_MS);
  const purge = async (): Promise<void> => {
    const n = await store.purge(retentionCutoff(config.retentionDays));
    if (n > 0) app.log.info(`retention: deleted ${n} events`);
  };
  void purge().catch(jobError("purge"));
  const daily = setInterval(() => void purge().catch(jobError("purge")), PURGE_EVERY_MS);
  rollup.unref();
  daily.unref();
  const address = await app.listen({ host: config.host, port: config.port });
  return {
    app,
    store,
    url: address,
    async close() {
      clearInterval(rollup);
      clearInterval(daily);
      await app.close();
      await store.close();
    },
  };
}
