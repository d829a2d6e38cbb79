// The telemetry side: the real collector (SQLite) behind a proxy that records every request.
import * as fs from "node:fs";
import { createServer, request } from "node:http";
import { join } from "node:path";
import { URLSearchParams } from "node:url";
import { ARTIFACTS, REPO, freePort, since, start, waitFor } from "./harness.mjs";
/* global fetch */

export const PROJECT_TOKEN = "e2e-token";
export const READ_TOKEN = "e2e-read-token-0123456789";

/** A pass-through proxy to `target` that hands every request and answer to `record`. */
function startProxy(port, target, record) {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const base = { method: req.method, url: req.url, body: body.toString("utf8") };
        const upstream = request(
          { host: "127.0.0.1", port: target, path: req.url, method: req.method, headers: req.headers },
          (up) => {
            const upChunks = [];
            up.on("data", (c) => upChunks.push(c));
            up.on("end", () => {
              const answer = Buffer.concat(upChunks).toString("utf8");
              record({ at: since(), ...base, headers: req.headers, status: up.statusCode, answer });
              res.writeHead(up.statusCode ?? 502, up.headers);
              res.end(answer);
            });
          },
        );
        upstream.on("error", (e) => {
          record({ at: since(), ...base, status: 502, answer: String(e) });
          res.writeHead(502);
          res.end();
        });
        upstream.end(body);
      });
    });
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/** The events of one recorded `/track` request (form `data=<base64>` or a JSON body). */
export function eventsOf(req) {
  const type = String(req.headers?.["content-type"] ?? "");
  if (type.includes("application/json")) return JSON.parse(req.body);
  const data = new URLSearchParams(req.body).get("data");
  return data === null ? [] : JSON.parse(Buffer.from(data, "base64").toString("utf8"));
}

/** The collector's read API summary. */
export async function summary(port) {
  const res = await fetch(`http://127.0.0.1:${port}/api/summary`, {
    headers: { authorization: `Bearer ${READ_TOKEN}` },
  });
  if (!res.ok) throw new Error(`summary ${res.status}`);
  return res.json();
}

/** Starts the collector on SQLite under `dbDir` and the recording proxy in front of it. */
export async function startCollectorBehindProxy({ dbDir, logDir }) {
  const collectorPort = await freePort();
  const proxyPort = await freePort();
  fs.mkdirSync(dbDir, { recursive: true });
  start(
    "collector",
    process.execPath,
    [
      join(REPO, "packages/collector/dist/main.js"),
      "serve",
      "--port",
      String(collectorPort),
      "--db",
      `sqlite:${join(dbDir, "telemetry.db")}`,
      "--project-token",
      PROJECT_TOKEN,
      "--read-token",
      READ_TOKEN,
      "--k",
      "1",
    ],
    { env: process.env, logDir },
  );
  await waitFor("collector", () => summary(collectorPort), 30_000);
  const requests = [];
  const proxy = await startProxy(proxyPort, collectorPort, (r) => {
    requests.push(r);
    fs.appendFileSync(join(ARTIFACTS, "requests.jsonl"), JSON.stringify(r) + "\n");
  });
  return { collectorPort, proxyPort, proxy, requests };
}
