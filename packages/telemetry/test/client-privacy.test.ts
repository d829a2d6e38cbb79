/**
 * Privacy: every byte the real sender puts on the wire, captured by a raw TCP sink on 127.0.0.1,
 * must be free of paths, URIs, user names, host names, the raw machineId, session ids and
 * timestamps — however much of them the payloads and the host hand to the client.
 */
import { createServer, type Server, type Socket } from "node:net";
import { hostname, userInfo } from "node:os";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { validateBatch } from "../src/validate.js";
import { MixpanelSender, TelemetryClient, type HostEnvironment } from "../src/client/index.js";
import { FakeClock, FakeStore, HOST } from "./client-fakes.js";

/** Raw bytes of each request, as received. */
const requests: Buffer[] = [];
let server: Server;
let endpoint: string;

/** A minimal HTTP/1.1 sink: reads one request (headers + Content-Length body), answers 200, closes. */
function handle(socket: Socket): void {
  let buf = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    const end = buf.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = buf.subarray(0, end).toString("latin1");
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? "0");
    if (buf.length < end + 4 + length) return;
    requests.push(buf);
    buf = Buffer.alloc(0);
    const body = '{"status":1,"error":null}';
    socket.end(
      `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  socket.on("error", () => undefined);
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/track`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const USER = "alice.smith";
const HOST_NAME = "alice-laptop.corp.example.com";
const MACHINE_ID = "9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877665544";
const SESSION_ID = "3f1c2a9e-7b4d-4e8f-9a6b-1c2d3e4f5a6b1700000000000";
const PROJECT = "acme-secret-project";
const FOLDERS = [
  `file:///home/${USER}/${PROJECT}`,
  `file:///c%3A/Users/${USER}/${PROJECT}-win`,
  `vscode-remote://ssh-remote%2B${HOST_NAME}/home/${USER}/${PROJECT}-remote`,
];

/** A realistic `telemetry/event` payload full of things that must not leave the machine. */
function realistic(folder: string, method: string, i: number): unknown {
  const file = `${folder}/policies/${USER}-authz.polar`;
  return {
    diagnostics: [
      {
        severity: 1,
        code: "ParseError::UnrecognizedToken",
        message: `did not expect to find the token 'alice' at line ${i} in ${file.replace("file://", "")} (user ${USER} on ${HOST_NAME})`,
        source: "Polar Language Server",
        range: { start: { line: i, character: 3 }, end: { line: i, character: 8 } },
        relatedInformation: [
          {
            location: { uri: file, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } },
            message: file,
          },
        ],
        data: { file, machineId: MACHINE_ID, time: new Date().toISOString() },
      },
      {
        severity: 2,
        code: `Custom::${USER}`, // off the allow-list: counted, never named
        message: `Unknown specializer ${USER} in C:\\Users\\${USER}\\${PROJECT}\\main.polar`,
        codeDescription: { href: `https://${HOST_NAME}/docs` },
      },
      { severity: 2, code: "ValidationWarning::MissingAllowRule", message: `no allow rule in ${file}` },
    ],
    lsp_event: { lsp_method: method, lsp_file_extensions: ["polar", `/home/${USER}`, HOST_NAME, "file:///x"] },
    policy_stats: {
      total_rules: 4 + i,
      inline_queries: 1,
      longhand_rules: 3,
      polar_chars: 1234,
      polar_files: 2,
      rule_types: 1,
      path: file,
    },
    resource_block_stats: {
      resource_blocks: 2,
      actors: 1,
      resources: 1,
      declarations: 5,
      roles: 2,
      permissions: 2,
      relations: 1,
      shorthand_rules: 3,
      cross_resource_shorthand_rules: 1,
    },
    uri: folder,
    workspace: `/home/${USER}/${PROJECT}`,
    sessionId: SESSION_ID,
  };
}

/** Every request as text, with the base64 `data` of the form body decoded in place. */
function transcripts(): { text: string; json: string }[] {
  return requests.map((raw) => {
    const text = raw.toString("latin1");
    const [head, body = ""] = text.split("\r\n\r\n");
    const form = new URLSearchParams(body);
    // The body must hold only the documented fields, so decoding `data` shows all of it.
    expect([...form.keys()].sort()).toEqual(["data", "ip", "verbose"]);
    const decoded = Buffer.from(form.get("data") ?? "", "base64").toString("utf8");
    return { text: `${head}\r\n\r\n${decoded}\r\n${decodeURIComponent(head ?? "")}`, json: decoded };
  });
}

