/**
 * Over `--stdio` the server's stdout is the protocol stream (the VS Code extension starts it so,
 * `packages/vscode-extension/src/server-options.ts`): a byte written there by anything but the
 * connection — a `process.stdout.write`, a `console` call the library did not route, a V8 trace —
 * corrupts the stream. The built binary, started with its shipped Node flags, runs a session
 * through the paths that log (a broken polar.json, diagnostics, every feature, malformed and
 * unknown requests, the existence check, a big file's edit and the idle collection, shutdown) and
 * every byte of its stdout must read back as LSP frames of JSON-RPC 2.0 messages.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node.js";
import { bigPolicy, lspFrames } from "@polar-ide/testing";
import { SERVER_NODE_FLAGS } from "../src/node-flags.js";
import { SERVER_MAIN, SHARING, TestClient } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "pls-stdout-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Big enough that its loads grow the heap past the idle collection's threshold (idle-gc.ts). */
const BIG = bigPolicy(1500, (i) => [`visible_${i}(user: User, d: Doc${i}) if d.public = true or d.owner = user;`]);

describe("stdout over --stdio", () => {
  it("holds nothing but the protocol's frames, through a session that logs", { timeout: 60_000 }, async () => {
    writeFileSync(join(dir, "polar.json"), "{ not json");
    const root = pathToFileURL(dir).href;
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, SERVER_MAIN, "--stdio"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    if (child.stdout === null || child.stdin === null) throw new Error("no stdio");
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let asked = 0;
    const client = new TestClient(
      createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin)),
      () => child.kill(),
    );
    try {
      await within(client.initialize({ existenceCheckIntervalMs: 50 }, {}, root), "initialize");
      const broken = `${root}/broken.polar`;
      const big = `${root}/big.polar`;
      const sharing = `${root}/sharing.polar`;
      await client.load(() => client.open(broken, "allow(x, y, z) if f(x);\nresource Doc { roles = [1]; }"));
      await client.load(() => client.open(sharing, SHARING));
      await client.load(() => client.open(big, BIG), 30_000);
      await client.load(() => client.change(big, `# edited\n${BIG}`, 2), 30_000);
      const at = { line: 3, character: 10 };
      const requests: [string, object][] = [
        ["textDocument/documentSymbol", { textDocument: { uri: big } }],
        ["textDocument/documentSymbol", { textDocument: { uri: sharing } }],
        ["textDocument/hover", { textDocument: { uri: sharing }, position: at }],
        ["textDocument/completion", { textDocument: { uri: sharing }, position: at }],
        ["textDocument/definition", { textDocument: { uri: sharing }, position: at }],
        [
          "textDocument/references",
          { textDocument: { uri: sharing }, position: at, context: { includeDeclaration: true } },
        ],
        ["textDocument/semanticTokens/full", { textDocument: { uri: sharing } }],
        ["textDocument/formatting", { textDocument: { uri: sharing }, options: { tabSize: 2, insertSpaces: true } }],
        ["textDocument/foldingRange", { textDocument: { uri: broken } }],
        [
          "textDocument/codeAction",
          {
            textDocument: { uri: broken },
            range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } },
            context: { diagnostics: client.latest(broken)?.diagnostics ?? [] },
          },
        ],
        ["workspace/symbol", { query: "Doc1" }],
        // Malformed params: the handler's failure is logged (runSafe), not fatal.
        ["textDocument/hover", { textDocument: 42 }],
      ];
      for (const [method, params] of requests) await within(client.connection.sendRequest(method, params), method);
      asked = requests.length + 3; // with initialize, the unknown method and shutdown
      await expect(within(client.connection.sendRequest("polar/noSuchMethod", {}), "unknown")).rejects.toThrow(
        /Unhandled method/,
      );
      // The idle collection after the big file's loads, and its log line.
      await client.waitFor(() => client.logs.some((l) => l.includes("idle collection")), 20_000, "the idle collection");
      await client.connection.sendNotification("workspace/didChangeWatchedFiles", {
        changes: [{ uri: broken, type: 3 }],
      });
      await within(client.connection.sendRequest("shutdown"), "shutdown");
      await client.connection.sendNotification("exit");
      expect(await exited).toBe(0);
    } catch (e) {
      // A stray byte breaks the client's reader, and the session times out: name the byte first.
      lspFrames(Buffer.concat(chunks));
      throw e;
    } finally {
      client.dispose();
    }
    const messages = lspFrames(Buffer.concat(chunks));
    // The session really went through the logging paths the frames are checked on.
    const logs = messages
      .filter((m) => (m as { method?: string }).method === "window/logMessage")
      .map((m) => (m as { params: { message: string } }).params.message);
    expect(logs.some((l) => l.includes("idle collection"))).toBe(true);
    expect(logs.some((l) => l.includes("polar.json"))).toBe(true);
    expect(answers(messages)).toBe(asked);
  });
});

/** `answer`, or a rejection after 15 s (a corrupted stream leaves requests unanswered). */
function within<T>(answer: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${what}`)), 15_000);
  });
  return Promise.race([answer, late]).finally(() => clearTimeout(timer));
}

/** How many answers (messages with an id and a result or an error) the frames hold. */
function answers(messages: readonly unknown[]): number {
  return messages.filter((m) => typeof m === "object" && m !== null && "id" in m && ("result" in m || "error" in m))
    .length;
}
