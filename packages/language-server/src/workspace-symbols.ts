/**
 * Workspace symbols (`workspace/symbol`): the rules, rule types, resource blocks and declared
 * roles, permissions and relations of every tracked document, filtered by the query's characters
 * in order (case-insensitive), as editors filter them.
 */
import { type DocumentSymbol, type SymbolInformation } from "vscode-languageserver";
import { documentSymbols, type ParsedDocument } from "./features.js";

/** At most this many symbols per answer: a huge workspace must not flood the client. */
export const MAX_WORKSPACE_SYMBOLS = 1000;

/** Whether the query's characters appear in `name` in order, ignoring case. */
export function matchesQuery(name: string, query: string): boolean {
  const n = name.toLowerCase();
  let at = 0;
  for (const c of query.toLowerCase()) {
    at = n.indexOf(c, at);
    if (at < 0) return false;
    at += c.length;
  }
  return true;
}

export function workspaceSymbols(docs: readonly ParsedDocument[], query: string): SymbolInformation[] {
  const out: SymbolInformation[] = [];
  const add = (doc: ParsedDocument, s: DocumentSymbol, container: string | undefined): void => {
    if (out.length >= MAX_WORKSPACE_SYMBOLS) return;
    if (matchesQuery(s.name, query)) {
      const info: SymbolInformation = {
        name: s.name,
        kind: s.kind,
        location: { uri: doc.uri, range: s.selectionRange },
      };
      if (container !== undefined) info.containerName = container;
      out.push(info);
    }
  };
  for (const doc of docs) {
    for (const top of documentSymbols(doc)) {
      add(doc, top, undefined);
      // Declarations of blocks: `roles` → its names, with the block as container.
      for (const declaration of top.children ?? []) {
        for (const name of declaration.children ?? []) add(doc, name, top.name);
      }
    }
  }
  return out;
}
