/**
 * The load pipeline: a port of polar-core's `Polar::diagnostic_load` (polar.rs). It takes files
 * that are already parsed (the incremental layer caches one parse per file) and reports every
 * diagnostic in the engine's order:
 *
 * 1. per file: FileLoading check, parse error (file skipped), then per line: singletons /
 *    unknown specializers, ambiguous precedence and rewriting of rules; rule types (dot lookups
 *    rejected); resource blocks (declarations, registration);
 * 2. stop if anything is unrecoverable;
 * 3. shorthand rules rewritten into rules;
 * 4. stop if anything is unrecoverable;
 * 5. `has_relation`/`has_role` rule types generated, rules validated against rule types (at most
 *    one error), then undefined rule calls;
 * 6. MissingAllowRule, MissingHasPermissionRule.
 *
 * The result is unfiltered: the caller drops the app-dependent kinds for the editor view.
 */
import type { Line, Rule, SourceFile, Term } from "./ast.js";
import { contextOf, error, type Diagnostic } from "./diagnostics.js";
import type { LoadOptions } from "./environment.js";
import { KnowledgeBase, type RuleType } from "./kb.js";
import { parseFile, type ParseResult } from "./parser.js";
import {
  readResourceBlock,
  resourceSpecificRuleTypes,
  rewriteShorthandRules,
  type BlockRegistry,
} from "./resource-blocks.js";
import { rewriteRule } from "./rewrite.js";
import { invalidRuleMessage, RuleTypeGroup } from "./rule-types.js";
import { ruleToPolar } from "./printer.js";
import { checkAmbiguousPrecedence } from "./validations/ambiguous-precedence.js";
import { checkNoAllowRule, checkResourceBlocksMissingHasPermission } from "./validations/missing-rules.js";
import { checkSingletons } from "./validations/singletons.js";
import { checkUndefinedRuleCalls } from "./validations/undefined-rule-calls.js";

/** One file of a load with its (cached) parse result. */
export interface LoadSource {
  readonly file: SourceFile;
  readonly parsed: ParseResult;
}

/** Which phase the load reached (for callers that want to know why later checks are missing). */
export type LoadStage = "complete" | "stopped-after-files" | "stopped-after-shorthand";

/** Everything a load produced: the diagnostics plus what editor features need. */
export interface LoadResult {
  /** All diagnostics, in engine order, unfiltered. */
  readonly diagnostics: Diagnostic[];
  /** Where the load stopped (unrecoverable diagnostics stop it early, as in the engine). */
  readonly stage: LoadStage;
  /** Rules by name after rewriting, including rules generated from shorthand rules; in load order. */
  readonly rules: ReadonlyMap<string, readonly Rule[]>;
  /** Rule types by name (defaults, user `type` lines, generated `has_relation`/`has_role`). */
  readonly ruleTypes: ReadonlyMap<string, readonly RuleType[]>;
  /** Inline queries (`?=`), never checked. */
  readonly inlineQueries: readonly Term[];
  /** The accepted actor/resource blocks. */
  readonly blocks: BlockRegistry;
  /** Files that were loaded (not rejected by FileLoading and parsed successfully), in load order. */
  readonly loadedFiles: readonly SourceFile[];
}

function anyUnrecoverable(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.unrecoverable);
}

/** Phase 1 for one parsed line. */
function loadLine(kb: KnowledgeBase, line: Line, out: Diagnostic[]): void {
  const isConstant = (name: string): boolean => kb.isConstant(name);
  switch (line.kind) {
    case "rule": {
      out.push(...checkSingletons(line.rule, isConstant));
      out.push(...checkAmbiguousPrecedence(line.rule));
      kb.addRule(rewriteRule(line.rule, kb.gensym));
      break;
    }
    case "query":
      kb.inlineQueries.push(line.term);
      break;
    case "ruleType": {
      // A rule type's head must not need rewriting; whatever the rewrite hoisted lands in its body.
      const ruleType = rewriteRule(line.rule, kb.gensym);
      const body = ruleType.body.value;
      if (body.type === "Expression" && body.operator === "And" && body.args.length === 0) {
        kb.addRuleType(ruleType, false);
      } else {
        out.push(
          error(
            "ValidationError::InvalidRuleType",
            `Invalid rule type: ${ruleToPolar(ruleType)}\n\tRule types cannot contain dot lookups.`,
            contextOf(ruleType),
          ),
        );
      }
      break;
    }
    case "resourceBlock": {
      const { block, diagnostics } = readResourceBlock(line);
      out.push(...diagnostics);
      out.push(...kb.blocks.add(block, isConstant));
      break;
    }
  }
}

