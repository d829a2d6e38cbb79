/**
 * Robustness: whatever a client sends, the server stays up and answers the next request
 * correctly — malformed params, unknown methods, non-file URIs, a 10 MB document, binary garbage
 * (as document text and on the wire), handlers that throw.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CancellationTokenSource, ErrorCodes, LSPErrorCodes, ResponseError } from "vscode-languageserver";
import { runSafe } from "../src/run-safe.js";
import { inProcess, overStdio, uri, type TestClient } from "./helpers.js";

const ALLOW = "allow(_actor, _action, _resource);\n";

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

async function started(): Promise<TestClient> {
  client = inProcess();
  await client.initialize();
  return client;
}

/** The server still works: a new document is analysed and published, and a request is answered. */
async function stillWorks(c: TestClient, name = "probe.polar"): Promise<void> {
  const probe = uri(name, "/probe");
  // The name goes into the text: two files with the same contents are a FileLoading error.
  const { publications } = await c.load(() => c.open(probe, `${ALLOW}# ${name}\nf(x`, 1));
  expect(publications.find((p) => p.uri === probe)?.diagnostics.map((d) => d.code)).toEqual([
    "ParseError::UnrecognizedEOF",
  ]);
  const symbols = await c.connection.sendRequest<{ name: string }[]>("textDocument/documentSymbol", {
    textDocument: { uri: probe },
  });
  // The probe does not parse: the outline still has the rule before the broken one (tolerant parse).
  expect(symbols.map((s) => s.name)).toEqual(["allow"]);
}

describe("malformed params", () => {
  const notifications: [string, unknown][] = [
    ["textDocument/didOpen", null],
    ["textDocument/didOpen", {}],
    ["textDocument/didOpen", { textDocument: { uri: 42, text: "f(1);" } }],
    ["textDocument/didOpen", { textDocument: { uri: "file:///x.polar", text: null, version: 1 } }],
    ["textDocument/didChange", { textDocument: { uri: "file:///x.polar", version: 2 } }],
    [
      "textDocument/didChange",
      { textDocument: { uri: "file:///x.polar", version: 2 }, contentChanges: [{ range: {}, text: "x" }] },
    ],
    ["textDocument/didChange", { textDocument: null, contentChanges: "nope" }],
    ["textDocument/didClose", null],
    ["workspace/didChangeWatchedFiles", { changes: "all of them" }],
    ["workspace/didChangeWatchedFiles", { changes: [null, 3, { uri: 5, type: 3 }] }],
    ["workspace/didDeleteFiles", { files: null }],
    ["workspace/didDeleteFiles", { files: [null, { uri: {} }] }],
  ];

  it.each(notifications)("%s %j is ignored, and the server keeps working", async (method, params) => {
    const c = await started();
    await c.connection.sendNotification(method, params);
    await stillWorks(c);
  });

  it("answers requests with malformed params with an empty result", async () => {
    const c = await started();
    await c.load(() => c.open(uri("a.polar"), ALLOW));
    expect(await c.connection.sendRequest("textDocument/hover", {})).toBeNull();
    expect(
      await c.connection.sendRequest("textDocument/definition", { textDocument: { uri: uri("a.polar") } }),
    ).toEqual([]);
    expect(
      await c.connection.sendRequest("textDocument/definition", {
        textDocument: { uri: uri("a.polar") },
        position: { line: "one", character: 0 },
      }),
    ).toEqual([]);
    expect(await c.connection.sendRequest("textDocument/documentSymbol", { textDocument: 7 })).toEqual([]);
    // A position past the end of the document is clamped, not an error.
    expect(
      await c.connection.sendRequest("textDocument/hover", {
        textDocument: { uri: uri("a.polar") },
        position: { line: 1000, character: 1000 },
      }),
    ).toBeNull();
    // The requests added for issue 10, each with malformed params and with a position off the text.
    const doc = { uri: uri("a.polar") };
    const far = { line: 1000, character: 1000 };
    for (const [method, empty] of [
      ["textDocument/completion", []],
      ["textDocument/references", []],
      ["textDocument/documentHighlight", []],
      ["textDocument/prepareRename", null],
      ["textDocument/rename", null],
      ["textDocument/foldingRange", []],
    ] as const) {
      expect(await c.connection.sendRequest(method, {}), method).toEqual(empty);
      expect(await c.connection.sendRequest(method, { textDocument: doc, position: { line: -1 } }), method).toEqual(
        empty,
      );
      const answer: unknown = await c.connection.sendRequest(method, { textDocument: doc, position: far, newName: 5 });
      if (method === "textDocument/completion" || method === "textDocument/foldingRange") expect(answer).toBeDefined();
      else expect(answer, method).toEqual(empty);
    }
    expect(await c.connection.sendRequest("textDocument/codeAction", {})).toEqual([]);
    expect(
      await c.connection.sendRequest("textDocument/codeAction", { textDocument: doc, range: { start: far } }),
    ).toEqual([]);
    expect(
      await c.connection.sendRequest("textDocument/codeAction", {
        textDocument: doc,
        range: { start: far, end: far },
        context: { only: [3] },
      }),
    ).toEqual([]);
    expect(await c.connection.sendRequest("textDocument/semanticTokens/full", {})).toEqual({ data: [] });
    expect(
      await c.connection.sendRequest("textDocument/semanticTokens/full/delta", {
        textDocument: doc,
        previousResultId: 7,
      }),
    ).toHaveProperty("data");
    expect(
      await c.connection.sendRequest("textDocument/selectionRange", { textDocument: doc, positions: [far, 3] }),
    ).toEqual([]);
    expect(
      await c.connection.sendRequest("textDocument/selectionRange", { textDocument: doc, positions: [far] }),
    ).toHaveLength(1);
    expect(await c.connection.sendRequest("textDocument/signatureHelp", { textDocument: doc })).toBeNull();
    expect(
      await c.connection.sendRequest("textDocument/signatureHelp", { textDocument: doc, position: far }),
    ).toBeNull();
    expect(await c.connection.sendRequest("workspace/symbol", { query: 42 })).toEqual(
      await c.connection.sendRequest("workspace/symbol", { query: "" }),
    );
    await stillWorks(c);
  });
});

