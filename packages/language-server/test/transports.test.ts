/**
 * The built binary over each transport it accepts: `--stdio`, `--node-ipc`, `--socket=PORT`.
 * Each run initialises, opens a document, gets its diagnostics and a telemetry event, its outline
 * before and after an edit that moves every item (the stream transports encode the outline from
 * each item's cached JSON, json-encoder.ts: it must equal the outline of a fresh parse), and exits
 * with status 0 after shutdown + exit.
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  createMessageConnection,
  IPCMessageReader,
  IPCMessageWriter,
  SocketMessageReader,
  SocketMessageWriter,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from "vscode-jsonrpc/node.js";
import type { DocumentSymbol } from "vscode-languageserver";
import { Documents, type Tracked } from "../src/documents.js";
import { documentSymbols, OUTLINE_MAX_ITEMS } from "../src/features.js";
import { SERVER_MAIN, SHARING, TestClient } from "./helpers.js";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill();
});

async function exercise(connection: MessageConnection, child: ChildProcess): Promise<void> {
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const client = new TestClient(connection);
  const init = (await client.initialize()) as { serverInfo?: { name: string } };
  expect(init.serverInfo?.name).toBe("polar-language-server");
  const { publications, telemetry } = await client.load(() =>
    client.open("file:///t/a.polar", "allow(x, y, z) if f(x);"),
  );
  expect(publications.map((p) => [p.uri, p.version, p.diagnostics.map((d) => d.code)])).toEqual([
    ["file:///t/a.polar", 1, ["ValidationError::UndefinedRuleCall"]],
  ]);
  expect(telemetry.lsp_event.lsp_method).toBe("textDocument/didOpen");
  const policy = "file:///t/sharing.polar";
  await client.load(() => client.open(policy, SHARING));
  const outline = (): Promise<DocumentSymbol[]> =>
    connection.sendRequest("textDocument/documentSymbol", { textDocument: { uri: policy } });
  expect(await outline()).toEqual(freshOutline(SHARING));
  // A line break before every item, then one inside the first block's body.
  const edited = `\n${SHARING.replace("{", "{\n")}`;
  await client.load(() => client.change(policy, edited, 2));
  expect(await outline()).toEqual(freshOutline(edited));
  await connection.sendRequest("shutdown");
  await connection.sendNotification("exit");
  expect(await exited).toBe(0);
  connection.dispose();
}

/** The outline of a fresh server's parse of `text`, as the client decodes it. */
function freshOutline(text: string): DocumentSymbol[] {
  const docs = new Documents();
  docs.upsert("file:///t/sharing.polar", 1, text);
  return JSON.parse(
    JSON.stringify(documentSymbols(docs.parsed(docs.get("file:///t/sharing.polar") as Tracked), OUTLINE_MAX_ITEMS)),
  ) as DocumentSymbol[];
}

describe("transports", () => {
  it("--stdio", async () => {
    const child = spawn(process.execPath, [SERVER_MAIN, "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
    children.push(child);
    if (child.stdout === null || child.stdin === null) throw new Error("no stdio");
    await exercise(
      createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin)),
      child,
    );
  });

  it("--node-ipc", async () => {
    const child = fork(SERVER_MAIN, ["--node-ipc"], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    children.push(child);
    await exercise(createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child)), child);
  });

  it("--socket=PORT (the server connects to the client's port)", async () => {
    const server = createServer();
    const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const child = spawn(process.execPath, [SERVER_MAIN, `--socket=${address.port}`], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    children.push(child);
    const socket = await accepted;
    try {
      await exercise(createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket)), child);
    } finally {
      socket.destroy();
      server.close();
    }
  });

  it("refuses to start without a transport, with a usage message and status 2", async () => {
    const child = spawn(process.execPath, [SERVER_MAIN], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(2);
    expect(err).toContain("--stdio");
  });
});
