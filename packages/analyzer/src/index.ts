/**
 * @polar-ide/analyzer — Polar (Oso 0.27.3) parsing, load-time validation and policy statistics.
 *
 * The facade most callers need is {@link Policy}: a set of files, updated one at a time, whose
 * analysis (diagnostics in LSP positions + statistics) is recomputed incrementally. Lower layers
 * (parser, load pipeline, printers) are exported for editor features and tools.
 */
export type {
  Fields,
  Line,
  NumberValue,
  Operator,
  Parameter,
  Production,
  Rule,
  SourceFile,
  SourceInfo,
  Term,
  Value,
} from "./ast.js";
export { sortedFields, spanOf } from "./ast.js";
export { compareCodePoints } from "./code-points.js";
export type { Diagnostic, DiagnosticCode, DiagnosticContext, Severity } from "./diagnostics.js";
export { DIAGNOSTIC_CODES, EDITOR_DROPPED_CODES } from "./diagnostics.js";
export type { ClassEnvironment, LoadOptions } from "./environment.js";
export { BUILTIN_CLASSES } from "./environment.js";
export type { Result } from "./result.js";
export type { ParseResult } from "./parser.js";
export { parseFile, MAX_NESTING } from "./parser.js";
export type { LoadResult, LoadSource } from "./load.js";
export { diagnosticLoad } from "./load.js";
export type { Position, Range } from "./positions.js";
export { LineIndex, lineIndexOf, lineStartOffsets } from "./positions.js";
export { PieceText } from "./piece-text.js";
export type { SlicedText } from "./common-ends.js";
export { commonEnds } from "./common-ends.js";
export { lowerBound, upperBound } from "./sorted.js";
export type { Span } from "./spans.js";
export { FileSpans, spansOf } from "./spans.js";
export { materialize } from "./incremental-parse.js";
export type { PolicyStatistics, PolicyStats, ResourceBlockStats } from "./stats.js";
export { emptyStats, fileStats, sumStats } from "./stats.js";
export type { AnalyzeOptions, PolicyAnalysis, PublishedDiagnostic, TextEdit } from "./policy.js";
export { Policy, publishDiagnostics } from "./policy.js";
export { toPolar, ruleToPolar, ruleHeadToPolar } from "./printer.js";
export type { DeclaredName, ResourceBlock } from "./resource-blocks/index.js";
export { declaredNames, readResourceBlock } from "./resource-blocks/index.js";
export { ACTOR_UNION_NAME, RESOURCE_UNION_NAME } from "./resource-blocks/index.js";
export type { CallSite } from "./validations/undefined-rule-calls.js";
export { collectCallSites } from "./validations/undefined-rule-calls.js";
export type { TolerantParse } from "./tolerant-parser.js";
export { parseTolerant } from "./tolerant-parser.js";
export type { LexError, Token } from "./lexer.js";
export { Lexer, T as TokenKind, isLexError } from "./lexer.js";
export type { FormatEdit, FormatResult, FormattedElement } from "./format/index.js";
export { FORMAT_WIDTH, formatDocumentEdits, formatPolar, formatRangeEdits } from "./format/index.js";
