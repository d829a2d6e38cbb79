/**
 * The block phases of a load and their cache: phase 3 (polar-core
 * `KnowledgeBase::rewrite_shorthand_rules`) and what phase 5 (generated rule types, see
 * generated-rule-types.ts) derives from each registered block, memoized so that an incremental
 * load redoes only the blocks whose inputs changed.
 */
import { shorthandImplierValue, shorthandRelationValue, type Rule, type Term } from "../ast.js";
import { contextOf, unregisteredClass, type Diagnostic } from "../diagnostics.js";
import { exactLength } from "../arrays.js";
import type { GeneratedRuleType } from "./generated-rule-types.js";
import type { Declaration, ShorthandRule } from "./read.js";
import type { BlockRegistry, DeclarationIndex, RegisteredBlock } from "./registry.js";
import {
  blockLookup,
  GeneratedRule,
  inputsScratch,
  readInputs,
  sharedValues,
  shorthandAsRule,
  type Translation,
} from "./shorthand.js";
import { stringOf, stringValue, symbolName } from "../terms.js";

/** A `has_relation` rule type that shorthand rules require: its key and the terms of its `insert`. */
export interface RequiredRelation {
  /** The relation's declaration in the block (its registry entry). */
  readonly declaration: Declaration;
  readonly key: string;
  readonly subject: Term;
  readonly name: Term;
  readonly object: Term;
}

/**
 * What phases 3 and 5 derive from one registered block. It depends on the block (its resource
 * term, declarations and shorthand rules, compared by identity) and on the declarations of the
 * blocks its `on "relation"` shorthand rules reach (`deps`); nothing else in the registry.
 */
export interface BlockMemo {
  readonly resource: Term;
  readonly declarations: DeclarationIndex;
  readonly shorthandRules: readonly ShorthandRule[];
  /**
   * Related blocks looked up: their names and, at the same index, the declarations found
   * (undefined: no such block). Two arrays at their exact length (a block has one or two), not a
   * map per block.
   */
  readonly depNames: readonly string[];
  readonly depDeclarations: readonly (DeclarationIndex | undefined)[];
  /** UnregisteredClass for each relation whose type is not registered. */
  readonly unregistered: readonly Diagnostic[];
  /**
   * The translation (rule or error) of each shorthand rule, with what it read from the registry
   * (a later memo of the block reuses those that read the same). Phase 3's output is read from
   * them: a block keeps no lists of its rules by name (issue 13: three arrays per block, grown
   * by `push` and copied, for the ~20k generated rules that the output lists hold anyway).
   */
  readonly translations: readonly Translation[];
  /** The block's relations: `has_relation` rule-type keys with the relation-name term. */
  readonly relations: readonly RequiredRelation[];
  /** The keys of the relations (of this block or related ones) its shorthand rules require. */
  readonly required: readonly string[];
  /** The `has_relation` rule type of each relation, made when first needed. */
  readonly ruleTypes: (GeneratedRuleType | undefined)[];
}

/**
 * Memos of the block phases (shorthand translation, resource-specific rule types) that let an
 * incremental load redo only the blocks whose inputs changed. One cache serves one class
 * environment (UnregisteredClass depends on it). A fresh cache gives a from-scratch computation.
 */
export class BlockPhaseCache {
  private readonly blocks = new WeakMap<object, BlockMemo>();
  /**
   * The last memo computed for each block name: when a block changes, its shorthand rules that
   * did not change (same objects, same inputs) keep their translations. Kept per block rather
   * than per shorthand rule: a weak map entry for each of tens of thousands of rules cost
   * about a fifth of a full load of large blocks, in hashing and ephemeron tracing.
   */
  private readonly previous = new Map<string, BlockMemo>();

  /**
   * @param keep which diagnostic codes the caller reports (null: all): UnregisteredClass errors for
   *   relation types are not made when they would be dropped.
   */
  constructor(
    private readonly isConstant: (name: string) => boolean,
    keep: ((code: string) => boolean) | null = null,
  ) {
    this.reportsUnregistered = keep === null || keep("ValidationError::UnregisteredClass");
  }

  private readonly reportsUnregistered: boolean;