describe("privacy of the bytes on the wire", () => {
  it("sends no path, URI, user name, host name, machineId, session id or timestamp", async () => {
    const now = Date.now();
    const clock = new FakeClock(now);
    const store = new FakeStore();
    const environment = {
      ...HOST,
      remotename: `ssh-remote+${HOST_NAME}`,
      product: "desktop",
      // Things a careless host might pass along; none of them is an environment property.
      hostname: HOST_NAME,
      username: USER,
      sessionId: SESSION_ID,
      vscodesessionid: SESSION_ID,
      machineId: MACHINE_ID,
      time: now,
    } as HostEnvironment;
    const client = new TelemetryClient({
      store,
      sender: new MixpanelSender({ endpoint, timeoutMs: 5000 }),
      clock,
      environment,
      token: "polar-ide",
      mode: "send",
    });
    client.start();
    const methods = [
      "textDocument/didOpen",
      "textDocument/didChange",
      "workspace/didChangeWatchedFiles",
      "workspace/didDeleteFiles",
    ];
    for (let i = 0; i < 8; i++) {
      for (const folder of FOLDERS) client.record(folder, realistic(folder, methods[i % 4]!, i));
      await clock.advance(1000);
    }
    await clock.advance(60 * 60 * 1000); // the hourly flush
    for (const folder of FOLDERS) client.record(folder, realistic(folder, "textDocument/didChange", 9));
    await client.shutdown(); // the shutdown flush

    expect(requests.length).toBe(2);
    const texts = transcripts();

    // Every event is valid under the collector's schema.
    for (const { json } of texts) {
      const batch = JSON.parse(json) as unknown[];
      const verdict = validateBatch(batch);
      expect(verdict.ok ? "valid" : verdict.message).toBe("valid");
      expect(batch).toHaveLength(FOLDERS.length);
    }

    const forbidden = [
      USER,
      "alice",
      PROJECT,
      HOST_NAME,
      "corp.example",
      MACHINE_ID,
      MACHINE_ID.slice(0, 16),
      // What an earlier version sent as distinct_id: recomputable by anyone who knows the machineId.
      ...["2025", "2026", "2027"].flatMap((y) =>
        Array.from({ length: 12 }, (_, m) =>
          createHash("sha256")
            .update(`polar-ide.telemetry.distinct_id.v1\n${y}-${String(m + 1).padStart(2, "0")}\n${MACHINE_ID}`)
            .digest("hex"),
        ),
      ),
      SESSION_ID,
      SESSION_ID.slice(0, 8),
      "file:",
      "vscode-remote",
      "/home",
      "Users",
      "\\",
      "-authz.polar",
      "policies",
      String(now),
      String(Math.floor(now / 1000)),
      new Date(now).toISOString().slice(0, 10),
      new Date(now).toUTCString().slice(0, 16),
    ];
    const real = [hostname(), userInfo().username].filter((s) => s.length >= 3);
    for (const { text } of texts) {
      for (const s of [...forbidden, ...real])
        expect(text.includes(s), `request contains ${JSON.stringify(s)}`).toBe(false);
      // No timestamp in any form: no ISO date, and no 10- or 13-digit number near now.
      expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}/);
      for (const m of text.matchAll(/\d{10,13}/g)) {
        const n = Number(m[0]);
        const asMs = m[0].length >= 13 ? n : n * 1000;
        expect(Math.abs(asMs - now) > 366 * 24 * 3600 * 1000, `timestamp-like number ${m[0]}`).toBe(true);
      }
      // Nothing but the schema's properties: no time, ip or session fields at all.
      expect(text).not.toMatch(/"(time|\$time|ip|\$ip|vscodesessionid|sessionId|mp_lib)"/);
    }
    // The local store holds folders only as HMACs.
    expect(store.dump()).not.toContain(USER);
    expect(store.dump()).not.toContain(PROJECT);
  });
});
