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
interface StoredDeclaration {
  readonly key: Term;
  declaration: Declaration;
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

interface RegisteredBlock {
  /** The first block's resource term (Rust keeps the first key of a HashMap entry). */
  readonly resource: Term;
  readonly declarations: Map<string, StoredDeclaration>;
  readonly shorthandRules: ShorthandRule[];
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
    this.allBlocks.push(block);
    const diagnostics: Diagnostic[] = [];
    if (!isConstant(block.name)) diagnostics.push(unregisteredClass(block.resource));

    const index = indexDeclarations(block);
    if (!(index instanceof Map)) {
      diagnostics.push(index);
      return diagnostics;
    }

    const existing = this.blocks.get(block.name);
    if (existing === undefined) {
      this.blocks.set(block.name, {
        resource: block.resource,
        declarations: index,
        shorthandRules: [...block.shorthandRules],
      });
    } else {
      for (const [k, added] of index) {
        const old = existing.declarations.get(k);
        if (old === undefined) {
          existing.declarations.set(k, {
            key: added.key,
            declaration: added.declaration,
          });
          continue;
        }
        const previous = old.declaration;
        old.declaration = added.declaration;
        if (!sameDeclaration(previous, added.declaration)) {
          diagnostics.push(duplicateDeclaration(block.resource, added.key, previous, added.declaration));
        }
      }
      existing.shorthandRules.push(...block.shorthandRules);
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

/** polar-core `get_declaration_in_resource_block`: ResourceBlock #9. */
function getDeclaration(registry: BlockRegistry, declaration: Term, resourceName: string): Lookup<Declaration> {
  const found = registry.lookup(resourceName)?.declarations.get(stringValue(declaration));
  if (found !== undefined) return { ok: true, value: found.declaration };
  return {
    ok: false,
    error: resourceBlockError(
      `Undeclared term ${termString(declaration)} referenced in rule in '${resourceName}' resource block. Did you mean to declare it as a role, permission, or relation?`,
      declaration,
    ),
  };
}

/** The engine's Display of a shorthand string term: double-quoted, unescaped. */
function termString(term: Term): string {
  return `"${stringValue(term)}"`;
}

/** polar-core `get_relation_type_in_resource_block`: #9, or InvalidState for a role/permission. */
function getRelationType(registry: BlockRegistry, relation: Term, resourceName: string): Lookup<Term> {
  const d = getDeclaration(registry, relation, resourceName);
  if (!d.ok) return d;
  if (d.value.kind === "relation") return { ok: true, value: d.value.type };
  const debug = d.value.kind === "role" ? "Role" : "Permission";
  return {
    ok: false,
    error: error("OperationalError::InvalidState", `Invalid state: Expected Relation; got: ${debug}`, null),
  };
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

function instancePattern(tag: string): Value {
  return { type: "InstancePattern", tag, fields: new Map() };
}

function call(name: string, args: Term[]): Value {
  return { type: "Call", name, args, kwargs: null };
}

function and(args: Term[]): Value {
  return { type: "Expression", operator: "And", args };
}

/** polar-core `ShorthandRule::as_rule`: the generated rule, or the first error (#8–#11, InvalidState). */
function shorthandAsRule(registry: BlockRegistry, resource: Term, rule: ShorthandRule): Lookup<Rule> {
  const resourceName = symbolName(resource);
  const { head, implier, relation } = rule;

  const headDeclaration = getDeclaration(registry, head, resourceName);
  if (!headDeclaration.ok) return headDeclaration;

  const resourceVar = resourceNameAsVar(resourceName, false);
  const params: Parameter[] = [
    {
      parameter: withValue(head, variable("actor")),
      specializer: withValue(head, instancePattern(ACTOR_UNION_NAME)),
    },
    { parameter: head, specializer: null },
    {
      parameter: withValue(head, variable(resourceVar)),
      specializer: withValue(resource, instancePattern(resourceName)),
    },
  ];

  const actor = withValue(implier, variable("actor"));
  const resourceTerm = withValue(implier, variable(resourceVar));
  let body: Term;
  if (relation !== null) {
    const keyword = symbolName(relation.keyword);
    if (keyword !== "on") {
      return {
        ok: false,
        error: resourceBlockError(`Unexpected relation keyword '${keyword}'. Did you mean 'on'?`, relation.keyword),
      };
    }
    const relationType = getRelationType(registry, relation.name, resourceName);
    if (!relationType.ok) return relationType;
    const relatedName = symbolName(relationType.value);
    const relatedVar = withValue(relation.name, variable(resourceNameAsVar(relatedName, true)));
    const relationCall = withValue(relation.name, call("has_relation", [relatedVar, relation.name, resourceTerm]));

    // polar-core `get_rule_name_for_declaration_in_related_resource_block`: #10 / #11.
    const related = registry.lookup(relatedName);
    if (related === undefined) {
      return {
        ok: false,
        error: resourceBlockError(
          `${resourceName}: Relation ${termString(relation.name)} in rule body \`${termString(implier)} on ${termString(relation.name)}\` has type '${relatedName}', but no such resource block exists. Try declaring one: \`resource ${relatedName} {}\``,
          relationType.value,
        ),
      };
    }
    const impliedDeclaration = related.declarations.get(stringValue(implier));
    if (impliedDeclaration === undefined) {
      return {
        ok: false,
        error: resourceBlockError(
          `${resourceName}: Term ${termString(implier)} not declared in related resource block '${relatedName}'. Did you mean to declare it as a role, permission, or relation in the '${relatedName}' resource block?`,
          implier,
        ),
      };
    }
    const implierCall = withValue(
      implier,
      call(ruleNameFor(impliedDeclaration.declaration), [actor, implier, relatedVar]),
    );
    body = withValue(implier, and([relationCall, implierCall]));
  } else {
    const implierDeclaration = getDeclaration(registry, implier, resourceName);
    if (!implierDeclaration.ok) return implierDeclaration;
    const implierCall = withValue(implier, call(ruleNameFor(implierDeclaration.value), [actor, implier, resourceTerm]));
    body = withValue(implier, and([implierCall]));
  }

  return {
    ok: true,
    value: {
      name: ruleNameFor(headDeclaration.value),
      params,
      body,
      source: head.source,
      generated: true,
    },
  };
}

/**
 * polar-core `KnowledgeBase::rewrite_shorthand_rules` (phase 3): UnregisteredClass for every
 * relation type that is not registered, then every shorthand rule of every accepted block turned
 * into a rule or into its first error.
 */
export function rewriteShorthandRules(
  registry: BlockRegistry,
  isConstant: (name: string) => boolean,
): { rules: Rule[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  for (const { subject } of registry.relationTuples()) {
    if (!isConstant(symbolName(subject))) diagnostics.push(unregisteredClass(subject));
  }
  const rules: Rule[] = [];
  for (const block of registry.registered()) {
    for (const shorthand of block.shorthandRules) {
      const r = shorthandAsRule(registry, block.resource, shorthand);
      if (r.ok) rules.push(r.value);
      else diagnostics.push(r.error);
    }
  }
  return { rules, diagnostics };
}

function ruleTypeParam(name: string, tag: string): Parameter {
  return {
    parameter: temporary(variable(name)),
    specializer: temporary(instancePattern(tag)),
  };
}

/**
 * polar-core `KnowledgeBase::create_resource_specific_rule_types` (phase 5): a `has_relation`
 * rule type per declared relation – required when a shorthand rule traverses it (`on "rel"`) or
 * uses it as implier (locally, or in the related block through `on`) – with the relation type
 * symbol's span as source; then the required `has_role(actor: Actor, role: String, resource:
 * Resource)` (no source) when any accepted block declares a role.
 */
export function resourceSpecificRuleTypes(registry: BlockRegistry): GeneratedRuleType[] {
  interface Entry {
    subject: Term;
    name: Term;
    object: Term;
    required: boolean;
  }
  const entries = new Map<string, Entry>();
  const keyOf = (subject: Term, name: Term, object: Term): string =>
    `${symbolName(subject)}\u0000${stringValue(name)}\u0000${symbolName(object)}`;
  // HashMap::insert keeps the first key (whose source becomes the rule type's) and updates the value.
  const insert = (subject: Term, name: Term, object: Term, required: boolean): void => {
    const k = keyOf(subject, name, object);
    const e = entries.get(k);
    if (e === undefined) entries.set(k, { subject, name, object, required });
    else e.required = required;
  };

  for (const { subject, name, object } of registry.relationTuples()) insert(subject, name, object, false);

  for (const block of registry.registered()) {
    const objectName = symbolName(block.resource);
    for (const { implier, relation } of block.shorthandRules) {
      if (relation !== null) {
        const subject = getRelationType(registry, relation.name, objectName);
        if (!subject.ok) continue;
        insert(subject.value, relation.name, block.resource, true);
        const relatedSubject = getRelationType(registry, implier, symbolName(subject.value));
        if (relatedSubject.ok) insert(relatedSubject.value, implier, subject.value, true);
      } else {
        const subject = getRelationType(registry, implier, objectName);
        if (subject.ok) insert(subject.value, implier, block.resource, true);
      }
    }
  }

  const ruleTypes: GeneratedRuleType[] = [];
  for (const { subject, name, object, required } of entries.values()) {
    ruleTypes.push({
      rule: {
        name: "has_relation",
        params: [
          ruleTypeParam("subject", symbolName(subject)),
          {
            parameter: temporary({ type: "String", value: stringValue(name) }),
            specializer: null,
          },
          ruleTypeParam("object", symbolName(object)),
        ],
        body: temporary(and([])),
        source: name.source,
      },
      required,
    });
  }

  if (registry.hasRoles()) {
    ruleTypes.push({
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
    });
  }
  return ruleTypes;
}