  /** The memo of a registered block, recomputed when its inputs changed. */
  block(registry: BlockRegistry, block: RegisteredBlock): BlockMemo {
    const old = this.blocks.get(block.declarations);
    if (
      old !== undefined &&
      old.resource === block.resource &&
      old.shorthandRules === block.shorthandRules &&
      depsUnchanged(registry, old)
    ) {
      this.previous.set(symbolName(old.resource), old);
      return old;
    }
    const memo = this.compute(registry, block);
    this.blocks.set(block.declarations, memo);
    return memo;
  }

  private compute(registry: BlockRegistry, block: RegisteredBlock): BlockMemo {
    const { resource, declarations, shorthandRules } = block;
    const objectName = symbolName(resource);
    // Related blocks looked up, once per block (the registry does not change meanwhile).
    const depNames: string[] = [];
    const depDeclarations: (DeclarationIndex | undefined)[] = [];

    let unregistered: Diagnostic[] | null = null;
    const relations: RequiredRelation[] = [];
    // Rule-type keys made once per relation of the block (found in `relations`: a block has few).
    for (let i = 0; i < declarations.size; i++) {
      const declaration = declarations.declarationAt(i);
      if (declaration.kind !== "relation") continue;
      const subject = declaration.type;
      const subjectName = symbolName(subject);
      if (this.reportsUnregistered && !this.isConstant(subjectName))
        (unregistered ??= []).push(unregisteredClass(subjectName, contextOf(subject)));
      const name = declarations.keyAt(i);
      relations.push({
        declaration,
        key: relationKey(subjectName, stringValue(name), objectName),
        subject,
        name,
        object: resource,
      });
    }

    const translations: Translation[] = new Array<Translation>(shorthandRules.length);
    // The required keys, gathered in a scratch array and copied out at their exact length.
    const required = REQUIRED_SCRATCH;
    let requiredCount = 0;
    const shared = sharedValues(resource);
    const lookup = blockLookup(registry, block);
    const inputs = inputsScratch(lookup, shared);
    const previous = this.previous.get(objectName);
    // Where each shorthand rule of the previous memo was (indexed only when the rules changed).
    let previousIndex: Map<ShorthandRule, number> | null = null;
    if (previous !== undefined && previous.shorthandRules !== shorthandRules) {
      previousIndex = new Map();
      for (let i = 0; i < previous.shorthandRules.length; i++)
        previousIndex.set(previous.shorthandRules[i] as ShorthandRule, i);
    }
    for (let i = 0; i < shorthandRules.length; i++) {
      const shorthand = shorthandRules[i] as ShorthandRule;
      readInputs(registry, lookup, shorthand, inputs);
      const relationName = shorthandRelationValue(shorthand);
      if (relationName !== null && inputs.relation?.kind === "relation") {
        const name = symbolName(inputs.relation.type);
        if (!depNames.includes(name)) {
          depNames.push(name);
          depDeclarations.push(registry.lookup(name)?.declarations);
        }
      }
      const at = previous === undefined ? undefined : previousIndex === null ? i : previousIndex.get(shorthand);
      const before = at === undefined ? undefined : previous?.translations[at];
      const translation =
        before !== undefined && before.readsSame(inputs) ? before : shorthandAsRule(inputs, shorthand);
      translations[i] = translation;

      // create_resource_specific_rule_types: the relations this shorthand rule requires.
      const implier = stringOf(shorthandImplierValue(shorthand));
      if (relationName !== null) {
        const subject = declarations.declaration(stringOf(relationName));
        if (subject?.kind !== "relation") continue;
        const subjectName = symbolName(subject.type);
        required[requiredCount++] = ownKey(relations, subject);
        const dep = depNames.indexOf(subjectName);
        const relatedSubject = dep < 0 ? undefined : depDeclarations[dep]?.declaration(implier);
        if (relatedSubject?.kind === "relation") {
          required[requiredCount++] = relationKey(symbolName(relatedSubject.type), implier, subjectName);
        }
      } else {
        const subject = declarations.declaration(implier);
        if (subject?.kind === "relation") required[requiredCount++] = ownKey(relations, subject);
      }
    }
    const memo: BlockMemo = {
      resource,
      declarations,
      shorthandRules,
      // Kept until the block changes: at their exact length (arrays grown by `push` keep room for 17).
      depNames: depNames.length === 0 ? NO_NAMES : exactLength(depNames),
      depDeclarations: depDeclarations.length === 0 ? NO_DECLARATIONS : exactLength(depDeclarations),
      unregistered: unregistered ?? NONE,
      translations,
      relations: relations.length === 0 ? NO_RELATIONS : exactLength(relations),
      required: requiredCount === 0 ? NO_NAMES : required.slice(0, requiredCount),
      ruleTypes: new Array<GeneratedRuleType | undefined>(relations.length),
    };
    // The scratch keeps no key of this block.
    for (let i = 0; i < requiredCount; i++) required[i] = "";
    this.previous.set(objectName, memo);
    return memo;
  }

