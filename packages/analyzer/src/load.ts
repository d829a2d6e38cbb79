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
 * The result is unfiltered unless the loader was told which codes to keep: the editor view drops
 * the app-dependent kinds, and a loader that knows it never makes them.
 *
 * A {@link Loader} runs this pipeline repeatedly on a changing set of files (the editor re-loads
 * the whole policy after every edit) and reuses the work of unchanged items: phase-1 results per
 * parsed line and per segment of lines (load-segments.ts), shorthand translations, generated rule types, rule-type checks, call sites. Every
 * reuse is guarded by the exact inputs that result depends on, so a load gives the same
 * diagnostics as a fresh one; {@link diagnosticLoad} is simply a load by a fresh loader.
 */
import type { Rule, SourceFile, Term } from "./ast.js";
import { contextOf, error, type Diagnostic } from "./diagnostics.js";
import type { LoadOptions } from "./environment.js";
import { ClassTable, KnowledgeBase, type RuleLists, type RuleType } from "./kb.js";
import { Phase1Cache, type KeepCode, type Segment } from "./load-segments.js";
import { parseFile, type ParseResult } from "./parser.js";
import {
  resourceSpecificRuleTypes,
  BlockPhaseCache,
  GeneratedRule,
  BlockRegistry,
  type PreparedBlock,
  type ShorthandOutput,
} from "./resource-blocks/index.js";
import { invalidRuleMessage, RuleTypeGroup, type RuleCheck } from "./rule-types.js";
import { ruleToPolar } from "./printer.js";
import { checkNoAllowRule, missingHasPermissionRule, ruleCallsHasPermission } from "./validations/missing-rules.js";
import { spansOf, type FileSpans } from "./spans.js";
import { collectRuleCallSites, undefinedRuleCall, type CallSite } from "./validations/undefined-rule-calls.js";

/** One file of a load with its (cached) parse result. */
export interface LoadSource {
  readonly file: SourceFile;
  readonly parsed: ParseResult;
}

/** Which phase the load reached (for callers that want to know why later checks are missing). */
export type LoadStage = "complete" | "stopped-after-files" | "stopped-after-shorthand";

