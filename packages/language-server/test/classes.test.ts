/**
 * The application's classes through the real LSP connection (in-process): a polar.json at the
 * root, appearing, changing and disappearing (workspace/didChangeWatchedFiles); a broken one (one
 * diagnostic on it, the policy as without classes, nothing lost when it is fixed); the setting
 * (initializationOptions, didChangeConfiguration) and polar.json replacing it; completion and
 * hover with the classes. Each policy's expected diagnostics are `polar-check --classes`'s (see
 * classes-corpus.test.ts for the corpus), written out here as codes.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  FileChangeType,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type Hover,
  type MarkupContent,
} from "vscode-languageserver";
import { PROJECT_CONFIG_CODE } from "../src/project-classes.js";
import { inProcess, type TestClient } from "./helpers.js";

const POLICY = `allow(actor, action, resource) if has_permission(actor, action, resource);

actor User {}

resource Repo {
  roles = ["reader"];
  permissions = ["read"];
  relations = { parent: Org };
  "read" if "reader";
}

resource Org {}

has_role(_user: User, "reader", _repo: Repo);
has_relation(_org: Org, "parent", _repo: Repo);
visible(x: Widget) if x.shown = lonely;
`;

/** What `polar-check --classes User,Repo` reports for POLICY, in order. */
const ENGINE_CODES = [
  "ValidationError::UnregisteredClass",
  "ValidationWarning::UnknownSpecializer",
  "ValidationWarning::UnknownSpecializer",
  "ValidationError::SingletonVariable",
  "ValidationError::UnregisteredClass",
];
/** With every class registered (`--classes User,Repo,Org,Widget`). */
const ALL_REGISTERED_CODES = ["ValidationError::SingletonVariable"];

const USER_REPO = JSON.stringify({ classes: { User: {}, Repo: {} } });
const ALL = JSON.stringify({ classes: { User: {}, Repo: {}, Org: {}, Widget: {} } });

let dir = "";
let root = "";
let client: TestClient | null = null;
const policyUri = (): string => `${root}/policy.polar`;
const configUri = (): string => `${root}/polar.json`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pls-classes-"));
  root = pathToFileURL(dir).href;
  writeFileSync(join(dir, "policy.polar"), POLICY);
});
afterEach(() => {
  client?.dispose();
  client = null;
  rmSync(dir, { recursive: true, force: true });
});

const codes = (ds: readonly Diagnostic[] | undefined): string[] => (ds ?? []).map((d) => String(d.code));

/** Starts a server on the temporary root (with the given initializationOptions) and opens the policy. */
async function start(options: object = {}): Promise<TestClient> {
  const c = inProcess();
  client = c;
  await c.initialize(
    { existenceCheckIntervalMs: 0, ...options },
    { workspace: { didChangeWatchedFiles: { dynamicRegistration: true } } },
    root,
  );
  await c.load(() => c.open(policyUri(), POLICY));
  return c;
}

/** Waits until the latest publication for `uri` has these codes. */
async function published(c: TestClient, uri: string, expected: readonly string[]): Promise<void> {
  await c.waitFor(
    () => JSON.stringify(codes(c.latest(uri)?.diagnostics)) === JSON.stringify(expected),
    5000,
    `${uri}: ${expected.join(", ") || "no diagnostics"} (latest: ${codes(c.latest(uri)?.diagnostics).join(", ")})`,
  );
}

function watched(c: TestClient, type: FileChangeType, uri = configUri()): Promise<void> {
  return c.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri, type }] });
}

