/**
 * Shorthand rules into ordinary rules (polar-core `ShorthandRule::as_rule` and the registry lookups
 * it makes): what a translation reads from the registry ({@link ShorthandInputs}), and the
 * translation itself, a rule or its first error (ResourceBlock #8–#11, InvalidState).
 */
import {
  shorthandHeadTerm,
  shorthandHeadValue,
  shorthandImplierValue,
  shorthandKeywordValue,
  shorthandRelationValue,
  type Parameter,
  type Rule,
  type ShorthandRelation,
  type SourceInfo,
  type Term,
  type Value,
} from "../ast.js";
import { error, type Diagnostic } from "../diagnostics.js";
import { resourceBlockError } from "./errors.js";
import { ACTOR_UNION_NAME, type Declaration, type ShorthandRule } from "./read.js";
import type { BlockRegistry, DeclarationIndex, RegisteredBlock } from "./registry.js";
import {
  and,
  call,
  instancePattern,
  stringOf,
  stringValue,
  symbolName,
  temporary,
  variable,
  withValue,
} from "../terms.js";

/** The engine's Display of a shorthand string term: double-quoted, unescaped. */
function termString(term: Term): string {
  return `"${stringValue(term)}"`;
}

function ruleNameFor(d: Declaration): string {
  return d.kind === "role" ? "has_role" : d.kind === "permission" ? "has_permission" : "has_relation";
}

/** polar-core `resource_name_as_var`. */
export function resourceNameAsVar(resourceName: string, related: boolean): string {
  let lowered = resourceName.toLowerCase();
  if (lowered === resourceName) lowered += "_instance";
  return related ? `related_${lowered}` : lowered;
}

// Values every generated rule uses; shared, as terms are immutable.
const ACTOR_VARIABLE = variable("actor");
const ACTOR_PATTERN = instancePattern(ACTOR_UNION_NAME);

/**
 * Everything a shorthand rule's translation reads from the registry. Two translations of the same
 * shorthand rule with identical inputs (same objects) give the same rule or error, which is what
 * lets an incremental load reuse the previous translation.
 */
