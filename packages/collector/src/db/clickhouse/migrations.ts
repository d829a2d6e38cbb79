/**
 * Versioned DDL of the ClickHouse backend, applied on every shard (`ON CLUSTER` would need
 * ZooKeeper): `schema_migrations` on each shard records which ran there.
 *
 * Every shipped migration is FROZEN: literal text, never derived from the live telemetry schema
 * (like the SQL migrations). The only substitutions are two identifiers checked by
 * `parseClickHouseUrl`: the cluster (`{cluster}`, from the servers' `remote_servers`) and the
 * database (`{database}`).
 *
 * Layout (migration 1):
 * - `events_local` on each shard: one row per stored event, with its cells (`cell_dim`,
 *   `cell_key`, `cell_value`: what it counts towards, computed when stored); `ReplacingMergeTree` ordered by
 *   `insert_id` (merges collapse a retried event; reads collapse what is not merged yet),
 *   partitioned by the UTC arrival day (`Date`), so retention drops whole partitions;
 * - `events` on each shard: a `Distributed` table over every shard's `events_local`, sharded by
 *   `cityHash64(distinct_id)` (`SHARDING_KEY`, `shard.ts`): a user's events all live on one
 *   shard, so per-user figures are computed on each shard and added up.
 *
 * Migration 2 narrows `events_local` to the columns the reads use plus the other stored
 * properties in two arrays (`M002_TABLE`): a part costs a folder of files per column, and 18.16
 * writes a part per insert. The collector computes the cells (`cells.ts`, the same unpivot as
 * migration 1's `DEFAULT`) and the shard of each row, and inserts into each shard directly.
 */

/** One migration: statements to apply on every shard, in order, and to revert it. */
export interface ClickHouseMigration {
  readonly id: number;
  readonly name: string;
  readonly up: readonly string[];
  readonly down: readonly string[];
}

/**
 * The unpivot of an event into its cells, frozen from `rollupParts()` (`../rollup-sql.ts`) as it
 * was when this migration shipped: whether each part holds, its dimension, key and value, then
 * one cell per file extension. Computed by ClickHouse when a row is stored (`DEFAULT`: the entry point computes it and forwards it to the shard, which a `MATERIALIZED` column would refuse):
 * 18.16 builds these arrays far too slowly to do it at every read. The parity test
 * (`test/backend-parity.test.ts`) fails if the SQL unpivot and this one ever disagree.
 */
const M001_ON = `arrayConcat([toUInt8(1 = 1), toUInt8(parseerror_integeroverflow_count > 0), toUInt8(parseerror_invalidfloat_count > 0), toUInt8(parseerror_invalidtokencharacter_count > 0), toUInt8(parseerror_invalidtoken_count > 0), toUInt8(parseerror_unrecognizedeof_count > 0), toUInt8(parseerror_unrecognizedtoken_count > 0), toUInt8(parseerror_extratoken_count > 0), toUInt8(parseerror_reservedword_count > 0), toUInt8(parseerror_wrongvaluetype_count > 0), toUInt8(parseerror_duplicatekey_count > 0), toUInt8(validationerror_fileloading_count > 0), toUInt8(validationerror_singletonvariable_count > 0), toUInt8(validationerror_unregisteredclass_count > 0), toUInt8(validationerror_resourceblock_count > 0), toUInt8(validationerror_duplicateresourceblockdeclaration_count > 0), toUInt8(validationerror_undefinedrulecall_count > 0), toUInt8(validationerror_invalidrule_count > 0), toUInt8(validationerror_invalidruletype_count > 0), toUInt8(validationerror_missingrequiredrule_count > 0), toUInt8(operationalerror_invalidstate_count > 0), toUInt8(validationwarning_ambiguousprecedence_count > 0), toUInt8(validationwarning_missingallowrule_count > 0), toUInt8(validationwarning_missinghaspermissionrule_count > 0), toUInt8(validationwarning_unknownspecializer_count > 0), toUInt8(parseerror_nestingtoodeep_count > 0), toUInt8(parseerror_internalerror_count > 0), toUInt8(unknown_diagnostic_count > 0), toUInt8(load_success_count > 0), toUInt8(load_failure_count > 0), toUInt8(error_count > 0), toUInt8(warning_count > 0), toUInt8(resource_blocks > 0), toUInt8(actors > 0), toUInt8(resources > 0), toUInt8(roles > 0), toUInt8(permissions > 0), toUInt8(relations > 0), toUInt8(shorthand_rules > 0), toUInt8(cross_resource_shorthand_rules > 0), toUInt8(inline_queries > 0), toUInt8(rule_types > 0), toUInt8(1 = 1), toUInt8(1 = 1), toUInt8(validationerror_invalidruletype_count > 0), toUInt8(1 = 1), toUInt8(1 = 1), toUInt8(1 = 1), toUInt8(1 = 1), toUInt8(1 = 1), toUInt8(1 = 1), toUInt8(1 = 1), toUInt8(1 = 1), toUInt8(lsp_method_textdocument_didopen_count > 0), toUInt8(lsp_method_textdocument_didchange_count > 0), toUInt8(lsp_method_workspace_didchangewatchedfiles_count > 0), toUInt8(lsp_method_workspace_diddeletefiles_count > 0)], arrayMap(x -> toUInt8(x != ''), splitByChar(',', lsp_file_extensions)))`;

