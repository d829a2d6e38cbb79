/**
 * Support for the quick-fix tests: a policy of several documents opened in the in-process server,
 * the quick fixes asked for at one published diagnostic, an action's edit applied to the texts, and
 * the analyzer's verdict on the texts (the codes an editor shows, as a multiset).
 */
import { Policy, type LoadResult } from "@polar-ide/analyzer";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { CodeAction, Diagnostic } from "vscode-languageserver";
import { expect } from "vitest";
import { LATER_PHASE_CODES } from "../src/quick-fixes/verify.js";
import { inProcess, type TestClient } from "./helpers.js";

/** Documents by URI. */
export type Texts = ReadonlyMap<string, string>;

/** Initializes a client on the root of the file system and opens every document; waits for the load that saw them all. */
export async function openPolicy(texts: Texts): Promise<TestClient> {
  const client = inProcess();
  await client.initialize();
  const uris = [...texts.keys()];
  await client.load(async () => {
    for (const [uri, text] of texts) await client.open(uri, text);
  });
  // A burst of opens may be analysed in more than one load: wait until every document has its list.
  await client.waitFor(() => uris.every((u) => client.latest(u) !== undefined), 5000, "every document published");
  return client;
}

/** The analysis of `texts` as one policy: the editor's codes (sorted) and how far the load got. */
export function analyse(texts: Texts): { codes: string[]; stage: LoadResult["stage"] } {
  const policy = new Policy();
  for (const [uri, text] of texts) policy.set(uri, text);
  const a = policy.analyze();
  return { codes: a.diagnostics.map((d) => d.code).sort(), stage: a.load.stage };
}

/** The quick fixes the server offers for a published diagnostic of `uri` (asked at its range, with it in the context). */
export async function quickFixesFor(client: TestClient, uri: string, diagnostic: Diagnostic): Promise<CodeAction[]> {
  const actions = await client.connection.sendRequest<CodeAction[]>("textDocument/codeAction", {
    textDocument: { uri },
    range: diagnostic.range,
    context: { diagnostics: [diagnostic] },
  });
  return actions.filter((a) => a.kind === "quickfix");
}

/** Applies an action's workspace edit to the texts (every document it names must be one of them). */
export function applyAction(texts: Texts, action: CodeAction): Map<string, string> {
  const changes = action.edit?.changes;
  if (changes === undefined) throw new Error(`no edit in ${JSON.stringify(action)}`);
  const out = new Map(texts);
  for (const [uri, edits] of Object.entries(changes)) {
    const text = texts.get(uri);
    if (text === undefined) throw new Error(`edit of a document outside the policy: ${uri}`);
    out.set(uri, TextDocument.applyEdits(TextDocument.create(uri, "polar", 1, text), edits));
  }
  return out;
}

function counts(codes: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of codes) m.set(c, (m.get(c) ?? 0) + 1);
  return m;
}

/**
 * Asserts that applying `action` removed one diagnostic of `code` and added none: every code is
 * reported at most as often as before, and `code` less often. A load that stopped at the block
 * phase before the fix may now report what its later phases find (docs/diagnostics.md §2): the
 * codes of those phases (LATER_PHASE_CODES, the list the server's own check uses) may appear,
 * hidden by the error, not added by the fix; a code of the phases that did run may not.
 */
export function expectFixed(before: Texts, after: Texts, code: string, what: string): void {
  const b = analyse(before);
  const a = analyse(after);
  const bc = counts(b.codes);
  const ac = counts(a.codes);
  expect(ac.get(code) ?? 0, `${what}: ${code} is still reported`).toBeLessThan(bc.get(code) ?? 0);
  for (const [c, n] of ac) {
    if (b.stage === "stopped-after-shorthand" && LATER_PHASE_CODES.has(c)) continue;
    expect(n, `${what}: the fix added ${c}`).toBeLessThanOrEqual(bc.get(c) ?? 0);
  }
}
