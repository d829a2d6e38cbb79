/**
 * The cells of an event (what it counts towards: `cell_dim`, `cell_key`, `cell_value`), computed
 * by the collector when it stores the event: the unpivot of migration 1's column `DEFAULT`
 * (`M001_ON`, `M001_DIMS`, `M001_KEYS`, `M001_VALUES` in `migrations.ts`, frozen from
 * `rollupParts()`), part for part and in its order. ClickHouse 18.16 takes ~200 µs per row to
 * evaluate that `DEFAULT`; this takes a few µs. `test/clickhouse-cells.test.ts` stores generated
 * events both ways and requires identical cells, and the parity test compares every figure with
 * the SQL backends' unpivot.
 */

/** A stored row: a value per migration-1 column (integers and booleans as numbers). */
export type StoredRow = Readonly<Record<string, string | number>>;

/** An event's cells, three parallel arrays. */
export interface Cells {
  readonly dims: string[];
  readonly keys: string[];
  readonly values: number[];
}

/** The parts counted by a column's value where it is positive: [column, dim, key]. */
const BY_COUNT: readonly (readonly [string, string, string])[] = [
  ...(
    [
      ["parseerror_integeroverflow_count", "ParseError::IntegerOverflow"],
      ["parseerror_invalidfloat_count", "ParseError::InvalidFloat"],
      ["parseerror_invalidtokencharacter_count", "ParseError::InvalidTokenCharacter"],
      ["parseerror_invalidtoken_count", "ParseError::InvalidToken"],
      ["parseerror_unrecognizedeof_count", "ParseError::UnrecognizedEOF"],
      ["parseerror_unrecognizedtoken_count", "ParseError::UnrecognizedToken"],
      ["parseerror_extratoken_count", "ParseError::ExtraToken"],
      ["parseerror_reservedword_count", "ParseError::ReservedWord"],
      ["parseerror_wrongvaluetype_count", "ParseError::WrongValueType"],
      ["parseerror_duplicatekey_count", "ParseError::DuplicateKey"],
      ["validationerror_fileloading_count", "ValidationError::FileLoading"],
      ["validationerror_singletonvariable_count", "ValidationError::SingletonVariable"],
      ["validationerror_unregisteredclass_count", "ValidationError::UnregisteredClass"],
      ["validationerror_resourceblock_count", "ValidationError::ResourceBlock"],
      ["validationerror_duplicateresourceblockdeclaration_count", "ValidationError::DuplicateResourceBlockDeclaration"],
      ["validationerror_undefinedrulecall_count", "ValidationError::UndefinedRuleCall"],
      ["validationerror_invalidrule_count", "ValidationError::InvalidRule"],
      ["validationerror_invalidruletype_count", "ValidationError::InvalidRuleType"],
      ["validationerror_missingrequiredrule_count", "ValidationError::MissingRequiredRule"],
      ["operationalerror_invalidstate_count", "OperationalError::InvalidState"],
      ["validationwarning_ambiguousprecedence_count", "ValidationWarning::AmbiguousPrecedence"],
      ["validationwarning_missingallowrule_count", "ValidationWarning::MissingAllowRule"],
      ["validationwarning_missinghaspermissionrule_count", "ValidationWarning::MissingHasPermissionRule"],
      ["validationwarning_unknownspecializer_count", "ValidationWarning::UnknownSpecializer"],
      ["parseerror_nestingtoodeep_count", "ParseError::NestingTooDeep"],
      ["parseerror_internalerror_count", "ParseError::InternalError"],
    ] as const
  ).map(([column, code]) => [column, "code", code] as const),
  ["unknown_diagnostic_count", "unknown", ""],
  ["load_success_count", "load", "success"],
  ["load_failure_count", "load", "failure"],
  ["error_count", "severity", "error"],
  ["warning_count", "severity", "warning"],
];

/** Features: counted once where the column is positive. */
const FEATURES = [
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

/** Environment: [dim, column], each counted once with the column's text as key. */
const ENVIRONMENT = [
  ["env:os", "os"],
  ["env:nodeArch", "nodearch"],
  ["env:product", "product"],
  ["env:uikind", "uikind"],
  ["env:remotename", "remotename"],
  ["env:extversion", "extversion"],
  ["env:vscodeversion", "vscodeversion"],
] as const;

const LSP_METHODS = [
  ["lsp_method_textdocument_didopen_count", "textDocument/didOpen"],
  ["lsp_method_textdocument_didchange_count", "textDocument/didChange"],
  ["lsp_method_workspace_didchangewatchedfiles_count", "workspace/didChangeWatchedFiles"],
  ["lsp_method_workspace_diddeletefiles_count", "workspace/didDeleteFiles"],
] as const;

function polarChars(n: number): string {
  if (n === 0) return "0";
  if (n < 1000) return "1–999";
  if (n < 10000) return "1k–9.9k";
  if (n < 100000) return "10k–99k";
  return "100k+";
}

function polarFiles(n: number): string {
  if (n === 0) return "0";
  if (n === 1) return "1";
  if (n === 2) return "2";
  if (n <= 5) return "3–5";
  if (n <= 10) return "6–10";
  return "11+";
}

/** The cells of one stored row, as migration 1's `DEFAULT` computes them. */
export function cellsOf(row: StoredRow): Cells {
  const num = (c: string): number => Number(row[c] ?? 0);
  const text = (c: string): string => String(row[c] ?? "");
  const dims: string[] = [];
  const keys: string[] = [];
  const values: number[] = [];
  const cell = (dim: string, key: string, value: number): void => {
    dims.push(dim);
    keys.push(key);
    values.push(value);
  };
  cell("all", "", 1);
  for (const [column, dim, key] of BY_COUNT) if (num(column) > 0) cell(dim, key, num(column));
  for (const f of FEATURES) if (num(f) > 0) cell("feature", f, 1);
  cell("polar_chars", polarChars(num("polar_chars")), 1);
  cell("polar_files", polarFiles(num("polar_files")), 1);
  const irt = num("validationerror_invalidruletype_count");
  if (irt > 0) {
    cell("invalid_rule_type", num("rule_types") > 0 ? "with user-defined rule types" : "built-in rule types only", irt);
  }
  for (const [dim, column] of ENVIRONMENT) cell(dim, text(column), 1);
  cell("env:isnewappinstall", num("isnewappinstall") === 1 ? "true" : "false", 1);
  for (const [column, method] of LSP_METHODS) if (num(column) > 0) cell("lsp_method", method, num(column));
  for (const ext of text("lsp_file_extensions").split(",")) if (ext !== "") cell("lsp_extension", ext, 1);
  return { dims, keys, values };
}
