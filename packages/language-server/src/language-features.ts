/**
 * Editor features over LSP — document symbols, definition, hover (rule types; the longhand rule of
 * a shorthand rule), completion, references, document highlight, rename, folding ranges,
 * workspace symbols, the shorthand → longhand code action, semantic tokens, selection ranges and
 * signature help — computed on the parse the policy already has (`Documents.parsed`, or the
 * error-tolerant parse of a file with a syntax error), each request inside `runSafe`.
 */
import {
  LSPErrorCodes,
  ResponseError,
  type CancellationToken,
  type CodeAction,
  type SelectionRange,
  type SignatureHelp,
  type SemanticTokens,
  type SemanticTokensDelta,
  type CompletionItem,
  type DocumentHighlight,
  type DocumentSymbol,
  type FoldingRange,
  type SymbolInformation,
  type Hover,
  type Location,
  type Position,
  type Range,
  type WorkspaceEdit,
} from "vscode-languageserver";
import { shorthandCodeActions } from "./code-action.js";
import { quickFixCodeActions } from "./quick-fixes/index.js";
import { classHover } from "./class-hover.js";
import { completion } from "./completion.js";
import { SemanticTokensCache } from "./semantic-tokens.js";
import { selectionRanges } from "./selection-ranges.js";
import { signatureHelp } from "./signature-help.js";
import { editorLoad } from "./code-action.js";
import { foldingRanges } from "./folding.js";
import { registerFormatting } from "./formatting.js";
import { shorthandHover } from "./shorthand-hover.js";
import { workspaceSymbols } from "./workspace-symbols.js";
import { documentHighlights, isRefusal, prepareRename, references, rename } from "./rename.js";
import type { LoadResult } from "@polar-ide/analyzer";
import type { ServerContext } from "./context.js";
import type { Tracked } from "./documents.js";
import type { ParsedDocument } from "./features.js";
import { definition, documentSymbols, hover, OUTLINE_MAX_ITEMS } from "./features.js";
import { immutableItems } from "./json-encoder.js";
import { isInteger, isPosition, isString } from "./params.js";
import { runSafe } from "./run-safe.js";

