/**
 * The block phases of a load and their cache: phase 3 (polar-core
 * `KnowledgeBase::rewrite_shorthand_rules`) and what phase 5 (generated rule types, see
 * generated-rule-types.ts) derives from each registered block, memoized so that an incremental
 * load redoes only the blocks whose inputs changed.
 */
import type { Rule, Term } from "../ast.js";
import { contextOf, unregisteredClass, type Diagnostic } from "../diagnostics.js";
import { exactLength } from "../arrays.js";
import type { GeneratedRuleType } from "./generated-rule-types.js";
import type { Declaration, ShorthandRule } from "./read.js";
import type { BlockRegistry, RegisteredBlock, StoredDeclaration } from "./registry.js";
import {
  blockLookup,
  GeneratedRule,
  inputsScratch,
  readInputs,
  sharedValues,
  shorthandAsRule,
  type Translation,
} from "./shorthand.js";
import { stringValue, symbolName } from "../terms.js";

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
  readonly declarations: ReadonlyMap<string, StoredDeclaration>;
  readonly shorthandRules: readonly ShorthandRule[];
  /** Related blocks looked up, by name, with the declarations found (undefined: no such block). */
  readonly deps: ReadonlyMap<string, ReadonlyMap<string, StoredDeclaration> | undefined>;
  /** UnregisteredClass for each relation whose type is not registered. */
  readonly unregistered: readonly Diagnostic[];
  /**
   * The translation (rule or error) of each shorthand rule, with what it read from the registry
   * (a later memo of the block reuses those that read the same).
   */
  readonly translations: readonly Translation[];
  /** The translation errors in order, and the rules grouped by name (first appearance order). */
  readonly errors: readonly Diagnostic[];
  readonly names: readonly string[];
  readonly lists: readonly (readonly Rule[])[];
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
      depsUnchanged(registry, old.deps)
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
    const deps = new Map<string, ReadonlyMap<string, StoredDeclaration> | undefined>();

    let unregistered: Diagnostic[] | null = null;
    const relations: RequiredRelation[] = [];
    // Rule-type keys made once per relation of the block (found in `relations`: a block has few).
    for (const d of declarations.values()) {
      if (d.declaration.kind !== "relation") continue;
      const subject = d.declaration.type;
      const subjectName = symbolName(subject);
      if (this.reportsUnregistered && !this.isConstant(subjectName))
        (unregistered ??= []).push(unregisteredClass(subjectName, contextOf(subject)));
      relations.push({
        declaration: d.declaration,
        key: relationKey(subjectName, d.key, objectName),
        subject,
        name: d.key,
        object: resource,
      });
    }

    const translations: Translation[] = new Array<Translation>(shorthandRules.length);
    const required: string[] = [];
    let errors: Diagnostic[] | null = null;
    // Rules by name: a block's generated rules have at most three names.
    const names: string[] = [];
    const lists: Rule[][] = [];
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
      if (shorthand.relation !== null && inputs.relation?.kind === "relation") {
        const name = symbolName(inputs.relation.type);
        if (!deps.has(name)) deps.set(name, registry.lookup(name)?.declarations);
      }
      const at = previous === undefined ? undefined : previousIndex === null ? i : previousIndex.get(shorthand);
      const before = at === undefined ? undefined : previous?.translations[at];
      const translation =
        before !== undefined && before.readsSame(inputs) ? before : shorthandAsRule(inputs, shorthand);
      translations[i] = translation;
      if (translation instanceof GeneratedRule) {
        const name = translation.name;
        const n = names.indexOf(name);
        if (n < 0) {
          names.push(name);
          lists.push([translation]);
        } else {
          (lists[n] as Rule[]).push(translation);
        }
      } else {
        (errors ??= []).push(translation.error);
      }

      // create_resource_specific_rule_types: the relations this shorthand rule requires.
      const { implier, relation } = shorthand;
      if (relation !== null) {
        const subject = declarations.get(stringValue(relation.name))?.declaration;
        if (subject?.kind !== "relation") continue;
        const subjectName = symbolName(subject.type);
        required.push(ownKey(relations, subject));
        const relatedSubject = deps.get(subjectName)?.get(stringValue(implier))?.declaration;
        if (relatedSubject?.kind === "relation") {
          required.push(relationKey(symbolName(relatedSubject.type), implier, subjectName));
        }
      } else {
        const subject = declarations.get(stringValue(implier))?.declaration;
        if (subject?.kind === "relation") required.push(ownKey(relations, subject));
      }
    }
    const memo: BlockMemo = {
      resource,
      declarations,
      shorthandRules,
      deps,
      unregistered: unregistered ?? NONE,
      translations,
      errors: errors ?? NONE,
      // Kept until the block changes: at their exact length (arrays grown by `push` keep room for 17).
      names: exactLength(names),
      lists: lists.map(exactLength),
      relations: exactLength(relations),
      required: exactLength(required),
      ruleTypes: new Array<GeneratedRuleType | undefined>(relations.length),
    };
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
    // Each block's rules grouped by name (in its memo): merging the groups is a copy per name,
    // not a map update per rule.
    const totals = new Map<string, number>();
    let generatedRules = 0;
    const diagnostics: Diagnostic[] = [];
    for (const memo of memos) for (const d of memo.unregistered) diagnostics.push(d);
    for (const g of memos) {
      for (const d of g.errors) diagnostics.push(d);
      for (let i = 0; i < g.names.length; i++) {
        const name = g.names[i] as string;
        const n = (g.lists[i] as Rule[]).length;
        totals.set(name, (totals.get(name) ?? 0) + n);
        generatedRules += n;
      }
    }
    // Exactly sized lists per name: a growing list of thousands of rules would be copied repeatedly.
    const lists = new Map<string, { list: Rule[]; filled: number }>();
    for (const [name, n] of totals) lists.set(name, { list: new Array<Rule>(n), filled: 0 });
    for (const g of memos) {
      for (let i = 0; i < g.names.length; i++) {
        const target = lists.get(g.names[i] as string) as { list: Rule[]; filled: number };
        const list = target.list;
        let at = target.filled;
        for (const rule of g.lists[i] as Rule[]) list[at++] = rule;
        target.filled = at;
      }
    }
    const output: ShorthandOutput = {
      diagnostics,
      rules: [...lists].map(([name, { list }]) => [name, list] as const),
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

/** No diagnostics (shared: never changed). */
const NONE: readonly Diagnostic[] = Object.freeze([]);

/** The key of one of the block's own relations (its declaration is in `relations`). */
function ownKey(relations: readonly RequiredRelation[], declaration: Declaration): string {
  for (const r of relations) if (r.declaration === declaration) return r.key;
  return "";
}

/**
 * Whether two lists of block memos give the same phase-3 output: the same memos, or memos whose
 * UnregisteredClass errors and grouped translations are the same objects (a block re-read without
 * a change to its shorthand rules, such as an edited `actor User {}`, keeps its translations).
 */
function sameOutputs(a: readonly BlockMemo[], b: readonly BlockMemo[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as BlockMemo;
    const y = b[i] as BlockMemo;
    if (x === y) continue;
    if (!sameItems(x.unregistered, y.unregistered)) return false;
    if (!sameItems(x.errors, y.errors) || !sameItems(x.names, y.names)) return false;
    for (let j = 0; j < x.lists.length; j++) {
      if (!sameItems(x.lists[j] as readonly Rule[], y.lists[j] as readonly Rule[])) return false;
    }
  }
  return true;
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function depsUnchanged(
  registry: BlockRegistry,
  deps: ReadonlyMap<string, ReadonlyMap<string, StoredDeclaration> | undefined>,
): boolean {
  // Iterating keys, not entries: this runs for every block of every load, and entries allocate.
  for (const name of deps.keys()) if (registry.lookup(name)?.declarations !== deps.get(name)) return false;
  return true;
}

/** The key of a `has_relation` rule type: what its parameters are made of. */
function relationKey(subjectName: string, name: Term, objectName: string): string {
  return `${subjectName}\u0000${stringValue(name)}\u0000${objectName}`;
}

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
