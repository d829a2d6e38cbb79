/**
 * `--db clickhouse://[user[:password]@]host:port/database[?shards=host:port,…][&cluster=name]`:
 * - `host:port` is the HTTP endpoint the collector writes and reads through (any shard);
 * - `shards` lists the HTTP endpoint of every shard of the cluster (default: that host alone).
 *   The collector applies the DDL on each, and computes per-user figures on each (a user's events
 *   all live on one shard) before adding them up;
 * - `cluster` names the cluster in the servers' `remote_servers` (default `polar`): the
 *   `Distributed` table spreads events over its shards, which must be the listed ones.
 * The user and password (URL-encoded) are the same on every shard.
 */

/** A parsed ClickHouse URL. */
export interface ClickHouseTarget {
  /** `http://host:port` of the entry point. */
  readonly url: string;
  /** `http://host:port` of every shard. */
  readonly shards: readonly string[];
  readonly database: string;
  readonly cluster: string;
  readonly username: string;
  readonly password: string;
}

/** Identifiers spliced into DDL: a strict subset of ClickHouse's unquoted identifiers. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const ENDPOINT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function isClickHouseUrl(db: string): boolean {
  return db.startsWith("clickhouse://");
}

function endpoint(text: string, what: string): string {
  const m = ENDPOINT.exec(text);
  if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65_535) {
    throw new Error(`${what} must be host:port, got ${JSON.stringify(text)}`);
  }
  return `http://${text}`;
}

/** Parses and checks a `clickhouse://` URL; throws an Error naming what is wrong. */
export function parseClickHouseUrl(db: string): ClickHouseTarget {
  if (!isClickHouseUrl(db)) throw new Error("a ClickHouse URL starts with clickhouse://");
  let u: URL;
  try {
    u = new URL(`http://${db.slice("clickhouse://".length)}`);
  } catch {
    throw new Error("the ClickHouse URL is malformed");
  }
  const hostPort = `${u.hostname}:${u.port}`;
  if (u.port === "") throw new Error("the ClickHouse URL needs a port (the HTTP port, usually 8123)");
  const database = decodeURIComponent(u.pathname.replace(/^\//, ""));
  if (!IDENTIFIER.test(database)) {
    throw new Error(
      `the ClickHouse database must be an identifier ([A-Za-z_][A-Za-z0-9_]*), got ${JSON.stringify(database)}`,
    );
  }
  for (const key of u.searchParams.keys()) {
    if (key !== "shards" && key !== "cluster")
      throw new Error(`unknown ClickHouse URL parameter ${JSON.stringify(key)}`);
  }
  const cluster = u.searchParams.get("cluster") ?? "polar";
  if (!IDENTIFIER.test(cluster)) {
    throw new Error(`the ClickHouse cluster must be an identifier, got ${JSON.stringify(cluster)}`);
  }
  const entry = endpoint(hostPort, "the ClickHouse host");
  const list = u.searchParams.get("shards");
  const shards = list === null ? [entry] : list.split(",").map((s) => endpoint(s.trim(), "each of shards="));
  if (new Set(shards).size !== shards.length) throw new Error("shards= lists a shard twice");
  return {
    url: entry,
    shards,
    database,
    cluster,
    username: decodeURIComponent(u.username) || "default",
    password: decodeURIComponent(u.password),
  };
}
