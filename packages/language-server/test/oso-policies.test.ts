/**
 * The language features over the protocol on Oso's own policies (conformance/oso-policies: every
 * `.polar` file of the Oso repository, some deliberately invalid), each opened as a one-file
 * policy in one server:
 * - semantic tokens: a delta after an edit, applied to the previous tokens, equals the new full result;
 * - selection ranges at every 7th offset: each chain holds the cursor and every range holds the one before;
 * - signature help right after the `(` of every rule call: an active signature naming the rule;
 * - the shorthand → longhand code action on every shorthand rule: applied, the file reports the
 *   same diagnostic codes with one more longhand rule (or the action is disabled with a reason);
 * - rename of every declared role and permission: refused with a message, or edits that leave the
 *   file's diagnostic codes as they were.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Policy } from "@polar-ide/analyzer";
import { REPO_ROOT } from "@polar-ide/testing";
import { TextDocument } from "vscode-languageserver-textdocument";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  CodeAction,
  Position,
  SelectionRange,
  SemanticTokens,
  SemanticTokensDelta,
  SignatureHelp,
  WorkspaceEdit,
  Range,
} from "vscode-languageserver";
import { inProcess, type TestClient } from "./helpers.js";

const DIR = join(REPO_ROOT, "conformance", "oso-policies");

function polarFiles(dir: string): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...polarFiles(p));
    else if (e.endsWith(".polar")) out.push({ name: relative(DIR, p), text: readFileSync(p, "utf8") });
  }
  return out;
}

const FILES = polarFiles(DIR);

let client: TestClient;
beforeAll(async () => {
  client = inProcess();
  // No root: every document is a one-file policy, as a file opened without a folder.
  await client.initialize({ existenceCheckIntervalMs: 0 }, {}, null);
});
afterAll(() => client.dispose());

function uriOf(name: string): string {
  return `file:///virtual/oso/${name}`;
}

function codesOf(uri: string, text: string): { codes: string[]; longhand: number } {
  const policy = new Policy();
  policy.set(uri, text);
  const a = policy.analyze();
  return { codes: a.diagnostics.map((d) => d.code).sort(), longhand: a.stats.policy_stats.longhand_rules };
}

function contains(outer: Range, inner: Range): boolean {
  const before = (a: Position, b: Position): boolean =>
    a.line < b.line || (a.line === b.line && a.character <= b.character);
  return before(outer.start, inner.start) && before(inner.end, outer.end);
}

function applied(doc: TextDocument, uri: string, edit: WorkspaceEdit | undefined): string {
  return TextDocument.applyEdits(doc, edit?.changes?.[uri] ?? []);
}

/** What the sweep met, over all files: every kind of check must have run somewhere. */
const met = { deltas: 0, selections: 0, signatures: 0, rewrites: 0, renames: 0, refusals: 0 };

