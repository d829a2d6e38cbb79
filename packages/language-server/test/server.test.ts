/**
 * The server's notifications, driven by an in-process client: what is published (uri, version,
 * codes, ranges) and which telemetry events are sent, for every notification Oso's server handles
 * plus the deletions Oso missed.
 */
import { caseNames, casesDir } from "@polar-ide/testing";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { DIAGNOSTIC_SOURCE } from "../src/server.js";
import { inProcess, uri, type TestClient } from "./helpers.js";

const CASES = casesDir();

const ALLOW = "allow(_actor, _action, _resource);\n";
const UNFINISHED = "f(x"; // UnrecognizedEOF at the end

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

async function started(options?: object): Promise<TestClient> {
  client = inProcess();
  await client.initialize(options);
  return client;
}

function codes(p: { diagnostics: { code?: string | number }[] } | undefined): (string | number | undefined)[] {
  return (p?.diagnostics ?? []).map((d) => d.code);
}

describe("initialize", () => {
  it("advertises incremental sync, deletions of any path and the editor features", async () => {
    client = inProcess();
    const result = (await client.initialize()) as { capabilities: Record<string, unknown> };
    expect(result.capabilities).toMatchObject({
      textDocumentSync: { openClose: true, change: 2 },
      documentSymbolProvider: true,
      definitionProvider: true,
      hoverProvider: true,
      workspace: { fileOperations: { didDelete: { filters: [{ pattern: { glob: "**" } }] } } },
    });
  });

  it("registers a watcher for deleted Polar files when the client supports it", async () => {
    client = inProcess();
    const registrations: unknown[] = [];
    client.connection.onRequest("client/registerCapability", (p: unknown) => {
      registrations.push(p);
      return null;
    });
    await client.initialize(
      { existenceCheckIntervalMs: 0 },
      { workspace: { didChangeWatchedFiles: { dynamicRegistration: true } } },
    );
    await client.waitFor(() => registrations.length > 0, 2000, "registration");
    expect(JSON.stringify(registrations)).toContain("**/*.polar");
  });
});

