/**
 * The resource blocks of one load (polar-core `ResourceBlocks`, `ResourceBlock::add_to_kb`,
 * `index_declarations`): blocks keyed by name, reopened blocks merged, declaration clashes
 * (DuplicateResourceBlockDeclaration) and unregistered block names (UnregisteredClass).
 */
import type { Term } from "../ast.js";
import { contextOf, error, unregisteredClass } from "../diagnostics.js";
import type { Diagnostic } from "../diagnostics.js";
import { err, ok, type Result } from "../result.js";
import type { Declaration, ResourceBlock, ShorthandRule } from "./read.js";
import { stringValue, symbolName, withValue } from "../terms.js";
import { sortedKeys } from "../walk.js";

function declarationWord(d: Declaration): string {
  return d.kind;
}

function sameDeclaration(a: Declaration, b: Declaration): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "relation" && b.kind === "relation") return symbolName(a.type) === symbolName(b.type);
  return true;
}

function duplicateDeclaration(
  resource: Term,
  declaration: Term,
  existing: Declaration,
  added: Declaration,
): Diagnostic {
  return error(
    "ValidationError::DuplicateResourceBlockDeclaration",
    `Cannot overwrite existing ${declarationWord(existing)} declaration "${stringValue(declaration)}" in resource ${symbolName(resource)} with ${declarationWord(added)}`,
    contextOf(declaration),
  );
}

/** Blocks with more declarations than this find a name through a map, the others by a linear search. */
const FEW_DECLARATIONS = 16;

/**
 * A block's declarations by declared string, in insertion order (polar-core's index, a HashMap
 * iterated in insertion order here): for each, the key term (a String; the first one seen is
 * kept) and the latest declaration. One array at its exact length, searched in order, holds
 * them (a map of ten entries and an object per entry cost ~900 bytes per block; issue 13),
 * with a map of positions for the rare large block. Never changed once made.
 */
export class DeclarationIndex {
  /** Name, key term and declaration of each entry, in order. */
  readonly #items: readonly (string | Term | Declaration)[];
  /** Each name's position in {@link items}, for large blocks only. */
  readonly #positions: ReadonlyMap<string, number> | null;

  constructor(items: readonly (string | Term | Declaration)[], positions: ReadonlyMap<string, number> | null) {
    this.#items = items;
    this.#positions = positions;
  }

  /** How many names are declared. */
  get size(): number {
    return this.#items.length / 3;
  }

  #find(name: string): number {
    if (this.#positions !== null) return this.#positions.get(name) ?? -1;
    const items = this.#items;
    for (let i = 0; i < items.length; i += 3) if (items[i] === name) return i;
    return -1;
  }

  /** The latest declaration of `name`, if declared. */
  declaration(name: string): Declaration | undefined {
    const at = this.#find(name);
    return at < 0 ? undefined : (this.#items[at + 2] as Declaration);
  }

  /** The `i`-th declared name, its key term and its declaration (0 ≤ i < {@link size}). */
  nameAt(i: number): string {
    return this.#items[3 * i] as string;
  }

  keyAt(i: number): Term {
    return this.#items[3 * i + 1] as Term;
  }

  declarationAt(i: number): Declaration {
    return this.#items[3 * i + 2] as Declaration;
  }
}

/** Builds a {@link DeclarationIndex}: entries added in order, a name's declaration replaced in place. */
class IndexBuilder {
  private readonly items: (string | Term | Declaration)[] = [];
  private positions: Map<string, number> | null = null;

  /** The position of `name`, or -1. */
  find(name: string): number {
    if (this.positions !== null) return this.positions.get(name) ?? -1;
    const items = this.items;
    for (let i = 0; i < items.length; i += 3) if (items[i] === name) return i;
    return -1;
  }

  keyAt(at: number): Term {
    return this.items[at + 1] as Term;
  }

  declarationAt(at: number): Declaration {
    return this.items[at + 2] as Declaration;
  }

  add(name: string, key: Term, declaration: Declaration): void {
    const items = this.items;
    if (this.positions === null && items.length >= 3 * FEW_DECLARATIONS) {
      this.positions = new Map();
      for (let i = 0; i < items.length; i += 3) this.positions.set(items[i] as string, i);
    }
    this.positions?.set(name, items.length);
    items.push(name, key, declaration);
  }

  replace(at: number, declaration: Declaration): void {
    this.items[at + 2] = declaration;
  }

