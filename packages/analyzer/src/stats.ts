/**
 * Policy statistics, counted the way Oso's language server counts its telemetry counters
 * (polar-language-server `send_telemetry`, docs/diagnostics.md §5).
 *
 * The language server re-parses every tracked document on its own and walks the lines; a
 * document that fails to parse contributes nothing but its characters. Counting per file and
 * summing lets an incremental caller recount only the file that changed.
 */
import { shorthandRelationValue, type Line, type Term } from "./ast.js";
import type { Result } from "./result.js";
import { symbolName } from "./terms.js";

/** `policy_stats` of the telemetry event (keys in the order the engine serialises them, sorted). */
export interface PolicyStats {
  inline_queries: number;
  longhand_rules: number;
  polar_chars: number;
  polar_files: number;
  rule_types: number;
  total_rules: number;
}

/** `resource_block_stats` of the telemetry event. */
export interface ResourceBlockStats {
  actors: number;
  cross_resource_shorthand_rules: number;
  declarations: number;
  permissions: number;
  relations: number;
  resource_blocks: number;
  resources: number;
  roles: number;
  shorthand_rules: number;
}

/** Both counter groups, as sent by the language server. */
export interface PolicyStatistics {
  policy_stats: PolicyStats;
  resource_block_stats: ResourceBlockStats;
}

/** The part of a parse result the counters need: the lines, or a failed parse (whatever its error). */
export type ParsedLines = Result<readonly Line[], unknown>;

/** All counters zero. */
export function emptyStats(): PolicyStatistics {
  return {
    policy_stats: {
      inline_queries: 0,
      longhand_rules: 0,
      polar_chars: 0,
      polar_files: 0,
      rule_types: 0,
      total_rules: 0,
    },
    resource_block_stats: {
      actors: 0,
      cross_resource_shorthand_rules: 0,
      declarations: 0,
      permissions: 0,
      relations: 0,
      resource_blocks: 0,
      resources: 0,
      roles: 0,
      shorthand_rules: 0,
    },
  };
}

/**
 * Number of Unicode scalar values (Rust `chars().count()`): a surrogate pair counts once, a lone
 * surrogate (which a Rust string cannot hold; the LSP transport would have replaced it) once too.
 */
export function countChars(text: string): number {
  // The length less the surrogate pairs, found left to right as the engine pairs them; a regular
  // expression scan is an order of magnitude faster than a loop on a big file (issue 13).
  return text.length - (text.match(SURROGATE_PAIR)?.length ?? 0);
}

const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

/**
 * Counters of one file: `polar_files` is 1, `polar_chars` its character count, and the rest is
 * counted from its lines (all zero when it failed to parse).
 */
export function fileStats(parsed: ParsedLines, text: string): PolicyStatistics {
  const stats = emptyStats();
  stats.policy_stats.polar_files = 1;
  stats.policy_stats.polar_chars = countChars(text);
  if (!parsed.ok) return stats;
  for (const line of parsed.value) countLine(stats, line, 1);
  return stats;
}

/**
 * `fileStats(parsed, text)` given the counters of a previous parse of the same file: an
 * incremental re-parse keeps the lines an edit did not touch (the same objects, see spans.ts), so
 * only the lines between the common first and last ones are recounted (issue 13: walking every
 * item of a 50k-line file on each keystroke). Equal to `fileStats(parsed, text)`. `chars`: the
 * text's `countChars` when the caller knows it (without reading the whole text).
 */
