/**
 * Collector settings from command-line flags and `POLAR_COLLECTOR_<NAME>` environment variables,
 * checked once at start: a bad value stops the collector with a message naming the setting.
 */

/** Validated settings. */
export interface Config {
  readonly host: string;
  readonly port: number;
  /** `sqlite:<file>` or `postgres://…`. */
  readonly db: string;
  /** Accepted ingest (project) tokens. */
  readonly projectTokens: readonly string[];
  /** Bearer token of the read API and the dashboard. */
  readonly readToken: string;
  /** Smallest number of distinct users a shown figure may rest on. */
  readonly k: number;
  readonly retentionDays: number;
  /** Requests per minute one source may make to `/track` (0: unlimited). */
  readonly rateLimit: number;
}

/** A setting that is missing or invalid. */
export class ConfigError extends Error {}

interface Flag {
  readonly name: string;
  readonly repeatable?: boolean;
  readonly help: string;
}

/** Every flag, for `--help` and for parsing. */
export const FLAGS: readonly Flag[] = [
  { name: "host", help: "address to listen on (default 127.0.0.1)" },
  { name: "port", help: "port to listen on (default 8787)" },
  { name: "db", help: "sqlite:<file> (default sqlite:polar-telemetry.db) or postgres://…" },
  {
    name: "project-token",
    repeatable: true,
    help: "accepted ingest token (repeatable; the variable takes a comma-separated list)",
  },
  { name: "read-token", help: "token of the read API and dashboard (at least 16 characters)" },
  { name: "k", help: "suppress figures backed by fewer than k distinct users (default 5)" },
  { name: "retention-days", help: "delete events older than this many days (default 365)" },
  { name: "rate-limit", help: "requests per minute per source to /track, 0 = unlimited (default 120)" },
];

/** `project-token` → `POLAR_COLLECTOR_PROJECT_TOKEN`. */
export function envName(flag: string): string {
  return `POLAR_COLLECTOR_${flag.toUpperCase().replace(/-/g, "_")}`;
}

/** Splits `--name value` / `--name=value` flags; returns values per flag and the positional words. */
export function parseFlags(argv: readonly string[]): { values: Map<string, string[]>; positional: string[] } {
  const values = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!FLAGS.some((f) => f.name === name)) throw new ConfigError(`unknown flag --${name}`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new ConfigError(`--${name} needs a value`);
      value = next;
      i++;
    }
    const list = values.get(name) ?? [];
    list.push(value);
    values.set(name, list);
  }
  return { values, positional };
}

function integer(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(
      `--${name} (${envName(name)}) must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return Number(raw);
}

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Builds the settings. Flags win over environment variables. `needTokens` is false for
 * commands that do not serve (`migrate`, `purge`).
 */
export function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  needTokens = true,
): { config: Config; positional: string[] } {
  const { values, positional } = parseFlags(argv);
  const get = (name: string): string | undefined => {
    const v = values.get(name);
    if (v !== undefined) return v[v.length - 1];
    const e = env[envName(name)];
    return e === undefined || e === "" ? undefined : e;
  };
  const host = get("host") ?? "127.0.0.1";
  const port = integer("port", get("port") ?? "8787", 0, 65535);
  const db = get("db") ?? "sqlite:polar-telemetry.db";
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(db)) {
    throw new ConfigError(`--db (${envName("db")}) must be sqlite:<file> or postgres://…, got ${JSON.stringify(db)}`);
  }
  const projectTokens =
    values.get("project-token") ??
    (env[envName("project-token")] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  for (const t of projectTokens) {
    if (!TOKEN.test(t))
      throw new ConfigError(`--project-token: ${JSON.stringify(t)} must be 1–64 letters, digits, '-' or '_'`);
  }
  const readToken = get("read-token") ?? "";
  if (needTokens) {
    if (projectTokens.length === 0) throw new ConfigError(`--project-token (${envName("project-token")}) is required`);
    if (readToken.length < 16) {
      throw new ConfigError(`--read-token (${envName("read-token")}) is required and must have at least 16 characters`);
    }
  }
  const k = integer("k", get("k") ?? "5", 1, 1000);
  const retentionDays = integer("retention-days", get("retention-days") ?? "365", 1, 36500);
  const rateLimit = integer("rate-limit", get("rate-limit") ?? "120", 0, 100_000_000);
  return { config: { host, port, db, projectTokens, readToken, k, retentionDays, rateLimit }, positional };
}
