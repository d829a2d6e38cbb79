/**
 * Actor/resource blocks, ported from polar-core's resource_block.rs (and the parts of kb.rs that
 * drive it): reading a parsed block (keyword and declaration checks), registering it per load
 * (reopened blocks merge), rewriting shorthand rules into ordinary rules, and generating the
 * `has_relation` / `has_role` rule types.
 *
 * Where the engine iterates a Rust `HashMap` (so its order is not a function of the text) this
 * module uses source order: blocks in order of first appearance, declarations in the order roles,
 * permissions, relations (relations sorted by name, as the engine's BTreeMap holds them), shorthand
 * rules in order.
 */
import { sortedFields, temporary } from "./ast.js";
import type { Line, Parameter, Production, Rule, Term, Value } from "./ast.js";
import { contextOf, error } from "./diagnostics.js";
import type { Diagnostic } from "./diagnostics.js";

/** The two built-in union types resource blocks populate. */
export const ACTOR_UNION_NAME = "Actor";
export const RESOURCE_UNION_NAME = "Resource";

/** A parsed resource-block line. */
export type ResourceBlockLine = Extract<Line, { kind: "resourceBlock" }>;

/** `actor Foo {}` or `resource Foo {}`. An invalid/missing keyword reads as `resource`, as in the engine. */
export type BlockType = "actor" | "resource";

/** What a string declared in a block is. A relation carries its type symbol (a Variable term). */
export type Declaration =
  { readonly kind: "role" } | { readonly kind: "permission" } | { readonly kind: "relation"; readonly type: Term };

/** A well-formed declaration production (`roles = [..]`, `permissions = [..]`, `relations = {..}`). */
export interface ParsedDeclaration {
  readonly kind: "roles" | "permissions" | "relations";
  /** The declaration's name symbol. */
  readonly name: Term;
  /** A List (roles/permissions) or Dictionary (relations) term. */
  readonly value: Term;
}

/** `"head" if "implier" [keyword "relation"];` */
export interface ShorthandRule {
  readonly head: Term;
  readonly implier: Term;
  readonly relation: { readonly keyword: Term; readonly name: Term } | null;
}

/** A block that was read (possibly with errors): polar-core `ResourceBlock` plus editor data. */
export interface ResourceBlock {
  readonly blockType: BlockType;
  /** The keyword as written (null when missing), for editor features. */
  readonly keyword: Term | null;
  /** Variable term naming the block; its span covers the whole block. */
  readonly resource: Term;
  readonly name: string;
  /** Span of the name symbol itself. */
  readonly nameStart: number;
  readonly nameEnd: number;
  /** The last valid declaration of each kind (the engine's `Option<Term>`s). */
  readonly roles: Term | null;
  readonly permissions: Term | null;
  readonly relations: Term | null;
  /** Every valid declaration in production order, repeated ones included (statistics, outline). */
  readonly declarations: readonly ParsedDeclaration[];
  readonly shorthandRules: readonly ShorthandRule[];
}

/** One declared string of a block, for editor features (outline, go-to-definition, completion). */
export interface DeclaredName {
  readonly kind: "role" | "permission" | "relation";
  readonly name: string;
  /** The declared string (role/permission) or the relation key (relation), with its span. */
  readonly start: number;
  readonly end: number;
  /** For relations: the related type symbol. */
  readonly relationType: {
    readonly name: string;
    readonly start: number;
    readonly end: number;
  } | null;
}

/** A `has_relation` / `has_role` rule type generated from the blocks (kb.create_resource_specific_rule_types). */
export interface GeneratedRuleType {
  readonly rule: Rule;
  /** Required rule types must have at least one matching rule (MissingRequiredRule). */
  readonly required: boolean;
  /** Always true: generated rule types are built in (a `RuleType` of the knowledge base). */
  readonly builtin: true;
  /**
   * What the rule type's parameters are made of (`subject \0 relation \0 object` for
   * `has_relation`): two generated types with the same key check every rule the same way.
   */
  readonly key: string;
}

