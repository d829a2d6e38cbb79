/**
 * Harness of the HTTP-side tests: a collector listening on a real loopback port (on a fresh SQLite
 * file), and a raw HTTP/1.1 client that sends the request target exactly as written — `fetch`
 * would normalise `/x/../api` and reject some of the hostile forms the tests need.
 */
import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { buildApp, openDb, Store, type AppOptions, type Config } from "../src/index.js";
import { PROJECT_TOKEN, READ_TOKEN, makeEvent, sqliteUrl } from "./helpers.js";

export const SHARED_TOKEN = "shared-token-0123456789";

/** An in-process collector (requests through Fastify's `inject`) on a fresh SQLite file. */
export interface Injected {
  readonly app: FastifyInstance;
  readonly store: Store;
  /** Closes the app and the store and deletes the database file. */
  close(): Promise<void>;
}

/** Builds an in-process collector with the HTTP tests' settings plus `extra`, reading time from `now`. */
export async function injected(extra: Partial<Config>, now: () => number): Promise<Injected> {
  const db = sqliteUrl();
  const store = new Store(openDb(db.url));
  await store.migrate();
  const app = await buildApp({ config: httpConfig(db.url, extra), store, now });
  return {
    app,
    store,
    close: async () => {
      await app.close();
      await store.close();
      db.cleanup();
    },
  };
}

/** Settings of the HTTP tests: no rate limits unless a test asks. */
export function httpConfig(db: string, extra: Partial<Config> = {}): Config {
  return {
    host: "127.0.0.1",
    port: 0,
    db,
    projectTokens: [PROJECT_TOKEN],
    readToken: READ_TOKEN,
    sharedToken: SHARED_TOKEN,
    k: 1,
    retentionDays: 365,
    rateLimit: 0,
    globalRateLimit: 0,
    ...extra,
  };
}

/** A listening collector. */
export interface Served {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** Builds and starts a collector on 127.0.0.1 (a free port) with one stored event. */
export async function serve(
  extra: Partial<Config> = {},
  options: Omit<AppOptions, "config" | "store"> = {},
): Promise<Served> {
  const db = sqliteUrl();
  const store = new Store(openDb(db.url));
  await store.migrate();
  const config = httpConfig(db.url, extra);
  const app = await buildApp({ config, store, ...options });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  const r = await fetch(`${url}/track?verbose=1`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([makeEvent({ user: 1 })]),
  });
  if (r.status !== 200) throw new Error(`seeding failed: ${r.status} ${await r.text()}`);
  return {
    app,
    store,
    port,
    url,
    async close() {
      await app.close();
      await store.close();
      db.cleanup();
    },
  };
}

/** An answer of `raw`. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** Sends one request with the target `path` byte for byte (plus `Host: 127.0.0.1:<port>` unless given). */
export function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** A raw TCP connection to the collector, and when it was closed by the server (ms after opening). */
export interface OpenSocket {
  readonly socket: Socket;
  /** Resolves with the ms the server took to close the connection, and what it answered. */
  readonly closed: Promise<{ afterMs: number; received: string }>;
}

/** Opens a TCP connection and records what comes back until the server closes it. */
export function openSocket(port: number): Promise<OpenSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const start = Date.now();
    let received = "";
    socket.on("data", (d: Buffer) => {
      received += d.toString("latin1");
    });
    const closed = new Promise<{ afterMs: number; received: string }>((done) => {
      socket.on("close", () => done({ afterMs: Date.now() - start, received }));
    });
    socket.on("error", () => undefined);
    socket.once("connect", () => resolve({ socket, closed }));
    socket.once("error", reject);
  });
}

/** `GET /healthz` round trip in ms (a fresh connection), or throws. */
export async function healthzMs(url: string): Promise<number> {
  const start = performance.now();
  const r = await fetch(`${url}/healthz`);
  if (r.status !== 200) throw new Error(`/healthz answered ${r.status}`);
  await r.text();
  return performance.now() - start;
}

export { PROJECT_TOKEN, READ_TOKEN };