  /** The memos of every registered block, in registry order (computed once per registry). */
  memos(registry: BlockRegistry): readonly BlockMemo[] {
    if (this.lastRegistry !== registry) {
      const memos = new Array<BlockMemo>(registry.size);
      let at = 0;
      registry.forEachRegistered((block) => (memos[at++] = this.block(registry, block)));
      // Forget the blocks that are gone.
      if (this.previous.size > memos.length) {
        const names = new Set(memos.map((m) => symbolName(m.resource)));
        for (const name of this.previous.keys()) if (!names.has(name)) this.previous.delete(name);
      }
      this.lastRegistry = registry;
      this.lastMemos = memos;
    }
    return this.lastMemos;
  }

  private lastRegistry: BlockRegistry | null = null;
  private lastMemos: readonly BlockMemo[] = [];

  /**
   * Phase 3's output for `registry` ({@link forEachShorthandResult} collected): the diagnostics in
   * order, and the generated rules grouped by name, in order of first appearance, each group in
   * order. It depends only on the blocks' memos, so it is reused while they are the same objects
   * (issue 13: an edit in a 50k-line file walked the ~20k generated rules twice per load). The
   * lists are shared between loads: nobody may change them.
   */
  shorthandOutput(registry: BlockRegistry): ShorthandOutput {
    const memos = this.memos(registry);
    const last = this.lastOutput;
    if (last !== null && sameOutputs(last.memos, memos)) {
      this.lastOutput = { memos, output: last.output };
      return last.output;
    }
    // Two passes over the translations: the rules of each name counted (names in order of first
    // appearance), then placed in lists of exactly that size (a growing list of thousands of rules
    // would be copied repeatedly). Consecutive rules mostly share a name: the last one is kept.
    const names: string[] = [];
    const totals: number[] = [];
    const indexOf = new Map<string, number>();
    let generatedRules = 0;
    const diagnostics: Diagnostic[] = [];
    for (const memo of memos) for (const d of memo.unregistered) diagnostics.push(d);
    let lastName = "";
    let current = -1;
    for (const memo of memos) {
      for (const t of memo.translations) {
        if (!(t instanceof GeneratedRule)) {
          diagnostics.push(t.error);
          continue;
        }
        const name = t.name;
        if (name !== lastName || current < 0) {
          let at = indexOf.get(name);
          if (at === undefined) {
            at = names.length;
            indexOf.set(name, at);
            names.push(name);
            totals.push(0);
          }
          lastName = name;
          current = at;
        }
        totals[current] = (totals[current] as number) + 1;
        generatedRules++;
      }
    }
    const lists = totals.map((n) => new Array<Rule>(n));
    const filled = totals.map(() => 0);
    current = -1;
    for (const memo of memos) {
      for (const t of memo.translations) {
        if (!(t instanceof GeneratedRule)) continue;
        if (t.name !== lastName || current < 0) {
          lastName = t.name;
          current = indexOf.get(lastName) as number;
        }
        (lists[current] as Rule[])[(filled[current] as number)++] = t;
      }
    }
    const output: ShorthandOutput = {
      diagnostics,
      rules: names.map((name, i) => [name, lists[i] as Rule[]] as const),
      generatedRules,
    };
    this.lastOutput = { memos, output };
    return output;
  }

  private lastOutput: { memos: readonly BlockMemo[]; output: ShorthandOutput } | null = null;
}