  /** The index (at its exact length); the builder is empty again. */
  finish(): DeclarationIndex {
    const index = new DeclarationIndex(this.items.slice(), this.positions);
    this.reset();
    return index;
  }

  /** Empties the builder (keeping its array's store). */
  reset(): void {
    this.items.length = 0;
    this.positions = null;
  }
}

/** Builds the index of every block prepared (one at a time: the items array is reused). */
const BUILDER = new IndexBuilder();

/** Role and permission declarations carry nothing but their kind: one shared object each. */
const DECLARATION_OF: { readonly role: Declaration; readonly permission: Declaration } = {
  role: { kind: "role" },
  permission: { kind: "permission" },
};

/** polar-core `index_declarations`: the first clash within one block is an error and drops the block. */
function indexDeclarations(block: ResourceBlock): Result<DeclarationIndex> {
  const index = BUILDER;
  // Emptied, whatever an earlier call left (it returns early on a clash).
  index.reset();
  const clash =
    indexList(index, block, block.roles, DECLARATION_OF.role) ??
    indexList(index, block, block.permissions, DECLARATION_OF.permission);
  if (clash !== null) return err(clash);
  if (block.relations !== null && block.relations.value.type === "Dictionary") {
    const fields = block.relations.value.fields;
    for (const relation of sortedKeys(fields)) {
      const type = fields.get(relation) as Term;
      // The relation name becomes a string term stamped with the type symbol's source.
      const e = insert(index, block, withValue(type, { type: "String", value: relation }), { kind: "relation", type });
      if (e !== null) return err(e);
    }
  }
  return ok(index.finish());
}

/** Indexes the strings of a roles or permissions list; returns the first clash, or null. */
function indexList(
  index: IndexBuilder,
  block: ResourceBlock,
  list: Term | null,
  declaration: Declaration,
): Diagnostic | null {
  if (list === null || list.value.type !== "List") return null;
  for (const element of list.value.elements) {
    const e = insert(index, block, element, declaration);
    if (e !== null) return e;
  }
  return null;
}

/** Indexes one declaration; returns the clash with an earlier one, or null. */
function insert(index: IndexBuilder, block: ResourceBlock, key: Term, declaration: Declaration): Diagnostic | null {
  const k = stringValue(key);
  const existing = index.find(k);
  if (existing >= 0) {
    // Rust's HashMap::insert keeps the old key and replaces the value; the block is dropped anyway.
    return duplicateDeclaration(block.resource, key, index.declarationAt(existing), declaration);
  }
  index.add(k, key, declaration);
  return null;
}

/**
 * The load-independent part of registering a block: the UnregisteredClass error for its name and
 * its declaration index (or the clash that drops it). An incremental load computes this once per
 * parsed block and reuses it; the registry never mutates it.
 */
export interface PreparedBlock {
  readonly block: ResourceBlock;
  readonly unregistered: Diagnostic | null;
  readonly index: Result<DeclarationIndex>;
}

/**
 * Prepares a block for {@link BlockRegistry.addPrepared}. `keep` tells which diagnostic codes the
 * caller reports (null: all): the UnregisteredClass error is not made when it would be dropped.
 */
export function prepareBlock(
  block: ResourceBlock,
  isConstant: (name: string) => boolean,
  keep: ((code: string) => boolean) | null = null,
): PreparedBlock {
  const report = keep === null || keep("ValidationError::UnregisteredClass");
  return {
    block,
    unregistered: !report || isConstant(block.name) ? null : unregisteredClass(block.name, contextOf(block.resource)),
    index: indexDeclarations(block),
  };
}

/** How many blocks a registry made by {@link BlockRegistry.withBlocksReplaced} holds apart from those it shares. */
const MAX_REPLACED = 64;

/** @internal A block as registered: the first block's index is shared until a reopened block is merged in. */
export interface RegisteredBlock {
  /** The first block's resource term (Rust keeps the first key of a HashMap entry). */
  readonly resource: Term;
  declarations: DeclarationIndex;
  shorthandRules: readonly ShorthandRule[];
  /** Whether `declarations`/`shorthandRules` are this registry's own copies (else shared with a prepared block). */
  owned: boolean;
}

/**
 * The resource blocks of one load (polar-core `ResourceBlocks`). Blocks are keyed by name;
 * reopening a block merges its declarations and shorthand rules.
 */
export class BlockRegistry {
  /**
   * The registered blocks by name. Shared, never changed, by the registries
   * {@link withBlocksReplaced} made from this one, which hold their own blocks of some names in
   * {@link replaced}: an edit of one block of a 50k-line policy copied the entries of its
   * thousands of blocks (issue 13).
   */
  private readonly blocks: Map<string, RegisteredBlock>;
  /** Entries that replace entries of `blocks` (of the same names: the order of `blocks` stands), by the replaced entry; null when none. */
  private readonly replaced: ReadonlyMap<RegisteredBlock, RegisteredBlock> | null;