function symbolName(term: Term): string {
  return term.value.type === "Variable" ? term.value.name : "";
}

function stringValue(term: Term): string {
  return term.value.type === "String" ? term.value.value : "";
}

function withValue(term: Term, value: Value): Term {
  return { value, source: term.source };
}

function resourceBlockError(message: string, term: Term): Diagnostic {
  return error("ValidationError::ResourceBlock", message, contextOf(term));
}

function unregisteredClass(term: Term): Diagnostic {
  return error("ValidationError::UnregisteredClass", `Unregistered class: ${symbolName(term)}`, contextOf(term));
}

/** polar-core `block_type_from_keyword`: ResourceBlock #1/#2. */
export function blockTypeFromKeyword(keyword: Term | null, resource: Term): BlockType | Diagnostic {
  if (keyword === null) {
    return resourceBlockError("Expected 'actor' or 'resource' but found nothing.", resource);
  }
  const word = symbolName(keyword);
  if (word === "actor") return "actor";
  if (word === "resource") return "resource";
  return resourceBlockError(`Expected 'actor' or 'resource' but found '${word}'.`, keyword);
}

/** polar-core `validate_parsed_declaration`: ResourceBlock #3–#6. */
export function validateParsedDeclaration(name: Term, value: Term): ParsedDeclaration | Diagnostic {
  const n = symbolName(name);
  const isList = value.value.type === "List";
  if (isList) {
    if (n === "roles" || n === "permissions") return { kind: n, name, value };
    if (n === "relations") {
      return resourceBlockError("Expected 'relations' declaration to be a dictionary; found a list", value);
    }
    return resourceBlockError(
      `Unexpected declaration '${n}'. Did you mean for this to be 'roles = [ ... ];' or 'permissions = [ ... ];'?`,
      value,
    );
  }
  // The grammar only produces lists and dictionaries here.
  if (n === "relations") return { kind: "relations", name, value };
  if (n === "roles" || n === "permissions") {
    return resourceBlockError(`Expected '${n}' declaration to be a list of strings; found a dictionary`, value);
  }
  return resourceBlockError(
    `Unexpected declaration '${n}'. Did you mean for this to be 'relations = { ... };'?`,
    value,
  );
}

function isDiagnostic<T extends object>(x: T | Diagnostic): x is Diagnostic {
  return "code" in x && "severity" in x;
}

/**
 * polar-core `resource_block_from_productions`: the keyword check (#1/#2), then every declaration
 * in order (#3–#7). Like the engine, a block is always produced (an invalid keyword reads as
 * `resource`); the errors are unrecoverable, so such a block never reaches shorthand rewriting.
 */
export function readResourceBlock(line: ResourceBlockLine): {
  block: ResourceBlock;
  diagnostics: Diagnostic[];
} {
  const diagnostics: Diagnostic[] = [];
  const kw = blockTypeFromKeyword(line.keyword, line.resource);
  let blockType: BlockType = "resource";
  if (typeof kw === "string") blockType = kw;
  else diagnostics.push(kw);

  const name = symbolName(line.resource);
  const latest: Record<ParsedDeclaration["kind"], Term | null> = {
    roles: null,
    permissions: null,
    relations: null,
  };
  const declarations: ParsedDeclaration[] = [];
  const shorthandRules: ShorthandRule[] = [];

  for (const production of line.productions) {
    if (production.kind === "declaration") {
      const parsed = validateParsedDeclaration(production.name, production.value);
      if (isDiagnostic(parsed)) {
        diagnostics.push(parsed);
        continue;
      }
      if (latest[parsed.kind] !== null) {
        diagnostics.push(
          resourceBlockError(`Multiple '${parsed.kind}' declarations in '${name}' resource block.`, parsed.value),
        );
      }
      latest[parsed.kind] = parsed.value;
      declarations.push(parsed);
    } else {
      shorthandRules.push(shorthandFromProduction(production));
    }
  }

  return {
    block: {
      blockType,
      keyword: line.keyword,
      resource: line.resource,
      name,
      nameStart: line.nameStart,
      nameEnd: line.nameEnd,
      roles: latest.roles,
      permissions: latest.permissions,
      relations: latest.relations,
      declarations,
      shorthandRules,
    },
    diagnostics,
  };
}

