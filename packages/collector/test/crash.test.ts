/**
 * Acknowledge-after-commit: a child collector is killed with SIGKILL while senders are loading it;
 * after a restart every acknowledged event is stored (and counted once). On SQLite, PostgreSQL and
 * a two-shard ClickHouse cluster.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openStore } from "../src/index.js";
import { PROJECT_TOKEN, READ_TOKEN, freePort, makeEvent, withDatabases, buildCollectorFirst } from "./helpers.js";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));

buildCollectorFirst();
const databases = withDatabases({ clickhouse: true });

async function startChild(db: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      "serve",
      "--db",
      db,
      "--port",
      String(port),
      "--project-token",
      PROJECT_TOKEN,
      "--read-token",
      READ_TOKEN,
      "--rate-limit",
      "0",
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("listening on")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`collector exited with ${code}`)));
  });
  return child;
}

describe.each(databases.backends)("SIGKILL on %s", (_name, makeDb) => {
  it("loses no acknowledged event", async () => {
    const db = await makeDb();
    const port = await freePort();
    const child = await startChild(db, port);
    const acked = new Set<string>();
    let sent = 0;
    let stop = false;
    // Killed right after an acknowledgement, from the sender that received it: batches of the
    // groups still committing are in flight at that moment.
    let killed = false;
    const killNow = (): void => {
      if (killed) return;
      killed = true;
      child.kill("SIGKILL");
    };
    const sender = async (n: number): Promise<void> => {
      while (!stop) {
        const batch = Array.from({ length: 5 }, (_, i) =>
          makeEvent({ user: n * 100 + i, codes: { "ParseError::ReservedWord": 1 } }),
        );
        sent += batch.length;
        try {
          const r = await fetch(`http://127.0.0.1:${port}/track?verbose=1`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(batch),
          });
          const body = (await r.json()) as { status: number };
          if (r.status === 200 && body.status === 1) {
            for (const e of batch) acked.add(e.properties.$insert_id as string);
            if (acked.size > 100) killNow();
          }
        } catch {
          return; // The connection died with the collector.
        }
      }
    };
    // Many senders at once, so that batches share group commits.
    const exited = new Promise((r) => child.once("exit", r));
    const senders = Array.from({ length: 32 }, (_, n) => sender(n));
    // Kill while batches are in flight, once enough have been acknowledged to make the check mean
    // something: waiting for a count, not a duration, keeps the test independent of machine speed.
    await exited;
    stop = true;
    await Promise.all(senders);
    expect(acked.size).toBeGreaterThan(100);

    // Restart on the same database: it recovers, and the read API counts each stored event once.
    const again = await startChild(db, port);
    const res = await fetch(`http://127.0.0.1:${port}/api/summary`, {
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    const summary = (await res.json()) as { events: number };
    again.kill("SIGTERM");
    await new Promise((r) => again.once("exit", r));

    const store = openStore(db);
    try {
      const stored = await store.insertIds();
      const missing = [...acked].filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      expect(stored.size).toBeLessThanOrEqual(sent);
      expect(summary.events).toBe(stored.size);
    } finally {
      await store.close();
    }
  });
});