const M001_DIMS = `arrayConcat(['all', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'code', 'unknown', 'load', 'load', 'severity', 'severity', 'feature', 'feature', 'feature', 'feature', 'feature', 'feature', 'feature', 'feature', 'feature', 'feature', 'polar_chars', 'polar_files', 'invalid_rule_type', 'env:os', 'env:nodeArch', 'env:product', 'env:uikind', 'env:remotename', 'env:extversion', 'env:vscodeversion', 'env:isnewappinstall', 'lsp_method', 'lsp_method', 'lsp_method', 'lsp_method'], arrayMap(x -> 'lsp_extension', splitByChar(',', lsp_file_extensions)))`;

const M001_KEYS = `arrayConcat([toString(''), toString('ParseError::IntegerOverflow'), toString('ParseError::InvalidFloat'), toString('ParseError::InvalidTokenCharacter'), toString('ParseError::InvalidToken'), toString('ParseError::UnrecognizedEOF'), toString('ParseError::UnrecognizedToken'), toString('ParseError::ExtraToken'), toString('ParseError::ReservedWord'), toString('ParseError::WrongValueType'), toString('ParseError::DuplicateKey'), toString('ValidationError::FileLoading'), toString('ValidationError::SingletonVariable'), toString('ValidationError::UnregisteredClass'), toString('ValidationError::ResourceBlock'), toString('ValidationError::DuplicateResourceBlockDeclaration'), toString('ValidationError::UndefinedRuleCall'), toString('ValidationError::InvalidRule'), toString('ValidationError::InvalidRuleType'), toString('ValidationError::MissingRequiredRule'), toString('OperationalError::InvalidState'), toString('ValidationWarning::AmbiguousPrecedence'), toString('ValidationWarning::MissingAllowRule'), toString('ValidationWarning::MissingHasPermissionRule'), toString('ValidationWarning::UnknownSpecializer'), toString('ParseError::NestingTooDeep'), toString('ParseError::InternalError'), toString(''), toString('success'), toString('failure'), toString('error'), toString('warning'), toString('resource_blocks'), toString('actors'), toString('resources'), toString('roles'), toString('permissions'), toString('relations'), toString('shorthand_rules'), toString('cross_resource_shorthand_rules'), toString('inline_queries'), toString('rule_types'), toString(CASE WHEN polar_chars = 0 THEN '0' WHEN polar_chars < 1000 THEN '1–999' WHEN polar_chars < 10000 THEN '1k–9.9k' WHEN polar_chars < 100000 THEN '10k–99k' ELSE '100k+' END), toString(CASE WHEN polar_files = 0 THEN '0' WHEN polar_files = 1 THEN '1' WHEN polar_files = 2 THEN '2' WHEN polar_files <= 5 THEN '3–5' WHEN polar_files <= 10 THEN '6–10' ELSE '11+' END), toString(CASE WHEN rule_types > 0 THEN 'with user-defined rule types' ELSE 'built-in rule types only' END), toString(os), toString(nodearch), toString(product), toString(uikind), toString(remotename), toString(extversion), toString(vscodeversion), toString(CASE WHEN isnewappinstall = 1 THEN 'true' ELSE 'false' END), toString('textDocument/didOpen'), toString('textDocument/didChange'), toString('workspace/didChangeWatchedFiles'), toString('workspace/didDeleteFiles')], splitByChar(',', lsp_file_extensions))`;

