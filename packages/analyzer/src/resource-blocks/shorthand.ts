/**
 * Shorthand rules into ordinary rules (polar-core `ShorthandRule::as_rule` and the registry lookups
 * it makes): what a translation reads from the registry ({@link ShorthandInputs}), and the
 * translation itself, a rule or its first error (ResourceBlock #8–#11, InvalidState).
 */
import type { Parameter, Rule, SourceInfo, Term, Value } from "../ast.js";
import { error } from "../diagnostics.js";
import { err, ok, type Result } from "../result.js";
import { resourceBlockError } from "./errors.js";
import { ACTOR_UNION_NAME, type Declaration, type ShorthandRule } from "./read.js";
import type { BlockRegistry, RegisteredBlock, StoredDeclaration } from "./registry.js";
import { and, call, instancePattern, stringValue, symbolName, temporary, variable, withValue } from "../terms.js";

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

/** The resource variable and specializer of a block's generated rules. */
export interface SharedValues {
  readonly resourceVar: Value;
  /** `Name{}` with the block's resource term as source: the same in every rule of the block. */
  readonly resourceSpecializer: Term;
  /** The third parameter's values, without the head's source: what a rule-type check reads. */
  readonly resourceParameter: Parameter;
}

export function sharedValues(resource: Term): SharedValues {
  const name = symbolName(resource);
  const resourceVar = variable(resourceNameAsVar(name, false));
  const resourceSpecializer = withValue(resource, instancePattern(name));
  return {
    resourceVar,
    resourceSpecializer,
    resourceParameter: { parameter: temporary(resourceVar), specializer: resourceSpecializer },
  };
}

/** The first parameter's values, without the head's source: what a rule-type check reads. */
const ACTOR_PARAMETER: Parameter = { parameter: temporary(ACTOR_VARIABLE), specializer: temporary(ACTOR_PATTERN) };

