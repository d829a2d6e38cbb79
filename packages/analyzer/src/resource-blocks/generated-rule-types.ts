/**
 * The `has_relation` / `has_role` rule types generated from the blocks (polar-core
 * `KnowledgeBase::create_resource_specific_rule_types`, phase 5).
 */
import type { Parameter, Rule } from "../ast.js";
import { ACTOR_UNION_NAME, RESOURCE_UNION_NAME } from "./read.js";
import { BlockPhaseCache, type BlockMemo, type RequiredRelation } from "./phases.js";
import type { BlockRegistry } from "./registry.js";
import {
  and,
  bodilessRule,
  instancePattern,
  stringValue,
  symbolName,
  temporary,
  typeParameter,
  variable,
} from "../terms.js";

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

/**
 * The parameters of `has_relation` rule types, shared between the rule types of one computation:
 * `subject: Tag{}` and `object: Tag{}` by class, the relation-name string by name. A check reads
 * only their values, and they carry no source (the rule type's source is its own), so rule types
 * with the same class or name can hold the same terms: a rule type is then three objects (entry,
 * rule, parameter list) instead of about twelve (issue 13: ~4000 of them per 50k-line load).
 */
class RelationParameters {
  private readonly subjects = new Map<string, Parameter>();
  private readonly names = new Map<string, Parameter>();
  private readonly objects = new Map<string, Parameter>();

  subject(tag: string): Parameter {
    return shared(this.subjects, tag, () => ({ parameter: SUBJECT, specializer: temporary(instancePattern(tag)) }));
  }

  name(name: string): Parameter {
    return shared(this.names, name, () => ({
      parameter: temporary({ type: "String", value: name }),
      specializer: null,
    }));
  }

  object(tag: string): Parameter {
    return shared(this.objects, tag, () => ({ parameter: OBJECT, specializer: temporary(instancePattern(tag)) }));
  }
}

/** The `subject` and `object` variables of every `has_relation` rule type (terms are immutable). */
const SUBJECT = temporary(variable("subject"));
const OBJECT = temporary(variable("object"));

function shared(map: Map<string, Parameter>, key: string, make: () => Parameter): Parameter {
  let p = map.get(key);
  if (p === undefined) {
    p = make();
    map.set(key, p);
  }
  return p;
}

/** The empty body of every generated rule type (terms are immutable). */
const EMPTY_BODY = temporary(and([]));

/** The `has_relation` rule type of a block's `i`-th relation, made once per memo and flag. */
function relationRuleType(
  memo: BlockMemo,
  i: number,
  required: boolean,
  params: RelationParameters,
): GeneratedRuleType {
  const old = memo.ruleTypes[i];
  if (old !== undefined && old.required === required) return old;
  const relation = memo.relations[i] as RequiredRelation;
  const { key, subject, name, object } = relation;
  const rule: Rule = {
    name: "has_relation",
    params: [params.subject(symbolName(subject)), params.name(stringValue(name)), params.object(symbolName(object))],
    body: EMPTY_BODY,
    source: name.source,
  };
  const ruleType: GeneratedRuleType = { rule, required, builtin: true, key };
  memo.ruleTypes[i] = ruleType;
  return ruleType;
}

/** The required `has_role(actor: Actor, role: String, resource: Resource)` rule type (no source). */
const HAS_ROLE_RULE_TYPE: GeneratedRuleType = {
  rule: bodilessRule("has_role", [
    typeParameter("actor", ACTOR_UNION_NAME),
    typeParameter("role", "String"),
    typeParameter("resource", RESOURCE_UNION_NAME),
  ]),
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
): readonly GeneratedRuleType[] {
  const memos = cache.memos(registry);
  const hasRoles = registry.hasRoles();
  // The rule types depend on each block's relations and required relations only: reused while
  // every block has the same memo, or one with no relation and no requirement either way.
  const last = LAST_RULE_TYPES.get(cache);
  if (last !== undefined && last.hasRoles === hasRoles && sameRelations(last.memos, memos)) {
    LAST_RULE_TYPES.set(cache, { memos, hasRoles, ruleTypes: last.ruleTypes });
    return last.ruleTypes;
  }
  // Rule types are keyed by (subject, relation, object) names. Every relation declaration gives
  // a distinct key (blocks have distinct names, relations within a block too), and every key a
  // shorthand rule requires is one of them: it is built from a relation declaration found in a
  // registered block. So there is one rule type per relation, in registry order.
  const required = new Set<string>();
  for (const memo of memos) for (const key of memo.required) required.add(key);
  const ruleTypes: GeneratedRuleType[] = [];
  const params = new RelationParameters();
  for (const memo of memos) {
    for (let i = 0; i < memo.relations.length; i++) {
      ruleTypes.push(relationRuleType(memo, i, required.has((memo.relations[i] as RequiredRelation).key), params));
    }
  }

  if (hasRoles) ruleTypes.push(HAS_ROLE_RULE_TYPE);
  LAST_RULE_TYPES.set(cache, { memos, hasRoles, ruleTypes });
  return ruleTypes;
}

/** The last rule types computed with each cache, and what they were computed from. */
const LAST_RULE_TYPES = new WeakMap<
  BlockPhaseCache,
  { readonly memos: readonly BlockMemo[]; readonly hasRoles: boolean; readonly ruleTypes: readonly GeneratedRuleType[] }
>();

function sameRelations(a: readonly BlockMemo[], b: readonly BlockMemo[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as BlockMemo;
    const y = b[i] as BlockMemo;
    if (x === y) continue;
    const empty = (m: BlockMemo): boolean => m.relations.length === 0 && m.required.length === 0;
    if (!empty(x) || !empty(y)) return false;
  }
  return true;
}
