/**
 * Editor features over the protocol: document symbols, go to definition (rule calls, shorthand
 * strings, relation types) and hover on rule calls.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { DocumentSymbol, Hover, Location } from "vscode-languageserver";
import { inProcess, uri, type TestClient } from "./helpers.js";

const POLICY = `allow(actor, action, resource) if has_permission(actor, action, resource);

actor User {}

resource Org {
  roles = ["owner", "member"];
  permissions = ["read", "create_repo"];

  "read" if "member";
  "member" if "owner";
}

resource Repo {
  roles = ["reader", "admin"];
  permissions = ["read", "delete"];
  relations = { parent: Org, creator: User };

  "read" if "reader";
  "delete" if "admin";
  "admin" if "owner" on "parent";
  "admin" if "creator";
}

type is_public(repo: Repo);
has_permission(_: User, "read", repo: Repo) if is_public(repo) and repo.is_public();
has_role(user: User, name: String, org: Org) if role in user.roles and role.name = name and role.org = org;
has_role(user: User, name: String, repo: Repo) if role in user.roles and role.name = name and role.repo = repo;
has_relation(org: Org, "parent", repo: Repo) if repo.org = org;
has_relation(user: User, "creator", repo: Repo) if repo.creator = user;
`;
const MORE = `is_public(repo: Repo) if repo.visibility = "public";
is_public(_: Repo) if false;
`;

const MAIN = uri("main.polar");
const OTHER = uri("other.polar");

/** LSP position of the `nth` occurrence of `needle` in `text`, `delta` characters in. */
function pos(text: string, needle: string, nth = 0, delta = 1): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`no ${needle} #${nth}`);
  }
  const before = text.slice(0, at + delta).split("\n");
  return { line: before.length - 1, character: (before.at(-1) ?? "").length };
}

/** The line of the `nth` occurrence of `needle`. */
function lineOf(text: string, needle: string, nth = 0): number {
  return pos(text, needle, nth, 0).line;
}

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

async function withPolicy(): Promise<TestClient> {
  client = inProcess();
  const c = client;
  await c.initialize();
  await c.load(() => c.open(MAIN, POLICY));
  await c.load(() => c.open(OTHER, MORE));
  return c;
}

async function definitionAt(c: TestClient, needle: string, nth = 0, delta = 1): Promise<[string, number, number][]> {
  const result = await c.connection.sendRequest<Location[]>("textDocument/definition", {
    textDocument: { uri: MAIN },
    position: pos(POLICY, needle, nth, delta),
  });
  return result.map((l) => [l.uri, l.range.start.line, l.range.start.character]);
}

describe("document symbols", () => {
  it("outlines rules, rule types and resource blocks with their declarations and shorthand rules", async () => {
    const c = await withPolicy();
    const symbols = await c.connection.sendRequest<DocumentSymbol[]>("textDocument/documentSymbol", {
      textDocument: { uri: MAIN },
    });
    expect(symbols.map((s) => [s.name, s.kind])).toEqual([
      ["allow", 12],
      ["User", 5],
      ["Org", 5],
      ["Repo", 5],
      ["is_public", 11],
      ["has_permission", 12],
      ["has_role", 12],
      ["has_role", 12],
      ["has_relation", 12],
      ["has_relation", 12],
    ]);
    const repo = symbols[3];
    expect(repo?.detail).toBe("resource");
    expect(repo?.selectionRange.start).toEqual(pos(POLICY, "Repo {", 0, 0));
    expect(repo?.range.start.line).toBe(lineOf(POLICY, "resource Repo"));
    expect(repo?.range.end.line).toBe(lineOf(POLICY, '"admin" if "creator"') + 1);
    expect(repo?.children?.map((s) => s.name)).toEqual([
      "roles",
      "permissions",
      "relations",
      '"read" if "reader"',
      '"delete" if "admin"',
      '"admin" if "owner" on "parent"',
      '"admin" if "creator"',
    ]);
    expect(repo?.children?.[0]?.children?.map((s) => s.name)).toEqual(["reader", "admin"]);
    const relations = repo?.children?.[2]?.children ?? [];
    expect(relations.map((s) => [s.name, s.detail])).toEqual([
      ["parent", "relation: Org"],
      ["creator", "relation: User"],
    ]);
    expect(relations[0]?.selectionRange.start).toEqual(pos(POLICY, "parent: Org", 0, 0));
    // A rule's range covers its body; its selection is its name.
    const allow = symbols[0];
    expect(allow?.range.end).toEqual(pos(POLICY, ";", 0, 0));
    expect(allow?.selectionRange).toEqual({ start: { line: 0, character: 0 }, end: { line: 0, character: 5 } });
  });

  it("answers an empty outline for a document that does not parse, and for an unknown document", async () => {
    const c = await withPolicy();
    await c.load(() => c.open(uri("broken.polar"), "f(x"));
    for (const u of [uri("broken.polar"), uri("unknown.polar")]) {
      const symbols = await c.connection.sendRequest("textDocument/documentSymbol", { textDocument: { uri: u } });
      expect(symbols).toEqual([]);
    }
  });
});

