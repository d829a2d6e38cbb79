/**
 * Test harness: an LSP client (vscode-jsonrpc) and the server (`startServer`) in one process,
 * connected by two PassThrough streams, or a client talking to the built server over stdio.
 * Records every `publishDiagnostics`, `telemetry/event` and log message the server sends.
 */
import { readFileSync } from "node:fs";
import { afterEach } from "vitest";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createConnection, ProposedFeatures } from "vscode-languageserver/node.js";
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from "vscode-jsonrpc/node.js";
import type { PublishDiagnosticsParams } from "vscode-languageserver";
import { TELEMETRY_EVENT_METHOD } from "@polar-ide/telemetry/protocol";
import { REPO_ROOT } from "@polar-ide/testing";
import { startServer, type RuntimeEnvironment, type TelemetryEvent } from "../src/server.js";

export const SERVER_MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));

export interface Recorded {
  readonly publications: PublishDiagnosticsParams[];
  readonly telemetry: TelemetryEvent[];
  readonly logs: string[];
}

/** A client connection plus everything the server sent it. */
export class TestClient implements Recorded {
  readonly publications: PublishDiagnosticsParams[] = [];
  readonly telemetry: TelemetryEvent[] = [];
  readonly logs: string[] = [];
  private waiters: (() => void)[] = [];

  constructor(
    readonly connection: MessageConnection,
    private readonly onDispose: () => void = () => undefined,
  ) {
    connection.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
      this.publications.push(p);
      this.wake();
    });
    connection.onNotification(TELEMETRY_EVENT_METHOD, (e: TelemetryEvent) => {
      this.telemetry.push(e);
      this.wake();
    });
    connection.onNotification("window/logMessage", (m: { message: string }) => {
      this.logs.push(m.message);
      this.wake();
    });
    // Dynamic registration (file watchers) must be answered, or the server logs a failure.
    connection.onRequest("client/registerCapability", () => null);
    connection.listen();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `predicate` holds (checked after every message from the server and every 10 ms); rejects after `ms`. */
  waitFor(predicate: () => boolean, ms = 5000, what = "condition"): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        clearInterval(poll);
        if (error === undefined) resolve();
        else reject(error);
      };
      const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}`)), ms);
      const poll = setInterval(() => {
        if (predicate()) finish();
      }, 10);
      const check = (): void => {
        if (predicate()) finish();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  /** Runs `action` and waits for the load it triggers (one more telemetry event); returns what that load sent. */
  async load(
    action: () => void | Promise<void>,
    ms = 5000,
  ): Promise<{ publications: PublishDiagnosticsParams[]; telemetry: TelemetryEvent }> {
    const p0 = this.publications.length;
    const t0 = this.telemetry.length;
    await action();
    await this.waitFor(() => this.telemetry.length > t0, ms, "telemetry/event");
    const telemetry = this.telemetry[t0];
    if (telemetry === undefined) throw new Error("no telemetry");
    return { publications: this.publications.slice(p0), telemetry };
  }

  /**
   * `initialize`; `rootUri` defaults to the root of the file system, so that every `file:` test
   * document is in the one policy of that root (null: no root, every document a one-file policy).
   */
  async initialize(
    initializationOptions: object = { existenceCheckIntervalMs: 0 },
    capabilities: object = {},
    rootUri: string | null = "file:///",
  ): Promise<unknown> {
    const result = await this.connection.sendRequest("initialize", {
      processId: null,
      rootUri,
      capabilities,
      initializationOptions,
    });
    await this.connection.sendNotification("initialized", {});
    return result;
  }

  open(uri: string, text: string, version = 1): Promise<void> {
    return this.connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri, languageId: "polar", version, text },
    });
  }

  change(uri: string, text: string, version: number): Promise<void> {
    return this.connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
  }

  close(uri: string): Promise<void> {
    return this.connection.sendNotification("textDocument/didClose", { textDocument: { uri } });
  }

  /** The latest publication for a URI. */
  latest(uri: string): PublishDiagnosticsParams | undefined {
    for (let i = this.publications.length - 1; i >= 0; i--) {
      const p = this.publications[i];
      if (p !== undefined && p.uri === uri) return p;
    }
    return undefined;
  }

  dispose(): void {
    this.connection.dispose();
    this.onDispose();
  }
}

/** Client and server in one process, over two PassThrough streams. */
export function inProcess(runtime: Partial<RuntimeEnvironment> = {}): TestClient {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  // Reader/writer objects, not raw streams: given streams, the library exits the process when they close.
  const server = createConnection(
    ProposedFeatures.all,
    new StreamMessageReader(toServer),
    new StreamMessageWriter(toClient),
  );
  const handle = startServer(server, runtime);
  const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  return new TestClient(client, () => {
    handle.dispose();
    server.dispose();
    toServer.destroy();
    toClient.destroy();
  });
}

/** The built server as a child process over stdio, node started with `nodeFlags`. */
export function overStdio(nodeFlags: readonly string[] = []): {
  client: TestClient;
  child: ChildProcess;
  stderr: () => string;
} {
  const child = spawn(process.execPath, [...nodeFlags, SERVER_MAIN, "--stdio"], { stdio: ["pipe", "pipe", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  if (child.stdout === null || child.stdin === null) throw new Error("no stdio");
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const client = new TestClient(connection, () => child.kill());
  return { client, child, stderr: () => err };
}

/** A `file:` URI for a test document (the files need not exist unless a test says so). */
export function uri(name: string, dir = "/virtual/policy"): string {
  return `file://${dir}/${name}`;
}

/** The repository's example policies: real Oso-style policies the feature tests run on. */
export const GITHUB = readFileSync(join(REPO_ROOT, "examples/github.polar"), "utf8");
export const SHARING = readFileSync(join(REPO_ROOT, "examples/document-sharing.polar"), "utf8");

/** Initializes `c`, opens one document and waits for its load; returns `c`. */
export async function withDocument(c: TestClient, documentUri: string, text: string): Promise<TestClient> {
  await c.initialize();
  await c.load(() => c.open(documentUri, text));
  return c;
}

/**
 * For a test file whose tests each start a fresh in-process server with one document: returns
 * `started(text)` (initialize, open `documentUri` with `text`, wait for its load) and disposes
 * the server after each test.
 */
export function oneDocumentServer(documentUri: string): (text: string) => Promise<TestClient> {
  let client: TestClient | null = null;
  afterEach(() => {
    client?.dispose();
    client = null;
  });
  return (text) => {
    client = inProcess();
    return withDocument(client, documentUri, text);
  };
}
