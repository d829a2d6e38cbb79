/**
 * The dashboard's vocabulary: which dimensions the rollups keep, which keys each may take, and
 * which figures add up to which (the relations k-suppression must respect).
 */
import { DIAGNOSTIC_CODES, LSP_METHODS, type DiagnosticCode } from "@polar-ide/telemetry";

/** Gauges whose being non-zero counts as using a feature. */
export const FEATURES = [
  "resource_blocks",
  "actors",
  "resources",
  "roles",
  "permissions",
  "relations",
  "shorthand_rules",
  "cross_resource_shorthand_rules",
  "inline_queries",
  "rule_types",
] as const;

/** Environment properties shown as breakdowns. */
export const ENVIRONMENT = [
  "os",
  "nodeArch",
  "product",
  "uikind",
  "remotename",
  "extversion",
  "vscodeversion",
  "isnewappinstall",
] as const;

/** Buckets of `polar_chars` (policy size), in display order. */
export const POLAR_CHARS_BUCKETS = ["0", "1–999", "1k–9.9k", "10k–99k", "100k+"] as const;
/** Buckets of `polar_files` (files per policy), in display order. */
export const POLAR_FILES_BUCKETS = ["0", "1", "2", "3–5", "6–10", "11+"] as const;
/** Keys of the `invalid_rule_type` breakdown. */
export const INVALID_RULE_TYPE_KEYS = ["with user-defined rule types", "built-in rule types only"] as const;

/** Whether a code counts towards `warning_count` (else `error_count`). */
export function isWarningCode(code: string): boolean {
  return code.startsWith("ValidationWarning::");
}

/** The code whose occurrences `invalid_rule_type` splits. */
export const INVALID_RULE_TYPE_CODE: DiagnosticCode = "ValidationError::InvalidRuleType";

/** Every diagnostic code, known in advance. */
export const CODES: readonly string[] = DIAGNOSTIC_CODES;
/** Every LSP method, known in advance. */
export const METHODS: readonly string[] = LSP_METHODS;

/** Dimensions the dashboard reads besides `all` and `code`. */
export const BREAKDOWN_DIMS = [
  "feature",
  "load",
  "severity",
  "unknown",
  "polar_chars",
  "polar_files",
  "invalid_rule_type",
  "lsp_method",
  "lsp_extension",
  ...ENVIRONMENT.map((e) => `env:${e}`),
] as const;