function shorthandFromProduction(production: Extract<Production, { kind: "shorthand" }>): ShorthandRule {
  return {
    head: production.head,
    implier: production.implier,
    relation: production.relation,
  };
}

/** The declared strings of a block (valid declarations only, in production order), for editor features. */
export function declaredNames(block: ResourceBlock): DeclaredName[] {
  const out: DeclaredName[] = [];
  for (const d of block.declarations) {
    if (d.kind === "relations") {
      if (d.value.value.type !== "Dictionary") continue;
      // Relation keys carry no span of their own in the syntax tree; the type symbol's span is
      // what the engine uses for the relation too (it restamps the key with the type's source).
      for (const [key, type] of sortedFields(d.value.value.fields)) {
        const span = type.source.kind === "parser" ? type.source : null;
        out.push({
          kind: "relation",
          name: key,
          start: span?.start ?? 0,
          end: span?.end ?? 0,
          relationType: {
            name: symbolName(type),
            start: span?.start ?? 0,
            end: span?.end ?? 0,
          },
        });
      }
    } else {
      if (d.value.value.type !== "List") continue;
      for (const element of d.value.value.elements) {
        const span = element.source.kind === "parser" ? element.source : null;
        out.push({
          kind: d.kind === "roles" ? "role" : "permission",
          name: stringValue(element),
          start: span?.start ?? 0,
          end: span?.end ?? 0,
          relationType: null,
        });
      }
    }
  }
  return out;
}

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

/** A declaration stored in the registry: the key term (a String; the first one seen is kept) and the latest declaration. */
export interface StoredDeclaration {
  readonly key: Term;
  readonly declaration: Declaration;
}

/** polar-core `index_declarations`: the first clash within one block is an error and drops the block. */
function indexDeclarations(block: ResourceBlock): Map<string, StoredDeclaration> | Diagnostic {
  const index = new Map<string, StoredDeclaration>();
  const insert = (key: Term, declaration: Declaration): Diagnostic | null => {
    const k = stringValue(key);
    const existing = index.get(k);
    if (existing !== undefined) {
      // Rust's HashMap::insert keeps the old key and replaces the value; the block is dropped anyway.
      return duplicateDeclaration(block.resource, key, existing.declaration, declaration);
    }
    index.set(k, { key, declaration });
    return null;
  };
  for (const [list, kind] of [
    [block.roles, "role"],
    [block.permissions, "permission"],
  ] as const) {
    if (list === null || list.value.type !== "List") continue;
    for (const element of list.value.elements) {
      const e = insert(element, { kind });
      if (e !== null) return e;
    }
  }
  if (block.relations !== null && block.relations.value.type === "Dictionary") {
    for (const [relation, type] of sortedFields(block.relations.value.fields)) {
      // The relation name becomes a string term stamped with the type symbol's source.
      const e = insert(withValue(type, { type: "String", value: relation }), {
        kind: "relation",
        type,
      });
      if (e !== null) return e;
    }
  }
  return index;
}

/**
 * The load-independent part of registering a block: the UnregisteredClass error for its name and
 * its declaration index (or the clash that drops it). An incremental load computes this once per
 * parsed block and reuses it; the registry never mutates it.
 */
export interface PreparedBlock {
  readonly block: ResourceBlock;
  readonly unregistered: Diagnostic | null;
  readonly index: ReadonlyMap<string, StoredDeclaration> | Diagnostic;
}

/** Prepares a block for {@link BlockRegistry.addPrepared}. */
export function prepareBlock(block: ResourceBlock, isConstant: (name: string) => boolean): PreparedBlock {
  return {
    block,
    unregistered: isConstant(block.name) ? null : unregisteredClass(block.resource),
    index: indexDeclarations(block),
  };
}

