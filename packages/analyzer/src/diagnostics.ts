/**
 * Diagnostics as polar-core's `diagnostic_load` reports them: a stable code
 * (`ParseError::UnrecognizedEOF`, `ValidationError::InvalidRule`, …), a severity, the engine's
 * message text (without the " at line L, column C" suffix), whether it is unrecoverable, and an
 * optional source context (file + offsets).
 */
import type { SourceFile } from "./ast.js";
import type { DiagnosticCode } from "./codes.js";

export type Severity = "error" | "warning";

/** Where a diagnostic points. Offsets are UTF-16 offsets into `file.text`; `start === end` is allowed. */
export interface DiagnosticContext {
  readonly file: SourceFile;
  readonly start: number;
  readonly end: number;
}

export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  /** `Diagnostic::is_unrecoverable()`: every ParseError, FileLoading and ResourceBlock error. */
  readonly unrecoverable: boolean;
  /** null when the engine attaches no source context (published on every document by the LS). */
  readonly context: DiagnosticContext | null;
}

/** The three kinds Oso's language server drops: they depend on classes the application registers. */
export const EDITOR_DROPPED_CODES: ReadonlySet<string> = new Set([
  "ValidationError::UnregisteredClass",
  "ValidationError::SingletonVariable",
  "ValidationWarning::UnknownSpecializer",
]);

export { DIAGNOSTIC_CODES, type DiagnosticCode } from "./codes.js";

/** Builds an error diagnostic. `unrecoverable` follows `is_unrecoverable()` from the code. */
export function error(code: DiagnosticCode, message: string, context: DiagnosticContext | null): Diagnostic {
  return { code, severity: "error", message, unrecoverable: isUnrecoverableCode(code), context };
}

/** Builds a warning diagnostic (warnings are never unrecoverable). */
export function warning(code: DiagnosticCode, message: string, context: DiagnosticContext | null): Diagnostic {
  return { code, severity: "warning", message, unrecoverable: false, context };
}

export function isUnrecoverableCode(code: string): boolean {
  return (
    code.startsWith("ParseError::") ||
    code === "ValidationError::FileLoading" ||
    code === "ValidationError::ResourceBlock"
  );
}

/** Context covering a parsed term, or null for temporaries. */
export function contextOf(term: {
  readonly source: { kind: string; file?: SourceFile; start?: number; end?: number };
}): DiagnosticContext | null {
  const s = term.source;
  if (s.kind !== "parser" || s.file === undefined || s.start === undefined || s.end === undefined) return null;
  return { file: s.file, start: s.start, end: s.end };
}

/**
 * UnregisteredClass for a class name: at a block name or relation type (with its span), or during
 * rule-type validation (no span: the engine builds a context-free term for the tag there).
 */
export function unregisteredClass(name: string, context: DiagnosticContext | null): Diagnostic {
  return error("ValidationError::UnregisteredClass", `Unregistered class: ${name}`, context);
}
