/**
 * The two database drivers behind one small interface, so that every query of the collector is
 * written once (with `?` placeholders) and runs on SQLite (better-sqlite3, WAL) and on
 * PostgreSQL (`pg`). Drivers differ only in what `Dialect` describes.
 */
import Database from "better-sqlite3";
import pg from "pg";

/** A value bound to a placeholder. */
export type SqlValue = string | number | bigint | boolean | null;
/** A row as returned by a query: column name → value. */
export type Row = Record<string, unknown>;

/** What differs between the two SQL dialects the collector speaks. */
export interface Dialect {
  readonly name: "sqlite" | "postgres";
  /** Column type of auto-numbered ids / big counters. */
  readonly serialPrimaryKey: string;
  readonly bigint: string;
  /** Most placeholders one statement may have. */
  readonly maxParams: number;
}

/** Runs statements; inside a transaction or not. */
export interface Queryable {
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** A connection (or pool) to one database. */
export interface Db extends Queryable {
  readonly dialect: Dialect;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Like `transaction`, but also holds an exclusive lock named by `lockId` across every
   * collector sharing the database (a PostgreSQL advisory lock; SQLite has one writer anyway).
   */
  exclusive<T>(lockId: number, fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const SQLITE: Dialect = {
  name: "sqlite",
  serialPrimaryKey: "INTEGER PRIMARY KEY",
  bigint: "INTEGER",
  maxParams: 32_000,
};
const POSTGRES: Dialect = {
  name: "postgres",
  serialPrimaryKey: "BIGSERIAL PRIMARY KEY",
  bigint: "BIGINT",
  maxParams: 60_000,
};

/**
 * Pages of log past which the SQLite writer's connection checkpoints itself after a commit
 * (~100 MiB of 4 KiB pages): the one bound on the log when the checkpointer thread cannot keep
 * up, or has stopped (`sqlite-writer-worker.ts` sets nothing else).
 */
export const WRITER_WAL_BACKSTOP_PAGES = 25_000;

/** Settings of an SQLite connection. */
export interface SqliteOptions {
  /** The connection of the writer thread, which does every write (see `SqliteDb`). */
  readonly writer?: boolean;
}

/** better-sqlite3 is synchronous; the interface is async so that both drivers look alike. */
class SqliteDb implements Db {
  readonly dialect = SQLITE;
  private readonly db: Database.Database;
  private readonly cache = new Map<string, Database.Statement>();
  /** Serialises transactions: an await inside one must not let another interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    options: SqliteOptions = {},
  ) {
    this.db = new Database(file);
    // WAL: readers never block the writer. synchronous=FULL: a commit is on disk (the log is
    // fsynced) before it returns, so an acknowledged batch survives a crash of the machine, not
    // only of the process; ingest pays one fsync per group of batches (`group-commit.ts`).
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 5000");
    // Deleted rows (purged events, emptied scratch tables) are overwritten with zeros instead of
    // staying readable in free space (issue 9). It is a per-connection setting.
    this.db.pragma("secure_delete = ON");
    if (options.writer === true) {
      // The writer thread's connection (`sqlite-writer-worker.ts`): events land at random places
      // of their B-trees (random ids), so a page cache of 64 MiB saves most re-reads. It never
      // checkpoints: a checkpoint copies the log into the database and fsyncs it, and every
      // group behind the commit that ran it waited (the burst's tail). The checkpointer thread
      // (`sqlite-checkpoint-worker.ts`) runs PASSIVE checkpoints beside it instead. Backstop:
      // past `WRITER_WAL_BACKSTOP_PAGES` of log the writer checkpoints itself after a commit. The
      // checkpointer's RESTART waits 10 ms at most for the write lock, so during the long
      // transactions of a catch-up (materialising, folding) it never got it and the log grew to
      // 464 MiB in one bench run (41 MiB with SQLite's default checkpoints).
      this.db.pragma("cache_size = -65536");
      this.db.pragma(`wal_autocheckpoint = ${WRITER_WAL_BACKSTOP_PAGES}`);
      // When the log starts over, its file is cut back to 64 MiB (a flood may have grown it).
      this.db.pragma("journal_size_limit = 67108864");
      // Its commits are not fsynced by SQLite: the writer fsyncs the log itself, off its thread,
      // and answers only after the fsync that followed the commit (`wal-sync.ts`): as durable as
      // FULL for everything acknowledged.
      this.db.pragma("synchronous = NORMAL");
    }
    this.db.defaultSafeIntegers(false);
  }

  private statement(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      if (this.cache.size > 500) this.cache.clear();
      this.cache.set(sql, s);
    }
    return s;
  }

  private params(params: readonly SqlValue[]): unknown[] {
    return params.map((p) => (typeof p === "boolean" ? (p ? 1 : 0) : p));
  }

  async all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    const s = this.statement(sql);
    if (!s.reader) {
      s.run(...this.params(params));
      return [];
    }
    return s.all(...this.params(params)) as Row[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const s = this.statement(sql);
    if (s.reader) return s.all(...this.params(params)).length;
    return s.run(...this.params(params)).changes;
  }

  /** Runs many statements at once (migrations). */
  execScript(sql: string): void {
    this.db.exec(sql);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      this.db.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(this);
        this.db.exec("COMMIT");
        return result;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw e;
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  exclusive<T>(_lockId: number, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.transaction(fn);
  }

  async close(): Promise<void> {
    await this.queue;
    this.db.close();
  }
}

/**
 * The file of an SQLite database that other connections (the writer thread) can open too; null
 * for PostgreSQL and for in-memory databases (private to their one connection).
 */
export function sharedSqliteFile(db: Db): string | null {
  if (!(db instanceof SqliteDb)) return null;
  return db.file === "" || db.file === ":memory:" || db.file.includes("mode=memory") ? null : db.file;
}

/** Numbers `?` placeholders as `$1, $2, …` (the collector's SQL has no `?` inside literals). */
function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

class PgQueryable implements Queryable {
  constructor(private readonly client: pg.Pool | pg.PoolClient) {}

  async all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    const r = await this.client.query({ text: toPgPlaceholders(sql), values: params as unknown[] });
    return r.rows as Row[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const r = await this.client.query({ text: toPgPlaceholders(sql), values: params as unknown[] });
    return r.rowCount ?? 0;
  }
}

class PgDb extends PgQueryable implements Db {
  readonly dialect = POSTGRES;

  constructor(private readonly pool: pg.Pool) {
    super(pool);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(new PgQueryable(client));
      await client.query("COMMIT");
      return result;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  exclusive<T>(lockId: number, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.transaction(async (tx) => {
      await tx.all("SELECT pg_advisory_xact_lock(?)", [lockId]);
      return fn(tx);
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

// COUNT(*) and SUM() of BIGINT come back as strings by default; every count here fits a double.
pg.types.setTypeParser(20, (v: string) => Number(v));
pg.types.setTypeParser(1700, (v: string) => Number(v));

/**
 * Opens `sqlite:<file>` (or a bare file name) or `postgres://…` / `postgresql://…`.
 */
export function openDb(url: string, options: { poolSize?: number; sqlite?: SqliteOptions } = {}): Db {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
    // An idle client's error (server restart) must not crash the process; the next query reconnects.
    pool.on("error", () => undefined);
    return new PgDb(pool);
  }
  const file = url.startsWith("sqlite:") ? url.slice("sqlite:".length) : url;
  return new SqliteDb(file, options.sqlite);
}