export interface ShorthandInputs {
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

/**
 * What every rule generated in a block shares: the block's resource term and its name. The
 * resource variable and specializer are made from them when a rule is built or checked
 * ({@link resourceValues}), not kept per block (five objects per block; issue 13): a load checks
 * the generated rules of a block once per name and builds none.
 */
export interface SharedValues {
  readonly resource: Term;
  readonly resourceName: string;
}

export function sharedValues(resource: Term): SharedValues {
  return { resource, resourceName: symbolName(resource) };
}

/** The resource variable and specializer of a block's generated rules. */
interface ResourceValues {
  readonly resourceVar: Value;
  /** `Name{}` with the block's resource term as source. */
  readonly resourceSpecializer: Term;
}

function resourceValues(shared: SharedValues): ResourceValues {
  const name = shared.resourceName;
  return {
    resourceVar: variable(resourceNameAsVar(name, false)),
    resourceSpecializer: withValue(shared.resource, instancePattern(name)),
  };
}

/** The first parameter's values, without the head's source: what a rule-type check reads. */
const ACTOR_PARAMETER: Parameter = { parameter: temporary(ACTOR_VARIABLE), specializer: temporary(ACTOR_PATTERN) };

/** {@link ShorthandInputs} that {@link readInputs} fills: one per block, refilled for each shorthand rule. */
export type InputsScratch = { -readonly [K in keyof ShorthandInputs]: ShorthandInputs[K] };

/** Fresh {@link InputsScratch} for the rules of a block. */
export function inputsScratch(block: BlockLookup, shared: SharedValues): InputsScratch {
  return { resource: block.resource, head: undefined, relation: undefined, related: false, implier: undefined, shared };
}

/**
 * What the translation of `rule` reads from the registry, into `into` (a scratch object: a load
 * reads the inputs of every shorthand rule, and keeps them only in the rules it makes).
 */
export function readInputs(
  registry: BlockRegistry,
  block: BlockLookup,
  rule: ShorthandRule,
  into: InputsScratch,
): InputsScratch {
  const declarations = block.declarations;
  into.resource = block.resource;
  // Values only: a parsed rule's terms are not built (see `ParsedShorthand`).
  into.head = declarations?.declaration(stringOf(shorthandHeadValue(rule)));
  const relationName = shorthandRelationValue(rule);
  if (relationName === null) {
    into.relation = undefined;
    into.related = false;
    into.implier = declarations?.declaration(stringOf(shorthandImplierValue(rule)));
    return into;
  }
  const relation = declarations?.declaration(stringOf(relationName));
  const relatedBlock = relation?.kind === "relation" ? registry.lookup(symbolName(relation.type)) : undefined;
  into.relation = relation;
  into.related = relatedBlock !== undefined;
  into.implier = relatedBlock?.declarations.declaration(stringOf(shorthandImplierValue(rule)));
  return into;
}

/**
 * A block as its shorthand rules' translations read it: its resource term and the declarations
 * the registry holds under its name, looked up once per block rather than once per rule.
 */
export interface BlockLookup {
  readonly resource: Term;
  readonly declarations: DeclarationIndex | undefined;
}

/** The {@link BlockLookup} of a registered block. */
export function blockLookup(registry: BlockRegistry, block: RegisteredBlock): BlockLookup {
  return { resource: block.resource, declarations: registry.lookup(symbolName(block.resource))?.declarations };
}

export function sameInputs(a: ShorthandInputs, b: ShorthandInputs): boolean {
  return (
    a.resource === b.resource &&
    a.head === b.head &&
    a.relation === b.relation &&
    a.related === b.related &&
    a.implier === b.implier
  );
}

function undeclared(declaration: Term, resourceName: string): Diagnostic {
  return resourceBlockError(
    `Undeclared term ${termString(declaration)} referenced in rule in '${resourceName}' resource block. Did you mean to declare it as a role, permission, or relation?`,
    declaration,
  );
}

/**
 * A rule generated from a shorthand rule (polar-core `ShorthandRule::as_rule`'s output), whose
 * parameters and body are built when first read. A load keeps one per shorthand rule (~20k in a
 * 50k-line policy), and its own checks never read them: rule-type validation keys its check on
 * {@link resourceName} and {@link headValue} (see `RuleTypeGroup.check`), and the
 * `has_permission` check reads {@link callsHasPermission}. So a load holds one object per
 * generated rule, not the ~20 objects of its terms (issue 13: they were the largest retainer).
 * It holds what its translation read from the registry itself (the {@link ShorthandInputs}, which
 * a later load compares to reuse it), not in objects of their own, and nothing else: `name`
 * (from the head's declaration), `source`, `generated`, `params` and `body` are getters of the
 * prototype, and the built terms are kept beside it ({@link BUILT}), as few rules are ever built.
 */
export class GeneratedRule implements Rule {
  /** Always true: a property of the prototype. */
  declare readonly generated: true;
  readonly #shorthand: ShorthandRule;
  /** The block's values: its resource term and name, the terms every rule of the block shares. */
  readonly #shared: SharedValues;
  readonly #head: Declaration;
  readonly #relation: Declaration | undefined;
  /** (Whether the related block exists is not kept: exactly when its implier was found.) */
  readonly #implier: Declaration;

  constructor(
    inputs: ShorthandInputs & { readonly head: Declaration; readonly implier: Declaration },
    shorthand: ShorthandRule,
  ) {
    this.#shorthand = shorthand;
    this.#shared = inputs.shared;
    this.#head = inputs.head;
    this.#relation = inputs.relation;
    this.#implier = inputs.implier;
  }