describe("didOpen / didChange", () => {
  it("publishes the diagnostics of an opened document with its version, code and source", async () => {
    const c = await started();
    const a = uri("a.polar");
    const { publications, telemetry } = await c.load(() => c.open(a, ALLOW + UNFINISHED, 7));
    expect(publications).toHaveLength(1);
    const p = publications[0];
    expect(p?.uri).toBe(a);
    expect(p?.version).toBe(7);
    expect(codes(p)).toEqual(["ParseError::UnrecognizedEOF"]);
    expect(p?.diagnostics[0]?.source).toBe(DIAGNOSTIC_SOURCE);
    expect(p?.diagnostics[0]?.severity).toBe(1);
    // The end of "f(x" on the second line.
    expect(p?.diagnostics[0]?.range.start).toEqual({ line: 1, character: 3 });
    expect(telemetry.lsp_event).toEqual({ lsp_method: "textDocument/didOpen", lsp_file_extensions: ["polar"] });
    expect(telemetry.diagnostics).toEqual(p?.diagnostics);
    expect(telemetry.policy_stats).toMatchObject({ polar_files: 1, polar_chars: (ALLOW + UNFINISHED).length });
    expect(Object.keys(telemetry.resource_block_stats)).toContain("shorthand_rules");
  });

  it("republishes every tracked document on every load, clearing fixed ones with their new version", async () => {
    const c = await started();
    const a = uri("a.polar");
    const b = uri("b.polar");
    await c.load(() => c.open(a, ALLOW, 1));
    const second = await c.load(() => c.open(b, UNFINISHED, 1));
    expect(second.publications.map((p) => [p.uri, p.version, codes(p)])).toEqual([
      [a, 1, []],
      [b, 1, ["ParseError::UnrecognizedEOF"]],
    ]);
    const fixed = await c.load(() => c.change(b, "g(1);", 2));
    expect(fixed.publications.map((p) => [p.uri, p.version, codes(p)])).toEqual([
      [a, 1, []],
      [b, 2, []],
    ]);
    expect(fixed.telemetry.lsp_event.lsp_method).toBe("textDocument/didChange");
    expect(fixed.telemetry.policy_stats).toMatchObject({ polar_files: 2, longhand_rules: 2, total_rules: 2 });
  });

  it("publishes a diagnostic without source context on every document, at 0:0", async () => {
    const c = await started();
    await c.load(() => c.open(uri("a.polar"), "f(1);"));
    const { publications } = await c.load(() => c.open(uri("b.polar"), "g(1);"));
    for (const p of publications) {
      expect(codes(p)).toEqual(["ValidationWarning::MissingAllowRule"]);
      expect(p.diagnostics[0]?.severity).toBe(2);
      expect(p.diagnostics[0]?.range).toEqual({ start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
    }
    expect(publications).toHaveLength(2);
  });

  it("analyses a burst of changes once and never publishes the superseded versions", async () => {
    const c = await started();
    const a = uri("a.polar");
    await c.load(() => c.open(a, ALLOW, 1));
    const before = c.publications.length;
    const t0 = c.telemetry.length;
    // Written back to back: every version but the last is superseded before the server gets to load.
    for (let v = 2; v <= 31; v++) void c.change(a, v % 2 === 0 ? ALLOW + UNFINISHED : ALLOW, v);
    await c.waitFor(() => c.latest(a)?.version === 31, 5000, "version 31");
    await new Promise((r) => setTimeout(r, 50));
    const versions = c.publications.slice(before).map((p) => p.version);
    const published = versions.filter((v): v is number => v !== undefined);
    expect(published).toHaveLength(versions.length); // every publication names its version
    // On a quiet machine the server gets all 30 changes within its 50 ms window: one analysis of
    // version 31. On a loaded one the client's writes can straddle the window, so the server may
    // analyse a version that was the newest it had then — never more than a few, never out of
    // order, never ending on anything but the last.
    expect(published.at(-1)).toBe(31);
    expect(published.length).toBeLessThanOrEqual(3);
    expect([...published].sort((x, y) => x - y)).toEqual(published);
    expect(new Set(published).size).toBe(published.length);
    expect(c.telemetry.length - t0).toBe(published.length);
    expect(codes(c.latest(a))).toEqual([]);
  });

  it("ignores a change older than the tracked version", async () => {
    const c = await started();
    const a = uri("a.polar");
    await c.load(() => c.open(a, ALLOW, 5));
    await c.change(a, UNFINISHED, 4);
    const { publications } = await c.load(() => c.change(a, ALLOW + "g(1);", 6));
    expect(publications.map((p) => [p.version, codes(p)])).toEqual([[6, []]]);
    expect(c.publications.some((p) => p.version === 4)).toBe(false);
  });

  it("applies ranged changes (incremental sync)", async () => {
    const c = await started();
    const a = uri("a.polar");
    await c.load(() => c.open(a, ALLOW + "f(1);", 1));
    const { publications } = await c.load(() =>
      c.connection.sendNotification("textDocument/didChange", {
        textDocument: { uri: a, version: 2 },
        // "f(1);" → "f(1;"
        contentChanges: [{ range: { start: { line: 1, character: 3 }, end: { line: 1, character: 4 } }, text: "" }],
      }),
    );
    expect(codes(publications[0])).toEqual(["ParseError::UnrecognizedToken"]);
  });
});

describe("didClose", () => {
  it("keeps the document: it stays in the policy and keeps being published", async () => {
    const c = await started();
    const a = uri("a.polar");
    const b = uri("b.polar");
    await c.load(() => c.open(a, "f(x) if g(x);\n", 3));
    await c.load(() => c.open(b, ALLOW + "g(1);", 1));
    await c.close(b);
    const { publications, telemetry } = await c.load(() => c.change(a, "f(x) if g(x) and h(x);\n", 4));
    expect(publications.map((p) => [p.uri, p.version])).toEqual([
      [a, 4],
      [b, 1],
    ]);
    // g is still defined by the closed document; h is not defined anywhere.
    expect(codes(publications[0])).toEqual(["ValidationError::UndefinedRuleCall"]);
    expect(publications[0]?.diagnostics[0]?.message).toBe("Call to undefined rule: h(x)");
    expect(telemetry.policy_stats.polar_files).toBe(2);
  });
});

describe("workspace/didChangeWatchedFiles", () => {
  it("removes deleted Polar files: a final empty list for them, the rest republished", async () => {
    const c = await started();
    const a = uri("a.polar");
    const b = uri("b.polar");
    await c.load(() => c.open(a, "f(x) if g(x);\n" + ALLOW, 1));
    await c.load(() => c.open(b, "g(1) if 1 = ;", 2));
    const { publications, telemetry } = await c.load(() =>
      c.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: b, type: 3 }] }),
    );
    expect(publications.map((p) => [p.uri, p.version, codes(p)])).toEqual([
      [a, 1, ["ValidationError::UndefinedRuleCall"]],
      [b, 2, []],
    ]);
    expect(telemetry.lsp_event).toEqual({
      lsp_method: "workspace/didChangeWatchedFiles",
      lsp_file_extensions: ["polar"],
    });
    // Oso counts the published entries, the removed document's included.
    expect(telemetry.policy_stats.polar_files).toBe(2);
    // Removed: a later load no longer publishes it.
    const later = await c.load(() => c.change(a, ALLOW, 2));
    expect(later.publications.map((p) => p.uri)).toEqual([a]);
  });

  it("ignores created/changed events and deletions of untracked files (no load)", async () => {
    const c = await started();
    const a = uri("a.polar");
    await c.load(() => c.open(a, ALLOW));
    const t0 = c.telemetry.length;
    await c.connection.sendNotification("workspace/didChangeWatchedFiles", {
      changes: [
        { uri: a, type: 1 },
        { uri: a, type: 2 },
        { uri: uri("other.polar"), type: 3 },
      ],
    });
    const { publications } = await c.load(() => c.change(a, ALLOW, 2));
    expect(c.telemetry.length).toBe(t0 + 1);
    expect(publications.map((p) => p.uri)).toEqual([a]);
  });

  it("treats a deleted watched path as a possible folder", async () => {
    const c = await started();
    const inDir = uri("a.polar", "/virtual/policy/sub");
    const outside = uri("b.polar", "/virtual/policy/subway");
    await c.load(() => c.open(inDir, ALLOW));
    await c.load(() => c.open(outside, "f(1);"));
    const { publications } = await c.load(() =>
      c.connection.sendNotification("workspace/didChangeWatchedFiles", {
        changes: [{ uri: "file:///virtual/policy/sub", type: 3 }],
      }),
    );
    expect(publications.map((p) => [p.uri, codes(p)])).toEqual([
      [inDir, []],
      [outside, ["ValidationWarning::MissingAllowRule"]],
    ]);
  });
});

