/**
 * `textDocument/formatting` and `textDocument/rangeFormatting`: the analyzer's formatter
 * (docs/formatting.md) as LSP text edits. A document with a syntax error gets no edits. Formatting
 * options (tab size, spaces) are not read: Polar has one canonical layout.
 */
import type { CancellationToken, Range, TextEdit } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { formatDocumentEdits, formatRangeEdits, type FormatEdit } from "@polar-ide/analyzer";
import type { ServerContext } from "./context.js";
import { isPosition, isString } from "./params.js";
import { runSafe } from "./run-safe.js";

function toTextEdits(document: TextDocument, edits: readonly FormatEdit[]): TextEdit[] {
  return edits.map((e) => ({
    range: { start: document.positionAt(e.start), end: document.positionAt(e.end) },
    newText: e.newText,
  }));
}

/** Edits formatting the whole document. */
export function documentFormatting(document: TextDocument): TextEdit[] {
  return toTextEdits(document, formatDocumentEdits(document.getText()));
}

/** Edits formatting the top-level items `range` touches. */
export function rangeFormatting(document: TextDocument, range: Range): TextEdit[] {
  const start = document.offsetAt(range.start);
  const end = document.offsetAt(range.end);
  return toTextEdits(document, formatRangeEdits(document.getText(), Math.min(start, end), Math.max(start, end)));
}

function isRange(r: unknown): r is Range {
  return typeof r === "object" && r !== null && isPosition((r as Range).start) && isPosition((r as Range).end);
}

/** Registers both requests on the connection. */
export function registerFormatting({
  connection,
  documents,
  logger,
}: Pick<ServerContext, "connection" | "documents" | "logger">): void {
  const tracked = (uri: unknown): TextDocument | undefined =>
    isString(uri) ? documents.get(uri)?.document : undefined;

  connection.onDocumentFormatting((params, token: CancellationToken) =>
    runSafe(
      logger,
      () => {
        const document = tracked(params?.textDocument?.uri);
        return document === undefined ? [] : documentFormatting(document);
      },
      [] as TextEdit[],
      "formatting",
      token,
    ),
  );

  connection.onDocumentRangeFormatting((params, token: CancellationToken) =>
    runSafe(
      logger,
      () => {
        const document = tracked(params?.textDocument?.uri);
        const range: unknown = params?.range;
        return document === undefined || !isRange(range) ? [] : rangeFormatting(document, range);
      },
      [] as TextEdit[],
      "rangeFormatting",
      token,
    ),
  );
}
