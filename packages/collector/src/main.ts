#!/usr/bin/env node
/**
 * `polar-collector serve|migrate|purge [flags]`: every flag is also an environment variable
 * `POLAR_COLLECTOR_<NAME>`; settings are checked before anything starts.
 */
import { ConfigError, FLAGS, envName, loadConfig } from "./config.js";
import { openStore } from "./db/open.js";
import { protectDatabaseFile, retentionCutoff, startCollector } from "./server.js";

const USAGE = `usage: polar-collector serve|migrate|purge [flags]

  serve    run the collector (POST /track, read API, dashboard)
  migrate  apply database migrations and exit
  purge    delete events older than the retention and exit

flags (each also an environment variable):
${FLAGS.map((f) => `  --${f.name.padEnd(19)} ${envName(f.name).padEnd(38)} ${f.help}`).join("\n")}
`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h") || argv.length === 0) {
    process.stdout.write(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const command = argv[0];
  if (command !== "serve" && command !== "migrate" && command !== "purge") {
    process.stderr.write(`polar-collector: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  // Everything the collector creates (database, -wal, -shm) is the owner's alone.
  process.umask(0o077);
  let config;
  try {
    let warnings: string[];
    ({ config, warnings } = loadConfig(argv.slice(1), process.env, command === "serve"));
    for (const w of warnings) process.stderr.write(`polar-collector: warning: ${w}\n`);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`polar-collector: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (command === "serve") {
    const c = await startCollector(config, { logger: process.env.POLAR_COLLECTOR_LOG === "1" });
    process.stdout.write(
      `polar-collector listening on ${c.url}\n  ingest:    POST ${c.url}/track\n  dashboard: ${c.url}/dashboard\n`,
    );
    const stop = (): void => {
      void c.close().then(() => process.exit(0));
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    return -1;
  }
  protectDatabaseFile(config.db);
  const store = openStore(config.db);
  try {
    const applied = await store.migrate();
    if (command === "migrate") {
      process.stdout.write(
        applied.length === 0 ? "database is up to date\n" : `applied migrations ${applied.join(", ")}\n`,
      );
    } else {
      const cutoff = retentionCutoff(config.retentionDays);
      const n = await store.purge(cutoff);
      process.stdout.write(`deleted ${n} events that arrived before ${cutoff}\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`polar-collector: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
