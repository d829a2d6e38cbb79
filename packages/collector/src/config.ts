/**
 * Collector settings from command-line flags and `POLAR_COLLECTOR_<NAME>` environment variables,
 * checked once at start: a bad value stops the collector with a message naming the setting.
 * Secrets can also come from files (`--read-token-file`), so they never show in `ps`.
 */
import { readFileSync, statSync } from "node:fs";
import { isIP } from "node:net";
import { isClickHouseUrl, parseClickHouseUrl } from "./db/clickhouse/url.js";

/** Validated settings. */
export interface Config {
  readonly host: string;
  readonly port: number;
  /** `sqlite:<file>` or `postgres://…`. */
  readonly db: string;
  /** Accepted ingest (project) tokens. */
  readonly projectTokens: readonly string[];
  /** Bearer token of the operator read API and the dashboard. */
  readonly readToken: string;
  /** Smallest number of distinct users a shown figure may rest on. */
  readonly k: number;
  readonly retentionDays: number;
  /** Requests per minute one source (an IPv4 address or an IPv6 /64) may make to `/track` (0: unlimited). */
  readonly rateLimit: number;
  // The settings below are optional so that a Config literal (tests, embedding) stays short;
  // `withDefaults` fills them, and `loadConfig` always sets them.
  /** Token of the shared (published) view, `/api/shared/*`; "" for none. */
  readonly sharedToken?: string;
  /** Serve the shared view to anyone, without a token. */
  readonly publicSharedView?: boolean;
  /**
   * Host names the collector answers to besides `localhost`, IP literals and the listening
   * address (DNS-rebinding defence); `*` turns the check off.
   */
  readonly allowedHosts?: readonly string[];
  /** Addresses or CIDR ranges of reverse proxies whose `X-Forwarded-*` headers are believed. */
  readonly trustProxy?: readonly string[];
  /** Events per minute `/track` accepts from all sources together (0: unlimited). */
  readonly globalRateLimit?: number;
  /** A connection idle (nothing received or sent) this long is closed. */
  readonly idleTimeoutMs?: number;
  /** A request whose headers and body have not fully arrived after this long is answered 408. */
  readonly requestTimeoutMs?: number;
  /** Most simultaneous connections; more are closed at once. */
  readonly maxConnections?: number;
}

/** Defaults of the optional settings. */
export const DEFAULTS = {
  sharedToken: "",
  publicSharedView: false,
  allowedHosts: [] as readonly string[],
  trustProxy: [] as readonly string[],
  globalRateLimit: 120_000,
  idleTimeoutMs: 20_000,
  requestTimeoutMs: 20_000,
  maxConnections: 1_000,
} as const;

/** Every setting, the optional ones filled with their defaults. */
export type FullConfig = Required<Config>;

/** Fills the optional settings. */
export function withDefaults(config: Config): FullConfig {
  const given = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Partial<Config>;
  return { ...DEFAULTS, ...given } as FullConfig;
}

/** A setting that is missing or invalid. */
export class ConfigError extends Error {}

interface Flag {
  readonly name: string;
  readonly repeatable?: boolean;
  /** A switch: `--name` alone (or the variable set to 1/true). */
  readonly boolean?: boolean;
  readonly help: string;
}

