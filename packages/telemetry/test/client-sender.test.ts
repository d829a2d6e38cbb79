import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EVENT_NAME, type TrackEvent } from "../src/schema.js";
import { MixpanelSender, parseRetryAfter } from "../src/client/index.js";

interface Captured {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A sink answering from a script; resolves to its `/track` URL. */
async function sink(answer: (req: Captured, res: ServerResponse) => void, requests: Captured[]): Promise<string> {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      const captured = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      requests.push(captured);
      answer(captured, res);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/track`;
}

const EVENTS: TrackEvent[] = [
  { event: EVENT_NAME, properties: { a: 1 } },
  { event: EVENT_NAME, properties: { b: "x" } },
];

describe("MixpanelSender", () => {
  it("sends one form POST per batch: data=<base64 JSON array>, verbose=1, ip=0", async () => {
    const requests: Captured[] = [];
    const url = await sink((_req, res) => res.end('{"status":1,"error":null}'), requests);
    const result = await new MixpanelSender({ endpoint: url }).send(EVENTS);
    expect(result).toEqual({ kind: "ok" });
    expect(requests).toHaveLength(1);
    const req = requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const query = new URL(req.url, "http://x").searchParams;
    expect(query.get("ip")).toBe("0");
    expect(query.get("verbose")).toBe("1");
    const form = new URLSearchParams(req.body);
    expect(form.get("verbose")).toBe("1");
    expect(JSON.parse(Buffer.from(form.get("data")!, "base64").toString("utf8"))).toEqual(EVENTS);
  });

  it.each([
    ["503 with Retry-After seconds", 503, { "retry-after": "7" }, "", { kind: "retry", retryAfterMs: 7000 }],
    ["500 without Retry-After", 500, {}, "", { kind: "retry" }],
    ["429", 429, { "retry-after": "120" }, "slow down", { kind: "retry", retryAfterMs: 120_000 }],
    ["400", 400, {}, "bad", { kind: "drop" }],
    ["413", 413, { "retry-after": "5" }, "", { kind: "drop" }],
    ["200 with status 0", 200, {}, '{"status":0,"error":"token"}', { kind: "drop" }],
    ["200 with a bare 1", 200, {}, "1", { kind: "ok" }],
  ])("maps %s", async (_name, status, headers, body, expected) => {
    const requests: Captured[] = [];
    const url = await sink((_req, res) => {
      res.writeHead(status, headers);
      res.end(body);
    }, requests);
    const result = await new MixpanelSender({ endpoint: url }).send(EVENTS);
    expect(result).toMatchObject(expected);
    if (!("retryAfterMs" in expected)) expect("retryAfterMs" in result).toBe(false);
  });

  it("reports a refused connection and a timeout as retryable, never throwing", async () => {
    const refused = await new MixpanelSender({ endpoint: "http://127.0.0.1:9/track", timeoutMs: 2000 }).send(EVENTS);
    expect(refused.kind).toBe("retry");
    const requests: Captured[] = [];
    const url = await sink(() => undefined, requests); // never answers
    const slow = await new MixpanelSender({ endpoint: url, timeoutMs: 200 }).send(EVENTS);
    expect(slow.kind).toBe("retry");
  });

  it("does not follow redirects", async () => {
    const requests: Captured[] = [];
    const url = await sink((_req, res) => {
      res.writeHead(307, { location: "http://127.0.0.1:9/elsewhere" });
      res.end();
    }, requests);
    const result = await new MixpanelSender({ endpoint: url }).send(EVENTS);
    expect(result.kind).not.toBe("ok");
    expect(requests).toHaveLength(1);
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.UTC(2025, 10, 24, 12, 0, 0);
    expect(parseRetryAfter("30", now)).toBe(30_000);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