describe("go to definition", () => {
  it("goes from a rule call to every definition of the rule, across documents", async () => {
    const c = await withPolicy();
    expect(await definitionAt(c, "is_public(repo) and")).toEqual([
      [OTHER, 0, 0],
      [OTHER, 1, 0],
    ]);
    expect(await definitionAt(c, "has_permission(actor")).toEqual([
      [MAIN, lineOf(POLICY, "has_permission(_: User"), 0],
    ]);
  });

  it("does not treat a method call as a rule call", async () => {
    const c = await withPolicy();
    expect(await definitionAt(c, "is_public();", 0, 2)).toEqual([]);
  });

  it("goes from a shorthand rule's strings to their declarations, across `on` into the related block", async () => {
    const c = await withPolicy();
    const owner = pos(POLICY, '"owner"', 0, 0);
    const parent = pos(POLICY, "parent: Org", 0, 0);
    const admin = pos(POLICY, '"admin"', 0, 0);
    const reader = pos(POLICY, '"reader"', 0, 0);
    const read = pos(POLICY, '"read"', 2, 0); // Repo's permission
    const creator = pos(POLICY, "creator: User", 0, 0);
    // "admin" if "owner" on "parent";
    expect(await definitionAt(c, '"admin" if "owner" on', 0, 2)).toEqual([[MAIN, admin.line, admin.character]]);
    expect(await definitionAt(c, '"owner" on "parent"', 0, 2)).toEqual([[MAIN, owner.line, owner.character]]);
    expect(await definitionAt(c, '"parent";', 0, 2)).toEqual([[MAIN, parent.line, parent.character]]);
    // "read" if "reader"; inside Repo: the Repo permission, not Org's.
    expect(await definitionAt(c, '"read" if "reader"', 0, 2)).toEqual([[MAIN, read.line, read.character]]);
    expect(await definitionAt(c, '"reader";', 0, 2)).toEqual([[MAIN, reader.line, reader.character]]);
    // A relation used as implier.
    expect(await definitionAt(c, '"creator";', 0, 2)).toEqual([[MAIN, creator.line, creator.character]]);
  });

  it("goes from a relation's type to the related block", async () => {
    const c = await withPolicy();
    const org = pos(POLICY, "Org {", 0, 0);
    expect(await definitionAt(c, "Org, creator", 0, 1)).toEqual([[MAIN, org.line, org.character]]);
  });

  it("answers nothing away from calls and strings", async () => {
    const c = await withPolicy();
    expect(await definitionAt(c, "roles = [", 0, 1)).toEqual([]);
    expect(await definitionAt(c, "\n\nactor", 0, 0)).toEqual([]);
  });
});

describe("hover", () => {
  async function hoverAt(c: TestClient, needle: string, nth = 0, delta = 1): Promise<Hover | null> {
    return c.connection.sendRequest<Hover | null>("textDocument/hover", {
      textDocument: { uri: MAIN },
      position: pos(POLICY, needle, nth, delta),
    });
  }

  function text(h: Hover | null): string {
    const contents = h?.contents;
    return typeof contents === "object" && contents !== null && "value" in contents ? contents.value : "";
  }

  it("shows the declared rule types a rule call must match", async () => {
    const c = await withPolicy();
    const h = await hoverAt(c, "is_public(repo) and");
    expect(text(h)).toContain("type is_public(repo: Repo);");
    expect(text(h)).toContain("2 definitions");
    expect(h?.range).toEqual({
      start: pos(POLICY, "is_public(repo) and", 0, 0),
      end: pos(POLICY, "is_public(repo) and", 0, "is_public".length),
    });
  });

  it("shows the built-in rule type of has_permission", async () => {
    const c = await withPolicy();
    const h = await hoverAt(c, "has_permission(actor");
    expect(text(h)).toContain("type has_permission(actor: Actor, _permission: String, resource: Resource);");
    expect(text(h)).toContain("1 definition in the policy");
  });

  it("says when a rule has no rule type, and answers null off a call", async () => {
    const c = await withPolicy();
    await c.load(() => c.open(uri("c.polar"), "f(x) if g(x);\ng(_);"));
    const h = await c.connection.sendRequest<Hover | null>("textDocument/hover", {
      textDocument: { uri: uri("c.polar") },
      position: { line: 0, character: 9 },
    });
    expect(text(h)).toContain("no rule type");
    expect(await hoverAt(c, "roles = [", 0, 1)).toBeNull();
  });
});
