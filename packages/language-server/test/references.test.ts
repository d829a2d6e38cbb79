/**
 * Find references, document highlight and rename over the protocol, on examples/github.polar split
 * into two documents (the blocks, and the rules that use them): roles, relations, rules and
 * classes are followed across blocks linked by `on` and across the two files.
 */
import { TextDocument } from "vscode-languageserver-textdocument";
import { afterEach, describe, expect, it } from "vitest";
import type { DocumentHighlight, Location, Range, WorkspaceEdit } from "vscode-languageserver";
import { inProcess, uri, type TestClient, GITHUB } from "./helpers.js";

const CUT = GITHUB.indexOf("has_role(user: User, name: String, org: Organization)");
const BLOCKS = GITHUB.slice(0, CUT);
const RULES = GITHUB.slice(CUT);
const A = uri("blocks.polar");
const B = uri("rules.polar");
const TEXTS: Record<string, string> = { [A]: BLOCKS, [B]: RULES };

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

async function started(): Promise<TestClient> {
  client = inProcess();
  const c = client;
  await c.initialize();
  await c.load(() => c.open(A, BLOCKS));
  const { publications } = await c.load(() => c.open(B, RULES));
  expect(publications.flatMap((p) => p.diagnostics)).toEqual([]);
  return c;
}

/** Position of the `nth` occurrence of `needle` in the document `doc`, `delta` characters in. */
function pos(doc: string, needle: string, delta = 1, nth = 0): { line: number; character: number } {
  const text = TEXTS[doc] ?? "";
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`no ${needle}`);
  }
  return TextDocument.create(doc, "polar", 1, text).positionAt(at + delta);
}

/** The text each location covers, with its document's short name. */
function covered(locations: { uri: string; range: Range }[]): string[] {
  return locations.map((l) => {
    const d = TextDocument.create(l.uri, "polar", 1, TEXTS[l.uri] ?? "");
    const line = d.getText({
      start: { line: l.range.start.line, character: 0 },
      end: { line: l.range.start.line, character: 200 },
    });
    return `${l.uri === A ? "A" : "B"}:${d.getText(l.range)}@${line.split("\n")[0]?.trim()}`;
  });
}

async function refs(
  c: TestClient,
  doc: string,
  needle: string,
  delta = 1,
  includeDeclaration = true,
): Promise<string[]> {
  const result = await c.connection.sendRequest<Location[]>("textDocument/references", {
    textDocument: { uri: doc },
    position: pos(doc, needle, delta),
    context: { includeDeclaration },
  });
  return covered(result);
}

describe("find references", () => {
  it("follows a role from its declaration into the shorthand rules of its block and across `on`", async () => {
    const c = await started();
    expect(await refs(c, A, '"member", "admin"', 2)).toEqual([
      'A:member@roles = ["member", "admin"];',
      'A:member@"read" if "member";',
      'A:member@"member" if "admin";',
      'A:member@"reader" if "member" on "organization";',
    ]);
    // From a use in another block, without the declaration.
    expect(await refs(c, A, '"member" on "organization"', 2, false)).toEqual([
      'A:member@"read" if "member";',
      'A:member@"member" if "admin";',
      'A:member@"reader" if "member" on "organization";',
    ]);
  });

  it("tells a block's permission from another block's permission of the same name", async () => {
    const c = await started();
    const issueRead = await refs(c, A, '"read" if "read" on "repository"', 2);
    expect(issueRead).toEqual([
      'A:read@permissions = ["read", "comment", "close"];',
      'A:read@"read" if "read" on "repository";',
      'A:read@"comment" if "read";',
    ]);
    // The implier of `"read" if "read" on "repository"` is Repository's permission, used in the rules file too.
    expect(await refs(c, A, 'if "read" on "repository"', 5)).toEqual([
      'A:read@permissions = ["read", "push", "delete", "create_issue"];',
      'A:read@"read" if "reader";',
      'A:read@"read" if "read" on "repository";',
      'B:read@has_permission(_: User, "read", repo: Repository) if repo.is_public = true;',
    ]);
  });

  it("follows a relation into `on` clauses and has_relation heads in the other file", async () => {
    const c = await started();
    expect(await refs(c, A, "organization: Organization", 2)).toEqual([
      "A:organization@relations = { organization: Organization };",
      'A:organization@"reader" if "member" on "organization";',
      'A:organization@"maintainer" if "admin" on "organization";',
      'B:organization@has_relation(org: Organization, "organization", repo: Repository) if repo.organization = org;',
    ]);
  });

  it("follows a rule by name and arity, and a class into relation types and specializers", async () => {
    const c = await started();
    expect(await refs(c, A, "has_permission(actor, action, resource);", 2)).toEqual([
      "A:has_permission@allow(actor, action, resource) if has_permission(actor, action, resource);",
      'B:has_permission@has_permission(_: User, "read", repo: Repository) if repo.is_public = true;',
    ]);
    const issue = await refs(c, A, "resource Issue", 10);
    expect(issue).toEqual([
      "A:Issue@resource Issue {",
      'B:Issue@has_relation(repo: Repository, "repository", issue: Issue) if issue.repository = repo;',
      'B:Issue@has_relation(user: User, "author", issue: Issue) if issue.author = user;',
    ]);
  });

  it("highlights the occurrences in the document, declarations as writes", async () => {
    const c = await started();
    const result = await c.connection.sendRequest<DocumentHighlight[]>("textDocument/documentHighlight", {
      textDocument: { uri: A },
      position: pos(A, '"maintainer" if "admin"', 2),
    });
    expect(result.map((h) => h.kind)).toEqual([3, 2, 2, 2]);
    expect(covered(result.map((h) => ({ uri: A, range: h.range })))).toEqual([
      'A:maintainer@roles = ["reader", "writer", "maintainer"];',
      'A:maintainer@"maintainer" if "admin" on "organization";',
      'A:maintainer@"writer" if "maintainer";',
      'A:maintainer@"delete" if "maintainer";',
    ]);
  });
});