describe("unknown methods", () => {
  it("answers an unknown request with MethodNotFound and logs an unknown notification", async () => {
    const c = await started();
    const error = await c.connection.sendRequest("polar/doesNotExist", { x: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect((error as ResponseError<unknown>).code).toBe(ErrorCodes.MethodNotFound);
    await c.connection.sendNotification("polar/somethingElse", [1, 2, 3]);
    await c.waitFor(
      () => c.logs.some((l) => l.includes("polar/somethingElse")),
      2000,
      "log of the unknown notification",
    );
    await stillWorks(c);
  });
});

describe("non-file URIs", () => {
  it("analyses untitled and in-memory documents each as a one-file policy, and drops them when closed", async () => {
    const c = await started();
    const untitled = "untitled:Untitled-1";
    const memory = "inmemory://model/1";
    await c.load(() => c.open(untitled, ALLOW + "f(x) if g(x);"));
    // `g` is defined in the other document, which is not part of the untitled buffer's policy.
    const { publications } = await c.load(() => c.open(memory, "g(1);"));
    expect(publications.map((p) => [p.uri, p.diagnostics.map((d) => d.code)])).toEqual([
      [memory, ["ValidationWarning::MissingAllowRule"]],
      [untitled, ["ValidationError::UndefinedRuleCall"]],
    ]);
    // Not files: a deleted folder never removes them.
    await c.connection.sendNotification("workspace/didDeleteFiles", { files: [{ uri: "file:///" }] });
    const later = await c.load(() => c.change(memory, "g(2);", 2));
    expect(later.publications.map((p) => p.uri)).toEqual([memory, untitled]);
    // Closing drops them: a final empty list, and the next load no longer publishes them.
    const published = c.publications.length;
    await c.close(untitled);
    await c.waitFor(() => c.publications.length > published, 2000, "the final empty list");
    expect(c.publications.at(-1)).toEqual({ uri: untitled, diagnostics: [] });
    const after = await c.load(() => c.change(memory, "g(3);", 3));
    expect(after.publications.map((p) => p.uri)).toEqual([memory]);
  });

  it("never merges a file outside the project roots into the roots' policy", async () => {
    client = inProcess();
    const c = client;
    await c.initialize(undefined, undefined, "file:///project");
    const inside = "file:///project/a.polar";
    const outside = "file:///elsewhere/b.polar";
    await c.load(() => c.open(inside, ALLOW + "f(x) if g(x);"));
    const { publications } = await c.load(() => c.open(outside, ALLOW + "g(1);"));
    expect(publications.map((p) => [p.uri, p.diagnostics.map((d) => d.code)])).toEqual([
      [outside, []],
      [inside, ["ValidationError::UndefinedRuleCall"]],
    ]);
    // Closing a file keeps it (Oso's semantics), inside or outside the roots.
    const { publications: again } = await c.load(async () => {
      await c.close(outside);
      await c.change(inside, ALLOW + "f(x) if g(x);\n", 2);
    });
    expect(again.map((p) => p.uri)).toEqual([outside, inside]);
  });

  it("gives a file opened without any root its diagnostics and features as a one-file policy", async () => {
    client = inProcess();
    const c = client;
    await c.initialize(undefined, undefined, null);
    const a = uri("a.polar");
    const b = uri("b.polar");
    await c.load(() => c.open(a, ALLOW + "f(x) if g(x);"));
    const { publications } = await c.load(() => c.open(b, "g(1);"));
    expect(publications.map((p) => [p.uri, p.diagnostics.map((d) => d.code)])).toEqual([
      [a, ["ValidationError::UndefinedRuleCall"]],
      [b, ["ValidationWarning::MissingAllowRule"]],
    ]);
    const symbols = await c.connection.sendRequest<{ name: string }[]>("textDocument/documentSymbol", {
      textDocument: { uri: a },
    });
    expect(symbols.map((s) => s.name)).toEqual(["allow", "f"]);
    // Definition stays inside the one-file policy: `g` of the other file is not offered.
    const defs = await c.connection.sendRequest<unknown[]>("textDocument/definition", {
      textDocument: { uri: a },
      position: { line: 1, character: 9 },
    });
    expect(defs).toEqual([]);
  });
});

describe("big and garbage documents", () => {
  it("handles a 10 MB document and answers the next request correctly", async () => {
    const c = await started();
    const rule = 'has_permission(actor: User, "read", repo: Repo) if repo.public = true and actor.active;\n';
    const big = ALLOW + rule.repeat(Math.ceil((10 * 1024 * 1024) / rule.length));
    expect(big.length).toBeGreaterThanOrEqual(10 * 1024 * 1024);
    const a = uri("big.polar");
    const { publications, telemetry } = await c.load(() => c.open(a, big), 60_000);
    expect(publications[0]?.uri).toBe(a);
    expect(telemetry.policy_stats.polar_chars).toBe(big.length);
    await stillWorks(c);
  }, 120_000);

  it("handles binary garbage as document text", async () => {
    const c = await started();
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    // Every UTF-16 code unit, lone surrogates and NULs included.
    let garbage = "";
    for (let i = 0; i < 200_000; i++) garbage += String.fromCharCode(random() % 0x10000);
    const { publications } = await c.load(() => c.open(uri("garbage.polar"), garbage));
    expect(publications).toHaveLength(1);
    expect(publications[0]?.diagnostics.length).toBeGreaterThan(0);
    await stillWorks(c);
    const symbols = await c.connection.sendRequest("textDocument/documentSymbol", {
      textDocument: { uri: uri("garbage.polar") },
    });
    expect(symbols).toEqual([]);
  });

  it("survives a deeply nested document", async () => {
    const c = await started();
    const deep = "f(x) if " + "(".repeat(100_000) + "x" + ")".repeat(100_000) + ";";
    const { publications } = await c.load(() => c.open(uri("deep.polar"), deep));
    expect(publications).toHaveLength(1);
    await stillWorks(c);
    await c.connection.sendRequest("textDocument/hover", {
      textDocument: { uri: uri("deep.polar") },
      position: { line: 0, character: 50_000 },
    });
    await c.connection.sendRequest("textDocument/documentSymbol", { textDocument: { uri: uri("deep.polar") } });
    await stillWorks(c, "probe2.polar");
  });
});

describe("failures inside the server", () => {
  it("logs a failing existence check and keeps going", async () => {
    client = inProcess({
      fileExists: () => Promise.reject(new Error("disk on fire")),
    });
    const c = client;
    await c.initialize({ existenceCheckIntervalMs: 10 });
    await c.load(() => c.open("file:///tmp/pls-no-such/a.polar", ALLOW));
    await new Promise((r) => setTimeout(r, 60));
    await stillWorks(c);
  });

  it("runSafe answers the default value when a handler throws, and RequestCancelled when cancelled", async () => {
    const errors: string[] = [];
    const logger = { error: (m: string) => errors.push(m) };
    const source = new CancellationTokenSource();
    const value = await runSafe(
      logger,
      () => {
        throw new Error("boom");
      },
      "default",
      "handler",
      source.token,
    );
    expect(value).toBe("default");
    expect(errors[0]).toContain("handler: boom");
    source.cancel();
    const cancelled = await runSafe(logger, () => "never", "default", "handler", source.token);
    expect(cancelled).toBeInstanceOf(ResponseError);
    expect((cancelled as ResponseError<void>).code).toBe(LSPErrorCodes.RequestCancelled);
  });
});

describe("garbage on the wire (built server over stdio)", () => {
  it("survives a framed message whose body is not JSON and answers the next request", async () => {
    const { client: c, child } = overStdio();
    client = c;
    await c.initialize();
    const body = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0x80, 0x81]);
    child.stdin?.write(`Content-Length: ${body.length}\r\n\r\n`);
    child.stdin?.write(body);
    await stillWorks(c);
    expect(child.exitCode).toBeNull();
  });

  it("shuts down cleanly on shutdown + exit", async () => {
    const { client: c, child } = overStdio();
    client = c;
    await c.initialize();
    await stillWorks(c);
    await c.connection.sendRequest("shutdown");
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await c.connection.sendNotification("exit");
    expect(await exited).toBe(0);
  });
});
