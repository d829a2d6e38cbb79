/**
 * The one-file client's guard (`src/single-files.ts`): a document a root's client serves never
 * reaches the one-file server — no synchronisation, no feature answer — and every document-scoped
 * capability the bundled server announces has its hooks guarded (a new capability fails here
 * until it is classified).
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import type * as vscode from "vscode";
import { afterAll, describe, expect, it } from "vitest";
import {
  exclusiveMiddleware,
  GUARDED_CAPABILITIES,
  isSingleFile,
  UNSCOPED_CAPABILITIES,
  type Matcher,
} from "../src/single-files.js";

/** The fields of a document the guard reads. */
function doc(uri: string, languageId = "polar"): vscode.TextDocument {
  return { uri: { toString: () => uri }, languageId } as unknown as vscode.TextDocument;
}

/** A matcher for selectors of the form `{ pattern: "<prefix>/**" }`: prefix match on the URI. */
const prefixMatch: Matcher = (selector, d) => {
  const { pattern } = selector as { pattern: string };
  return d.uri.toString().startsWith(pattern.replace(/\*\*$/, "")) ? 10 : 0;
};
const roots: vscode.DocumentSelector[] = [{ pattern: "file:///ws/app/**" }, { pattern: "file:///ws/svc/billing/**" }];

describe("isSingleFile", () => {
  it.each([
    ["file:///ws/app/policy.polar", "polar", false],
    ["file:///ws/svc/billing/deep/x.polar", "polar", false],
    ["file:///ws/svc/other.polar", "polar", true],
    ["file:///tmp/loose.polar", "polar", true],
    ["untitled:Untitled-1", "polar", true],
    ["file:///tmp/notes.md", "markdown", false],
  ])("%s (%s) → %s", (uri, language, expected) => {
    expect(isSingleFile(doc(uri, language), roots, prefixMatch)).toBe(expected);
  });

  it("with no root, every Polar document is a one-file policy", () => {
    expect(isSingleFile(doc("file:///ws/app/policy.polar"), [], prefixMatch)).toBe(true);
  });
});

describe("exclusiveMiddleware", () => {
  const mine = doc("untitled:Untitled-1");
  const theirs = doc("file:///ws/app/policy.polar");
  const middleware = exclusiveMiddleware((d) => isSingleFile(d, roots, prefixMatch));
  const hooks = Object.entries(middleware) as [string, (...args: unknown[]) => unknown][];

  /** Calls a hook the way the language client does: document (or change event), other arguments, `next`. */
  function call(name: string, hook: (...args: unknown[]) => unknown, d: vscode.TextDocument) {
    const calls: unknown[][] = [];
    const next = (...args: unknown[]): unknown => {
      calls.push(args);
      return "answered by the server";
    };
    const first = name === "didChange" ? { document: d, contentChanges: [] } : d;
    const others = Array.from({ length: Math.max(0, hook.length - 2) }, (_, i) => `arg${i}`);
    return { result: hook(first, ...others, next), calls, first, others };
  }

  it("has a hook for every guarded capability, and only functions", () => {
    const names = new Set(hooks.map(([name]) => name));
    for (const required of Object.values(GUARDED_CAPABILITIES).flat()) expect(names).toContain(required);
    for (const [, hook] of hooks) expect(typeof hook).toBe("function");
  });

  it.each(hooks.map(([name]) => name))("%s: passes a one-file document on, unchanged", (name) => {
    const hook = hooks.find(([n]) => n === name)![1];
    const { result, calls, first, others } = call(name, hook, mine);
    expect(calls).toEqual([[first, ...others]]);
    expect(result).toBe("answered by the server");
  });

  it.each(hooks.map(([name]) => name))("%s: keeps a root's document from the server", async (name) => {
    const hook = hooks.find(([n]) => n === name)![1];
    const { result, calls } = call(name, hook, theirs);
    expect(calls).toEqual([]);
    expect(await result).toBeUndefined();
  });
});

describe("the bundled server's capabilities", () => {
  const require = createRequire(import.meta.url);
  const child = spawn(process.execPath, [require.resolve("@polar-ide/language-server/main"), "--stdio"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  afterAll(() => void child.kill());

  /** Sends `initialize` over LSP's base protocol and returns the capabilities. */
  function initialize(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      let buffer = Buffer.alloc(0);
      child.stdout.on("data", (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          const end = buffer.indexOf("\r\n\r\n");
          if (end < 0) return;
          const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString())?.[1]);
          if (buffer.length < end + 4 + length) return;
          const message = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString()) as {
            id?: number;
            result?: { capabilities: Record<string, unknown> };
          };
          buffer = buffer.subarray(end + 4 + length);
          if (message.id === 1 && message.result) resolve(message.result.capabilities);
        }
      });
      child.on("error", reject);
      const body = JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { processId: null, rootUri: null, capabilities: {}, initializationOptions: { projectRoots: [] } },
      });
      child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
  }

  it("are each guarded or named as not document-scoped", async () => {
    const capabilities = await initialize();
    const announced = Object.keys(capabilities).filter((k) => capabilities[k] !== false);
    const unclassified = announced.filter((k) => !(k in GUARDED_CAPABILITIES) && !UNSCOPED_CAPABILITIES.includes(k));
    expect(unclassified).toEqual([]);
    // The map is not stale either: the server announces most of it (the sync and the core features).
    for (const k of ["textDocumentSync", "completionProvider", "renameProvider", "referencesProvider"])
      expect(announced).toContain(k);
  });
});