  /** Every block read, in order (also those rejected by a declaration clash), for editor features. */
  readonly allBlocks: ResourceBlock[];

  /** @param actorSet, resourceSet the union members (only shared by {@link withBlocksReplaced}, with a registry that no longer changes) */
  constructor(
    private readonly actorSet = new Set<string>(),
    private readonly resourceSet = new Set<string>(),
    shared: {
      blocks: Map<string, RegisteredBlock>;
      replaced: ReadonlyMap<RegisteredBlock, RegisteredBlock> | null;
      allBlocks: ResourceBlock[];
    } | null = null,
  ) {
    this.blocks = shared?.blocks ?? new Map();
    this.replaced = shared?.replaced ?? null;
    this.allBlocks = shared?.allBlocks ?? [];
  }

  /** The entry of `name` (its replacement, if any). */
  private entry(name: string): RegisteredBlock | undefined {
    const entry = this.blocks.get(name);
    if (entry === undefined || this.replaced === null) return entry;
    return this.replaced.get(entry) ?? entry;
  }

  /** Calls `each` with every entry, in order of first appearance (no allocation per entry). */
  forEachRegistered(each: (block: RegisteredBlock) => void): void {
    const replaced = this.replaced;
    if (replaced === null) this.blocks.forEach((entry) => each(entry));
    else this.blocks.forEach((entry) => each(replaced.get(entry) ?? entry));
  }

  /** How many blocks were accepted (blocks of one name count once). */
  get size(): number {
    return this.blocks.size;
  }

  /**
   * polar-core `ResourceBlock::add_to_kb`: UnregisteredClass for the block name (when
   * `isConstant` says it is not registered), then DuplicateResourceBlockDeclaration – a clash
   * inside the block drops the whole block; a clash with a reopened block is reported per key and
   * the new declaration wins.
   */
  add(block: ResourceBlock, isConstant: (name: string) => boolean): Diagnostic[] {
    const prepared = prepareBlock(block, isConstant);
    const diagnostics: Diagnostic[] = [];
    if (prepared.unregistered !== null) diagnostics.push(prepared.unregistered);
    const merged = this.addPrepared(prepared);
    if (merged !== null) diagnostics.push(...merged);
    return diagnostics;
  }

  /**
   * {@link add} for a prepared block, without its UnregisteredClass error (the caller reports
   * `prepared.unregistered` first). Returns the clash diagnostics, or null when there are none.
   */
  addPrepared(prepared: PreparedBlock): Diagnostic[] | null {
    // (Never called on a registry made by withBlocksReplaced, whose entries it shares.)
    const { block } = prepared;
    this.allBlocks.push(block);
    if (!prepared.index.ok) return [prepared.index.error];
    const index = prepared.index.value;

    let diagnostics: Diagnostic[] | null = null;
    const existing = this.blocks.get(block.name);
    if (existing === undefined) {
      this.blocks.set(block.name, {
        resource: block.resource,
        declarations: index,
        shorthandRules: block.shorthandRules,
        owned: false,
      });
    } else {
      // Copy on first merge: the shared lists belong to prepared blocks that later loads reuse.
      // (The merged index is a new one: an index never changes.)
      if (!existing.owned) {
        existing.shorthandRules = [...existing.shorthandRules];
        existing.owned = true;
      }
      const merged = BUILDER;
      merged.reset();
      const declarations = existing.declarations;
      for (let i = 0; i < declarations.size; i++)
        merged.add(declarations.nameAt(i), declarations.keyAt(i), declarations.declarationAt(i));
      for (let i = 0; i < index.size; i++) {
        const k = index.nameAt(i);
        const added = index.declarationAt(i);
        const at = merged.find(k);
        if (at < 0) {
          merged.add(k, index.keyAt(i), added);
          continue;
        }
        // The first key term is kept, the new declaration wins.
        const old = merged.declarationAt(at);
        merged.replace(at, added);
        if (!sameDeclaration(old, added)) {
          diagnostics ??= [];
          diagnostics.push(duplicateDeclaration(block.resource, index.keyAt(i), old, added));
        }
      }
      existing.declarations = merged.finish();
      (existing.shorthandRules as ShorthandRule[]).push(...block.shorthandRules);
    }

    if (block.blockType === "actor") this.actorSet.add(block.name);
    this.resourceSet.add(block.name);
    return diagnostics;
  }