describe("polar.json at a project root", () => {
  it("without it, the server is Oso's: none of the three engine-view kinds", async () => {
    const c = await start();
    expect(codes(c.latest(policyUri())?.diagnostics)).toEqual([]);
  });

  it("read at initialize: the policy is checked as polar-check --classes checks it", async () => {
    writeFileSync(join(dir, "polar.json"), USER_REPO);
    const c = await start();
    expect(codes(c.latest(policyUri())?.diagnostics)).toEqual(ENGINE_CODES);
    const unregistered = c.latest(policyUri())?.diagnostics[0];
    expect(unregistered?.message).toBe("Unregistered class: Org");
    expect(unregistered?.range.start).toEqual({ line: 11, character: 0 });
  });

  it("asks the client to watch polar.json files (created, changed, deleted)", async () => {
    const c = inProcess();
    client = c;
    const registrations: unknown[] = [];
    c.connection.onRequest("client/registerCapability", (p: unknown) => {
      registrations.push(p);
      return null;
    });
    await c.initialize({}, { workspace: { didChangeWatchedFiles: { dynamicRegistration: true } } }, root);
    await c.waitFor(() => registrations.length > 0);
    expect(JSON.stringify(registrations)).toContain('{"globPattern":"**/polar.json"}');
  });

  it("appears, changes and disappears: re-analysed each time, without a telemetry event", async () => {
    const c = await start();
    const telemetryBefore = c.telemetry.length;

    writeFileSync(join(dir, "polar.json"), USER_REPO);
    await watched(c, FileChangeType.Created);
    await published(c, policyUri(), ENGINE_CODES);

    writeFileSync(join(dir, "polar.json"), ALL);
    await watched(c, FileChangeType.Changed);
    await published(c, policyUri(), ALL_REGISTERED_CODES);

    unlinkSync(join(dir, "polar.json"));
    await watched(c, FileChangeType.Deleted);
    await published(c, policyUri(), []);

    // Those loads were not client notifications Oso reports: the next telemetry event is the edit's.
    const edited = `${POLICY}\n`;
    await c.load(() => c.change(policyUri(), edited, 2));
    expect(c.telemetry[telemetryBefore]?.lsp_event.lsp_method).toBe("textDocument/didChange");
  });

  it("a deleted folder holding it counts as its deletion", async () => {
    writeFileSync(join(dir, "polar.json"), USER_REPO);
    const c = await start();
    unlinkSync(join(dir, "polar.json"));
    await watched(c, FileChangeType.Deleted, root);
    await published(c, policyUri(), []);
  });

  it("an unchanged polar.json does not re-analyse", async () => {
    writeFileSync(join(dir, "polar.json"), USER_REPO);
    const c = await start();
    const before = c.publications.length;
    await watched(c, FileChangeType.Changed);
    // A later edit's load is the next publication: nothing came in between.
    await c.load(() => c.change(policyUri(), `${POLICY}\n`, 2));
    expect(c.publications.slice(before).map((p) => p.version)).toEqual([2]);
  });
});