/** Every flag, for `--help` and for parsing. */
export const FLAGS: readonly Flag[] = [
  { name: "host", help: "address to listen on (default 127.0.0.1)" },
  { name: "port", help: "port to listen on (default 8787)" },
  {
    name: "db",
    help: "sqlite:<file> (default sqlite:polar-telemetry.db), postgres://… or clickhouse://host:8123/db?shards=host:port,…",
  },
  {
    name: "project-token",
    repeatable: true,
    help: "accepted ingest token (repeatable; the variable takes a comma-separated list)",
  },
  {
    name: "read-token",
    help: "operator token of the read API and dashboard, ≥16 characters (prefer the variable or --read-token-file: flags show in ps)",
  },
  { name: "read-token-file", help: "file holding the read token (first line)" },
  { name: "shared-token", help: "token of the shared view /api/shared/* (≥16 characters; optional)" },
  { name: "shared-token-file", help: "file holding the shared token (first line)" },
  { name: "public-shared-view", boolean: true, help: "serve the shared view /api/shared/* without a token" },
  { name: "k", help: "suppress figures backed by fewer than k distinct users (default 5)" },
  { name: "retention-days", help: "delete events older than this many days (default 365)" },
  {
    name: "rate-limit",
    help: "requests per minute per source (IPv4 address, IPv6 /64) to /track, 0 = unlimited (default 120)",
  },
  {
    name: "global-rate-limit",
    help: `events per minute /track accepts from everyone together, 0 = unlimited (default ${DEFAULTS.globalRateLimit})`,
  },
  {
    name: "trust-proxy",
    repeatable: true,
    help: "address or CIDR of a reverse proxy whose X-Forwarded-For/-Proto/-Host are believed (repeatable)",
  },
  {
    name: "allowed-hosts",
    repeatable: true,
    help: "host names served besides localhost, IP literals and --host; * = any (repeatable)",
  },
  {
    name: "idle-timeout",
    help: `seconds a connection may stay idle (default ${DEFAULTS.idleTimeoutMs / 1000})`,
  },
  {
    name: "request-timeout",
    help: `seconds a request has to arrive completely (default ${DEFAULTS.requestTimeoutMs / 1000})`,
  },
  { name: "max-connections", help: `most simultaneous connections (default ${DEFAULTS.maxConnections})` },
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
    const flag = FLAGS.find((f) => f.name === name);
    if (flag === undefined) throw new ConfigError(`unknown flag --${name}`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (flag.boolean === true) value = "true";
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

/** `--name value`, `--name=value`: the last one given, else the variable. */
type Getter = (name: string) => string | undefined;

function boolean(name: string, raw: string | undefined): boolean {
  if (raw === undefined) return false;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`--${name} (${envName(name)}) must be true or false, got ${JSON.stringify(raw)}`);
}

/** A list from repeated flags, else the comma-separated variable. */
function list(name: string, values: Map<string, string[]>, env: NodeJS.ProcessEnv): string[] {
  const raw = values.get(name) ?? [env[envName(name)] ?? ""];
  return raw
    .flatMap((v) => v.split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * A secret from `--<name>`/its variable or from `--<name>-file`/its variable (not both). A secret
 * on the command line is readable by every local user (ps, /proc/PID/cmdline): it works, with a
 * warning. A file readable by others gets a warning too.
 */
function secret(name: string, get: Getter, fromCommandLine: boolean, warnings: string[]): string | undefined {
  const direct = get(name);
  const file = get(`${name}-file`);
  if (direct !== undefined && file !== undefined) {
    throw new ConfigError(`give --${name} or --${name}-file, not both`);
  }
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
      if ((statSync(file).mode & 0o077) !== 0) {
        warnings.push(`${file} (--${name}-file) is readable by other users: chmod 600 it`);
      }
    } catch (e) {
      throw new ConfigError(`--${name}-file: cannot read ${file}: ${(e as Error).message}`);
    }
    const value = text.split(/\r?\n/, 1)[0]!.trim();
    if (value === "") throw new ConfigError(`--${name}-file: ${file} is empty`);
    return value;
  }
  if (direct !== undefined && fromCommandLine) {
    warnings.push(
      `--${name} on the command line is visible to every local user (ps); use ${envName(name)} or --${name}-file`,
    );
  }
  return direct;
}

/** An IP address, a CIDR range, or one of proxy-addr's names (loopback, linklocal, uniquelocal). */
function isProxyAddress(s: string): boolean {
  if (s === "loopback" || s === "linklocal" || s === "uniquelocal") return true;
  const slash = s.indexOf("/");
  if (slash < 0) return isIP(s) !== 0;
  const version = isIP(s.slice(0, slash));
  const bits = s.slice(slash + 1);
  return version !== 0 && /^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
}

/** A host name or IP literal as it appears in a Host header (`[::1]` for IPv6), or `*`. */
const HOST_NAME =
  /^(\*|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?|\[[0-9A-Fa-f:.]{2,45}\])$/;

/**
 * Builds the settings. Flags win over environment variables. `needTokens` is false for
 * commands that do not serve (`migrate`, `purge`). `warnings` are for the operator (stderr).
 */
export function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  needTokens = true,
): { config: FullConfig; positional: string[]; warnings: string[] } {
  const { values, positional } = parseFlags(argv);
  const warnings: string[] = [];
  const get: Getter = (name) => {
    const v = values.get(name);
    if (v !== undefined) return v[v.length - 1];
    const e = env[envName(name)];
    return e === undefined || e === "" ? undefined : e;
  };
  const host = get("host") ?? "127.0.0.1";
  const port = integer("port", get("port") ?? "8787", 0, 65535);
  const db = get("db") ?? "sqlite:polar-telemetry.db";
  if (isClickHouseUrl(db)) {
    try {
      parseClickHouseUrl(db);
    } catch (e) {
      // The message names the part that is wrong, never the URL (it may hold a password).
      throw new ConfigError(`--db (${envName("db")}): ${(e as Error).message}`);
    }
  } else if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(db)) {
    throw new ConfigError(
      `--db (${envName("db")}) must be sqlite:<file>, postgres://… or clickhouse://…, got ${JSON.stringify(db)}`,
    );
  }
  const projectTokens = list("project-token", values, env);
  for (const t of projectTokens) {
    if (!TOKEN.test(t))
      throw new ConfigError(`--project-token: ${JSON.stringify(t)} must be 1–64 letters, digits, '-' or '_'`);
  }
  const readToken = secret("read-token", get, values.has("read-token"), warnings) ?? "";
  const sharedToken = secret("shared-token", get, values.has("shared-token"), warnings) ?? "";
  if (needTokens) {
    if (projectTokens.length === 0) throw new ConfigError(`--project-token (${envName("project-token")}) is required`);
    if (readToken.length < 16) {
      throw new ConfigError(`--read-token (${envName("read-token")}) is required and must have at least 16 characters`);
    }
  }
  if (sharedToken !== "" && sharedToken.length < 16) {
    throw new ConfigError(`--shared-token (${envName("shared-token")}) must have at least 16 characters`);
  }
  if (sharedToken !== "" && sharedToken === readToken) {
    throw new ConfigError("--shared-token must differ from --read-token (it is given to dashboard readers)");
  }
  const publicSharedView = boolean("public-shared-view", get("public-shared-view"));
  const k = integer("k", get("k") ?? "5", 1, 1000);
  const retentionDays = integer("retention-days", get("retention-days") ?? "365", 1, 36500);
  const rateLimit = integer("rate-limit", get("rate-limit") ?? "120", 0, 100_000_000);
  const globalRateLimit = integer(
    "global-rate-limit",
    get("global-rate-limit") ?? String(DEFAULTS.globalRateLimit),
    0,
    1_000_000_000,
  );
  const trustProxy = list("trust-proxy", values, env);
  for (const a of trustProxy) {
    if (!isProxyAddress(a)) {
      throw new ConfigError(`--trust-proxy: ${JSON.stringify(a)} is not an IP address, a CIDR range or loopback`);
    }
  }
  const allowedHosts = list("allowed-hosts", values, env).map((h) => h.toLowerCase());
  for (const h of allowedHosts) {
    if (!HOST_NAME.test(h)) throw new ConfigError(`--allowed-hosts: ${JSON.stringify(h)} is not a host name`);
  }
  const idleTimeoutMs =
    1000 * integer("idle-timeout", get("idle-timeout") ?? String(DEFAULTS.idleTimeoutMs / 1000), 1, 3600);
  const requestTimeoutMs =
    1000 * integer("request-timeout", get("request-timeout") ?? String(DEFAULTS.requestTimeoutMs / 1000), 1, 3600);
  const maxConnections = integer(
    "max-connections",
    get("max-connections") ?? String(DEFAULTS.maxConnections),
    1,
    1_000_000,
  );
  return {
    config: {
      host,
      port,
      db,
      projectTokens,
      readToken,
      k,
      retentionDays,
      rateLimit,
      sharedToken,
      publicSharedView,
      allowedHosts,
      trustProxy,
      globalRateLimit,
      idleTimeoutMs,
      requestTimeoutMs,
      maxConnections,
    },
    positional,
    warnings,
  };
}
