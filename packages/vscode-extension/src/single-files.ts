/**
 * The one-file client: Polar documents that no project root's client serves — a `.polar` file
 * outside every root (or opened without a folder), an untitled Polar buffer, a Polar document of
 * another scheme (a diff's left side) — go to one more server, started with no project root, which
 * checks each of them as a one-file policy of its own, never merged into a root's policy.
 *
 * A document selector cannot say "not under these roots", so this client's selector is every Polar
 * document and its middleware lets through only the documents that no root selector matches
 * (`vscode.languages.match`, the same matcher the root clients use): a root's document is never
 * synchronised to, nor answered by, this server. The set of root selectors is fixed for the life of
 * the client; the manager restarts the client when the roots change.
 */
import type * as vscode from "vscode";
import type { DocumentSelector, Middleware } from "vscode-languageclient/node.js";

/** What the one-file client is registered for: every Polar document, any scheme. */
export const SINGLE_FILE_SELECTOR: DocumentSelector = [{ language: "polar" }];

/** VS Code's document matcher (`vscode.languages.match`): a score, 0 when the selector does not match. */
export type Matcher = (selector: vscode.DocumentSelector, doc: vscode.TextDocument) => number;

/**
 * Whether the one-file client serves `doc`: a Polar document that no selector in `served` (the
 * root clients' selectors) matches.
 */
export function isSingleFile(doc: vscode.TextDocument, served: vscode.DocumentSelector[], match: Matcher): boolean {
  return doc.languageId === "polar" && served.every((s) => match(s, doc) === 0);
}

/**
 * The document-scoped capabilities of the server and the middleware hooks that keep each of them
 * away from the roots' documents. A capability the server announces that is in neither this map
 * nor {@link UNSCOPED_CAPABILITIES} fails the extension's tests: decide which it is.
 */
export const GUARDED_CAPABILITIES: Readonly<Record<string, readonly (keyof Middleware)[]>> = {
  textDocumentSync: ["didOpen", "didChange", "didSave", "didClose"],
  completionProvider: ["provideCompletionItem"],
  hoverProvider: ["provideHover"],
  definitionProvider: ["provideDefinition"],
  referencesProvider: ["provideReferences"],
  documentHighlightProvider: ["provideDocumentHighlights"],
  documentSymbolProvider: ["provideDocumentSymbols"],
  renameProvider: ["prepareRename", "provideRenameEdits"],
  foldingRangeProvider: ["provideFoldingRanges"],
  selectionRangeProvider: ["provideSelectionRanges"],
  signatureHelpProvider: ["provideSignatureHelp"],
  codeActionProvider: ["provideCodeActions"],
  documentFormattingProvider: ["provideDocumentFormattingEdits"],
  documentRangeFormattingProvider: ["provideDocumentRangeFormattingEdits"],
  semanticTokensProvider: [
    "provideDocumentSemanticTokens",
    "provideDocumentSemanticTokensEdits",
    "provideDocumentRangeSemanticTokens",
  ],
};

/**
 * Capabilities that name no document: workspace symbols (each server only knows the documents it
 * was given) and the workspace's folders and file operations (deletions of documents the one-file
 * server does not track change nothing there).
 */
export const UNSCOPED_CAPABILITIES: readonly string[] = ["workspaceSymbolProvider", "workspace"];

/**
 * Middleware that hides every document `mine` refuses from the server: no didOpen/didChange/
 * didSave/didClose, and every feature answers nothing for it (the root's server answers).
 */
export function exclusiveMiddleware(mine: (doc: vscode.TextDocument) => boolean): Middleware {
  const skip = (): Promise<void> => Promise.resolve();
  return {
    didOpen: (doc, next) => (mine(doc) ? next(doc) : skip()),
    didChange: (e, next) => (mine(e.document) ? next(e) : skip()),
    didSave: (doc, next) => (mine(doc) ? next(doc) : skip()),
    didClose: (doc, next) => (mine(doc) ? next(doc) : skip()),
    provideCompletionItem: (doc, pos, ctx, token, next) => (mine(doc) ? next(doc, pos, ctx, token) : undefined),
    provideHover: (doc, pos, token, next) => (mine(doc) ? next(doc, pos, token) : undefined),
    provideDefinition: (doc, pos, token, next) => (mine(doc) ? next(doc, pos, token) : undefined),
    provideReferences: (doc, pos, ctx, token, next) => (mine(doc) ? next(doc, pos, ctx, token) : undefined),
    provideDocumentHighlights: (doc, pos, token, next) => (mine(doc) ? next(doc, pos, token) : undefined),
    provideDocumentSymbols: (doc, token, next) => (mine(doc) ? next(doc, token) : undefined),
    prepareRename: (doc, pos, token, next) => (mine(doc) ? next(doc, pos, token) : undefined),
    provideRenameEdits: (doc, pos, name, token, next) => (mine(doc) ? next(doc, pos, name, token) : undefined),
    provideFoldingRanges: (doc, ctx, token, next) => (mine(doc) ? next(doc, ctx, token) : undefined),
    provideSelectionRanges: (doc, positions, token, next) => (mine(doc) ? next(doc, positions, token) : undefined),
    provideSignatureHelp: (doc, pos, ctx, token, next) => (mine(doc) ? next(doc, pos, ctx, token) : undefined),
    provideCodeActions: (doc, range, ctx, token, next) => (mine(doc) ? next(doc, range, ctx, token) : undefined),
    provideDocumentFormattingEdits: (doc, options, token, next) => (mine(doc) ? next(doc, options, token) : undefined),
    provideDocumentRangeFormattingEdits: (doc, range, options, token, next) =>
      mine(doc) ? next(doc, range, options, token) : undefined,
    provideDocumentSemanticTokens: (doc, token, next) => (mine(doc) ? next(doc, token) : undefined),
    provideDocumentSemanticTokensEdits: (doc, previous, token, next) =>
      mine(doc) ? next(doc, previous, token) : undefined,
    provideDocumentRangeSemanticTokens: (doc, range, token, next) => (mine(doc) ? next(doc, range, token) : undefined),
  };
}
