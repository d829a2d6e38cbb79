/**
 * The server options the extension hands the language client (`src/server-options.ts`), run the
 * way vscode-languageclient 9 runs a `module` server: forked with the options' `execArgv` and the
 * transport's argument (`--stdio`), its stdio piped, the protocol on stdout. The real server (the
 * built `@polar-ide/language-server/main`, which the extension bundles as `out/server.js`) starts
 * from both the run and the debug options, answers over that transport, gets its Node flags, and
 * writes nothing but LSP frames to stdout.
 */
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node.js";
import type { NodeModule } from "vscode-languageclient/node.js";
import { SERVER_NODE_FLAGS } from "@polar-ide/language-server/node-flags";
import { lspFrames } from "@polar-ide/testing";
import { serverOptions, STDIO_TRANSPORT } from "../src/server-options.js";

const require = createRequire(import.meta.url);
const SERVER = require.resolve("@polar-ide/language-server/main");

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill();
});

/** The transport argument vscode-languageclient adds for a `module` server (`TransportKind`: 0 stdio, 1 ipc, 2 pipe). */
function transportArgument(node: NodeModule): string {
  const args = ["--stdio", "--node-ipc", "--pipe=polar-test"];
  const arg = typeof node.transport === "number" ? args[node.transport] : undefined;
  if (arg === undefined) throw new Error(`transport ${JSON.stringify(node.transport)}`);
  return arg;
}

/** Starts `node` as vscode-languageclient 9 forks a module server, talks to it over stdio, returns what it saw. */
async function session(node: NodeModule): Promise<{ argv: string[]; stderr: string; codes: unknown[] }> {
  const args = [...(node.args ?? []), transportArgument(node), `--clientProcessId=${process.pid}`];
  const child = fork(node.module, args, {
    ...node.options,
    execArgv: node.options?.execArgv ?? [],
    env: { ...process.env, ...node.options?.env },
    silent: true,
  });
  children.push(child);
  if (child.stdout === null || child.stdin === null || child.stderr === null) throw new Error("no stdio");
  const chunks: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const published = new Promise<{ diagnostics: { code: unknown }[] }>((resolve) =>
    connection.onNotification("textDocument/publishDiagnostics", resolve),
  );
  connection.onNotification(() => undefined);
  connection.onRequest(() => null);
  connection.listen();
  await connection.sendRequest("initialize", { processId: process.pid, rootUri: null, capabilities: {} });
  await connection.sendNotification("initialized", {});
  const uri = "untitled:Untitled-1";
  await connection.sendNotification("textDocument/didOpen", {
    textDocument: { uri, languageId: "polar", version: 1, text: "allow(x, y, z) if f(x);\nf(_x);" },
  });
  const { diagnostics } = await published;
  const outline = await connection.sendRequest("textDocument/documentSymbol", { textDocument: { uri } });
  expect(outline).toHaveLength(2);
  const argv = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
  await connection.sendRequest("shutdown");
  await connection.sendNotification("exit");
  expect(await exited).toBe(0);
  connection.dispose();
  lspFrames(Buffer.concat(chunks));
  return { argv, stderr, codes: diagnostics.map((d) => d.code) };
}

describe("the extension's server options", () => {
  const options = serverOptions(SERVER, ["--nolazy", "--inspect=0"]) as { run: NodeModule; debug: NodeModule };

  it("run the server over stdio (its own outline encoder), with the server's Node flags", async () => {
    expect(options.run.transport).toBe(STDIO_TRANSPORT);
    expect(options.debug.transport).toBe(STDIO_TRANSPORT);
    const { argv, codes } = await session(options.run);
    expect(argv).toContain("--stdio");
    for (const flag of SERVER_NODE_FLAGS) expect(argv).toContain(flag);
    expect(codes).toEqual([]);
  });

  it("debug: the inspector's banner goes to stderr, the protocol still works", async () => {
    const { argv, stderr } = await session(options.debug);
    expect(argv).toContain("--nolazy");
    expect(stderr).toContain("Debugger listening on ws://");
  });
});
