/**
 * Connections a client cannot hold forever, over raw sockets: one that sends nothing, headers
 * trickled a byte at a time (slowloris), a body that never completes, an idle keep-alive
 * connection; and a flood of sockets beyond the connection cap while /healthz keeps answering.
 * The collector runs with short limits here (1 s idle, 1.5 s per request; the defaults are 20 s).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { healthzMs, openSocket, raw, serve, type OpenSocket, type Served } from "./http-harness.js";

const IDLE_MS = 1_000;
const REQUEST_MS = 1_500;
const CAP = 50;
/** Generous: the limits are ~1 s; the old server kept such connections for 60 s or forever. */
const CLOSED_WITHIN_MS = 8_000;

let served: Served;
beforeAll(async () => {
  served = await serve({ idleTimeoutMs: IDLE_MS, requestTimeoutMs: REQUEST_MS, maxConnections: CAP });
});
afterAll(async () => served?.close());

/** Writes `text` one byte every `everyMs` until the socket closes; returns a stop function. */
function trickle(s: OpenSocket, text: string, everyMs: number): () => void {
  let i = 0;
  const timer = setInterval(() => {
    if (s.socket.destroyed || s.socket.writableEnded) return clearInterval(timer);
    s.socket.write(text[i % text.length]!);
    i++;
  }, everyMs);
  return () => clearInterval(timer);
}

async function closedWithin(s: OpenSocket, ms: number): Promise<{ afterMs: number; received: string }> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`the server kept the connection open for more than ${ms} ms`)), ms),
  );
  return Promise.race([s.closed, timeout]);
}

describe("connection timeouts", () => {
  it("closes a connection that sends nothing", async () => {
    const s = await openSocket(served.port);
    const { afterMs } = await closedWithin(s, CLOSED_WITHIN_MS);
    console.log(`silent connection closed after ${afterMs} ms`);
    expect(afterMs).toBeGreaterThanOrEqual(IDLE_MS - 100);
  });

  it("answers 408 to headers trickled a byte at a time (slowloris), and closes", async () => {
    const s = await openSocket(served.port);
    s.socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    // A byte every 200 ms keeps the socket busy: only the request deadline can end it.
    const stop = trickle(s, "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 200);
    try {
      const { afterMs, received } = await closedWithin(s, CLOSED_WITHIN_MS);
      console.log(`slowloris headers closed after ${afterMs} ms: ${JSON.stringify(received.split("\r\n")[0])}`);
      expect(received).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      stop();
    }
  });

  it("answers 408 to a body that never completes, and closes", async () => {
    const s = await openSocket(served.port);
    s.socket.write(
      "POST /track HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[",
    );
    const stop = trickle(s, " ", 200);
    try {
      const { afterMs, received } = await closedWithin(s, CLOSED_WITHIN_MS);
      console.log(`stalled body closed after ${afterMs} ms: ${JSON.stringify(received.split("\r\n")[0])}`);
      expect(received).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      stop();
    }
  });

  it("closes an idle keep-alive connection after its request", async () => {
    const s = await openSocket(served.port);
    s.socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
    const { afterMs, received } = await closedWithin(s, CLOSED_WITHIN_MS);
    console.log(`idle keep-alive connection closed after ${afterMs} ms`);
    expect(received).toMatch(/^HTTP\/1\.1 200/);
  });
});

describe("connection cap", () => {
  it("keeps answering /healthz with many idle sockets open below the cap", async () => {
    const sockets = await Promise.all(Array.from({ length: CAP - 10 }, () => openSocket(served.port)));
    try {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) times.push(await healthzMs(served.url));
      console.log(`/healthz with ${sockets.length} idle sockets: ${times.map((t) => t.toFixed(1)).join(", ")} ms`);
      expect(Math.max(...times)).toBeLessThan(2_000);
    } finally {
      for (const s of sockets) s.socket.destroy();
    }
  });

  it("closes sockets beyond the cap at once, and recovers when the idle ones time out", async () => {
    await new Promise((r) => setTimeout(r, 200));
    const sockets = await Promise.all(Array.from({ length: CAP * 4 }, () => openSocket(served.port).catch(() => null)));
    const opened = sockets.filter((s): s is OpenSocket => s !== null);
    // Within half a second (well before the idle timeout) the excess is gone.
    await new Promise((r) => setTimeout(r, 500));
    const open = opened.filter((s) => !s.socket.destroyed && s.socket.readyState === "open");
    const server = await new Promise<number>((resolve, reject) =>
      served.app.server.getConnections((e, n) => (e ? reject(e) : resolve(n))),
    );
    console.log(`${CAP * 4} sockets opened against a cap of ${CAP}: ${server} held by the server`);
    expect(server).toBeLessThanOrEqual(CAP);
    // And the idle ones are closed by the idle timeout: the collector answers again.
    await Promise.all(open.map((s) => closedWithin(s, CLOSED_WITHIN_MS)));
    const r = await raw(served.port, "GET", "/healthz");
    expect(r.status).toBe(200);
    for (const s of opened) s.socket.destroy();
  });
});