/** @internal A block as registered: the first block's index is shared until a reopened block is merged in. */
export interface RegisteredBlock {
  /** The first block's resource term (Rust keeps the first key of a HashMap entry). */
  readonly resource: Term;
  declarations: ReadonlyMap<string, StoredDeclaration>;
  shorthandRules: readonly ShorthandRule[];
  /** Whether `declarations`/`shorthandRules` are this registry's own copies (else shared with a prepared block). */
  owned: boolean;
}

/**
 * The resource blocks of one load (polar-core `ResourceBlocks`). Blocks are keyed by name;
 * reopening a block merges its declarations and shorthand rules.
 */
export class BlockRegistry {
  private readonly blocks = new Map<string, RegisteredBlock>();
  private readonly actorSet = new Set<string>();
  private readonly resourceSet = new Set<string>();
  /** Every block read, in order (also those rejected by a declaration clash), for editor features. */
  readonly allBlocks: ResourceBlock[] = [];

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
    const { block, index } = prepared;
    this.allBlocks.push(block);
    if (isDiagnostic(index)) return [index];

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
      // Copy on first merge: the shared maps belong to prepared blocks that later loads reuse.
      if (!existing.owned) {
        existing.declarations = new Map(existing.declarations);
        existing.shorthandRules = [...existing.shorthandRules];
        existing.owned = true;
      }
      const declarations = existing.declarations as Map<string, StoredDeclaration>;
      for (const [k, added] of index) {
        const old = declarations.get(k);
        if (old === undefined) {
          declarations.set(k, added);
          continue;
        }
        // The first key term is kept, the new declaration wins.
        declarations.set(k, { key: old.key, declaration: added.declaration });
        if (!sameDeclaration(old.declaration, added.declaration)) {
          diagnostics ??= [];
          diagnostics.push(duplicateDeclaration(block.resource, added.key, old.declaration, added.declaration));
        }
      }
      (existing.shorthandRules as ShorthandRule[]).push(...block.shorthandRules);
    }

    if (block.blockType === "actor") this.actorSet.add(block.name);
    this.resourceSet.add(block.name);
    return diagnostics;
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
    for (const b of this.blocks.values()) {
      for (const d of b.declarations.values()) if (d.declaration.kind === "role") return true;
    }
    return false;
  }

  /** The merged declarations of a block, in deterministic order; undefined when no such block was accepted. */
  declarationsOf(name: string): ReadonlyMap<string, Declaration> | undefined {
    const b = this.blocks.get(name);
    if (b === undefined) return undefined;
    return new Map([...b.declarations].map(([k, v]) => [k, v.declaration]));
  }

  /** Names of accepted blocks, in order of first appearance. */
  blockNames(): string[] {
    return [...this.blocks.keys()];
  }

  /** @internal */
  registered(): Iterable<RegisteredBlock> {
    return this.blocks.values();
  }

  /** @internal */
  lookup(name: string): RegisteredBlock | undefined {
    return this.blocks.get(name);
  }

  /** `(subject type, relation key, object resource)` for every relation declaration (polar-core `relation_tuples`). */
  relationTuples(): { subject: Term; name: Term; object: Term }[] {
    const tuples: { subject: Term; name: Term; object: Term }[] = [];
    for (const b of this.blocks.values()) {
      for (const d of b.declarations.values()) {
        if (d.declaration.kind === "relation")
          tuples.push({
            subject: d.declaration.type,
            name: d.key,
            object: b.resource,
          });
      }
    }
    return tuples;
  }
}

/** Result of a lookup that can fail with a diagnostic (the engine's `PolarResult`). */
type Lookup<T> = { ok: true; value: T } | { ok: false; error: Diagnostic };

/** The engine's Display of a shorthand string term: double-quoted, unescaped. */
function termString(term: Term): string {
  return `"${stringValue(term)}"`;
}

