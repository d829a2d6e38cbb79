/**
 * Formatting over the protocol, in process: the capabilities, `textDocument/formatting` (the
 * analyzer's formatted text, no edit when formatted, none for a syntax error), range formatting
 * (only the items the range touches), UTF-16 positions, and bad parameters answered with nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Range, TextEdit } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { formatPolar } from "@polar-ide/analyzer";
import { GITHUB, inProcess, uri, withDocument, type TestClient } from "./helpers.js";

const A = uri("format.polar");

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

async function started(text: string): Promise<TestClient> {
  client = inProcess();
  return withDocument(client, A, text);
}

function apply(text: string, edits: readonly TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create(A, "polar", 1, text), [...edits]);
}

async function formatting(c: TestClient): Promise<TextEdit[]> {
  return c.connection.sendRequest<TextEdit[]>("textDocument/formatting", {
    textDocument: { uri: A },
    options: { tabSize: 8, insertSpaces: false },
  });
}

async function rangeFormatting(c: TestClient, range: unknown): Promise<TextEdit[]> {
  return c.connection.sendRequest<TextEdit[]>("textDocument/rangeFormatting", {
    textDocument: { uri: A },
    range,
    options: { tabSize: 2, insertSpaces: true },
  });
}

const MESSY =
  'allow(actor,action,resource)if has_permission(actor,action,resource);\n\n\n\nactor User{}\nresource Repo{roles=["reader"];permissions=["read"];"read" if "reader";}\n' +
  'has_role(user:User,"reader",repo:Repo)if repo.owner=user;   # owner\n';

describe("formatting over LSP", () => {
  it("announces document and range formatting", async () => {
    client = inProcess();
    const result = (await client.initialize()) as { capabilities: Record<string, unknown> };
    expect(result.capabilities.documentFormattingProvider).toBe(true);
    expect(result.capabilities.documentRangeFormattingProvider).toBe(true);
  });

  it("formats a document to the analyzer's layout, then has nothing to change", async () => {
    const c = await started(MESSY);
    const edits = await formatting(c);
    expect(edits.length).toBeGreaterThan(0);
    const formatted = apply(MESSY, edits);
    expect(formatted).toBe(formatPolar(MESSY)?.text);
    expect(formatted).toContain('resource Repo {\n  roles = ["reader"];\n');
    expect(formatted).toContain("repo.owner = user; # owner\n");
    await c.change(A, formatted, 2);
    expect(await formatting(c)).toEqual([]);
  });

  it("returns no edits for a formatted example or a document with a syntax error", async () => {
    const c = await started(GITHUB);
    expect(await formatting(c)).toEqual([]);
    await c.change(A, "allow(actor, action, resource) if\n  has_permission(actor, action,;\n", 2);
    expect(await formatting(c)).toEqual([]);
  });

  it("formats only the items a range touches", async () => {
    const c = await started(MESSY);
    const line = MESSY.split("\n").findIndex((l) => l.startsWith("actor"));
    const range: Range = { start: { line, character: 0 }, end: { line: line + 1, character: 3 } };
    const out = apply(MESSY, await rangeFormatting(c, range));
    expect(out.startsWith("allow(actor,action,resource)if")).toBe(true);
    expect(out).toContain('actor User {}\nresource Repo {\n  roles = ["reader"];');
    expect(out).toContain("has_role(user:User,");
  });

  it("uses UTF-16 positions", async () => {
    const text = 'f(x) if x = "😀é";   g( 1 );\n';
    const c = await started(text);
    const edits = await formatting(c);
    expect(apply(text, edits)).toBe('f(x) if x = "😀é";\ng(1);\n');
  });

  it("answers bad parameters and unknown documents with no edits", async () => {
    const c = await started(MESSY);
    expect(await rangeFormatting(c, { start: { line: "a" } })).toEqual([]);
    expect(await rangeFormatting(c, null)).toEqual([]);
    expect(
      await c.connection.sendRequest<TextEdit[]>("textDocument/formatting", {
        textDocument: { uri: uri("unknown.polar") },
        options: { tabSize: 2, insertSpaces: true },
      }),
    ).toEqual([]);
  });
});