describe("workspace/didDeleteFiles", () => {
  it("removes every tracked document under a deleted folder, and only those", async () => {
    const c = await started();
    const docs = [
      uri("x.polar", "/w/app/policies"),
      uri("y.polar", "/w/app/policies/nested"),
      uri("z.polar", "/w/app/policies-old"),
    ];
    for (const [i, d] of docs.entries()) await c.load(() => c.open(d, i === 2 ? "f(1);" : ALLOW, 1));
    const { publications, telemetry } = await c.load(() =>
      c.connection.sendNotification("workspace/didDeleteFiles", { files: [{ uri: "file:///w/app/policies" }] }),
    );
    expect(publications.map((p) => [p.uri, codes(p)])).toEqual([
      [docs[2], ["ValidationWarning::MissingAllowRule"]],
      [docs[1], []],
      [docs[0], []],
    ]);
    expect(telemetry.lsp_event).toEqual({ lsp_method: "workspace/didDeleteFiles", lsp_file_extensions: [] });
    expect(telemetry.policy_stats.polar_files).toBe(3);
    const later = await c.load(() => c.change(docs[2] ?? "", ALLOW, 2));
    expect(later.publications.map((p) => p.uri)).toEqual([docs[2]]);
  });

  it("does not load when no tracked document was deleted (as Oso)", async () => {
    const c = await started();
    await c.load(() => c.open(uri("a.polar"), ALLOW));
    const t0 = c.telemetry.length;
    await c.connection.sendNotification("workspace/didDeleteFiles", {
      files: [{ uri: "file:///elsewhere/readme.md" }],
    });
    await c.load(() => c.change(uri("a.polar"), ALLOW, 2));
    expect(c.telemetry.length).toBe(t0 + 1);
    expect(c.telemetry.at(-1)?.lsp_event.lsp_method).toBe("textDocument/didChange");
  });
});