describe("polar.json of workspace folders added and removed", () => {
  it("a folder added with a polar.json brings its classes; removed, takes them away", async () => {
    const other = mkdtempSync(join(tmpdir(), "pls-classes-b-"));
    try {
      writeFileSync(join(other, "policy.polar"), POLICY);
      writeFileSync(join(other, "polar.json"), USER_REPO);
      const otherRoot = pathToFileURL(other).href;
      const otherPolicy = `${otherRoot}/policy.polar`;
      const c = inProcess();
      client = c;
      await c.initialize({ existenceCheckIntervalMs: 0 }, { workspace: { workspaceFolders: true } }, root);
      await c.load(() => c.open(otherPolicy, POLICY));
      expect(codes(c.latest(otherPolicy)?.diagnostics)).toEqual([]);

      const folders = (event: object): Promise<void> =>
        c.connection.sendNotification("workspace/didChangeWorkspaceFolders", { event });
      await folders({ added: [{ uri: otherRoot, name: "b" }], removed: [] });
      await published(c, otherPolicy, ENGINE_CODES);
      await folders({ added: [], removed: [{ uri: otherRoot, name: "b" }] });
      await published(c, otherPolicy, []);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe("a broken polar.json", () => {
  const broken: readonly (readonly [string, string, string])[] = [
    ['{ "classes": { "User": {} ', "not valid JSON", ""],
    ['{ "classes": ["User", "Repo"] }', "classes must be an object, not a list", '["User", "Repo"]'],
    ['{ "classes": { "Actor": {} } }', '"Actor" is not allowed here', '"Actor"'],
    ['{ "classes": { "Repo": { "bases": ["Base"] } } }', "base Base of Repo is not a class listed", '"Base"'],
  ];
  it.each(broken)("%s: one diagnostic on it (%s), the policy checked without classes", async (text, message, at) => {
    writeFileSync(join(dir, "polar.json"), text);
    const c = await start();
    await c.waitFor(() => c.latest(configUri()) !== undefined);
    const diagnostics = c.latest(configUri())?.diagnostics ?? [];
    expect(diagnostics).toHaveLength(1);
    const [d] = diagnostics;
    expect(d?.code).toBe(PROJECT_CONFIG_CODE);
    expect(d?.severity).toBe(1);
    expect(d?.message).toContain(message);
    if (at !== "" && d !== undefined) {
      const offset = text.indexOf(at);
      expect(d.range).toEqual({
        start: { line: 0, character: offset },
        end: { line: 0, character: offset + at.length },
      });
    }
    expect(codes(c.latest(policyUri())?.diagnostics)).toEqual([]);

    // Fixed: its diagnostic is cleared, and the classes apply.
    writeFileSync(join(dir, "polar.json"), USER_REPO);
    await watched(c, FileChangeType.Changed);
    await published(c, policyUri(), ENGINE_CODES);
    expect(c.latest(configUri())?.diagnostics).toEqual([]);
  });

  it("a folder named polar.json: a diagnostic, no crash", async () => {
    mkdirSync(join(dir, "polar.json"));
    const c = await start();
    await c.waitFor(() => c.latest(configUri()) !== undefined);
    expect(c.latest(configUri())?.diagnostics[0]?.message).toContain(
      "polar.json cannot be read: polar.json is not a file",
    );
    expect(codes(c.latest(policyUri())?.diagnostics)).toEqual([]);
  });

  it("a huge polar.json: a diagnostic, unread, no crash", async () => {
    writeFileSync(join(dir, "polar.json"), `{"classes": {}, "x": "${"a".repeat(1 << 20)}"}`);
    const c = await start();
    await c.waitFor(() => c.latest(configUri()) !== undefined);
    expect(c.latest(configUri())?.diagnostics[0]?.message).toContain("more than the");
    // Still answering.
    const symbols = await c.connection.sendRequest<unknown[]>("textDocument/documentSymbol", {
      textDocument: { uri: policyUri() },
    });
    expect(symbols.length).toBeGreaterThan(0);
  });
});

describe("the classes setting", () => {
  it("from initializationOptions, when the root has no polar.json", async () => {
    const c = await start({ classes: { User: {}, Repo: {} } });
    expect(codes(c.latest(policyUri())?.diagnostics)).toEqual(ENGINE_CODES);
  });

  it("follows workspace/didChangeConfiguration", async () => {
    const c = await start();
    const set = (classes: unknown): Promise<void> =>
      c.connection.sendNotification("workspace/didChangeConfiguration", {
        settings: { oso: { polarLanguageServer: { classes } } },
      });
    await set({ User: {}, Repo: {}, Org: {}, Widget: {} });
    await published(c, policyUri(), ALL_REGISTERED_CODES);
    await set({ User: {}, Repo: {} });
    await published(c, policyUri(), ENGINE_CODES);
    await set(null);
    await published(c, policyUri(), []);
  });

  it("is replaced by the root's polar.json", async () => {
    writeFileSync(join(dir, "polar.json"), ALL);
    const c = await start({ classes: { User: {}, Repo: {} } });
    expect(codes(c.latest(policyUri())?.diagnostics)).toEqual(ALL_REGISTERED_CODES);
    unlinkSync(join(dir, "polar.json"));
    await watched(c, FileChangeType.Deleted);
    await published(c, policyUri(), ENGINE_CODES);
  });

  it("a broken setting is shown to the user and ignored", async () => {
    const c = inProcess();
    client = c;
    const shown: string[] = [];
    c.connection.onNotification("window/showMessage", (m: { message: string }) => shown.push(m.message));
    await c.initialize({ existenceCheckIntervalMs: 0, classes: { Resource: {} } }, {}, root);
    await c.load(() => c.open(policyUri(), POLICY));
    expect(codes(c.latest(policyUri())?.diagnostics)).toEqual([]);
    await c.waitFor(() => shown.length > 0);
    expect(shown[0]).toContain("oso.polarLanguageServer.classes");
    expect(shown[0]).toContain('"Resource" is not allowed here');
  });

  it("does not reach a one-file policy (a document outside the roots)", async () => {
    const c = await start({ classes: { User: {} } });
    const outside = "untitled:Untitled-1";
    await c.load(() => c.open(outside, POLICY));
    expect(codes(c.latest(outside)?.diagnostics)).toEqual([]);
  });
});

describe("completion and hover with the classes", () => {
  const at = (text: string, needle: string, delta = 0): { line: number; character: number } => {
    const offset = text.indexOf(needle) + delta;
    const before = text.slice(0, offset).split("\n");
    return { line: before.length - 1, character: (before.at(-1) ?? "").length };
  };

  async function complete(
    c: TestClient,
    text: string,
    position: { line: number; character: number },
  ): Promise<CompletionItem[]> {
    await c.load(() => c.change(policyUri(), text, 2));
    const r = await c.connection.sendRequest<CompletionItem[] | CompletionList | null>("textDocument/completion", {
      textDocument: { uri: policyUri() },
      position,
    });
    return Array.isArray(r) ? r : (r?.items ?? []);
  }

  it("offers the registered classes as specializers, and says which blocks are not registered", async () => {
    writeFileSync(
      join(dir, "polar.json"),
      JSON.stringify({ classes: { User: {}, Repo: {}, Team: { bases: ["User"] } } }),
    );
    const c = await start();
    const text = `${POLICY}f(x: ) if x = 1;\n`;
    const items = await complete(c, text, at(text, "f(x: ", 5));
    const detail = (label: string): string | undefined => items.find((i) => i.label === label)?.detail;
    expect(detail("Team")).toBe("registered class (bases: User)");
    expect(detail("User")).toBe("registered class");
    expect(detail("Org")).toBe("resource (not registered)");
    expect(detail("String")).toBe("built-in class");
  });

  it("offers them as relation types", async () => {
    writeFileSync(join(dir, "polar.json"), JSON.stringify({ classes: { User: {}, Repo: {}, Team: {} } }));
    const c = await start();
    const text = POLICY.replace("relations = { parent: Org };", "relations = { parent: Org, team: };");
    const items = await complete(c, text, at(text, "team: ", 6));
    expect(items.map((i) => i.label)).toContain("Team");
  });

  it("without classes, completion is unchanged (no registered class)", async () => {
    const c = await start();
    const text = `${POLICY}f(x: ) if x = 1;\n`;
    const items = await complete(c, text, at(text, "f(x: ", 5));
    expect(items.find((i) => i.label === "Org")?.detail).toBe("resource");
    expect(items.some((i) => i.detail?.startsWith("registered") === true)).toBe(false);
  });

  async function hover(c: TestClient, position: { line: number; character: number }): Promise<string | null> {
    const h = await c.connection.sendRequest<Hover | null>("textDocument/hover", {
      textDocument: { uri: policyUri() },
      position,
    });
    return h === null ? null : (h.contents as MarkupContent).value;
  }

  it("hover on a class name says whether the application registers it", async () => {
    writeFileSync(join(dir, "polar.json"), JSON.stringify({ classes: { User: {}, Repo: { bases: ["User"] } } }));
    const c = await start();
    expect(await hover(c, at(POLICY, "_repo: Repo", 8))).toBe(
      "class `Repo`: registered by the application (polar.json)\n\nbases: `User`",
    );
    expect(await hover(c, at(POLICY, "x: Widget", 4))).toContain(
      "`Widget`: **not registered** by the application (not in polar.json)",
    );
    expect(await hover(c, at(POLICY, "resource Org", 10))).toContain("`Org`: **not registered**");
    expect(await hover(c, at(POLICY, "parent: Org", 9))).toContain("`Org`: **not registered**");
  });

  it("without classes, there is no class hover", async () => {
    const c = await start();
    expect(await hover(c, at(POLICY, "x: Widget", 4))).toBeNull();
  });
});
