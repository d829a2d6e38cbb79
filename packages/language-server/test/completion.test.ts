/**
 * Completion over the protocol, on the example policies (examples/github.polar,
 * examples/document-sharing.polar): the cursor is placed in the real text, or in the text with an
 * unfinished item typed at a point, as a user types it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { InsertTextFormat, type CompletionItem, type CompletionList } from "vscode-languageserver";
import { inProcess, uri, type TestClient, GITHUB, SHARING } from "./helpers.js";

const MAIN = uri("main.polar");

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

/** The text with `typed` inserted right after the first occurrence of `after`, and the cursor at the end of `typed`. */
function typedAt(text: string, after: string, typed: string): { text: string; offset: number } {
  const at = text.indexOf(after);
  if (at < 0) throw new Error(`no ${after}`);
  const end = at + after.length;
  return { text: text.slice(0, end) + typed + text.slice(end), offset: end + typed.length };
}

function positionOf(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length - 1, character: (before.at(-1) ?? "").length };
}

/** Opens `text` (and `others`) and asks for completion at `offset`; returns the items. */
async function complete(text: string, offset: number, others: Record<string, string> = {}): Promise<CompletionItem[]> {
  client ??= inProcess();
  const c = client;
  await c.initialize();
  for (const [name, t] of Object.entries(others)) await c.load(() => c.open(uri(name), t));
  await c.load(() => c.open(MAIN, text));
  const result = await c.connection.sendRequest<CompletionItem[] | CompletionList | null>("textDocument/completion", {
    textDocument: { uri: MAIN },
    position: positionOf(text, offset),
  });
  return Array.isArray(result) ? result : (result?.items ?? []);
}

const labels = (items: CompletionItem[]): string[] => items.map((i) => i.label);

describe("completion in resource blocks", () => {
  it("offers the block's roles and permissions in a shorthand rule's head, as strings", async () => {
    const { text, offset } = typedAt(GITHUB, '"delete" if "maintainer";\n', '  "');
    const items = await complete(text, offset);
    expect(labels(items).sort()).toEqual(["create_issue", "delete", "maintainer", "push", "read", "reader", "writer"]);
    // The name replaces the string's content.
    const push = items.find((i) => i.label === "push");
    expect(push?.textEdit?.newText).toBe("push");
    expect(push?.detail).toBe("permission of Repository");
  });

  it("offers the block's roles, permissions and relations as implier", async () => {
    const { text, offset } = typedAt(GITHUB, '"delete" if "maintainer";\n', '  "push" if "');
    expect(labels(await complete(text, offset))).toEqual(
      expect.arrayContaining(["reader", "writer", "maintainer", "read", "push", "organization"]),
    );
  });

  it('offers the related block\'s roles and permissions after `on "relation"`', async () => {
    // "maintainer" if "|" on "organization"; — the implier is an Organization role or permission.
    const { text, offset } = typedAt(GITHUB, '"delete" if "maintainer";\n', '  "maintainer" if "');
    const withOn = text.slice(0, offset) + '" on "organization";' + text.slice(offset);
    const items = await complete(withOn, offset);
    expect(labels(items).sort()).toEqual(["admin", "create_repository", "manage_members", "member", "read"]);
    expect(items.find((i) => i.label === "admin")?.detail).toBe("role of Organization");
  });

  it("offers the block's relations after `on`, and `if`/`on` between the strings", async () => {
    const on = typedAt(SHARING, '"editor" if "editor" on "folder";\n', '  "viewer" if "viewer" on "');
    expect(labels(await complete(on.text, on.offset))).toEqual(["folder"]);
    const ifKw = typedAt(GITHUB, '"delete" if "maintainer";\n', '  "push" ');
    expect(labels(await complete(ifKw.text, ifKw.offset))).toEqual(["if"]);
    const onKw = typedAt(GITHUB, '"delete" if "maintainer";\n', '  "push" if "member" ');
    expect(labels(await complete(onKw.text, onKw.offset))).toEqual(["on"]);
  });

  it("offers declarations at the start of a production and classes as relation types", async () => {
    const start = typedAt(GITHUB, "resource Issue {\n", "  ");
    const items = labels(await complete(start.text, start.offset));
    expect(items).toEqual(expect.arrayContaining(["roles", "permissions", "relations", '"read"', '"close"']));
    expect(items).not.toContain("actor");
    const type = typedAt(GITHUB, "relations = { repository: Repository, author: ", "");
    expect(labels(await complete(type.text, type.offset))).toEqual(
      expect.arrayContaining(["User", "Organization", "Repository", "Issue", "String"]),
    );
  });
});

describe("completion outside blocks", () => {
  it("offers top-level keywords, the six snippets and rule names at the start of an item", async () => {
    const { text, offset } = typedAt(GITHUB, "actor User {}\n", "\n");
    const items = await complete(text, offset);
    expect(labels(items)).toEqual(expect.arrayContaining(["actor", "resource", "type", "has_role", "allow_field"]));
    const snippets = items.filter((i) => i.insertTextFormat === InsertTextFormat.Snippet).map((i) => i.label);
    expect(snippets).toEqual(["actor block", "resource block", "allow", "has_permission", "has_role", "has_relation"]);
    expect(items.find((i) => i.label === "has_relation" && i.kind === 3)?.detail).toBe("rule/3 (Oso knows it)");
  });

  it("offers classes in specializers and rule names and keywords in bodies", async () => {
    const spec = typedAt(GITHUB, "repo.is_public = true;\n", "\nhas_role(user: ");
    expect(labels(await complete(spec.text, spec.offset))).toEqual(
      expect.arrayContaining(["User", "Organization", "Repository", "Issue"]),
    );
    const body = typedAt(GITHUB, "repo.is_public = true;\n", "\nf(x: User) if x.active and ");
    const items = labels(await complete(body.text, body.offset));
    expect(items).toEqual(
      expect.arrayContaining(["has_role", "has_permission", "allow", "has_relation", "not", "matches"]),
    );
    expect(items).not.toContain("User");
  });

  it("offers the declared roles in has_role's second argument, permissions in has_permission's", async () => {
    const role = typedAt(GITHUB, "repo.is_public = true;\n", '\nf(u: User, r: Repository) if has_role(u, "');
    const roles = labels(await complete(role.text, role.offset));
    expect(roles.sort()).toEqual(["admin", "maintainer", "member", "reader", "writer"]);
    client?.dispose();
    client = null;
    const perm = typedAt(SHARING, "actor User {}\n", '\nf(u: User, d: Document) if has_permission(u, "');
    const permissions = labels(await complete(perm.text, perm.offset));
    expect(permissions.length).toBeGreaterThan(0);
    expect(permissions).not.toContain("viewer");
    expect(permissions).toContain("read");
  });

  it("offers only the names of the document's own policy for a file outside the roots", async () => {
    client = inProcess();
    const c = client;
    await c.initialize(undefined, undefined, "file:///project");
    await c.load(() => c.open("file:///project/roles.polar", GITHUB));
    const lone = "file:///elsewhere/lone.polar";
    const text = 'resource Doc {\n  roles = ["owner"];\n  "';
    await c.load(() => c.open(lone, text));
    const result = await c.connection.sendRequest<CompletionItem[]>("textDocument/completion", {
      textDocument: { uri: lone },
      position: positionOf(text, text.length),
    });
    expect(labels(result)).toEqual(["owner"]);
  });
});