/**
 * polar-core `validate_rule_types`: every rule whose name has rule types must match one of them
 * (the first failure or error ends validation), then every required rule type needs a matching
 * rule (only the first missing one is reported).
 */
function validateRuleTypes(kb: KnowledgeBase): Diagnostic | null {
  const groups = new Map<string, RuleTypeGroup>();
  for (const [name, types] of kb.ruleTypes) groups.set(name, new RuleTypeGroup(kb, types));

  // Types (by group and index) matched by at least one rule.
  const matched = new Map<string, Set<number>>();
  for (const [name, rules] of kb.rules) {
    const group = groups.get(name);
    if (group === undefined) continue;
    const seen = new Set<number>();
    matched.set(name, seen);
    for (const rule of rules) {
      const r = group.check(rule);
      if (r.kind === "error") return r.error;
      if (r.matched.length === 0) {
        return error("ValidationError::InvalidRule", invalidRuleMessage(kb, rule, group.types), contextOf(rule));
      }
      for (const i of r.matched) seen.add(i);
    }
  }

  // Every rule of a required type's name was checked against it above without error, so a
  // required type is satisfied exactly when some rule matched it.
  for (const [name, types] of kb.ruleTypes) {
    const seen = matched.get(name);
    for (let i = 0; i < types.length; i++) {
      const t = types[i];
      if (t === undefined || !t.required) continue;
      if (seen === undefined || !seen.has(i)) {
        return error(
          "ValidationError::MissingRequiredRule",
          `Missing implementation for required rule ${ruleToPolar(t.rule)}`,
          // The engine only attaches a context for has_relation (the relation's span).
          t.rule.name === "has_relation" ? contextOf(t.rule) : null,
        );
      }
    }
  }
  return null;
}

function allRules(kb: KnowledgeBase): Rule[] {
  return [...kb.rules.values()].flat();
}

/**
 * polar-core `Polar::diagnostic_load` on a fresh knowledge base. `sources` are loaded in the given
 * order (the language server sorts by URI). Plain `SourceFile`s are parsed here; pass cached
 * parse results as `LoadSource`s to avoid re-parsing. Never throws on user input.
 */
export function diagnosticLoad(sources: readonly (LoadSource | SourceFile)[], options: LoadOptions = {}): LoadResult {
  const kb = new KnowledgeBase(options.environment ?? null);
  const diagnostics: Diagnostic[] = [];
  const loadedFiles: SourceFile[] = [];

  const result = (stage: LoadStage): LoadResult => ({
    diagnostics,
    stage,
    rules: kb.rules,
    ruleTypes: kb.ruleTypes,
    inlineQueries: kb.inlineQueries,
    blocks: kb.blocks,
    loadedFiles,
  });

  // Phase 1: files in order.
  for (const source of sources) {
    const { file, parsed } = "parsed" in source ? source : { file: source, parsed: parseFile(source) };
    const rejected = kb.addSource(file);
    if (rejected !== null) {
      diagnostics.push(rejected);
      continue;
    }
    if (!parsed.ok) {
      diagnostics.push(parsed.error);
      continue;
    }
    loadedFiles.push(file);
    for (const line of parsed.lines) loadLine(kb, line, diagnostics);
  }

  // Phase 2: an invalid declaration would only cause distracting shorthand errors.
  if (anyUnrecoverable(diagnostics)) return result("stopped-after-files");

  // Phase 3: shorthand rules become ordinary rules.
  const shorthand = rewriteShorthandRules(kb.blocks, (name) => kb.isConstant(name));
  diagnostics.push(...shorthand.diagnostics);
  for (const rule of shorthand.rules) kb.addRule(rule);

  // Phase 4: rule types from a broken file could have allowed rules of another file.
  if (anyUnrecoverable(diagnostics)) return result("stopped-after-shorthand");

  // Phase 5: resource-specific rule types, then rule-type validation and undefined calls.
  for (const t of resourceSpecificRuleTypes(kb.blocks)) kb.addRuleType(t.rule, t.required, true);
  const invalid = validateRuleTypes(kb);
  if (invalid !== null) diagnostics.push(invalid);
  diagnostics.push(...checkUndefinedRuleCalls(allRules(kb), (name) => kb.hasRule(name)));

  // Phase 6: whole-policy warnings.
  if (options.ignoreNoAllowWarning !== true) {
    const noAllow = checkNoAllowRule((name) => kb.hasRule(name));
    if (noAllow !== null) diagnostics.push(noAllow);
  }
  const noHasPermission = checkResourceBlocksMissingHasPermission(!kb.blocks.isEmpty, allRules(kb));
  if (noHasPermission !== null) diagnostics.push(noHasPermission);

  return result("complete");
}