const M001_VALUES = `arrayConcat([toInt64(1), toInt64(parseerror_integeroverflow_count), toInt64(parseerror_invalidfloat_count), toInt64(parseerror_invalidtokencharacter_count), toInt64(parseerror_invalidtoken_count), toInt64(parseerror_unrecognizedeof_count), toInt64(parseerror_unrecognizedtoken_count), toInt64(parseerror_extratoken_count), toInt64(parseerror_reservedword_count), toInt64(parseerror_wrongvaluetype_count), toInt64(parseerror_duplicatekey_count), toInt64(validationerror_fileloading_count), toInt64(validationerror_singletonvariable_count), toInt64(validationerror_unregisteredclass_count), toInt64(validationerror_resourceblock_count), toInt64(validationerror_duplicateresourceblockdeclaration_count), toInt64(validationerror_undefinedrulecall_count), toInt64(validationerror_invalidrule_count), toInt64(validationerror_invalidruletype_count), toInt64(validationerror_missingrequiredrule_count), toInt64(operationalerror_invalidstate_count), toInt64(validationwarning_ambiguousprecedence_count), toInt64(validationwarning_missingallowrule_count), toInt64(validationwarning_missinghaspermissionrule_count), toInt64(validationwarning_unknownspecializer_count), toInt64(parseerror_nestingtoodeep_count), toInt64(parseerror_internalerror_count), toInt64(unknown_diagnostic_count), toInt64(load_success_count), toInt64(load_failure_count), toInt64(error_count), toInt64(warning_count), toInt64(1), toInt64(1), toInt64(1), toInt64(1), toInt64(1), toInt64(1), toInt64(1), toInt64(1), toInt64(1), toInt64(1), toInt64(1), toInt64(1), toInt64(validationerror_invalidruletype_count), toInt64(1), toInt64(1), toInt64(1), toInt64(1), toInt64(1), toInt64(1), toInt64(1), toInt64(1), toInt64(lsp_method_textdocument_didopen_count), toInt64(lsp_method_textdocument_didchange_count), toInt64(lsp_method_workspace_didchangewatchedfiles_count), toInt64(lsp_method_workspace_diddeletefiles_count)], arrayMap(x -> toInt64(1), splitByChar(',', lsp_file_extensions)))`;