  /** The rule's name: `has_role`, `has_permission` or `has_relation`, by the head's declaration. */
  get name(): string {
    return ruleNameFor(this.#head);
  }

  /** The head string's source. */
  get source(): SourceInfo {
    return this.#shorthand.head.source;
  }

  /** The block's resource name: the class of the third parameter's specializer. */
  get resourceName(): string {
    return this.#shared.resourceName;
  }

  /** The head string: the second parameter's value. */
  get headValue(): string {
    return stringOf(shorthandHeadValue(this.#shorthand));
  }

  /** Whether a translation of this rule's shorthand rule with `inputs` gives this rule. */
  readsSame(inputs: ShorthandInputs): boolean {
    return (
      this.#shared.resource === inputs.resource &&
      this.#head === inputs.head &&
      this.#relation === inputs.relation &&
      this.#implier === inputs.implier
    );
  }

  get params(): readonly Parameter[] {
    return this.#terms().params;
  }

  get body(): Term {
    return this.#terms().body;
  }

  /**
   * The parameters' values as a rule-type check reads them: {@link params} once built, else the
   * same values in terms made for the check (then dropped), without the head's source.
   */
  paramsForCheck(): readonly Parameter[] {
    const built = BUILT.get(this);
    if (built !== undefined) return built.params;
    const head = shorthandHeadTerm(this.#shorthand);
    const { resourceVar, resourceSpecializer } = resourceValues(this.#shared);
    return [
      ACTOR_PARAMETER,
      { parameter: head, specializer: null },
      { parameter: temporary(resourceVar), specializer: resourceSpecializer },
    ];
  }

  /** Whether the rule calls `has_permission` (only its body calls, and only the implier's rule). */
  get callsHasPermission(): boolean {
    return ruleNameFor(this.#implier) === "has_permission";
  }

  #terms(): GeneratedTerms {
    let built = BUILT.get(this);
    if (built === undefined) {
      built = buildGenerated(this.#shared, this.#relation, this.#implier, this.#shorthand);
      BUILT.set(this, built);
    }
    return built;
  }
}
Object.defineProperty(GeneratedRule.prototype, "generated", { value: true });

/** The parameters and body of a generated rule. */
interface GeneratedTerms {
  readonly params: readonly Parameter[];
  readonly body: Term;
}

/**
 * The terms of the generated rules that something read (the outline, hover, a message), by rule:
 * a load builds none, so a field for them in every rule would be ~20k empty slots per 50k lines.
 * Weak: they go with their rule.
 */
const BUILT = new WeakMap<GeneratedRule, GeneratedTerms>();

/** A shorthand rule whose translation failed: what it read from the registry, and its error. */
export class FailedTranslation {
  readonly #inputs: ShorthandInputs;

  constructor(
    inputs: ShorthandInputs,
    readonly error: Diagnostic,
  ) {
    // The caller's inputs are a scratch object: a copy.
    this.#inputs = { ...inputs };
  }

  /** Whether a translation of the same shorthand rule with `inputs` fails alike. */
  readsSame(inputs: ShorthandInputs): boolean {
    return sameInputs(this.#inputs, inputs);
  }
}

/** A shorthand rule's translation: its generated rule, or why it failed. */
export type Translation = GeneratedRule | FailedTranslation;

/**
 * The parameters and body of a generated rule whose translation succeeded (every declaration it
 * reads is in `inputs`, of the right kind: see {@link shorthandAsRule}).
 */
function buildGenerated(
  shared: SharedValues,
  relationDeclaration: Declaration | undefined,
  implierDeclaration: Declaration,
  rule: ShorthandRule,
): GeneratedTerms {
  const { head, implier, relation } = rule;
  const { resourceVar, resourceSpecializer } = resourceValues(shared);
  const params: Parameter[] = [
    { parameter: withValue(head, ACTOR_VARIABLE), specializer: withValue(head, ACTOR_PATTERN) },
    { parameter: head, specializer: null },
    { parameter: withValue(head, resourceVar), specializer: resourceSpecializer },
  ];
  const actor = withValue(implier, ACTOR_VARIABLE);
  const resourceTerm = withValue(implier, resourceVar);
  const implierName = ruleNameFor(implierDeclaration);
  if (relation !== null && relationDeclaration?.kind === "relation") {
    const relatedName = symbolName(relationDeclaration.type);
    const relatedVar = withValue(relation.name, variable(resourceNameAsVar(relatedName, true)));
    const relationCall = withValue(relation.name, call("has_relation", [relatedVar, relation.name, resourceTerm]));
    const implierCall = withValue(implier, call(implierName, [actor, implier, relatedVar]));
    return { params, body: withValue(implier, and([relationCall, implierCall])) };
  }
  const implierCall = withValue(implier, call(implierName, [actor, implier, resourceTerm]));
  return { params, body: withValue(implier, and([implierCall])) };
}

/**
 * polar-core `ShorthandRule::as_rule`: the generated rule (a {@link GeneratedRule}), or the first
 * error (#8–#11, InvalidState), computed from the registry lookups gathered in `inputs`
 * (`get_declaration_in_resource_block`, `get_relation_type_in_resource_block`, …).
 */
export function shorthandAsRule(inputs: ShorthandInputs, rule: ShorthandRule): Translation {
  const error = translationError(inputs, rule);
  if (error !== null) return new FailedTranslation(inputs, error);
  // Declared head and implier (checked above); the rule copies the inputs (`inputs` may be a scratch object).
  const declared = inputs as ShorthandInputs & { readonly head: Declaration; readonly implier: Declaration };
  return new GeneratedRule(declared, rule);
}

/** The relation clause of a shorthand rule that has one. */
function relationOf(rule: ShorthandRule): ShorthandRelation {
  return rule.relation as ShorthandRelation;
}

/** Why a shorthand rule cannot be translated with `inputs`, or null (then its head and implier are declared). */
function translationError(inputs: ShorthandInputs, rule: ShorthandRule): Diagnostic | null {
  const { resource } = inputs;
  const resourceName = symbolName(resource);
  // The rule's terms are read only for an error (a parsed rule builds them when read).
  if (inputs.head === undefined) return undeclared(rule.head, resourceName);

  const keywordValue = shorthandKeywordValue(rule);
  if (keywordValue !== null) {
    const keyword = keywordValue.type === "Variable" ? keywordValue.name : "";
    if (keyword !== "on") {
      return resourceBlockError(
        `Unexpected relation keyword '${keyword}'. Did you mean 'on'?`,
        relationOf(rule).keyword,
      );
    }
    // polar-core `get_relation_type_in_resource_block`: #9, or InvalidState for a role/permission.
    const relationDeclaration = inputs.relation;
    if (relationDeclaration === undefined) return undeclared(relationOf(rule).name, resourceName);
    if (relationDeclaration.kind !== "relation") {
      const debug = relationDeclaration.kind === "role" ? "Role" : "Permission";
      return error("OperationalError::InvalidState", `Invalid state: Expected Relation; got: ${debug}`, null);
    }
    const relationType = relationDeclaration.type;
    const relatedName = symbolName(relationType);

    // polar-core `get_rule_name_for_declaration_in_related_resource_block`: #10 / #11.
    if (!inputs.related) {
      return resourceBlockError(
        `${resourceName}: Relation ${termString(relationOf(rule).name)} in rule body \`${termString(rule.implier)} on ${termString(relationOf(rule).name)}\` has type '${relatedName}', but no such resource block exists. Try declaring one: \`resource ${relatedName} {}\``,
        relationType,
      );
    }
    if (inputs.implier === undefined) {
      return resourceBlockError(
        `${resourceName}: Term ${termString(rule.implier)} not declared in related resource block '${relatedName}'. Did you mean to declare it as a role, permission, or relation in the '${relatedName}' resource block?`,
        rule.implier,
      );
    }
  } else if (inputs.implier === undefined) {
    return undeclared(rule.implier, resourceName);
  }
  return null;
}