/** Everything a load produced: the diagnostics plus what editor features need. */
export interface LoadResult {
  /** All diagnostics, in engine order: unfiltered, unless the loader was made to keep only some codes (see {@link Loader}). */
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

// ---------------------------------------------------------------------------------------------
// Placing diagnostics
// ---------------------------------------------------------------------------------------------

/** The diagnostics of a load as made (offsets of their items' parses) and how to place one. */
interface Unplaced {
  readonly diagnostics: readonly Diagnostic[];
  readonly place: (d: Diagnostic) => Diagnostic;
}

const UNPLACED = new WeakMap<object, Unplaced>();

/**
 * A load result whose `diagnostics` are placed in their files' current texts when first read. A
 * big file can carry tens of thousands of diagnostics the editor never shows (UnknownSpecializer,
 * UnregisteredClass without an environment): the editor publishes through
 * {@link keptDiagnostics}, which places only the ones it keeps.
 */
function withPlacedDiagnostics(
  fields: Omit<LoadResult, "diagnostics" | "rules">,
  diagnostics: Diagnostic[],
  place: (d: Diagnostic) => Diagnostic,
): Omit<LoadResult, "rules"> {
  let placed: Diagnostic[] | null = null;
  const result = Object.defineProperty({ ...fields }, "diagnostics", {
    enumerable: true,
    get: (): Diagnostic[] => (placed ??= diagnostics.map(place)),
  }) as Omit<LoadResult, "rules">;
  UNPLACED.set(result, { diagnostics, place });
  return result;
}

/** The diagnostics of a load that `keep` accepts (judged by code, severity and message), placed, in order. */
export function keptDiagnostics(load: LoadResult, keep: (d: Diagnostic) => boolean): Diagnostic[] {
  const unplaced = UNPLACED.get(load);
  if (unplaced === undefined) return load.diagnostics.filter(keep);
  const out: Diagnostic[] = [];
  for (const d of unplaced.diagnostics) if (keep(d)) out.push(unplaced.place(d));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The loader
// ---------------------------------------------------------------------------------------------

/**
 * What checking one list of rules (a part of a name's rules, see {@link KnowledgeBase.ruleParts})
 * against a name's rule types gave: the error that stops validation at its first failing rule,
 * or none and the distinct types its rules matched.
 */
interface PartCheck {
  readonly error: Diagnostic | null;
  readonly matched: readonly number[];
}

/** A rule-type index of one name with the checks it made, valid while the checks cannot change. */
interface GroupMemo {
  readonly group: RuleTypeGroup;
  readonly results: WeakMap<Rule, RuleCheck>;
  /**
   * Checks by list of rules: the lists are shared between loads and never change (a segment's,
   * phase 3's, or one joined from those), so an edit re-checks the lists it changed only, and a
   * name's thousands of generated rules are not visited again (issue 13). One entry per list, not
   * per rule.
   */
  readonly parts: WeakMap<readonly Rule[], PartCheck>;
  /** Whether a load used this memo before (on the first, every rule is new: no weak-map entry per rule). */
  used: boolean;
  /** Scratch marks by type index (all zero between uses). */
  readonly marks: Uint8Array;
  /** The parts of the previous load and the types they matched (reused while the parts are the same). */
  lastParts: readonly (readonly Rule[])[];
  lastSeen: Uint8Array | null;
}

/**
 * Every name a rule generated from a shorthand rule can call (`has_relation` and the implier's
 * `has_role` / `has_permission` / `has_relation`).
 */
const GENERATED_CALLS: readonly string[] = ["has_relation", "has_role", "has_permission"];

/** Whether two rule-type lists check every rule alike, position by position. */
function checkAlike(a: readonly RuleType[], b: readonly RuleType[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as RuleType;
    const y = b[i] as RuleType;
    if (x !== y && (x.key === undefined || x.key !== y.key)) return false;
  }
  return true;
}

function sameParts(a: readonly (readonly Rule[])[], b: readonly (readonly Rule[])[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameMembers(a: readonly string[] | undefined, b: ReadonlySet<string>): boolean {
  if (a === undefined || a.length !== b.size) return false;
  let i = 0;
  for (const name of b) if (a[i++] !== name) return false;
  return true;
}

/**
 * The block registry of a load, made from the previous load's when it registered the same
 * prepared blocks in the same order, or blocks that differ only in blocks that name a block of
 * their own (not reopened) and keep its name and kind: a registry is not changed once its load
 * has registered its blocks, and the clashes each block's registration reported depend only on
 * the blocks of its name before it. An edit registers none of the thousands of blocks of a
 * 50k-line policy again (issue 13), and phase 3 finds the registry whose memos it has when no
 * block changed.
 */
class RegistryReuse {
  /** The previous load's blocks, the clashes each one's registration reported, and its registry. */
  private blocks: PreparedBlock[] = [];
  private clashes: (Diagnostic[] | null)[] = [];
  private registry: BlockRegistry | null = null;
  /** This load: how many blocks were registered so far. */
  private at = 0;
  /** This load's blocks where some replaced a block of the previous (null: none did). */
  private swapped: PreparedBlock[] | null = null;
  /** This load's registry once it differs from the previous otherwise. */
  private fresh: { registry: BlockRegistry; blocks: PreparedBlock[]; clashes: (Diagnostic[] | null)[] } | null = null;

  begin(): void {
    this.at = 0;
    this.swapped = null;
    this.fresh = null;
  }

  /** `BlockRegistry.addPrepared` of the load's next block. */
  add(prepared: PreparedBlock): Diagnostic[] | null {
    const at = this.at++;
    if (this.fresh === null) {
      const registry = this.registry;
      const old = this.blocks[at];
      if (registry !== null && old === prepared) return this.clashes[at] as Diagnostic[] | null;
      if (registry !== null && old !== undefined && swappable(registry, old, prepared)) {
        (this.swapped ??= this.blocks.slice())[at] = prepared;
        return null;
      }
      this.fresh = this.replay(at);
    }
    const clashes = this.fresh.registry.addPrepared(prepared);
    this.fresh.blocks.push(prepared);
    this.fresh.clashes.push(clashes);
    return clashes;
  }

  /** The load's registry, once every block was added. */
  finish(): BlockRegistry {
    if (this.fresh === null && this.registry !== null && this.at === this.blocks.length) {
      if (this.swapped === null) return this.registry;
      const registry = this.registry.withBlocksReplaced(this.swapped);
      this.registry = registry;
      this.blocks = this.swapped;
      this.swapped = null;
      return registry;
    }
    const { registry, blocks, clashes } = (this.fresh ??= this.replay(this.at));
    this.registry = registry;
    this.blocks = blocks;
    this.clashes = clashes;
    this.fresh = null;
    this.swapped = null;
    return registry;
  }

  /** A new registry with this load's first `n` blocks. */
  private replay(n: number): { registry: BlockRegistry; blocks: PreparedBlock[]; clashes: (Diagnostic[] | null)[] } {
    const registry = new BlockRegistry();
    const blocks = (this.swapped ?? this.blocks).slice(0, n);
    const clashes: (Diagnostic[] | null)[] = [];
    for (const b of blocks) clashes.push(registry.addPrepared(b));
    return { registry, blocks, clashes };
  }
}

/**
 * Whether `added` can take the place of `old` in `registry` without changing any other block's
 * registration: both are accepted blocks of the same name and kind, and `old` alone registered
 * that name (then neither reports a clash).
 */
function swappable(registry: BlockRegistry, old: PreparedBlock, added: PreparedBlock): boolean {
  if (!old.index.ok || !added.index.ok) return false;
  if (old.block.name !== added.block.name || old.block.blockType !== added.block.blockType) return false;
  const entry = registry.lookup(old.block.name);
  return entry !== undefined && !entry.owned && entry.declarations === old.index.value;
}

/**
 * Runs `diagnostic_load` for one set of options, as often as asked, reusing what it computed for
 * unchanged inputs. Inputs are recognised by identity: pass the same `ParseResult` objects for
 * unchanged files (the `Policy` class does). Memos are weak where keyed by syntax objects, so
 * replaced files are collected.
 */
export class Loader {
  private readonly classes: ClassTable;
  private readonly isConstant: (name: string) => boolean;
  /**
   * Phase-1 records by parsed line and summaries by segment of lines (load-segments.ts). A re-parse
   * reuses the lines an edit did not touch (see spans.ts), so an edit in a big file redoes the
   * phase-1 work of the items it touched only, and merges the summaries of the other segments.
   */
  private readonly phase1: Phase1Cache;
  private readonly blockPhases: BlockPhaseCache;
  /** Rule-type indexes by name, as of the previous load. */
  private groups = new Map<string, GroupMemo>();
  /** Union members of the previous load: the memoized checks depend on them. */
  private actors: string[] | undefined;
  private resources: string[] | undefined;
  private readonly registry = new RegistryReuse();
  /** The lists the previous load joined per rule name (its knowledge base reuses the same joins). */
  private ruleLists: RuleLists | null = null;
  private readonly callSites = new WeakMap<Rule, readonly CallSite[]>();
  private readonly undefinedCalls = new WeakMap<Term, Diagnostic>();
  /** Whether some rule generated by a phase-3 output calls `has_permission`. */
  private readonly generatedPermissionCalls = new WeakMap<ShorthandOutput, boolean>();

  /**
   * @param keep which diagnostics to report, by code (null: all, as the engine). The editor view
   *   drops the app-dependent kinds: a loader told so never makes them (nor runs the checks that
   *   make nothing else), so `diagnostics` holds only the kept ones. Unrecoverable diagnostics are
   *   always kept (they stop the load).
   */
  constructor(
    readonly options: LoadOptions = {},
    private readonly keep: KeepCode = null,
  ) {
    this.classes = new ClassTable(options.environment ?? null);
    this.isConstant = (name) => this.classes.isConstant(name);
    this.phase1 = new Phase1Cache(this.isConstant, keep);
    this.blockPhases = new BlockPhaseCache(this.isConstant, keep);
  }

  /** `diagnostic_load` of `sources`, in the given order. Never throws on user input. */
  load(sources: readonly (LoadSource | SourceFile)[]): LoadResult {
    const kb = new KnowledgeBase(this.classes, this.ruleLists);
    this.registry.begin();
    const diagnostics: Diagnostic[] = [];
    const loadedFiles: SourceFile[] = [];
    let unrecoverable = false;
    // Reused items keep the offsets of the parse that made them: every diagnostic is placed in its
    // file's current text as it is reported (the cached ones stay as they were made).
    const spans = new Map<string, FileSpans>();
    const place = (d: Diagnostic): Diagnostic => {
      const c = d.context;
      if (c === null || spans.size === 0) return d;
      const s = spans.get(c.file.name);
      if (s === undefined || c.file === s.file) return d;
      // A big file can carry tens of thousands of (editor-dropped) diagnostics: a literal, not a spread.
      const shift = s.shift(c.file, c.start);
      const context = { file: s.file, start: c.start + shift, end: c.end + shift };
      return { code: d.code, severity: d.severity, message: d.message, unrecoverable: d.unrecoverable, context };
    };
    // Diagnostics are kept as made and placed when read (see withPlacedDiagnostics).
    const report = (d: Diagnostic): void => {
      diagnostics.push(d);
      if (d.unrecoverable) unrecoverable = true;
    };
    const keep = this.keep;
    /** `report` for diagnostics made by this load (phase-1 summaries hold kept ones only). */
    const reportKept = (d: Diagnostic): void => {
      if (keep === null || d.unrecoverable || keep(d.code)) report(d);
    };

    const result = (stage: LoadStage): LoadResult => {
      this.phase1.endLoad();
      this.ruleLists = kb.joinedLists;
      const out = {
        stage,
        ruleTypes: kb.ruleTypes,
        inlineQueries: kb.inlineQueries,
        blocks: kb.blocks,
        loadedFiles,
      };
      const loaded = spans.size === 0 ? { diagnostics, ...out } : withPlacedDiagnostics(out, diagnostics, place);
      // A name's rules from several lists are joined when first read: the load itself checks them
      // list by list, and the editor reads them for a few features only (issue 13: an edit in a
      // 50k-line file copied the thousands of `has_role` rules into a new list every time).
      return Object.defineProperty(loaded, "rules", { enumerable: true, get: () => kb.rules }) as LoadResult;
    };

    // Phase 1: files in order, by segments of items (load-segments.ts).
    const segments: Segment[] = [];
    let gensym = 1;
    for (const source of sources) {
      const { file, parsed } = "parsed" in source ? source : { file: source, parsed: parseFile(source) };
      const rejected = kb.addSource(file);
      if (rejected !== null) {
        report(rejected);
        continue;
      }
      if (!parsed.ok) {
        report(parsed.error);
        continue;
      }
      loadedFiles.push(file);
      const fileSpans = spansOf(file, parsed.value);
      if (!fileSpans.isIdentity) spans.set(file.name, fileSpans);
      const records = this.phase1.records(parsed.value, file.name);
      gensym = this.phase1.forEachSegment(records, gensym, (segment) => {
        segments.push(segment);
        const { diagnostics: found, blocks, blockAt } = segment;
        // The blocks' clashes depend on the blocks before them: found now, reported in place.
        let k = 0;
        for (let b = 0; b < blocks.length; b++) {
          for (const at = blockAt[b] as number; k < at; k++) report(found[k] as Diagnostic);
          const clashes = this.registry.add(blocks[b] as PreparedBlock);
          if (clashes !== null) for (const d of clashes) reportKept(d);
        }
        for (; k < found.length; k++) report(found[k] as Diagnostic);
        if (segment.unrecoverable) unrecoverable = true;
        const { names, lists } = segment;
        for (let i = 0; i < names.length; i++) kb.appendRules(names[i] as string, lists[i] as readonly Rule[]);
        for (const t of segment.ruleTypes) kb.addRuleTypeEntry(t);
        for (const q of segment.queries) kb.inlineQueries.push(q);
      });
    }

    kb.blocks = this.registry.finish();

    // Phase 2: an invalid declaration would only cause distracting shorthand errors.
    if (unrecoverable) return result("stopped-after-files");

    // Phase 3: shorthand rules become ordinary rules (reused while no block's phase-3 inputs changed).
    const shorthand = this.blockPhases.shorthandOutput(kb.blocks);
    for (const d of shorthand.diagnostics) reportKept(d);
    for (const [name, list] of shorthand.rules) kb.addRules(name, list);
    const generatedRules = shorthand.generatedRules;

    // Phase 4: rule types from a broken file could have allowed rules of another file.
    if (unrecoverable) return result("stopped-after-shorthand");

    // Phase 5: resource-specific rule types, then rule-type validation and undefined calls.
    for (const t of resourceSpecificRuleTypes(kb.blocks, this.blockPhases)) kb.addRuleTypeEntry(t);
    const invalid = this.validateRuleTypes(kb);
    if (invalid !== null) reportKept(invalid);
    this.checkUndefinedRuleCalls(kb, segments, generatedRules > 0, reportKept);

    // Phase 6: whole-policy warnings.
    if (this.options.ignoreNoAllowWarning !== true) {
      const noAllow = checkNoAllowRule((name) => kb.hasRule(name));
      if (noAllow !== null) reportKept(noAllow);
    }
    if (
      !kb.blocks.isEmpty &&
      !segments.some((s) => s.callsHasPermission) &&
      !this.generatedCallsHasPermission(shorthand)
    ) {
      reportKept(missingHasPermissionRule());
    }

    return result("complete");
  }

  /**
   * polar-core `validate_rule_types`: every rule whose name has rule types must match one of them
   * (the first failure or error ends validation), then every required rule type needs a matching
   * rule (only the first missing one is reported). A rule's check is reused while its name's rule
   * types check alike and the union members are unchanged.
   */
  private validateRuleTypes(kb: KnowledgeBase): Diagnostic | null {
    if (!sameMembers(this.actors, kb.blocks.actors) || !sameMembers(this.resources, kb.blocks.resources)) {
      this.groups.clear();
      this.actors = [...kb.blocks.actors];
      this.resources = [...kb.blocks.resources];
    }
    const groups = new Map<string, GroupMemo>();
    // Names by keys, not entries: there are thousands of rule names, and an entry is an array.
    for (const name of kb.ruleTypes.keys()) {
      const types = kb.ruleTypes.get(name) as RuleType[];
      const old = this.groups.get(name);
      if (old !== undefined && checkAlike(old.group.types, types)) {
        old.group.retarget(kb, types);
        groups.set(name, old);
      } else {
        groups.set(name, {
          group: new RuleTypeGroup(kb, types),
          results: new WeakMap(),
          parts: new WeakMap(),
          used: false,
          marks: new Uint8Array(types.length),
          lastParts: [],
          lastSeen: null,
        });
      }
    }
    this.groups = groups;

    // Types (by group and index) matched by at least one rule.
    const matched = new Map<string, Uint8Array>();
    // The names with rule types, in rule order (which decides the error reported): a callback per
    // name, not an iterator step, among thousands of names of which a few have types.
    const typed: string[] = [];
    kb.forEachRuleName((name) => {
      if (groups.has(name)) typed.push(name);
    });
    for (const name of typed) {
      const memo = groups.get(name) as GroupMemo;
      const parts = kb.ruleParts(name) as readonly (readonly Rule[])[];
      const same = sameParts(memo.lastParts, parts);
      let seen = same ? memo.lastSeen : null;
      const fresh = seen === null;
      if (seen === null) seen = new Uint8Array(memo.group.types.length);
      for (const part of parts) {
        let check = memo.parts.get(part);
        if (check === undefined) {
          check = this.checkPart(kb, memo, part);
          memo.parts.set(part, check);
        }
        if (check.error !== null) {
          memo.used = true;
          memo.lastParts = parts;
          memo.lastSeen = null;
          return check.error;
        }
        if (fresh) for (const i of check.matched) seen[i] = 1;
      }
      memo.used = true;
      memo.lastParts = parts;
      memo.lastSeen = seen;
      matched.set(name, seen);
    }

    // Every rule of a required type's name was checked against it above without error, so a
    // required type is satisfied exactly when some rule matched it.
    for (const name of kb.ruleTypes.keys()) {
      const types = kb.ruleTypes.get(name) as RuleType[];
      const seen = matched.get(name);
      for (let i = 0; i < types.length; i++) {
        const t = types[i];
        if (t === undefined || !t.required) continue;
        if (seen === undefined || seen[i] !== 1) {
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

  /** Checks one list of a name's rules in order, up to its first failing rule (see {@link PartCheck}). */
  private checkPart(kb: KnowledgeBase, memo: GroupMemo, part: readonly Rule[]): PartCheck {
    const { group, results, marks } = memo;
    const matched: number[] = [];
    let stop: Diagnostic | null = null;
    for (const rule of part) {
      let r: RuleCheck | undefined;
      if (rule instanceof GeneratedRule) {
        // Shared by resource and head inside the group: no weak-map entry per generated rule.
        r = group.check(rule);
      } else {
        r = results.get(rule);
        if (r === undefined) {
          r = group.check(rule);
          // Kept for a rule that moves to another list in a later load. On the group's first load
          // every rule is new: no weak-map entry for each of thousands of rules (issue 13:
          // hashing and ephemeron tracing in a full load).
          if (memo.used) results.set(rule, r);
        }
      }
      if (typeof r === "number") {
        // Matched one type (the usual outcome).
        if (marks[r] !== 1) {
          marks[r] = 1;
          matched.push(r);
        }
        continue;
      }
      if (r.kind === "error" || r.matched.length === 0) {
        // Validation stops here.
        stop =
          r.kind === "error"
            ? r.error
            : error("ValidationError::InvalidRule", invalidRuleMessage(kb, rule, group.types), contextOf(rule));
        break;
      }
      for (const i of r.matched) {
        if (marks[i] === 1) continue;
        marks[i] = 1;
        matched.push(i);
      }
    }
    for (const i of matched) marks[i] = 0;
    return { error: stop, matched: stop === null ? matched : [] };
  }

  /**
   * UndefinedRuleCall for every call (in rule order) to a name no rule defines. Usually every
   * called name is defined: that is checked first on the called names of each file (and the few
   * names generated rules call), without visiting rules.
   */
  private checkUndefinedRuleCalls(
    kb: KnowledgeBase,
    segments: readonly Segment[],
    generated: boolean,
    out: (d: Diagnostic) => void,
  ): void {
    const defined = (name: string): boolean => kb.hasRule(name);
    if (!generated || GENERATED_CALLS.every(defined)) {
      let allDefined = true;
      check: for (const segment of segments) {
        for (const name of segment.called) {
          if (!defined(name)) {
            allDefined = false;
            break check;
          }
        }
      }
      if (allDefined) return;
    }
    for (const rules of kb.rules.values()) {
      for (const rule of rules) {
        for (const site of this.callSitesOf(rule)) {
          if (kb.hasRule(site.name)) continue;
          let d = this.undefinedCalls.get(site.term);
          if (d === undefined) {
            d = undefinedRuleCall(site.term);
            this.undefinedCalls.set(site.term, d);
          }
          out(d);
        }
      }
    }
  }

  private callSitesOf(rule: Rule): readonly CallSite[] {
    let sites = this.callSites.get(rule);
    if (sites === undefined) {
      const collected: CallSite[] = [];
      collectRuleCallSites(rule, collected);
      sites = collected;
      this.callSites.set(rule, sites);
    }
    return sites;
  }

  /** Whether any rule generated from shorthand rules calls `has_permission` (once per phase-3 output). */
  private generatedCallsHasPermission(shorthand: ShorthandOutput): boolean {
    let calls = this.generatedPermissionCalls.get(shorthand);
    if (calls === undefined) {
      calls = shorthand.rules.some(([, rules]) => rules.some(ruleCallsHasPermission));
      this.generatedPermissionCalls.set(shorthand, calls);
    }
    return calls;
  }
}

/**
 * polar-core `Polar::diagnostic_load` on a fresh knowledge base. `sources` are loaded in the given
 * order (the language server sorts by URI). Plain `SourceFile`s are parsed here; pass cached
 * parse results as `LoadSource`s to avoid re-parsing. Never throws on user input.
 */
export function diagnosticLoad(sources: readonly (LoadSource | SourceFile)[], options: LoadOptions = {}): LoadResult {
  return new Loader(options).load(sources);
}