describe("rename", () => {
  function apply(text: string, uriOf: string, edit: WorkspaceEdit | null): string {
    const edits = edit?.changes?.[uriOf] ?? [];
    return TextDocument.applyEdits(TextDocument.create(uriOf, "polar", 1, text), edits);
  }

  it("renames a relation across blocks and files; the renamed policy stays clean", async () => {
    const c = await started();
    const prepared = await c.connection.sendRequest<{ range: Range; placeholder: string }>(
      "textDocument/prepareRename",
      {
        textDocument: { uri: B },
        position: pos(B, '"organization", repo', 3),
      },
    );
    expect(prepared.placeholder).toBe("organization");
    const edit = await c.connection.sendRequest<WorkspaceEdit>("textDocument/rename", {
      textDocument: { uri: B },
      position: pos(B, '"organization", repo', 3),
      newName: "owner_org",
    });
    const a = apply(BLOCKS, A, edit);
    const b = apply(RULES, B, edit);
    expect(a).toContain("relations = { owner_org: Organization };");
    expect(a).toContain('"reader" if "member" on "owner_org";');
    expect(a).not.toContain('"organization"');
    expect(b).toContain('has_relation(org: Organization, "owner_org", repo: Repository)');
    // The policy with the edits applied has no diagnostic, as before.
    const { publications } = await c.load(async () => {
      await c.change(A, a, 2);
      await c.change(B, b, 2);
    });
    expect(publications.flatMap((p) => p.diagnostics)).toEqual([]);
  });

  it("renames a class in block names, relation types and specializers", async () => {
    const c = await started();
    const edit = await c.connection.sendRequest<WorkspaceEdit>("textDocument/rename", {
      textDocument: { uri: A },
      position: pos(A, "resource Repository", 10),
      newName: "Repo",
    });
    expect(apply(BLOCKS, A, edit)).toContain("relations = { repository: Repo, author: User };");
    expect(apply(RULES, B, edit).match(/: Repo\b/g)).toHaveLength(4);
    expect(apply(RULES, B, edit)).not.toContain("Repository");
  });

  it("refuses built-in rules, invalid names and a rename that adds a diagnostic", async () => {
    const c = await started();
    await expect(
      c.connection.sendRequest("textDocument/prepareRename", {
        textDocument: { uri: A },
        position: pos(A, "has_permission(actor, action, resource);", 2),
      }),
    ).rejects.toThrow(/has_permission is a rule Oso knows/);
    await expect(
      c.connection.sendRequest("textDocument/rename", {
        textDocument: { uri: A },
        position: pos(A, "resource Issue", 10),
        newName: "not a name",
      }),
    ).rejects.toThrow(/not a valid Polar name/);
    // Organization's role "member" renamed to "read" collides with its permission "read".
    await expect(
      c.connection.sendRequest("textDocument/rename", {
        textDocument: { uri: A },
        position: pos(A, '"member", "admin"', 2),
        newName: "read",
      }),
    ).rejects.toThrow(/would add ValidationError::DuplicateResourceBlockDeclaration/);
    // Off any name: nothing to rename.
    const none = await c.connection.sendRequest("textDocument/prepareRename", {
      textDocument: { uri: A },
      position: { line: 0, character: 0 },
    });
    expect(none).toBeNull();
  });
});
