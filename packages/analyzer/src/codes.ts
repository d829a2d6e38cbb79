/**
 * The diagnostic codes: declared here once. The telemetry schema (`@polar-ide/telemetry`) imports
 * this module through the `@polar-ide/analyzer/codes` export as the allow-list of `<code>_count`
 * properties, so the extension, the collector and the docs read the same list. It imports nothing,
 * so a package that needs only the codes loads none of the analyzer.
 */

/** Every code `diagnostic_load` can report (docs/diagnostics.md §1), for allow-lists and docs. */
export const DIAGNOSTIC_CODES = [
  "ParseError::IntegerOverflow",
  "ParseError::InvalidFloat",
  "ParseError::InvalidTokenCharacter",
  "ParseError::InvalidToken",
  "ParseError::UnrecognizedEOF",
  "ParseError::UnrecognizedToken",
  "ParseError::ExtraToken",
  "ParseError::ReservedWord",
  "ParseError::WrongValueType",
  "ParseError::DuplicateKey",
  "ValidationError::FileLoading",
  "ValidationError::SingletonVariable",
  "ValidationError::UnregisteredClass",
  "ValidationError::ResourceBlock",
  "ValidationError::DuplicateResourceBlockDeclaration",
  "ValidationError::UndefinedRuleCall",
  "ValidationError::InvalidRule",
  "ValidationError::InvalidRuleType",
  "ValidationError::MissingRequiredRule",
  "OperationalError::InvalidState",
  "ValidationWarning::AmbiguousPrecedence",
  "ValidationWarning::MissingAllowRule",
  "ValidationWarning::MissingHasPermissionRule",
  "ValidationWarning::UnknownSpecializer",
  // Ours, not Oso's: input nested too deeply to analyse safely, and a defect of the analyzer
  // reported on the file instead of thrown into the editor.
  "ParseError::NestingTooDeep",
  "ParseError::InternalError",
] as const;

export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];