/** What phase 3 produced: see {@link BlockPhaseCache.shorthandOutput}. */
export interface ShorthandOutput {
  /** UnregisteredClass for relation types, then the translation errors, in order. */
  readonly diagnostics: readonly Diagnostic[];
  /** Generated rules by name (first appearance order); each list in generation order. */
  readonly rules: readonly (readonly [string, readonly Rule[]])[];
  readonly generatedRules: number;
}

/** No diagnostics, names, related blocks or relations (shared: never changed). */
const NONE: readonly Diagnostic[] = Object.freeze([]);
const NO_NAMES: readonly string[] = Object.freeze([]);
const NO_DECLARATIONS: readonly (DeclarationIndex | undefined)[] = Object.freeze([]);
const NO_RELATIONS: readonly RequiredRelation[] = Object.freeze([]);

/** The required keys of the block being computed (its entries are cleared after each block). */
const REQUIRED_SCRATCH: string[] = [];

/** The key of one of the block's own relations (its declaration is in `relations`). */
function ownKey(relations: readonly RequiredRelation[], declaration: Declaration): string {
  for (const r of relations) if (r.declaration === declaration) return r.key;
  return "";
}

/**
 * Whether two lists of block memos give the same phase-3 output: the same memos, or memos whose
 * UnregisteredClass errors and translations are the same objects in the same order (a block
 * re-read without a change to its shorthand rules, such as an edited `actor User {}`, keeps its
 * translations; the output is read from nothing else).
 */
function sameOutputs(a: readonly BlockMemo[], b: readonly BlockMemo[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as BlockMemo;
    const y = b[i] as BlockMemo;
    if (x === y) continue;
    if (!sameItems(x.unregistered, y.unregistered)) return false;
    if (!sameItems(x.translations, y.translations)) return false;
  }
  return true;
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function depsUnchanged(registry: BlockRegistry, memo: BlockMemo): boolean {
  const { depNames, depDeclarations } = memo;
  for (let i = 0; i < depNames.length; i++) {
    if (registry.lookup(depNames[i] as string)?.declarations !== depDeclarations[i]) return false;
  }
  return true;
}

/**
 * The key of a `has_relation` rule type: what its parameters are made of. Joined, which makes
 * one flat string: a template makes a rope of concatenations (three objects per key, ~4000 keys
 * kept per 50k-line load; issue 13).
 */
function relationKey(subjectName: string, name: string, objectName: string): string {
  KEY_PARTS[0] = subjectName;
  KEY_PARTS[1] = name;
  KEY_PARTS[2] = objectName;
  const key = KEY_PARTS.join("\u0000");
  KEY_PARTS[0] = KEY_PARTS[1] = KEY_PARTS[2] = "";
  return key;
}

const KEY_PARTS: string[] = ["", "", ""];

/**
 * polar-core `KnowledgeBase::rewrite_shorthand_rules` (phase 3): UnregisteredClass for every
 * relation type that is not registered, then every shorthand rule of every accepted block turned
 * into a rule or into its first error. With a `cache` kept from the previous load, only blocks
 * whose inputs changed are translated again.
 */
export function rewriteShorthandRules(
  registry: BlockRegistry,
  isConstant: (name: string) => boolean,
  cache: BlockPhaseCache = new BlockPhaseCache(isConstant),
): { rules: Rule[]; diagnostics: Diagnostic[] } {
  const rules: Rule[] = [];
  const diagnostics: Diagnostic[] = [];
  forEachShorthandResult(
    registry,
    cache,
    (rule) => rules.push(rule),
    (d) => diagnostics.push(d),
  );
  return { rules, diagnostics };
}

/**
 * {@link rewriteShorthandRules} without collecting: hands every diagnostic and generated rule,
 * in order, to the callbacks (the incremental loader adds them straight to its knowledge base).
 */
export function forEachShorthandResult(
  registry: BlockRegistry,
  cache: BlockPhaseCache,
  onRule: (rule: Rule) => void,
  onDiagnostic: (d: Diagnostic) => void,
): void {
  const memos = cache.memos(registry);
  // Every UnregisteredClass for relation types comes before the shorthand translations.
  for (const memo of memos) for (const d of memo.unregistered) onDiagnostic(d);
  for (const memo of memos) {
    for (const t of memo.translations) {
      if (t instanceof GeneratedRule) onRule(t);
      else onDiagnostic(t.error);
    }
  }
}
