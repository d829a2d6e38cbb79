/**
 * Folding ranges (`textDocument/foldingRange`): resource blocks, rules spanning several lines and
 * runs of comment lines. From the error-tolerant parse, so a syntax error keeps the rest foldable.
 */
import { FoldingRangeKind, type FoldingRange } from "vscode-languageserver";
import { ruleSpan, spanOf, type ParsedDocument } from "./features.js";

export function foldingRanges(doc: ParsedDocument): FoldingRange[] {
  const d = doc.document;
  const out: FoldingRange[] = [];
  for (const line of doc.lines) {
    const span =
      line.kind === "resourceBlock" ? spanOf(line.resource) : line.kind === "query" ? null : ruleSpan(line.rule);
    if (span === null) continue;
    const startLine = d.positionAt(span.start).line;
    let endLine = d.positionAt(span.end).line;
    // A block's closing brace stays visible, as in other brace languages.
    if (line.kind === "resourceBlock") endLine--;
    if (endLine > startLine) out.push({ startLine, endLine });
  }
  // Runs of two or more comment lines.
  const lines = d.getText().split(/\r?\n/);
  let start = -1;
  for (let i = 0; i <= lines.length; i++) {
    const comment = i < lines.length && (lines[i] ?? "").trimStart().startsWith("#");
    if (comment && start < 0) start = i;
    if (!comment && start >= 0) {
      if (i - 1 > start) out.push({ startLine: start, endLine: i - 1, kind: FoldingRangeKind.Comment });
      start = -1;
    }
  }
  return out.sort((a, b) => a.startLine - b.startLine);
}
