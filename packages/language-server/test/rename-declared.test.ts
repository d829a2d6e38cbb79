/**
 * Renaming a role, permission or relation renames it everywhere it means the same thing, over the
 * protocol: its declaration, the shorthand rules of its block and the impliers of linked blocks
 * (`… on "relation"`), and the string argument of `has_role` / `has_permission` / `has_relation`
 * rule heads and calls whose resource is of the block's class (a specializer, or `x matches C`
 * in the rule's body) — and nothing else: the same name in another block, or in a call whose
 * resource's class is unknown, stays. The policy (two files) is a template whose placeholders say
 * which target each occurrence belongs to, so the expected text after a rename is the template
 * filled with the new name; the renamed policy is loaded and reports nothing, as before.
 */
import { TextDocument } from "vscode-languageserver-textdocument";
import { afterEach, describe, expect, it } from "vitest";
import type { Location, Range, WorkspaceEdit } from "vscode-languageserver";
import { inProcess, uri, type TestClient } from "./helpers.js";

interface Names {
  /** Organization's role "admin". */
  orgAdmin: string;
  /** Repository's role "admin". */
  repoAdmin: string;
  /** Repository's relation "parent". */
  parent: string;
  /** Repository's permission "push". */
  push: string;
}

const NAMES: Names = { orgAdmin: "admin", repoAdmin: "admin", parent: "parent", push: "push" };

function blocks(n: Names): string {
  return `actor User {}

resource Organization {
  roles = ["member", "${n.orgAdmin}"];
  permissions = ["read"];

  "read" if "member";
  "member" if "${n.orgAdmin}";
}

resource Repository {
  roles = ["reader", "${n.repoAdmin}"];
  permissions = ["read", "${n.push}", "delete"];
  relations = { ${n.parent}: Organization };

  "reader" if "member" on "${n.parent}";
  "${n.repoAdmin}" if "${n.orgAdmin}" on "${n.parent}";
  "read" if "reader";
  "reader" if "${n.repoAdmin}";
}
`;
}

function rules(n: Names): string {
  return `allow(actor, action, resource) if has_permission(actor, action, resource);
allow(user, "delete", resource) if can_delete(user, resource);

has_role(user: User, name: String, org: Organization) if
  membership in user.memberships and membership.org = org and membership.role = name;

has_role(user: User, name: String, repo: Repository) if
  grant in user.grants and grant.repo = repo and grant.role = name;

has_relation(org: Organization, "${n.parent}", repo: Repository) if repo.org = org;

has_permission(user: User, "${n.push}", repo: Repository) if
  has_role(user, "${n.repoAdmin}", repo);

can_delete(user: User, resource) if
  resource matches Repository and
  has_role(user, "${n.repoAdmin}", resource) and
  org matches Organization and
  has_relation(org, "${n.parent}", resource) and
  has_role(user, "${n.orgAdmin}", org);

# Whose "admin"? The resource's class is unknown: not renamed with either.
is_admin(user, resource) if
  has_role(user, "admin", resource);
`;
}

const A = uri("blocks.polar");
const B = uri("rules.polar");
const TEXTS: Record<string, string> = { [A]: blocks(NAMES), [B]: rules(NAMES) };

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

async function started(): Promise<TestClient> {
  client = inProcess();
  const c = client;
  await c.initialize();
  await c.load(() => c.open(A, TEXTS[A] ?? ""));
  const { publications } = await c.load(() => c.open(B, TEXTS[B] ?? ""));
  expect(publications.flatMap((p) => p.diagnostics)).toEqual([]);
  return c;
}

/** Position `delta` characters into the `nth` occurrence of `needle` in document `doc`. */
function pos(doc: string, needle: string, delta: number, nth = 0): { line: number; character: number } {
  const text = TEXTS[doc] ?? "";
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`no ${needle}`);
  }
  return TextDocument.create(doc, "polar", 1, text).positionAt(at + delta);
}

function apply(doc: string, edit: WorkspaceEdit): string {
  return TextDocument.applyEdits(TextDocument.create(doc, "polar", 1, TEXTS[doc] ?? ""), edit.changes?.[doc] ?? []);
}

/** Renames at a position and checks the edited files against the template filled with the new name. */
async function renameAndCheck(
  c: TestClient,
  doc: string,
  position: { line: number; character: number },
  newName: string,
  expected: Names,
): Promise<void> {
  const edit = await c.connection.sendRequest<WorkspaceEdit>("textDocument/rename", {
    textDocument: { uri: doc },
    position,
    newName,
  });
  expect(apply(A, edit)).toBe(blocks(expected));
  expect(apply(B, edit)).toBe(rules(expected));
  // The renamed policy reports nothing, as before.
  const { publications } = await c.load(async () => {
    await c.change(A, apply(A, edit), 2);
    await c.change(B, apply(B, edit), 2);
  });
  expect(publications.flatMap((p) => p.diagnostics)).toEqual([]);
}

describe("rename of declared names, everywhere they mean the same thing", () => {
  it("renames a block's role in has_role calls on resources of that class, not another block's role of the same name", async () => {
    const c = await started();
    await renameAndCheck(c, A, pos(A, '"reader", "admin"', 12), "owner", { ...NAMES, repoAdmin: "owner" });
  });

  it("renames from a has_role call (resource typed by `matches`) back to the declaration and the shorthand rules", async () => {
    const c = await started();
    const at = pos(B, 'has_role(user, "admin", resource) and', 17);
    const prepared = await c.connection.sendRequest<{ range: Range; placeholder: string }>(
      "textDocument/prepareRename",
      { textDocument: { uri: B }, position: at },
    );
    expect(prepared.placeholder).toBe("admin");
    await renameAndCheck(c, B, at, "owner", { ...NAMES, repoAdmin: "owner" });
  });

  it("renames another block's role from a call into the impliers of `on` clauses that reach it", async () => {
    const c = await started();
    await renameAndCheck(c, B, pos(B, 'has_role(user, "admin", org)', 17), "owner", { ...NAMES, orgAdmin: "owner" });
  });

  it("renames a relation from a has_relation call into its declaration, `on` clauses and has_relation heads", async () => {
    const c = await started();
    await renameAndCheck(c, B, pos(B, 'has_relation(org, "parent"', 20), "org", { ...NAMES, parent: "org" });
  });

  it("renames a permission in has_permission heads from its declaration", async () => {
    const c = await started();
    await renameAndCheck(c, A, pos(A, '"push"', 2), "write", { ...NAMES, push: "write" });
  });

  it("finds the references of a role in calls, and none for a call whose resource's class is unknown", async () => {
    const c = await started();
    const found = await c.connection.sendRequest<Location[]>("textDocument/references", {
      textDocument: { uri: A },
      position: pos(A, '"reader", "admin"', 12),
      context: { includeDeclaration: false },
    });
    const lines = found.map((l) => `${l.uri === A ? "A" : "B"}:${l.range.start.line + 1}`);
    // "admin" if … on "parent" (the head), "reader" if "admin", and the two has_role calls on repositories.
    expect(lines).toEqual(["A:17", "A:19", "B:13", "B:17"]);
    const unknown = await c.connection.sendRequest<Location[]>("textDocument/references", {
      textDocument: { uri: B },
      position: pos(B, 'has_role(user, "admin", resource);', 17),
      context: { includeDeclaration: true },
    });
    // An undeclared name of an unknown class: only itself (nothing else names "admin" of no class).
    expect(unknown).toHaveLength(0);
  });
});