function ruleNameFor(d: Declaration): string {
  return `has_${d.kind}`;
}

/** polar-core `resource_name_as_var`. */
export function resourceNameAsVar(resourceName: string, related: boolean): string {
  let lowered = resourceName.toLowerCase();
  if (lowered === resourceName) lowered += "_instance";
  return related ? `related_${lowered}` : lowered;
}

function variable(name: string): Value {
  return { type: "Variable", name };
}

/** Shared empty field map of generated patterns (terms are immutable). */
const NO_FIELDS: ReadonlyMap<string, Term> = new Map();

function instancePattern(tag: string): Value {
  return { type: "InstancePattern", tag, fields: NO_FIELDS };
}

function call(name: string, args: Term[]): Value {
  return { type: "Call", name, args, kwargs: null };
}

function and(args: Term[]): Value {
  return { type: "Expression", operator: "And", args };
}

// Values every generated rule uses; shared, as terms are immutable.
const ACTOR_VARIABLE = variable("actor");
const ACTOR_PATTERN = instancePattern(ACTOR_UNION_NAME);

/**
 * Everything a shorthand rule's translation reads from the registry. Two translations of the same
 * shorthand rule with identical inputs (same objects) give the same rule or error, which is what
 * lets an incremental load reuse the previous translation.
 */
interface ShorthandInputs {
  /** The registered block's resource term (the first block of that name). */
  readonly resource: Term;
  /** The head's declaration in the block. */
  readonly head: Declaration | undefined;
  /** For `on "relation"`: the relation's declaration in the block. */
  readonly relation: Declaration | undefined;
  /** For `on "relation"`: whether the related type has a block. */
  readonly related: boolean;
  /** The implier's declaration: in the related block for `on "relation"`, else in the block. */
  readonly implier: Declaration | undefined;
  /** Values every rule generated in the block uses (shared: terms are immutable). */
  readonly shared: SharedValues;
}

/** The resource variable and pattern of a block's generated rules. */
interface SharedValues {
  readonly resourceVar: Value;
  readonly resourcePattern: Value;
}

function sharedValues(resource: Term): SharedValues {
  const name = symbolName(resource);
  return { resourceVar: variable(resourceNameAsVar(name, false)), resourcePattern: instancePattern(name) };
}

/** Previous translations of shorthand rules (see {@link BlockPhaseCache}). */
type ShorthandMemo = WeakMap<ShorthandRule, { readonly inputs: ShorthandInputs; readonly result: Lookup<Rule> }>;

function shorthandInputs(
  registry: BlockRegistry,
  block: RegisteredBlock,
  rule: ShorthandRule,
  shared: SharedValues,
): ShorthandInputs {
  const declarations = registry.lookup(symbolName(block.resource))?.declarations;
  const head = declarations?.get(stringValue(rule.head))?.declaration;
  if (rule.relation === null) {
    const implier = declarations?.get(stringValue(rule.implier))?.declaration;
    return { resource: block.resource, head, relation: undefined, related: false, implier, shared };
  }
  const relation = declarations?.get(stringValue(rule.relation.name))?.declaration;
  const relatedBlock = relation?.kind === "relation" ? registry.lookup(symbolName(relation.type)) : undefined;
  const implier = relatedBlock?.declarations.get(stringValue(rule.implier))?.declaration;
  return { resource: block.resource, head, relation, related: relatedBlock !== undefined, implier, shared };
}

function sameInputs(a: ShorthandInputs, b: ShorthandInputs): boolean {
  return (
    a.resource === b.resource &&
    a.head === b.head &&
    a.relation === b.relation &&
    a.related === b.related &&
    a.implier === b.implier
  );
}

function undeclared(declaration: Term, resourceName: string): Lookup<never> {
  return {
    ok: false,
    error: resourceBlockError(
      `Undeclared term ${termString(declaration)} referenced in rule in '${resourceName}' resource block. Did you mean to declare it as a role, permission, or relation?`,
      declaration,
    ),
  };
}