const M001_COLUMNS = `  day Date,
  distinct_id String,
  workspace_folder String,
  diagnostic_count UInt32,
  error_count UInt32,
  warning_count UInt32,
  load_success_count UInt32,
  load_failure_count UInt32,
  unknown_diagnostic_count UInt32,
  parseerror_integeroverflow_count UInt32,
  parseerror_invalidfloat_count UInt32,
  parseerror_invalidtokencharacter_count UInt32,
  parseerror_invalidtoken_count UInt32,
  parseerror_unrecognizedeof_count UInt32,
  parseerror_unrecognizedtoken_count UInt32,
  parseerror_extratoken_count UInt32,
  parseerror_reservedword_count UInt32,
  parseerror_wrongvaluetype_count UInt32,
  parseerror_duplicatekey_count UInt32,
  validationerror_fileloading_count UInt32,
  validationerror_singletonvariable_count UInt32,
  validationerror_unregisteredclass_count UInt32,
  validationerror_resourceblock_count UInt32,
  validationerror_duplicateresourceblockdeclaration_count UInt32,
  validationerror_undefinedrulecall_count UInt32,
  validationerror_invalidrule_count UInt32,
  validationerror_invalidruletype_count UInt32,
  validationerror_missingrequiredrule_count UInt32,
  operationalerror_invalidstate_count UInt32,
  validationwarning_ambiguousprecedence_count UInt32,
  validationwarning_missingallowrule_count UInt32,
  validationwarning_missinghaspermissionrule_count UInt32,
  validationwarning_unknownspecializer_count UInt32,
  parseerror_nestingtoodeep_count UInt32,
  parseerror_internalerror_count UInt32,
  total_rules UInt32,
  inline_queries UInt32,
  longhand_rules UInt32,
  polar_chars UInt32,
  polar_files UInt32,
  rule_types UInt32,
  resource_blocks UInt32,
  actors UInt32,
  resources UInt32,
  declarations UInt32,
  roles UInt32,
  permissions UInt32,
  relations UInt32,
  shorthand_rules UInt32,
  cross_resource_shorthand_rules UInt32,
  lsp_method_textdocument_didopen_count UInt32,
  lsp_method_textdocument_didchange_count UInt32,
  lsp_method_workspace_didchangewatchedfiles_count UInt32,
  lsp_method_workspace_diddeletefiles_count UInt32,
  lsp_file_extensions String,
  os String,
  nodearch String,
  platformversion String,
  extname String,
  extversion String,
  vscodeversion String,
  product String,
  uikind String,
  remotename String,
  isnewappinstall UInt8,
  insert_id String,
  schema_version UInt32,
  cell_dim Array(String) DEFAULT arrayFilter((v_, on_) -> on_ = 1, ${M001_DIMS}, ${M001_ON}),
  cell_key Array(String) DEFAULT arrayFilter((v_, on_) -> on_ = 1, ${M001_KEYS}, ${M001_ON}),
  cell_value Array(Int64) DEFAULT arrayFilter((v_, on_) -> on_ = 1, ${M001_VALUES}, ${M001_ON})`;

/**
 * Migration 2's row layout: the columns the reads use, then every other stored property of
 * migration 1 in two arrays, by position (`M002_INTEGERS` in `props_int`, `M002_TEXTS` in
 * `props_text`). A part of `events_local` is a folder with files per column, and 18.16 writes
 * one part per insert: 10 columns instead of 70 make an insert ~6× cheaper (bench/collector.mjs).
 * Frozen: a later property is appended by a later migration.
 */
export const M002_INTEGERS: readonly string[] = [
  "diagnostic_count",
  "error_count",
  "warning_count",
  "load_success_count",
  "load_failure_count",
  "unknown_diagnostic_count",
  "parseerror_integeroverflow_count",
  "parseerror_invalidfloat_count",
  "parseerror_invalidtokencharacter_count",
  "parseerror_invalidtoken_count",
  "parseerror_unrecognizedeof_count",
  "parseerror_unrecognizedtoken_count",
  "parseerror_extratoken_count",
  "parseerror_reservedword_count",
  "parseerror_wrongvaluetype_count",
  "parseerror_duplicatekey_count",
  "validationerror_fileloading_count",
  "validationerror_singletonvariable_count",
  "validationerror_unregisteredclass_count",
  "validationerror_resourceblock_count",
  "validationerror_duplicateresourceblockdeclaration_count",
  "validationerror_undefinedrulecall_count",
  "validationerror_invalidrule_count",
  "validationerror_invalidruletype_count",
  "validationerror_missingrequiredrule_count",
  "operationalerror_invalidstate_count",
  "validationwarning_ambiguousprecedence_count",
  "validationwarning_missingallowrule_count",
  "validationwarning_missinghaspermissionrule_count",
  "validationwarning_unknownspecializer_count",
  "parseerror_nestingtoodeep_count",
  "parseerror_internalerror_count",
  "total_rules",
  "inline_queries",
  "longhand_rules",
  "polar_chars",
  "polar_files",
  "rule_types",
  "resource_blocks",
  "actors",
  "resources",
  "declarations",
  "roles",
  "permissions",
  "relations",
  "shorthand_rules",
  "cross_resource_shorthand_rules",
  "lsp_method_textdocument_didopen_count",
  "lsp_method_textdocument_didchange_count",
  "lsp_method_workspace_didchangewatchedfiles_count",
  "lsp_method_workspace_diddeletefiles_count",
  "isnewappinstall",
  "schema_version",
];

