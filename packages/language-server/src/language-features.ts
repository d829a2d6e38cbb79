/**
 * Editor features over LSP: document symbols, go to definition, hover and completion, computed by
 * `features.ts` and `completion.ts` on the parse the policy already has (`Documents.parsed`, or the
 * error-tolerant parse of a file with a syntax error), each request inside `runSafe`.
 */
import type {
  CancellationToken,
  CompletionItem,
  DocumentSymbol,
  Hover,
  Location,
  Position,
} from "vscode-languageserver";
import { completion } from "./completion.js";
import type { ServerContext } from "./context.js";
import type { Tracked } from "./documents.js";
import { definition, documentSymbols, hover } from "./features.js";
import { isInteger, isString } from "./params.js";
import { runSafe } from "./run-safe.js";

export function registerLanguageFeatures({ connection, documents, logger }: ServerContext): void {
  function withDocument<T>(uri: unknown, f: (doc: Tracked) => T, none: T): T {
    if (!isString(uri)) return none;
    const doc = documents.get(uri);
    return doc === undefined ? none : f(doc);
  }

  function offsetOf(doc: Tracked, position: Position | undefined): number | null {
    if (!isInteger(position?.line) || !isInteger(position?.character)) return null;
    return doc.document.offsetAt(position);
  }

  connection.onDocumentSymbol((params, token: CancellationToken) =>
    runSafe(
      logger,
      () =>
        withDocument<DocumentSymbol[]>(params?.textDocument?.uri, (doc) => documentSymbols(documents.parsed(doc)), []),
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
            return offset === null ? null : hover(documents.policyParsed(doc), documents.parsed(doc), offset);
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
            return offset === null ? [] : completion(documents.policyParsed(doc), documents.parsed(doc), offset);
          },
          [],
        ),
      [],
      "completion",
      token,
    ),
  );
}