/**
 * polar-core `ShorthandRule::as_rule`: the generated rule, or the first error (#8–#11,
 * InvalidState), computed from the registry lookups gathered in `inputs`
 * (`get_declaration_in_resource_block`, `get_relation_type_in_resource_block`, …).
 */
function shorthandAsRule(inputs: ShorthandInputs, rule: ShorthandRule): Lookup<Rule> {
  const { resource } = inputs;
  const resourceName = symbolName(resource);
  const { head, implier, relation } = rule;

  if (inputs.head === undefined) return undeclared(head, resourceName);

  const { resourceVar, resourcePattern } = inputs.shared;
  const params: Parameter[] = [
    { parameter: withValue(head, ACTOR_VARIABLE), specializer: withValue(head, ACTOR_PATTERN) },
    { parameter: head, specializer: null },
    { parameter: withValue(head, resourceVar), specializer: withValue(resource, resourcePattern) },
  ];

  const actor = withValue(implier, ACTOR_VARIABLE);
  const resourceTerm = withValue(implier, resourceVar);
  let body: Term;
  if (relation !== null) {
    const keyword = symbolName(relation.keyword);
    if (keyword !== "on") {
      return {
        ok: false,
        error: resourceBlockError(`Unexpected relation keyword '${keyword}'. Did you mean 'on'?`, relation.keyword),
      };
    }
    // polar-core `get_relation_type_in_resource_block`: #9, or InvalidState for a role/permission.
    const relationDeclaration = inputs.relation;
    if (relationDeclaration === undefined) return undeclared(relation.name, resourceName);
    if (relationDeclaration.kind !== "relation") {
      const debug = relationDeclaration.kind === "role" ? "Role" : "Permission";
      return {
        ok: false,
        error: error("OperationalError::InvalidState", `Invalid state: Expected Relation; got: ${debug}`, null),
      };
    }
    const relationType = relationDeclaration.type;
    const relatedName = symbolName(relationType);
    const relatedVar = withValue(relation.name, variable(resourceNameAsVar(relatedName, true)));
    const relationCall = withValue(relation.name, call("has_relation", [relatedVar, relation.name, resourceTerm]));

    // polar-core `get_rule_name_for_declaration_in_related_resource_block`: #10 / #11.
    if (!inputs.related) {
      return {
        ok: false,
        error: resourceBlockError(
          `${resourceName}: Relation ${termString(relation.name)} in rule body \`${termString(implier)} on ${termString(relation.name)}\` has type '${relatedName}', but no such resource block exists. Try declaring one: \`resource ${relatedName} {}\``,
          relationType,
        ),
      };
    }
    if (inputs.implier === undefined) {
      return {
        ok: false,
        error: resourceBlockError(
          `${resourceName}: Term ${termString(implier)} not declared in related resource block '${relatedName}'. Did you mean to declare it as a role, permission, or relation in the '${relatedName}' resource block?`,
          implier,
        ),
      };
    }
    const implierCall = withValue(implier, call(ruleNameFor(inputs.implier), [actor, implier, relatedVar]));
    body = withValue(implier, and([relationCall, implierCall]));
  } else {
    if (inputs.implier === undefined) return undeclared(implier, resourceName);
    const implierCall = withValue(implier, call(ruleNameFor(inputs.implier), [actor, implier, resourceTerm]));
    body = withValue(implier, and([implierCall]));
  }

  return {
    ok: true,
    value: {
      name: ruleNameFor(inputs.head),
      params,
      body,
      source: head.source,
      generated: true,
    },
  };
}