export function updatedFileStats(
  previous: PolicyStatistics,
  oldParsed: ParsedLines,
  parsed: ParsedLines,
  text: string,
  chars?: number,
): PolicyStatistics {
  if (!oldParsed.ok || !parsed.ok) return fileStats(parsed, text);
  const before = oldParsed.value;
  const after = parsed.value;
  let head = 0;
  const shorter = Math.min(before.length, after.length);
  while (head < shorter && before[head] === after[head]) head++;
  let tail = 0;
  while (tail < shorter - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  const stats = emptyStats();
  accumulateStats(stats, previous, 1);
  for (let i = head; i < before.length - tail; i++) countLine(stats, before[i] as Line, -1);
  for (let i = head; i < after.length - tail; i++) countLine(stats, after[i] as Line, 1);
  stats.policy_stats.polar_chars = chars ?? countChars(text);
  return stats;
}

/** Adds (`sign` 1) or subtracts (`sign` -1) the counters of one parsed line. */
function countLine(stats: PolicyStatistics, line: Line, sign: 1 | -1): void {
  const p = stats.policy_stats;
  const r = stats.resource_block_stats;
  switch (line.kind) {
    case "query":
      p.inline_queries += sign;
      break;
    case "ruleType":
      p.rule_types += sign;
      break;
    case "rule":
      p.longhand_rules += sign;
      p.total_rules += sign;
      break;
    case "resourceBlock": {
      r.resource_blocks += sign;
      // block_type_from_keyword: only the exact keywords count; a missing or other keyword is an error.
      const keyword = line.keyword === null ? "" : symbolName(line.keyword);
      if (keyword === "actor") r.actors += sign;
      else if (keyword === "resource") r.resources += sign;
      for (const production of line.productions) {
        if (production.kind === "declaration") {
          r.declarations += sign;
          countDeclaration(r, symbolName(production.name), production.value, sign);
        } else {
          r.shorthand_rules += sign;
          p.total_rules += sign;
          // Any `<keyword> "relation"` clause counts, even one later rejected for a keyword other than `on`.
          if (shorthandRelationValue(production) !== null) r.cross_resource_shorthand_rules += sign;
        }
      }
      break;
    }
  }
}

/** validate_parsed_declaration: only well-formed roles/permissions lists and relations dicts count. */
function countDeclaration(r: ResourceBlockStats, name: string, value: Term, sign: 1 | -1): void {
  const v = value.value;
  if (name === "roles" && v.type === "List") r.roles += sign * v.elements.length;
  else if (name === "permissions" && v.type === "List") r.permissions += sign * v.elements.length;
  else if (name === "relations" && (v.type === "Dictionary" || v.type === "DictionaryPattern")) {
    r.relations += sign * v.fields.size;
  }
}

/**
 * Sums per-file counters. `deletedFiles` adds to `polar_files` only: the language server counts
 * every entry of the diagnostics map it publishes, and an event that deletes documents publishes
 * empty lists for them too.
 */
export function sumStats(files: Iterable<PolicyStatistics>, options: { deletedFiles?: number } = {}): PolicyStatistics {
  const total = emptyStats();
  const tp = total.policy_stats as unknown as Record<string, number>;
  const tr = total.resource_block_stats as unknown as Record<string, number>;
  for (const f of files) {
    for (const [k, v] of Object.entries(f.policy_stats)) tp[k] = (tp[k] ?? 0) + v;
    for (const [k, v] of Object.entries(f.resource_block_stats)) tr[k] = (tr[k] ?? 0) + v;
  }
  total.policy_stats.polar_files += options.deletedFiles ?? 0;
  return total;
}

/**
 * Adds (`sign` 1) or subtracts (`sign` -1) one file's counters to a running total in place, so
 * that an incremental caller updates the sum per changed file instead of re-summing every file.
 */
export function accumulateStats(total: PolicyStatistics, file: PolicyStatistics, sign: 1 | -1): void {
  const tp = total.policy_stats as unknown as Record<string, number>;
  const tr = total.resource_block_stats as unknown as Record<string, number>;
  for (const [k, v] of Object.entries(file.policy_stats)) tp[k] = (tp[k] ?? 0) + sign * v;
  for (const [k, v] of Object.entries(file.resource_block_stats)) tr[k] = (tr[k] ?? 0) + sign * v;
}