describe("language features on Oso's own policies", () => {
  it("finds Oso's policies", () => {
    expect(FILES.length).toBeGreaterThan(50);
  });

  it.each(FILES.map((f) => [f.name, f] as const))("%s", async (_name, { name, text }) => {
    const c = client;
    const uri = uriOf(name);
    await c.load(() => c.open(uri, text));
    const doc = TextDocument.create(uri, "polar", 1, text);

    // Semantic tokens: full, then a delta after an edit.
    const first = await c.connection.sendRequest<SemanticTokens>("textDocument/semanticTokens/full", {
      textDocument: { uri },
    });
    const edited = `# edited\n${text}\nextra_rule(x) if x > 1;\n`;
    await c.load(() => c.change(uri, edited, 2));
    const delta = await c.connection.sendRequest<SemanticTokens | SemanticTokensDelta>(
      "textDocument/semanticTokens/full/delta",
      { textDocument: { uri }, previousResultId: first.resultId },
    );
    let data = [...first.data];
    if ("edits" in delta) {
      met.deltas++;
      for (const e of [...delta.edits].sort((a, b) => b.start - a.start))
        data.splice(e.start, e.deleteCount, ...(e.data ?? []));
    } else data = delta.data;
    const full = await c.connection.sendRequest<SemanticTokens>("textDocument/semanticTokens/full", {
      textDocument: { uri },
    });
    expect(data).toEqual(full.data);
    await c.load(() => c.change(uri, text, 3));

    // Selection ranges at every 7th offset.
    const positions: Position[] = [];
    for (let offset = 0; offset <= text.length; offset += 7) positions.push(doc.positionAt(offset));
    const chains = await c.connection.sendRequest<SelectionRange[]>("textDocument/selectionRange", {
      textDocument: { uri },
      positions,
    });
    expect(chains).toHaveLength(positions.length);
    chains.forEach((chain, i) => {
      const at = positions[i] as Position;
      expect(
        contains(chain.range, { start: at, end: at }),
        `${JSON.stringify(at)} in ${JSON.stringify(chain.range)}`,
      ).toBe(true);
      for (let r: SelectionRange | undefined = chain; r?.parent !== undefined; r = r.parent) {
        expect(contains(r.parent.range, r.range)).toBe(true);
      }
      met.selections++;
    });

    // Signature help right after the `(` of each rule call (not `x.m(`, not `new C(`).
    for (const m of text.matchAll(/(?<![.\w]|new )([a-z_]\w*)\(/g)) {
      const position = doc.positionAt((m.index ?? 0) + m[0].length);
      const help = await c.connection.sendRequest<SignatureHelp | null>("textDocument/signatureHelp", {
        textDocument: { uri },
        position,
      });
      if (help === null) continue;
      const active = help.signatures[help.activeSignature ?? 0];
      expect(active?.label, `${m[1]} at ${JSON.stringify(position)}`).toContain(`${m[1]}(`);
      met.signatures++;
    }

    // The shorthand → longhand rewrite on each shorthand rule.
    const before = codesOf(uri, text);
    const lines = text.split("\n");
    for (const [line, source] of lines.entries()) {
      if (!/^\s+"[^"]+" if "[^"]+"( on "[^"]+")?;\s*$/.test(source)) continue;
      const position = { line, character: source.indexOf('"') + 1 };
      const actions = await c.connection.sendRequest<CodeAction[]>("textDocument/codeAction", {
        textDocument: { uri },
        range: { start: position, end: position },
        context: { diagnostics: [], only: ["refactor.rewrite"] },
      });
      for (const action of actions) {
        if (action.disabled !== undefined) {
          expect(action.disabled.reason.length).toBeGreaterThan(0);
          continue;
        }
        const after = codesOf(uri, applied(doc, uri, action.edit));
        expect(after.codes, source).toEqual(before.codes);
        expect(after.longhand).toBe(before.longhand + 1);
        met.rewrites++;
      }
    }

    // Rename every declared role and permission (the first string of each `roles`/`permissions` list entry).
    for (const m of text.matchAll(/(?:roles|permissions)\s*=\s*\[([^\]]*)\]/g)) {
      for (const s of (m[1] ?? "").matchAll(/"([^"]+)"/g)) {
        const offset = (m.index ?? 0) + m[0].indexOf(m[1] ?? "") + (s.index ?? 0) + 1;
        const params = { textDocument: { uri }, position: doc.positionAt(offset), newName: `${s[1]}_renamed` };
        let edit: WorkspaceEdit | null;
        try {
          edit = await c.connection.sendRequest<WorkspaceEdit | null>("textDocument/rename", params);
        } catch (e) {
          expect(String(e)).toMatch(/would add|cannot|not a valid/);
          met.refusals++;
          continue;
        }
        if (edit === null) continue;
        expect(edit.changes?.[uri]?.length, s[1]).toBeGreaterThan(0);
        expect(codesOf(uri, applied(doc, uri, edit)).codes, `${s[1]} renamed`).toEqual(before.codes);
        met.renames++;
      }
    }
    await c.close(uri);
  });

  it("ran every kind of check", () => {
    expect(met.deltas).toBeGreaterThan(20);
    expect(met.selections).toBeGreaterThan(1000);
    expect(met.signatures).toBeGreaterThan(50);
    expect(met.rewrites).toBeGreaterThan(10);
    expect(met.renames).toBeGreaterThan(10);
  });
});