export function registerLanguageFeatures({ connection, documents, classes, logger }: ServerContext): void {
  registerFormatting({ connection, documents, logger });
  function withDocument<T>(uri: unknown, f: (doc: Tracked) => T, none: T): T {
    if (!isString(uri)) return none;
    const doc = documents.get(uri);
    return doc === undefined ? none : f(doc);
  }

  function offsetOf(doc: Tracked, position: Position | undefined): number | null {
    if (!isInteger(position?.line) || !isInteger(position?.character)) return null;
    return doc.document.offsetAt(position);
  }

  /**
   * The load of `doc`'s policy when it completed, else the load of the policy's tolerant parse (a
   * file with a syntax error stops the real load before the resource blocks), for features that
   * show what a load computes (generated rules and rule types) while the user types.
   */
  function toleratedLoad(doc: Tracked): LoadResult {
    const loaded = documents.loadOf(doc);
    return loaded.stage === "complete" ? loaded : editorLoad(documents.policyParsed(doc));
  }

  connection.onDocumentSymbol((params, token: CancellationToken) =>
    runSafe(
      logger,
      () =>
        withDocument<DocumentSymbol[]>(
          params?.textDocument?.uri,
          // Its items are cached, never mutated: the stream encoder reuses the previous outline's bytes (json-encoder.ts).
          (doc) => immutableItems(documentSymbols(documents.parsed(doc), OUTLINE_MAX_ITEMS), `outline ${doc.uri}`),
          [],
        ),
      [],
      "documentSymbol",
      token,
    ),
  );

  connection.onDefinition((params, token: CancellationToken) =>
    runSafe(
      logger,
      () =>
        withDocument<Location[]>(
          params?.textDocument?.uri,
          (doc) => {
            const offset = offsetOf(doc, params.position);
            return offset === null ? [] : definition(documents.policyParsed(doc), documents.parsed(doc), offset);
          },
          [],
        ),
      [],
      "definition",
      token,
    ),
  );

  connection.onHover((params, token: CancellationToken) =>
    runSafe(
      logger,
      () =>
        withDocument<Hover | null>(
          params?.textDocument?.uri,
          (doc) => {
            const offset = offsetOf(doc, params.position);
            if (offset === null) return null;
            const parsed = documents.parsed(doc);
            return (
              (documents.inRoots(doc.uri) ? classHover(parsed, offset, classes.registered()) : null) ??
              shorthandHover(parsed, () => toleratedLoad(doc), offset) ??
              hover(documents.policyParsed(doc), parsed, offset, () => documents.loadOf(doc))
            );
          },
          null,
        ),
      null,
      "hover",
      token,
    ),
  );

  connection.onCompletion((params, token: CancellationToken) =>
    runSafe(
      logger,
      () =>
        withDocument<CompletionItem[]>(
          params?.textDocument?.uri,
          (doc) => {
            const offset = offsetOf(doc, params.position);
            if (offset === null) return [];
            const registered = documents.inRoots(doc.uri) ? classes.registered() : null;
            return completion(documents.policyParsed(doc), documents.parsed(doc), offset, registered);
          },
          [],
        ),
      [],
      "completion",
      token,
    ),
  );

  /** The request's document, its policy's documents and the cursor offset, or null. */
  function at<T>(
    params: { textDocument?: { uri?: unknown }; position?: Position } | undefined,
    f: (docs: ParsedDocument[], doc: ParsedDocument, offset: number) => T,
    none: T,
  ): T {
    return withDocument<T>(
      params?.textDocument?.uri,
      (doc) => {
        const offset = offsetOf(doc, params?.position);
        return offset === null ? none : f(documents.policyParsed(doc), documents.parsed(doc), offset);
      },
      none,
    );
  }

  connection.onReferences((params, token: CancellationToken) =>
    runSafe(
      logger,
      () =>
        at<Location[]>(
          params,
          (docs, doc, offset) => references(docs, doc, offset, params?.context?.includeDeclaration !== false),
          [],
        ),
      [],
      "references",
      token,
    ),
  );

  connection.onDocumentHighlight((params, token: CancellationToken) =>
    runSafe(logger, () => at<DocumentHighlight[]>(params, documentHighlights, []), [], "documentHighlight", token),
  );

  // A refusal reaches the user as the request's error message (LSP: "the rename cannot be performed").
  const refusal = (message: string): ResponseError<void> => new ResponseError(LSPErrorCodes.RequestFailed, message);

  connection.onPrepareRename((params, token: CancellationToken) =>
    runSafe<{ range: Range; placeholder: string } | ResponseError<void> | null>(
      logger,
      () =>
        at(
          params,
          (docs, doc, offset) => {
            const result = prepareRename(docs, doc, offset);
            return isRefusal(result) ? refusal(result.refused) : result;
          },
          null,
        ),
      null,
      "prepareRename",
      token,
    ),
  );

  connection.onRenameRequest((params, token: CancellationToken) =>
    runSafe<WorkspaceEdit | ResponseError<void> | null>(
      logger,
      () => {
        const newName: unknown = params?.newName;
        if (!isString(newName)) return null;
        return at(
          params,
          (docs, doc, offset) => {
            const result = rename(docs, doc, offset, newName, (texts) => documents.trial(doc.uri, texts));
            return isRefusal(result) ? refusal(result.refused) : result;
          },
          null,
        );
      },
      null,
      "rename",
      token,
    ),
  );

  connection.onFoldingRanges((params, token: CancellationToken) =>
    runSafe(
      logger,
      () => withDocument<FoldingRange[]>(params?.textDocument?.uri, (doc) => foldingRanges(documents.parsed(doc)), []),
      [],
      "foldingRange",
      token,
    ),
  );

  connection.onWorkspaceSymbol((params, token: CancellationToken) =>
    runSafe(
      logger,
      () => {
        const query: unknown = params?.query;
        return workspaceSymbols(documents.allParsed(), isString(query) ? query : "");
      },
      [] as SymbolInformation[],
      "workspaceSymbol",
      token,
    ),
  );

  connection.onCodeAction((params, token: CancellationToken) =>
    runSafe(
      logger,
      () =>
        withDocument<CodeAction[]>(
          params?.textDocument?.uri,
          (doc) => {
            const start = offsetOf(doc, params.range?.start);
            const end = offsetOf(doc, params.range?.end);
            if (start === null || end === null) return [];
            const only: unknown = params.context?.only;
            const kinds = Array.isArray(only) ? only.filter(isString) : undefined;
            const [from, to] = [Math.min(start, end), Math.max(start, end)];
            return [
              ...quickFixCodeActions(
                documents.policyParsed(doc),
                documents.parsed(doc),
                from,
                to,
                kinds,
                params.context?.diagnostics,
                () => documents.loadOf(doc),
                (texts) => documents.trial(doc.uri, texts),
              ),
              ...shorthandCodeActions(documents.policyParsed(doc), documents.parsed(doc), from, to, kinds, () =>
                toleratedLoad(doc),
              ),
            ];
          },
          [],
        ),
      [],
      "codeAction",
      token,
    ),
  );

  const tokens = new SemanticTokensCache();
  const empty: SemanticTokens = { data: [] };
  connection.languages.semanticTokens.on((params, token: CancellationToken) =>
    runSafe<SemanticTokens>(
      logger,
      () => {
        tokens.retain((uri) => documents.has(uri));
        return withDocument<SemanticTokens>(
          params?.textDocument?.uri,
          (doc) => tokens.full(documents.parsed(doc)),
          empty,
        );
      },
      empty,
      "semanticTokens/full",
      token,
    ),
  );

  connection.languages.semanticTokens.onDelta((params, token: CancellationToken) =>
    runSafe<SemanticTokens | SemanticTokensDelta>(
      logger,
      () => {
        const previous: unknown = params?.previousResultId;
        return withDocument<SemanticTokens | SemanticTokensDelta>(
          params?.textDocument?.uri,
          (doc) =>
            isString(previous) ? tokens.delta(documents.parsed(doc), previous) : tokens.full(documents.parsed(doc)),
          empty,
        );
      },
      empty,
      "semanticTokens/full/delta",
      token,
    ),
  );

  connection.onSelectionRanges((params, token: CancellationToken) =>
    runSafe(
      logger,
      () => {
        const positions: unknown = params?.positions;
        if (!Array.isArray(positions) || !positions.every(isPosition)) return [];
        return withDocument<SelectionRange[]>(
          params?.textDocument?.uri,
          (doc) => selectionRanges(documents.parsed(doc), positions),
          [],
        );
      },
      [] as SelectionRange[],
      "selectionRange",
      token,
    ),
  );

  connection.onSignatureHelp((params, token: CancellationToken) =>
    runSafe(
      logger,
      () =>
        withDocument<SignatureHelp | null>(
          params?.textDocument?.uri,
          (doc) => {
            const offset = offsetOf(doc, params.position);
            if (offset === null) return null;
            const docs = documents.policyParsed(doc);
            const load = (): LoadResult | null => {
              const loaded = toleratedLoad(doc);
              return loaded.stage === "complete" ? loaded : null;
            };
            return signatureHelp(docs, documents.parsed(doc), offset, load);
          },
          null,
        ),
      null,
      "signatureHelp",
      token,
    ),
  );
}