/** A `has_relation` rule type that shorthand rules require: its key and the terms of its `insert`. */
interface RequiredRelation {
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
interface BlockMemo {
  readonly resource: Term;
  readonly declarations: ReadonlyMap<string, StoredDeclaration>;
  readonly shorthandRules: readonly ShorthandRule[];
  /** Related blocks looked up, by name, with the declarations found (undefined: no such block). */
  readonly deps: ReadonlyMap<string, ReadonlyMap<string, StoredDeclaration> | undefined>;
  /** UnregisteredClass for each relation whose type is not registered. */
  readonly unregistered: readonly Diagnostic[];
  /** The translation (rule or error) of each shorthand rule. */
  readonly translations: readonly Lookup<Rule>[];
  /** The block's relations: `has_relation` rule-type keys with the relation-name term. */
  readonly relations: readonly RequiredRelation[];
  /** The relations (of this block or related ones) its shorthand rules require. */
  readonly required: readonly RequiredRelation[];
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
  private readonly shorthand: ShorthandMemo = new WeakMap();

  constructor(private readonly isConstant: (name: string) => boolean) {}

  /** The memo of a registered block, recomputed when its inputs changed. */
  block(registry: BlockRegistry, block: RegisteredBlock): BlockMemo {
    const old = this.blocks.get(block.declarations);
    if (
      old !== undefined &&
      old.resource === block.resource &&
      old.shorthandRules === block.shorthandRules &&
      depsUnchanged(registry, old.deps)
    ) {
      return old;
    }
    const memo = this.compute(registry, block);
    this.blocks.set(block.declarations, memo);
    return memo;
  }

  private compute(registry: BlockRegistry, block: RegisteredBlock): BlockMemo {
    const { resource, declarations, shorthandRules } = block;
    const objectName = symbolName(resource);
    const deps = new Map<string, ReadonlyMap<string, StoredDeclaration> | undefined>();
    const related = (name: string): ReadonlyMap<string, StoredDeclaration> | undefined => {
      const found = registry.lookup(name)?.declarations;
      deps.set(name, found);
      return found;
    };

    const unregistered: Diagnostic[] = [];
    const relations: RequiredRelation[] = [];
    for (const d of declarations.values()) {
      if (d.declaration.kind !== "relation") continue;
      const subject = d.declaration.type;
      const subjectName = symbolName(subject);
      if (!this.isConstant(subjectName)) unregistered.push(unregisteredClass(subject));
      relations.push({ key: relationKey(subjectName, d.key, objectName), subject, name: d.key, object: resource });
    }

    const translations: Lookup<Rule>[] = [];
    const required: RequiredRelation[] = [];
    const shared = sharedValues(resource);
    for (const shorthand of shorthandRules) {
      const inputs = shorthandInputs(registry, block, shorthand, shared);
      if (shorthand.relation !== null && inputs.relation?.kind === "relation")
        related(symbolName(inputs.relation.type));
      const previous = this.shorthand.get(shorthand);
      let translation: Lookup<Rule>;
      if (previous !== undefined && sameInputs(previous.inputs, inputs)) translation = previous.result;
      else {
        translation = shorthandAsRule(inputs, shorthand);
        this.shorthand.set(shorthand, { inputs, result: translation });
      }
      translations.push(translation);

      // create_resource_specific_rule_types: the relations this shorthand rule requires.
      const { implier, relation } = shorthand;
      if (relation !== null) {
        const subject = declarations.get(stringValue(relation.name))?.declaration;
        if (subject?.kind !== "relation") continue;
        const subjectName = symbolName(subject.type);
        required.push({
          key: relationKey(subjectName, relation.name, objectName),
          subject: subject.type,
          name: relation.name,
          object: resource,
        });
        const relatedSubject = related(subjectName)?.get(stringValue(implier))?.declaration;
        if (relatedSubject?.kind === "relation") {
          required.push({
            key: relationKey(symbolName(relatedSubject.type), implier, subjectName),
            subject: relatedSubject.type,
            name: implier,
            object: subject.type,
          });
        }
      } else {
        const subject = declarations.get(stringValue(implier))?.declaration;
        if (subject?.kind === "relation") {
          required.push({
            key: relationKey(symbolName(subject.type), implier, objectName),
            subject: subject.type,
            name: implier,
            object: resource,
          });
        }
      }
    }
    const ruleTypes: (GeneratedRuleType | undefined)[] = [];
    return { resource, declarations, shorthandRules, deps, unregistered, translations, relations, required, ruleTypes };
  }

