/**
 * `workspace/didChangeWorkspaceFolders`, in process: the project roots follow the folders the
 * client adds and removes. Two folders, one document in each: `a.polar` calls a rule that only
 * `b.polar` defines, and `b.polar` alone has no allow rule, so each document's diagnostics say
 * whether the two are one policy (none) or not (UndefinedRuleCall in a, MissingAllowRule in b).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { DocumentSymbol, PublishDiagnosticsParams } from "vscode-languageserver";
import { inProcess, uri, type TestClient } from "./helpers.js";

const FOLDER_A = "file:///virtual/ws/a";
const FOLDER_B = "file:///virtual/ws/b";
const A = uri("a.polar", "/virtual/ws/a");
const B = uri("b.polar", "/virtual/ws/b");
const A_TEXT = "allow(actor, action, resource) if f(actor, action, resource);\n";
const B_TEXT = "f(_actor, _action, _resource);\n";

const A_ALONE = ["ValidationError::UndefinedRuleCall"];
const APART = { [A]: A_ALONE, [B]: ["ValidationWarning::MissingAllowRule"] };
const TOGETHER = { [A]: [], [B]: [] };

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

/** A client whose only root is folder A (its `rootUri`), with a.polar and b.polar open. */
async function started(initializationOptions: object = { existenceCheckIntervalMs: 0 }): Promise<TestClient> {
  client = inProcess();
  const c = client;
  await c.initialize(initializationOptions, { workspace: { workspaceFolders: true } }, FOLDER_A);
  await c.load(() => c.open(A, A_TEXT));
  await c.load(() => c.open(B, B_TEXT));
  expect(codes(c)).toEqual(APART);
  return c;
}

/** The codes of the latest publication of each document. */
function codes(c: TestClient): Record<string, (string | number | undefined)[]> {
  const out: Record<string, (string | number | undefined)[]> = {};
  for (const u of [A, B]) {
    const latest = c.latest(u);
    if (latest !== undefined) out[u] = latest.diagnostics.map((d) => d.code);
  }
  return out;
}

/** Sends a folder change and waits until both documents were published again; returns those publications. */
async function changeFolders(
  c: TestClient,
  added: string[],
  removed: string[],
  expected: Record<string, string[]>,
): Promise<PublishDiagnosticsParams[]> {
  const p0 = c.publications.length;
  const t0 = c.telemetry.length;
  await c.connection.sendNotification("workspace/didChangeWorkspaceFolders", {
    event: {
      added: added.map((f) => ({ uri: f, name: f.slice(f.lastIndexOf("/") + 1) })),
      removed: removed.map((f) => ({ uri: f, name: f.slice(f.lastIndexOf("/") + 1) })),
    },
  });
  await c.waitFor(
    () => [A, B].every((u) => c.publications.slice(p0).some((p) => p.uri === u)),
    5000,
    "both documents republished",
  );
  expect(codes(c)).toEqual(expected);
  // Not one of the four notifications whose loads Oso's telemetry reports.
  expect(c.telemetry.length).toBe(t0);
  return c.publications.slice(p0);
}

describe("workspace folders", () => {
  it("an added folder joins the roots' policy; a removed one leaves it, its open documents checked alone", async () => {
    const c = await started();
    const joined = await changeFolders(c, [FOLDER_B], [], TOGETHER);
    // Republished with the documents' versions.
    expect(joined.map((p) => [p.uri, p.version])).toEqual([
      [A, 1],
      [B, 1],
    ]);
    await changeFolders(c, [], [FOLDER_B], APART);
    // Folder A removed too: no root left, each document is a one-file policy (a alone: its call is undefined).
    await changeFolders(c, [FOLDER_B], [FOLDER_A], APART);
    await changeFolders(c, [FOLDER_A], [], TOGETHER);
  });

  it("drops a closed document under a removed folder: a final empty list, and it is no longer part of anything", async () => {
    const c = await started();
    await changeFolders(c, [FOLDER_B], [], TOGETHER);
    await c.close(B);
    const published = await changeFolders(c, [], [FOLDER_B], { [A]: A_ALONE, [B]: [] });
    expect(published.find((p) => p.uri === B)?.diagnostics).toEqual([]);
    const symbols = await c.connection.sendRequest<DocumentSymbol[]>("textDocument/documentSymbol", {
      textDocument: { uri: B },
    });
    expect(symbols).toEqual([]);
    // Adding the folder back does not revive it: the server knows only the documents the client sent.
    const p0 = c.publications.length;
    await c.connection.sendNotification("workspace/didChangeWorkspaceFolders", {
      event: { added: [{ uri: FOLDER_B, name: "b" }], removed: [] },
    });
    await c.waitFor(() => c.publications.slice(p0).some((p) => p.uri === A), 5000, "a republished");
    expect(c.publications.slice(p0).map((p) => p.uri)).toEqual([A]);
  });

  it("keeps explicit projectRoots: folder changes are logged and ignored", async () => {
    const c = await started({ existenceCheckIntervalMs: 0, projectRoots: [FOLDER_A] });
    const p0 = c.publications.length;
    await c.connection.sendNotification("workspace/didChangeWorkspaceFolders", {
      event: { added: [{ uri: FOLDER_B, name: "b" }], removed: [{ uri: FOLDER_A, name: "a" }] },
    });
    await c.waitFor(() => c.logs.some((l) => l.includes("folders are not followed")), 5000, "the log");
    expect(c.publications.length).toBe(p0);
    // An edit still loads with the explicit roots: the two documents stay apart.
    await c.load(() => c.change(B, `${B_TEXT}\n`, 2));
    expect(codes(c)).toEqual(APART);
  });

  it("says in its capabilities that it takes folder changes", async () => {
    client = inProcess();
    const result = (await client.initialize(
      { existenceCheckIntervalMs: 0 },
      { workspace: { workspaceFolders: true } },
    )) as {
      capabilities: { workspace?: { workspaceFolders?: { supported?: boolean; changeNotifications?: boolean } } };
    };
    expect(result.capabilities.workspace?.workspaceFolders).toEqual({ supported: true, changeNotifications: true });
  });
});