describe("folders deleted outside the editor", () => {
  it("notices tracked file: documents that no longer exist and clears them", async () => {
    const root = mkdtempSync(join(tmpdir(), "pls-rm-"));
    try {
      const dir = join(root, "policies");
      mkdirSync(dir);
      writeFileSync(join(dir, "a.polar"), ALLOW);
      writeFileSync(join(root, "b.polar"), "f(x) if g(x);\n");
      const a = pathToFileURL(join(dir, "a.polar")).href;
      const b = pathToFileURL(join(root, "b.polar")).href;
      const unsaved = pathToFileURL(join(root, "new.polar")).href; // a buffer never written to disk
      const c = await started({ existenceCheckIntervalMs: 25 });
      await c.load(() => c.open(a, "g(1);\n" + ALLOW, 1));
      await c.load(() => c.open(b, "f(x) if g(x);\n", 1));
      await c.load(() => c.open(unsaved, "h(1);", 1));
      await new Promise((r) => setTimeout(r, 100)); // let the check see the files once
      const t0 = c.telemetry.length;
      rmSync(dir, { recursive: true }); // as `rm -r` in a terminal: no notification at all
      await c.waitFor(() => c.telemetry.length > t0, 3000, "load after rm -r");
      const load = c.publications.slice(-3);
      expect(load.map((p) => [p.uri, codes(p)])).toEqual(
        [
          [a, []],
          [b, ["ValidationError::UndefinedRuleCall", "ValidationWarning::MissingAllowRule"]],
          [unsaved, ["ValidationWarning::MissingAllowRule"]],
        ].sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1)),
      );
      expect(c.telemetry.at(-1)?.lsp_event.lsp_method).toBe("workspace/didChangeWatchedFiles");
      // The unsaved buffer and the surviving file stay tracked.
      const later = await c.load(() => c.change(b, "f(x) if h(x);\n", 2));
      expect(later.publications.map((p) => p.uri).sort()).toEqual([b, unsaved].sort());
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("keeps a document whose file disappears only briefly (editors that save by rename)", async () => {
    const root = mkdtempSync(join(tmpdir(), "pls-rename-"));
    try {
      const file = join(root, "a.polar");
      writeFileSync(file, ALLOW);
      const a = pathToFileURL(file).href;
      let missingOnce = false;
      client = inProcess({
        fileExists: async () => {
          const missing = missingOnce;
          missingOnce = false;
          return !missing;
        },
      });
      const c = client;
      await c.initialize({ existenceCheckIntervalMs: 20 });
      await c.load(() => c.open(a, ALLOW, 1));
      await new Promise((r) => setTimeout(r, 60));
      const t0 = c.telemetry.length;
      missingOnce = true; // one check sees the file missing, the next ones see it again
      await new Promise((r) => setTimeout(r, 120));
      expect(missingOnce).toBe(false);
      expect(c.telemetry.length).toBe(t0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("published diagnostics match the engine's (conformance corpus, language_server view)", () => {
  interface LsDiagnostic {
    code: string;
    severity: string;
    message: string;
    file: string | null;
    range: object;
  }
  const names = caseNames().filter((n) => {
    if (
      !n.startsWith("hand-multi-") &&
      ![
        "hand-rb-gitclub-split",
        "hand-rb-gitclub-missing-has-role",
        "hand-val-undefined-call-in-not",
        "hand-val-undefined-call-with-rewrite",
      ].includes(n)
    )
      return false;
    const caseJson = JSON.parse(readFileSync(join(CASES, n, "case.json"), "utf8")) as { load?: unknown };
    const expected = JSON.parse(readFileSync(join(CASES, n, "expected.json"), "utf8")) as {
      language_server: { diagnostics: unknown; order_dependent?: boolean };
    };
    return (
      caseJson.load === undefined &&
      Array.isArray(expected.language_server.diagnostics) &&
      !expected.language_server.order_dependent
    );
  });

  it.each(names)("%s", async (name) => {
    const dir = join(CASES, name);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".polar"))
      .sort();
    const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as {
      language_server: { diagnostics: LsDiagnostic[]; stats: { policy_stats: object; resource_block_stats: object } };
    };
    const c = await started();
    const uriOf = (f: string): string => `file:///case/${encodeURIComponent(f)}`;
    let last: Awaited<ReturnType<TestClient["load"]>> | null = null;
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8");
      last = await c.load(() => c.open(uriOf(f), text, 1));
    }
    const got = (last?.publications ?? []).flatMap((p) =>
      p.diagnostics.map((d) => ({
        uri: p.uri,
        code: d.code,
        severity: d.severity,
        range: d.range,
        message: d.message,
      })),
    );
    const want = files.flatMap((f) =>
      expected.language_server.diagnostics
        .filter((d) => d.file === null || d.file === f)
        .map((d) => ({
          uri: uriOf(f),
          code: d.code,
          severity: d.severity === "error" ? 1 : 2,
          range: d.range,
          message: d.message,
        })),
    );
    // Both sides: what the server published and what the corpus expects (severities as numbers there).
    const strip = (xs: readonly { code: unknown; message: string }[]): object[] =>
      // FileLoading messages name the files, which are URIs in the editor.
      xs.map((x) => (x.code === "ValidationError::FileLoading" ? { ...x, message: "" } : x));
    expect(strip(got)).toEqual(strip(want));
    expect(last?.telemetry.policy_stats).toEqual(expected.language_server.stats.policy_stats);
    expect(last?.telemetry.resource_block_stats).toEqual(expected.language_server.stats.resource_block_stats);
  });

  it("covers the multi-file cases", () => {
    expect(names.filter((n) => n.startsWith("hand-multi-")).length).toBeGreaterThanOrEqual(5);
    expect(existsSync(CASES)).toBe(true);
  });
});

describe("publication order", () => {
  it("orders documents by the code points of their URIs, as Oso's BTreeMap (not by UTF-16 units)", async () => {
    const c = await started();
    // U+FF5E sorts before U+1F600 by code point; in UTF-16 the emoji's surrogate 0xD83D sorts first.
    const fullwidth = uri("\u{FF5E}.polar");
    const emoji = uri("\u{1F600}.polar");
    const plain = uri("a.polar");
    await c.load(() => c.open(emoji, ALLOW));
    await c.load(() => c.open(fullwidth, ALLOW));
    const { publications } = await c.load(() => c.open(plain, ALLOW));
    expect(publications.map((p) => p.uri)).toEqual([plain, fullwidth, emoji]);
  });
});