export function shorthandInputs(
  registry: BlockRegistry,
  block: BlockLookup,
  rule: ShorthandRule,
  shared: SharedValues,
): ShorthandInputs {
  const declarations = block.declarations;
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

/**
 * A block as its shorthand rules' translations read it: its resource term and the declarations
 * the registry holds under its name, looked up once per block rather than once per rule.
 */
export interface BlockLookup {
  readonly resource: Term;
  readonly declarations: ReadonlyMap<string, StoredDeclaration> | undefined;
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

function undeclared(declaration: Term, resourceName: string): Result<never> {
  return err(
    resourceBlockError(
      `Undeclared term ${termString(declaration)} referenced in rule in '${resourceName}' resource block. Did you mean to declare it as a role, permission, or relation?`,
      declaration,
    ),
  );
}

/**
 * A rule generated from a shorthand rule (polar-core `ShorthandRule::as_rule`'s output), whose
 * parameters and body are built when first read. A load keeps one per shorthand rule (~20k in a
 * 50k-line policy), and its own checks never read them: rule-type validation keys its check on
 * {@link resourceName} and {@link headValue} (see `RuleTypeGroup.check`), and the
 * `has_permission` check reads {@link callsHasPermission}. So a load holds one small object per
 * generated rule, not the ~20 objects of its terms (issue 13: they were the largest retainer).
 * Its own enumerable properties are `name`, `source`, `generated`, `resourceName` and
 * `headValue`; `params` and `body` are getters of the prototype.
 */
export class GeneratedRule implements Rule {
  readonly generated = true;
  /** The block's resource name: the class of the third parameter's specializer. */
  readonly resourceName: string;
  /** The head string: the second parameter's value. */
  readonly headValue: string;
  readonly #inputs: ShorthandInputs;
  readonly #shorthand: ShorthandRule;
  #built: { readonly params: readonly Parameter[]; readonly body: Term } | null = null;

  constructor(
    readonly name: string,
    readonly source: SourceInfo,
    inputs: ShorthandInputs,
    shorthand: ShorthandRule,
  ) {
    this.resourceName = symbolName(inputs.resource);
    this.headValue = stringValue(shorthand.head);
    this.#inputs = inputs;
    this.#shorthand = shorthand;
  }

  get params(): readonly Parameter[] {
    return (this.#built ??= buildGenerated(this.#inputs, this.#shorthand)).params;
  }

  get body(): Term {
    return (this.#built ??= buildGenerated(this.#inputs, this.#shorthand)).body;
  }

  /**
   * The parameters' values as a rule-type check reads them: {@link params} once built, else the
   * same values in shared terms without the head's source (made for the check, then dropped).
   */
  paramsForCheck(): readonly Parameter[] {
    if (this.#built !== null) return this.#built.params;
    const head = this.#shorthand.head;
    return [ACTOR_PARAMETER, { parameter: head, specializer: null }, this.#inputs.shared.resourceParameter];
  }

  /** Whether the rule calls `has_permission` (only its body calls, and only the implier's rule). */
  get callsHasPermission(): boolean {
    return this.#inputs.implier !== undefined && ruleNameFor(this.#inputs.implier) === "has_permission";
  }
}

/**
 * The parameters and body of a generated rule whose translation succeeded (every declaration it
 * reads is in `inputs`, of the right kind: see {@link shorthandAsRule}).
 */
function buildGenerated(
  inputs: ShorthandInputs,
  rule: ShorthandRule,
): { readonly params: readonly Parameter[]; readonly body: Term } {
  const { head, implier, relation } = rule;
  const { resourceVar, resourceSpecializer } = inputs.shared;
  const params: Parameter[] = [
    { parameter: withValue(head, ACTOR_VARIABLE), specializer: withValue(head, ACTOR_PATTERN) },
    { parameter: head, specializer: null },
    { parameter: withValue(head, resourceVar), specializer: resourceSpecializer },
  ];
  const actor = withValue(implier, ACTOR_VARIABLE);
  const resourceTerm = withValue(implier, resourceVar);
  const implierName = ruleNameFor(inputs.implier as Declaration);
  if (relation !== null && inputs.relation?.kind === "relation") {
    const relatedName = symbolName(inputs.relation.type);
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
export function shorthandAsRule(inputs: ShorthandInputs, rule: ShorthandRule): Result<Rule> {
  const { resource } = inputs;
  const resourceName = symbolName(resource);
  const { head, implier, relation } = rule;

  if (inputs.head === undefined) return undeclared(head, resourceName);

  if (relation !== null) {
    const keyword = symbolName(relation.keyword);
    if (keyword !== "on") {
      return err(resourceBlockError(`Unexpected relation keyword '${keyword}'. Did you mean 'on'?`, relation.keyword));
    }
    // polar-core `get_relation_type_in_resource_block`: #9, or InvalidState for a role/permission.
    const relationDeclaration = inputs.relation;
    if (relationDeclaration === undefined) return undeclared(relation.name, resourceName);
    if (relationDeclaration.kind !== "relation") {
      const debug = relationDeclaration.kind === "role" ? "Role" : "Permission";
      return err(error("OperationalError::InvalidState", `Invalid state: Expected Relation; got: ${debug}`, null));
    }
    const relationType = relationDeclaration.type;
    const relatedName = symbolName(relationType);

    // polar-core `get_rule_name_for_declaration_in_related_resource_block`: #10 / #11.
    if (!inputs.related) {
      return err(
        resourceBlockError(
          `${resourceName}: Relation ${termString(relation.name)} in rule body \`${termString(implier)} on ${termString(relation.name)}\` has type '${relatedName}', but no such resource block exists. Try declaring one: \`resource ${relatedName} {}\``,
          relationType,
        ),
      );
    }
    if (inputs.implier === undefined) {
      return err(
        resourceBlockError(
          `${resourceName}: Term ${termString(implier)} not declared in related resource block '${relatedName}'. Did you mean to declare it as a role, permission, or relation in the '${relatedName}' resource block?`,
          implier,
        ),
      );
    }
  } else if (inputs.implier === undefined) {
    return undeclared(implier, resourceName);
  }

  return ok(new GeneratedRule(ruleNameFor(inputs.head), head.source, inputs, rule));
}