  /**
   * @internal A registry like this one (which it leaves unchanged) with `blocks` registered
   * instead: they may differ from this registry's blocks only in blocks that each alone registered
   * a name, replaced by accepted blocks of the same name and kind (see load.ts). Union members are
   * the same, and shared.
   */
  withBlocksReplaced(blocks: readonly PreparedBlock[]): BlockRegistry {
    // This registry's replacements, then the new ones; all of them in a map of its own once there
    // are many (so that a long session's edits do not pile up).
    const replaced = new Map(this.replaced ?? []);
    const base = this.blocks;
    const allBlocks = new Array<ResourceBlock>(blocks.length);
    for (let i = 0; i < blocks.length; i++) {
      const prepared = blocks[i] as PreparedBlock;
      const { block } = prepared;
      allBlocks[i] = block;
      if (block === this.allBlocks[i] || !prepared.index.ok) continue;
      const old = base.get(block.name);
      // (Never undefined: the block replaces the one block of its name.)
      if (old === undefined) continue;
      replaced.set(old, {
        resource: block.resource,
        declarations: prepared.index.value,
        shorthandRules: block.shorthandRules,
        owned: false,
      });
    }
    if (replaced.size <= MAX_REPLACED) {
      return new BlockRegistry(this.actorSet, this.resourceSet, { blocks: base, replaced, allBlocks });
    }
    const own = new Map<string, RegisteredBlock>();
    base.forEach((entry, name) => own.set(name, replaced.get(entry) ?? entry));
    return new BlockRegistry(this.actorSet, this.resourceSet, { blocks: own, replaced: null, allBlocks });
  }

  /** Members of the `Actor` union: names of blocks declared with `actor`. */
  get actors(): ReadonlySet<string> {
    return this.actorSet;
  }

  /** Members of the `Resource` union: every accepted block (actor blocks too). */
  get resources(): ReadonlySet<string> {
    return this.resourceSet;
  }

  /** Whether any block was accepted (MissingHasPermissionRule checks this). */
  get isEmpty(): boolean {
    return this.resourceSet.size === 0;
  }

  /** Whether any accepted block declares a role (then `has_role` is a required rule type). */
  hasRoles(): boolean {
    let roles = false;
    this.forEachRegistered((b) => {
      const d = b.declarations;
      for (let i = 0; i < d.size && !roles; i++) if (d.declarationAt(i).kind === "role") roles = true;
    });
    return roles;
  }

  /** The merged declarations of a block, in deterministic order; undefined when no such block was accepted. */
  declarationsOf(name: string): ReadonlyMap<string, Declaration> | undefined {
    const b = this.entry(name);
    if (b === undefined) return undefined;
    const d = b.declarations;
    const out = new Map<string, Declaration>();
    for (let i = 0; i < d.size; i++) out.set(d.nameAt(i), d.declarationAt(i));
    return out;
  }

  /** Names of accepted blocks, in order of first appearance. */
  blockNames(): string[] {
    return [...this.blocks.keys()];
  }

  /** @internal */
  registered(): Iterable<RegisteredBlock> {
    if (this.replaced === null) return this.blocks.values();
    const all: RegisteredBlock[] = [];
    this.forEachRegistered((b) => all.push(b));
    return all;
  }

  /** @internal */
  lookup(name: string): RegisteredBlock | undefined {
    return this.entry(name);
  }

  /** `(subject type, relation key, object resource)` for every relation declaration (polar-core `relation_tuples`). */
  relationTuples(): { subject: Term; name: Term; object: Term }[] {
    const tuples: { subject: Term; name: Term; object: Term }[] = [];
    this.forEachRegistered((b) => {
      const d = b.declarations;
      for (let i = 0; i < d.size; i++) {
        const declaration = d.declarationAt(i);
        if (declaration.kind === "relation")
          tuples.push({
            subject: declaration.type,
            name: d.keyAt(i),
            object: b.resource,
          });
      }
    });
    return tuples;
  }
}