  /** The memos of every registered block, in registry order (computed once per registry). */
  memos(registry: BlockRegistry): readonly BlockMemo[] {
    if (this.lastRegistry !== registry) {
      const memos: BlockMemo[] = [];
      for (const block of registry.registered()) memos.push(this.block(registry, block));
      this.lastRegistry = registry;
      this.lastMemos = memos;
    }
    return this.lastMemos;
  }

  private lastRegistry: BlockRegistry | null = null;
  private lastMemos: readonly BlockMemo[] = [];
}

/** The `has_relation` rule type of a block's `i`-th relation, made once per memo and flag. */
function relationRuleType(memo: BlockMemo, i: number, required: boolean): GeneratedRuleType {
  const old = memo.ruleTypes[i];
  if (old !== undefined && old.required === required) return old;
  const relation = memo.relations[i] as RequiredRelation;
  const { key, subject, name, object } = relation;
  const ruleType: GeneratedRuleType = {
    rule: {
      name: "has_relation",
      params: [
        ruleTypeParam("subject", symbolName(subject)),
        { parameter: temporary({ type: "String", value: stringValue(name) }), specializer: null },
        ruleTypeParam("object", symbolName(object)),
      ],
      body: temporary(and([])),
      source: name.source,
    },
    required,
    builtin: true,
    key,
  };
  memo.ruleTypes[i] = ruleType;
  return ruleType;
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
      if (t.ok) onRule(t.value);
      else onDiagnostic(t.error);
    }
  }
}

function ruleTypeParam(name: string, tag: string): Parameter {
  return {
    parameter: temporary(variable(name)),
    specializer: temporary(instancePattern(tag)),
  };
}

/** The required `has_role(actor: Actor, role: String, resource: Resource)` rule type (no source). */
const HAS_ROLE_RULE_TYPE: GeneratedRuleType = {
  rule: {
    name: "has_role",
    params: [
      ruleTypeParam("actor", ACTOR_UNION_NAME),
      ruleTypeParam("role", "String"),
      ruleTypeParam("resource", RESOURCE_UNION_NAME),
    ],
    body: temporary(and([])),
    source: { kind: "temporary" },
  },
  required: true,
  builtin: true,
  key: "has_role",
};

/**
 * polar-core `KnowledgeBase::create_resource_specific_rule_types` (phase 5): a `has_relation`
 * rule type per declared relation – required when a shorthand rule traverses it (`on "rel"`) or
 * uses it as implier (locally, or in the related block through `on`) – with the relation type
 * symbol's span as source; then the required `has_role(actor: Actor, role: String, resource:
 * Resource)` (no source) when any accepted block declares a role.
 *
 * With a `cache` kept from the previous load (the one {@link rewriteShorthandRules} used), the
 * rule types of unchanged blocks are reused.
 */
export function resourceSpecificRuleTypes(
  registry: BlockRegistry,
  cache: BlockPhaseCache = new BlockPhaseCache(() => false),
): GeneratedRuleType[] {
  const memos = cache.memos(registry);
  // Rule types are keyed by (subject, relation, object) names. Every relation declaration gives
  // a distinct key (blocks have distinct names, relations within a block too), and every key a
  // shorthand rule requires is one of them: it is built from a relation declaration found in a
  // registered block. So there is one rule type per relation, in registry order.
  const required = new Set<string>();
  for (const memo of memos) for (const relation of memo.required) required.add(relation.key);
  const ruleTypes: GeneratedRuleType[] = [];
  for (const memo of memos) {
    for (let i = 0; i < memo.relations.length; i++) {
      ruleTypes.push(relationRuleType(memo, i, required.has((memo.relations[i] as RequiredRelation).key)));
    }
  }

  if (registry.hasRoles()) ruleTypes.push(HAS_ROLE_RULE_TYPE);
  return ruleTypes;
}