export const M002_TEXTS: readonly string[] = [
  "lsp_file_extensions",
  "os",
  "nodearch",
  "platformversion",
  "extname",
  "vscodeversion",
  "product",
  "uikind",
  "remotename",
];

/** The columns of migration 2's `events_local`, in order (what an insert gives). */
export const M002_COLUMNS = [
  "day",
  "insert_id",
  "distinct_id",
  "workspace_folder",
  "extversion",
  "cell_dim",
  "cell_key",
  "cell_value",
  "props_int",
  "props_text",
] as const;

const M002_TABLE = `(
  day Date,
  insert_id String,
  distinct_id String,
  workspace_folder String,
  extversion String,
  cell_dim Array(String),
  cell_key Array(String),
  cell_value Array(Int64),
  props_int Array(UInt32),
  props_text Array(String)
) ENGINE = ReplacingMergeTree() PARTITION BY day ORDER BY insert_id`;

export const CLICKHOUSE_MIGRATIONS: readonly ClickHouseMigration[] = [
  {
    id: 1,
    name: "events",
    up: [
      `CREATE TABLE IF NOT EXISTS events_local (
${M001_COLUMNS}
) ENGINE = ReplacingMergeTree() PARTITION BY day ORDER BY insert_id`,
      "CREATE TABLE IF NOT EXISTS events AS events_local ENGINE = Distributed({cluster}, {database}, events_local, cityHash64(distinct_id))",
    ],
    down: ["DROP TABLE IF EXISTS events", "DROP TABLE IF EXISTS events_local"],
  },
  {
    // The narrow row (`M002_TABLE`): the collector computes the cells (`cells.ts`) and inserts
    // each shard's rows into its `events_local` itself. Stored events are copied over, cells as
    // they were.
    id: 2,
    name: "narrow events",
    up: [
      "DROP TABLE IF EXISTS events_v2",
      `CREATE TABLE events_v2 ${M002_TABLE}`,
      `INSERT INTO events_v2 SELECT day, insert_id, distinct_id, workspace_folder, extversion, cell_dim, cell_key, cell_value,
[${M002_INTEGERS.map((c) => `toUInt32(${c})`).join(", ")}], [${M002_TEXTS.join(", ")}] FROM events_local`,
      "DROP TABLE IF EXISTS events",
      "DROP TABLE events_local",
      "RENAME TABLE events_v2 TO events_local",
      "CREATE TABLE IF NOT EXISTS events AS events_local ENGINE = Distributed({cluster}, {database}, events_local, cityHash64(distinct_id))",
    ],
    down: [
      "DROP TABLE IF EXISTS events_v1",
      `CREATE TABLE events_v1 (
${M001_COLUMNS}
) ENGINE = ReplacingMergeTree() PARTITION BY day ORDER BY insert_id`,
      `INSERT INTO events_v1 (day, insert_id, distinct_id, workspace_folder, extversion, cell_dim, cell_key, cell_value, ${[...M002_INTEGERS, ...M002_TEXTS].join(", ")})
SELECT day, insert_id, distinct_id, workspace_folder, extversion, cell_dim, cell_key, cell_value, ${[
        ...M002_INTEGERS.map((c, i) => `props_int[${i + 1}]`),
        ...M002_TEXTS.map((c, i) => `props_text[${i + 1}]`),
      ].join(", ")} FROM events_local`,
      "DROP TABLE IF EXISTS events",
      "DROP TABLE events_local",
      "RENAME TABLE events_v1 TO events_local",
      "CREATE TABLE IF NOT EXISTS events AS events_local ENGINE = Distributed({cluster}, {database}, events_local, cityHash64(distinct_id))",
    ],
  },
];

/** The newest ClickHouse migration's id. */
export const LATEST_CLICKHOUSE_MIGRATION = CLICKHOUSE_MIGRATIONS[CLICKHOUSE_MIGRATIONS.length - 1]!.id;

/** A migration statement for one cluster and database (both checked identifiers). */
export function ddl(sql: string, cluster: string, database: string): string {
  return sql.replaceAll("{cluster}", cluster).replaceAll("{database}", database);
}
