/**
 * Rule vs rule-type matching (polar-core kb.rs `rule_params_match`, `check_param`,
 * `check_pattern_param`, `check_value_param`, `check_rule_instance_is_subclass_of_rule_type_instance`)
 * with the engine's exact failure reasons, plus an index over the rule types of a name so that
 * checking every rule stays linear (the engine compares every rule with every rule type of its
 * name, which is quadratic in the number of resource blocks for `has_relation`).
 *
 * Results mirror the engine's `PolarResult<RuleParamMatch>`: a match, a failure reason, or an
 * error that aborts the whole rule-type validation (UnregisteredClass, InvalidRuleType for a
 * `*rest` list, InvalidState).
 */
import type { Fields, NumberValue, Parameter, Rule, Term, Value } from "./ast.js";
import { contextOf, error, unregisteredClass, type Diagnostic } from "./diagnostics.js";
import type { KnowledgeBase, RuleType } from "./kb.js";
import { exactLength } from "./arrays.js";
import {
  debugDictionary,
  debugPattern,
  debugTermList,
  debugValue,
  parameterToPolar,
  ruleToPolar,
  valueToPolar,
} from "./printer.js";
import { ACTOR_UNION_NAME, GeneratedRule, RESOURCE_UNION_NAME } from "./resource-blocks/index.js";
import { RewrittenRule } from "./rewrite.js";

/** `RuleParamMatch` or the error that aborts validation. */
export type MatchResult =
  | { readonly kind: "match" }
  | { readonly kind: "mismatch"; readonly reason: string }
  | { readonly kind: "error"; readonly error: Diagnostic };

const MATCH: MatchResult = { kind: "match" };
const mismatch = (reason: string): MatchResult => ({ kind: "mismatch", reason });
/**
 * A mismatch whose reason nobody reads: the index checks every rule and keeps only whether it
 * matched; reasons are printed for the InvalidRule message only (issue 13: building them, with
 * Rust debug printing, was a tenth of what validation allocated).
 */
const UNEXPLAINED: MatchResult = { kind: "mismatch", reason: "" };
const fail = (d: Diagnostic): MatchResult => ({ kind: "error", error: d });

// ---------------------------------------------------------------------------------------------
// Rust `PartialEq` on values
// ---------------------------------------------------------------------------------------------

const EXACT = 2 ** 53;
const I64_BOUND = 2 ** 63;

/** polar-core `Numeric` equality (`partial_cmp == Equal`): integers and floats compare by value, NaN equals nothing. */
export function numbersEqual(a: NumberValue, b: NumberValue): boolean {
  if (a.kind === "integer" && b.kind === "integer") return a.value === b.value;
  if (a.kind === "float" && b.kind === "float") return a.value === b.value;
  const i = a.kind === "integer" ? a.value : (b as { value: bigint }).value;
  const f = a.kind === "float" ? a.value : (b as { value: number }).value;
  if (Number.isNaN(f)) return false;
  if (i > -BigInt(EXACT) && i < BigInt(EXACT)) return Number(i) === f;
  if (f >= I64_BOUND || f < -I64_BOUND) return false;
  return i === BigInt(Math.trunc(f));
}

function fieldsEqual(a: Fields, b: Fields): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || !valuesEqual(v.value, w.value)) return false;
  }
  return true;
}

function listsEqual(a: readonly Term[], b: readonly Term[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || !valuesEqual(x.value, y.value)) return false;
  }
  return true;
}

/** Rust's derived `PartialEq` on `Value` (terms compare by value only, never by source). */
export function valuesEqual(a: Value, b: Value): boolean {
  switch (a.type) {
    case "Number":
      return b.type === "Number" && numbersEqual(a.number, b.number);
    case "String":
    case "Boolean":
      return b.type === a.type && b.value === a.value;
    case "Variable":
    case "RestVariable":
      return b.type === a.type && b.name === a.name;
    case "Dictionary":
    case "DictionaryPattern":
      return b.type === a.type && fieldsEqual(a.fields, b.fields);
    case "InstancePattern":
      return b.type === "InstancePattern" && a.tag === b.tag && fieldsEqual(a.fields, b.fields);
    case "List":
      return b.type === "List" && listsEqual(a.elements, b.elements);
    case "Call":
      return (
        b.type === "Call" &&
        a.name === b.name &&
        listsEqual(a.args, b.args) &&
        (a.kwargs === null ? b.kwargs === null : b.kwargs !== null && fieldsEqual(a.kwargs, b.kwargs))
      );
    case "Expression":
      return b.type === "Expression" && a.operator === b.operator && listsEqual(a.args, b.args);
  }
}

// ---------------------------------------------------------------------------------------------
// The engine's checks
// ---------------------------------------------------------------------------------------------

type InstanceValue = Extract<Value, { type: "InstancePattern" }>;
type PatternValue = Extract<Value, { type: "InstancePattern" | "DictionaryPattern" }>;

function isPattern(v: Value | null): v is PatternValue {
  return v !== null && (v.type === "InstancePattern" || v.type === "DictionaryPattern");
}

/** `param_fields_match`: every type field is in the rule's fields with an equal value. */
function paramFieldsMatch(typeFields: Fields, ruleFields: Fields): boolean {
  for (const [k, v] of typeFields) {
    const r = ruleFields.get(k);
    if (r === undefined || !valuesEqual(r.value, v.value)) return false;
  }
  return true;
}

const instanceToPolar = (i: InstanceValue): string => valueToPolar(i);
const dictToPolar = (fields: Fields): string => valueToPolar({ type: "Dictionary", fields });

function fieldsMismatch(rule: InstanceValue, index: number, type: InstanceValue, explain: boolean): MatchResult {
  if (!explain) return UNEXPLAINED;
  return mismatch(
    `Rule specializer ${instanceToPolar(rule)} on parameter ${index} did not match rule type specializer ${instanceToPolar(type)} because the specializer fields did not match.`,
  );
}

/** `check_rule_instance_is_subclass_of_rule_type_instance`. */
function checkSubclass(
  kb: KnowledgeBase,
  rule: InstanceValue,
  type: InstanceValue,
  index: number,
  explain: boolean,
): MatchResult {
  const constant = kb.constant(type.tag);
  if (constant === undefined) return fail(unregisteredClass(type.tag, null));
  // Every constant the hosts register for a load (classes and `nil`) is an external instance, so
  // the engine's "registered as a constant with value" branch cannot be reached here.
  const ruleMro = kb.mroOf(rule.tag);
  if (ruleMro === undefined) {
    if (!explain) return UNEXPLAINED;
    return mismatch(`Rule specializer ${rule.tag} on parameter ${index} is not registered as a class.`);
  }
  if (!ruleMro.includes(constant.id)) {
    if (!explain) return UNEXPLAINED;
    return mismatch(`Rule specializer ${rule.tag} on parameter ${index} must match rule type specializer ${type.tag}`);
  }
  if (!paramFieldsMatch(type.fields, rule.fields)) return fieldsMismatch(rule, index, type, explain);
  return MATCH;
}

/** `check_pattern_param`. */
function checkPatternParam(
  kb: KnowledgeBase,
  index: number,
  rule: PatternValue,
  type: PatternValue,
  explain: boolean,
): MatchResult {
  if (type.type === "InstancePattern" && rule.type === "InstancePattern") {
    if (type.tag === rule.tag) {
      return paramFieldsMatch(type.fields, rule.fields) ? MATCH : fieldsMismatch(rule, index, type, explain);
    }
    if (kb.isUnion(type.tag)) {
      if (kb.isUnion(rule.tag)) {
        // Tags differ here, so these are two different unions.
        if (!explain) return UNEXPLAINED;
        return mismatch(
          `Rule specializer ${rule.tag} on parameter ${index} does not match rule type specializer ${type.tag}`,
        );
      }
      const members = kb.unionMembers(type.tag);
      if (!members.has(rule.tag)) {
        // The engine checks the rule class against every member as a subclass: the first
        // unregistered member is an error; otherwise it succeeds when a member is among the rule
        // class's registered ancestors and the fields match. Computed without visiting every member.
        const unregistered = kb.firstUnregisteredMember(type.tag);
        if (unregistered !== undefined) return fail(unregisteredClass(unregistered, null));
        const success =
          paramFieldsMatch(type.fields, rule.fields) && kb.ancestorsOf(rule.tag).some((a) => members.has(a));
        if (!success) {
          if (!explain) return UNEXPLAINED;
          let reason = `Rule specializer ${rule.tag} on parameter ${index} must be a member of rule type specializer ${type.tag}`;
          if (type.tag === ACTOR_UNION_NAME) {
            reason += `\n\n\tPerhaps you meant to add an actor block to the top of your policy, like this:\n\n\t  actor ${rule.tag} {}`;
          } else if (type.tag === RESOURCE_UNION_NAME) {
            reason += `\n\n\tPerhaps you meant to add a resource block to your policy, like this:\n\n\t  resource ${rule.tag} { .. }`;
          }
          return mismatch(reason);
        }
      }
      return paramFieldsMatch(type.fields, rule.fields) ? MATCH : fieldsMismatch(rule, index, type, explain);
    }
    return checkSubclass(kb, rule, type, index, explain);
  }
  if (
    type.type === "DictionaryPattern" ||
    (type.type === "InstancePattern" && type.tag === "Dictionary" && rule.type === "DictionaryPattern")
  ) {
    // (Dict, Dict) | (Dict, Instance) | (Instance{Dictionary}, Dict)
    if (paramFieldsMatch(type.fields, rule.fields)) return MATCH;
    if (!explain) return UNEXPLAINED;
    return mismatch(
      `Specializer mismatch on parameter ${index}. Rule specializer fields ${debugDictionary(rule.fields)} do not match rule type specializer fields ${debugDictionary(type.fields)}.`,
    );
  }
  // The engine prints the rule type's pattern first here.
  if (!explain) return UNEXPLAINED;
  return mismatch(
    `Mismatch on parameter ${index}. Rule parameter ${debugPattern(type)} does not match rule type parameter ${debugPattern(rule)}.`,
  );
}

function hasRestVar(list: readonly Term[]): boolean {
  const last = list[list.length - 1];
  return last !== undefined && last.value.type === "RestVariable";
}

/** `check_value_param`. */
function checkValueParam(index: number, rule: Value, type: Value, ruleType: Rule, explain: boolean): MatchResult {
  if (type.type === "List" && rule.type === "List") {
    if (hasRestVar(type.elements)) {
      return fail(
        error(
          "ValidationError::InvalidRuleType",
          `Invalid rule type: ${ruleToPolar(ruleType)}\n\tRule types cannot contain *rest variables.`,
          contextOf(ruleType),
        ),
      );
    }
    if (type.elements.every((t) => rule.elements.some((r) => valuesEqual(r.value, t.value)))) return MATCH;
    if (!explain) return UNEXPLAINED;
    return mismatch(
      `Invalid parameter ${index}. Rule type expected list ${debugTermList(type.elements)}, got list ${debugTermList(rule.elements)}.`,
    );
  }
  if (type.type === "Dictionary" && rule.type === "Dictionary") {
    if (paramFieldsMatch(type.fields, rule.fields)) return MATCH;
    if (!explain) return UNEXPLAINED;
    return mismatch(
      `Invalid parameter ${index}. Rule type expected Dictionary with fields ${debugDictionary(type.fields)}, got Dictionary with fields ${debugDictionary(rule.fields)}`,
    );
  }
  if (valuesEqual(type, rule)) return MATCH;
  if (!explain) return UNEXPLAINED;
  return mismatch(
    `Invalid parameter ${index}. Rule value ${debugValue(rule, false)} != rule type value ${debugValue(type, false)}`,
  );
}

/** The fieldless class patterns of the built-in classes a value specializes on (shared: values are immutable). */
const BUILTIN_INSTANCES = {
  String: builtinPattern("String"),
  Integer: builtinPattern("Integer"),
  Float: builtinPattern("Float"),
  Boolean: builtinPattern("Boolean"),
  List: builtinPattern("List"),
};

function builtinPattern(tag: string): InstanceValue {
  return { type: "InstancePattern", tag, fields: new Map() };
}

/** The built-in class a value specializes on (`check_param`'s conversion), or null when it cannot. */
function builtinInstance(v: Value): InstanceValue | null {
  switch (v.type) {
    case "String":
      return BUILTIN_INSTANCES.String;
    case "Number":
      return v.number.kind === "integer" ? BUILTIN_INSTANCES.Integer : BUILTIN_INSTANCES.Float;
    case "Boolean":
      return BUILTIN_INSTANCES.Boolean;
    case "List":
      return BUILTIN_INSTANCES.List;
    case "Dictionary":
      return { type: "InstancePattern", tag: "Dictionary", fields: v.fields };
    default:
      return null;
  }
}

function invalidSpecializer(v: Value): MatchResult {
  return fail(
    error(
      "OperationalError::InvalidState",
      `Invalid state: Value variant ${debugValue(v, false)} cannot be a specializer`,
      null,
    ),
  );
}

/**
 * `check_param`: one rule parameter against one rule-type parameter (`index` is 1-based). A
 * mismatch carries its reason when `explain` is true (else an empty one).
 */
export function checkParam(
  kb: KnowledgeBase,
  index: number,
  ruleParam: Parameter,
  typeParam: Parameter,
  ruleType: Rule,
  explain = true,
): MatchResult {
  const tp = typeParam.parameter.value;
  const ts = typeParam.specializer?.value ?? null;
  const rp = ruleParam.parameter.value;
  const rs = ruleParam.specializer?.value ?? null;

  if (tp.type === "Variable") {
    if (ts !== null) {
      if (isPattern(ts) && rp.type === "Variable" && isPattern(rs))
        return checkPatternParam(kb, index, rs, ts, explain);
      if (rp.type === "Variable" && rs === null) {
        if (!explain) return UNEXPLAINED;
        if (ts.type === "InstancePattern") {
          return mismatch(`Parameter \`${rp.name}\` expects a ${ts.tag} type constraint.\n\n\t${rp.name}: ${ts.tag}`);
        }
        return mismatch(`Invalid rule parameter ${index}. Rule type expected ${debugValue(ts, false)}`);
      }
      // Here either the rule parameter is a variable with a non-pattern specializer, or a value.
      const ruleValue: Value | null = rp.type === "Variable" ? rs : rs === null ? rp : null;
      if (ruleValue !== null) {
        if (isPattern(ts)) {
          if (ts.type === "InstancePattern") {
            const inst = builtinInstance(ruleValue);
            if (inst === null) return invalidSpecializer(ruleValue);
            return checkPatternParam(kb, index, inst, ts, explain);
          }
          if (ruleValue.type === "Dictionary") {
            if (paramFieldsMatch(ts.fields, ruleValue.fields)) return MATCH;
            if (!explain) return UNEXPLAINED;
            return mismatch(
              `Invalid parameter ${index}. Rule type expected Dictionary with fields ${dictToPolar(ts.fields)}, got dictionary with fields ${dictToPolar(ruleValue.fields)}.`,
            );
          }
          if (!explain) return UNEXPLAINED;
          return mismatch(
            `Invalid parameter ${index}. Rule type expected Dictionary, got ${debugValue(ruleValue, false)}.`,
          );
        }
        return checkValueParam(index, ruleValue, ts, ruleType, explain);
      }
    } else {
      return MATCH;
    }
  } else if (ts === null && rs === null) {
    return checkValueParam(index, rp, tp, ruleType, explain);
  }
  if (!explain) return UNEXPLAINED;
  return mismatch(
    `Invalid parameter ${index}. Rule parameter ${parameterToPolar(ruleParam)} does not match rule type parameter ${parameterToPolar(typeParam)}`,
  );
}

/** `rule_params_match`: every parameter is checked in order; an error aborts, else the first failure is the reason. */
export function ruleParamsMatch(kb: KnowledgeBase, rule: Pick<Rule, "params">, ruleType: Rule): MatchResult {
  return paramsMatch(kb, rule.params, ruleType, true);
}

/** {@link ruleParamsMatch} of a rule's parameters; a mismatch's reason is empty unless `explain`. */
function paramsMatch(kb: KnowledgeBase, params: readonly Parameter[], ruleType: Rule, explain: boolean): MatchResult {
  if (params.length !== ruleType.params.length) {
    if (!explain) return UNEXPLAINED;
    return mismatch(
      `Different number of parameters. Rule has ${params.length} parameter(s) but rule type has ${ruleType.params.length}.`,
    );
  }
  let firstMismatch: MatchResult | null = null;
  for (let i = 0; i < params.length; i++) {
    const rp = params[i];
    const tp = ruleType.params[i];
    if (rp === undefined || tp === undefined) break;
    const r = checkParam(kb, i + 1, rp, tp, ruleType, explain);
    if (r.kind === "error") return r;
    if (r.kind === "mismatch" && firstMismatch === null) firstMismatch = r;
  }
  return firstMismatch ?? MATCH;
}

/** The InvalidRule message for a rule that matched none of `types` (all rule types of its name, in order). */
export function invalidRuleMessage(kb: KnowledgeBase, rule: Rule, types: readonly RuleType[]): string {
  let msg = "Must match one of the following rule types:\n";
  for (const t of types) {
    const r = ruleParamsMatch(kb, rule, t.rule);
    if (r.kind === "mismatch") msg += `\n${ruleToPolar(t.rule)}\n\tFailed to match because: ${r.reason}\n`;
  }
  return `Invalid rule: ${ruleToPolar(rule)} ${msg}`;
}

// ---------------------------------------------------------------------------------------------
// Index
// ---------------------------------------------------------------------------------------------

/** How one rule-type parameter is indexed. */
interface PositionIndex {
  /** Types whose parameter is a string literal without specializer: only an equal string literal matches, never an error. */
  readonly strings: Map<string, number[]>;
  /** Types whose parameter is `x: Tag{…}` with a non-union tag, by tag. */
  readonly byTag: Map<string, number[]>;
  /** Distinct unregistered non-union tags of such types, each with its first type index, in index order. */
  readonly unregistered: { tag: string; first: number }[];
  /** Smallest type index with a `x: Tag{…}` parameter here (Infinity when none). */
  firstInstance: number;
  /** Everything else (union tags, values, other patterns, plain variables): always checked. */
  readonly generic: number[];
}

interface ArityIndex {
  readonly all: number[];
  readonly positions: PositionIndex[];
}

/**
 * Outcome of checking one rule against all rule types of its name. A number `i`: the rule matched
 * type `i` only, the most common outcome, which needs no object (issue 13: the `has_relation`
 * group kept one outcome per type, ~4000 objects and arrays per 50k-line load).
 */
export type RuleCheck =
  | number
  | { readonly kind: "error"; readonly error: Diagnostic }
  /** `matched`: indices (into the name's type list) of every matching type, two or more, or none = InvalidRule. */
  | { readonly kind: "checked"; readonly matched: readonly number[] };

/** The types a rule matched (in order; empty: InvalidRule), or null when its check errored. */
export function matchedTypes(check: RuleCheck): readonly number[] | null {
  if (typeof check === "number") return [check];
  return check.kind === "error" ? null : check.matched;
}

/**
 * The rule types of one name, indexed per arity and parameter position. Candidate types for a
 * rule are found by lookups; the exact engine check then runs on candidates only. The candidate
 * sets are supersets of (a) every type that can match and (b) the first type whose check errors,
 * so the outcome equals checking every type in order.
 */
export class RuleTypeGroup {
  private readonly byArity = new Map<number, ArityIndex>();

  constructor(
    private kb: KnowledgeBase,
    private typeList: readonly RuleType[],
  ) {
    const types = typeList;
    types.forEach((t, i) => {
      const n = t.rule.params.length;
      let a = this.byArity.get(n);
      if (a === undefined) {
        a = { all: [], positions: [] };
        for (let p = 0; p < n; p++) {
          a.positions.push({
            strings: new Map(),
            byTag: new Map(),
            unregistered: [],
            firstInstance: Infinity,
            generic: [],
          });
        }
        this.byArity.set(n, a);
      }
      a.all.push(i);
      t.rule.params.forEach((param, p) => {
        const pos = a.positions[p];
        if (pos !== undefined) this.indexParam(pos, param, i);
      });
    });
    // Kept as long as the group: the lists at their exact length (grown by `push`, they keep room for 17).
    for (const a of this.byArity.values()) {
      for (const pos of a.positions) {
        for (const [key, list] of pos.strings) pos.strings.set(key, exactLength(list));
        for (const [key, list] of pos.byTag) pos.byTag.set(key, exactLength(list));
      }
    }
  }

  private indexParam(pos: PositionIndex, param: Parameter, i: number): void {
    const v = param.parameter.value;
    const s = param.specializer?.value ?? null;
    if (v.type === "String" && s === null) {
      push(pos.strings, v.value, i);
    } else if (v.type === "Variable" && s !== null && s.type === "InstancePattern" && !this.kb.isUnion(s.tag)) {
      if (!pos.byTag.has(s.tag) && !this.kb.isConstant(s.tag)) pos.unregistered.push({ tag: s.tag, first: i });
      push(pos.byTag, s.tag, i);
      pos.firstInstance = Math.min(pos.firstInstance, i);
    } else {
      pos.generic.push(i);
    }
  }

  /** The rule types of this name, in order. */
  get types(): readonly RuleType[] {
    return this.typeList;
  }

  /**
   * Points the index at another load's knowledge base and types. Only valid when every check
   * gives the same result there: the same class environment and union members, and types that
   * check alike position by position (the same objects, or generated types with equal keys).
   */
  retarget(kb: KnowledgeBase, types: readonly RuleType[]): void {
    this.kb = kb;
    this.typeList = types;
  }

  /**
   * The checks of generated rules by resource name and head string. Every rule generated from a
   * shorthand rule has the parameters `actor: Actor{}`, the head string and `<var>: Resource{}`
   * (the block's class, no fields), and a check reads only parameters, where a variable's name
   * shows only in mismatch reasons, which a {@link RuleCheck} drops; errors carry no rule
   * context. So two generated rules with the same resource and head check alike, and the rule's
   * terms are never built for the check (issue 13). Valid as long as the group is (see
   * {@link retarget}). Keyed by resource name alone while the head decides nothing (almost
   * always): a map per resource, of one entry, cost ~4000 maps per 50k-line load (issue 13).
   */
  private readonly generatedChecks = new Map<string, RuleCheck>();
  /** The same, by resource name and head string, where a type compares the head ({@link headMatters}). */
  private readonly generatedChecksByHead = new Map<string, Map<string, RuleCheck>>();

  /**
   * Whether a generated rule's check depends on its head string: only where a type of three
   * parameters has a value, or a variable specialized by a value, second (see `check_param`: a
   * string checked against a class pattern, or against a plain variable, gives the same outcome
   * whatever the string; mismatch reasons, which a check drops, are the only difference).
   */
  private get headMatters(): boolean {
    return (this.#headMatters ??= this.typeList.some((t) => {
      const p = t.rule.params[1];
      if (t.rule.params.length !== 3 || p === undefined) return false;
      const s = p.specializer?.value ?? null;
      return p.parameter.value.type === "Variable" ? s !== null && !isPattern(s) : s === null;
    }));
  }

  #headMatters: boolean | null = null;

  /** Check `rule` against every type of this name, as `validate_rule_types` does. */
  check(rule: Rule): RuleCheck {
    if (rule instanceof RewrittenRule) return this.checkParams(rule.paramsForCheck());
    if (!(rule instanceof GeneratedRule)) return this.checkParams(rule.params);
    // The head string decides nothing unless a type compares the second parameter's value.
    if (!this.headMatters) {
      let r = this.generatedChecks.get(rule.resourceName);
      if (r === undefined) {
        r = this.checkParams(rule.paramsForCheck());
        this.generatedChecks.set(rule.resourceName, r);
      }
      return r;
    }
    let byHead = this.generatedChecksByHead.get(rule.resourceName);
    if (byHead === undefined) {
      byHead = new Map();
      this.generatedChecksByHead.set(rule.resourceName, byHead);
    }
    const head = rule.headValue;
    let r = byHead.get(head);
    if (r === undefined) {
      r = this.checkParams(rule.paramsForCheck());
      byHead.set(head, r);
    }
    return r;
  }

  /** {@link check} from the rule's parameters: what every rule's check is, without the generated rules' sharing. */
  checkParams(params: readonly Parameter[]): RuleCheck {
    const a = this.byArity.get(params.length);
    // No type of this arity: every type fails on the parameter count, none can error.
    if (a === undefined) return NOTHING_MATCHED;
    if (this.types.length === 1) {
      // A single type (most built-in names): the plain engine check is the cheapest.
      const t = this.types[0] as RuleType;
      const r = paramsMatch(this.kb, params, t.rule, false);
      if (r.kind === "error") return { kind: "error", error: r.error };
      return r.kind === "match" ? 0 : NOTHING_MATCHED;
    }

    // The position with the fewest candidates (-1: none narrows the types of this arity), found
    // by counting: a check runs for every rule of a load, so it allocates nothing it can avoid.
    const errors = this.errorScratch;
    // Emptied only when used (setting the length drops the backing store).
    if (errors.length !== 0) errors.length = 0;
    let best = -1;
    let bestSize = a.all.length;
    for (let p = 0; p < params.length; p++) {
      const pos = a.positions[p];
      const param = params[p];
      if (pos === undefined || param === undefined) continue;
      for (const i of pos.generic) errors.push(i);
      const size = pos.generic.length + this.indexed(pos, param, null, errors);
      if (size < bestSize) {
        best = p;
        bestSize = size;
      }
    }

    // The first type (in order) whose check errors aborts everything, matches or not.
    if (errors.length > 0) {
      for (const i of sortedUnique(errors)) {
        const t = this.types[i];
        if (t === undefined) continue;
        const r = paramsMatch(this.kb, params, t.rule, false);
        if (r.kind === "error") return { kind: "error", error: r.error };
      }
    }

    let candidates: readonly number[] = a.all;
    if (best >= 0) {
      const out = this.candidateScratch;
      if (out.length !== 0) out.length = 0;
      const pos = a.positions[best] as PositionIndex;
      for (const i of pos.generic) out.push(i);
      this.indexed(pos, params[best] as Parameter, out, null);
      // The lists of one position are disjoint (a type's parameter is indexed once): in order, not unique.
      candidates = sortedUnique(out);
    }
    let matched: number[] | null = null;
    let first = -1;
    for (const i of candidates) {
      const t = this.types[i];
      if (t === undefined || paramsMatch(this.kb, params, t.rule, false).kind !== "match") continue;
      if (first < 0) first = i;
      else (matched ??= [first]).push(i);
    }
    if (first < 0) return NOTHING_MATCHED;
    // Most rules match one type: the outcome is its index. An outcome of several types is shared (the
    // generated `has_role` rules of each resource match the built-in type and the policy's: an
    // outcome per resource was ~2000 objects and arrays per 50k-line load; issue 13).
    if (matched === null) return first;
    const key = matched.join(" ");
    let outcome = this.matchedMany.get(key);
    if (outcome === undefined) {
      outcome = { kind: "checked", matched };
      this.matchedMany.set(key, outcome);
    }
    return outcome;
  }

  /** Reused by every {@link checkParams} (it does not call itself): the error candidates, and the candidates. */
  private readonly errorScratch: number[] = [];
  private readonly candidateScratch: number[] = [];
  /** The outcomes "matched these types" (two or more), by their indices joined with spaces. */
  private readonly matchedMany = new Map<string, RuleCheck>();

  /**
   * The indexed (non-generic) types at one position that may match this rule parameter: how many
   * there are, appended to `out` when given. The types whose check may error instead are
   * appended to `errors` when given.
   */
  private indexed(pos: PositionIndex, param: Parameter, out: number[] | null, errors: number[] | null): number {
    const v = param.parameter.value;
    const s = param.specializer?.value ?? null;
    let n = 0;
    if (v.type === "String" && s === null) n += take(pos.strings.get(v.value), out);
    if (pos.firstInstance === Infinity) return n;

    // The class the engine compares against `x: Tag{…}` type parameters, if any.
    let inst: InstanceValue | null = null;
    if (v.type === "Variable") {
      if (s === null) return n; // "Parameter `x` expects a Tag type constraint": no match, no error
      if (s.type === "DictionaryPattern") return n + take(pos.byTag.get("Dictionary"), out);
      inst = s.type === "InstancePattern" ? s : builtinInstance(s);
    } else if (s === null) {
      inst = builtinInstance(v);
    } else {
      return n; // a specialized non-variable parameter cannot be parsed; it would simply mismatch
    }
    if (inst === null) {
      // InvalidState for every such type parameter; the first one errors first.
      errors?.push(pos.firstInstance);
      return n;
    }
    const tag = inst.tag;
    n += take(pos.byTag.get(tag), out);
    for (const ancestor of this.kb.ancestorsOf(tag)) {
      if (ancestor !== tag) n += take(pos.byTag.get(ancestor), out);
    }
    // A different, unregistered type tag is an UnregisteredClass error.
    if (errors !== null) {
      for (const u of pos.unregistered) {
        if (u.tag !== tag) {
          errors.push(u.first);
          break;
        }
      }
    }
    return n;
  }
}

/** The length of `list` (none: 0), its items appended to `out` when given. */
function take(list: readonly number[] | undefined, out: number[] | null): number {
  if (list === undefined) return 0;
  if (out !== null) for (const i of list) out.push(i);
  return list.length;
}

const NOTHING_MATCHED: RuleCheck = { kind: "checked", matched: [] };

/** Sorts `xs` in place and returns it without duplicates (candidate lists are short). */
function sortedUnique(xs: number[]): number[] {
  if (xs.length < 2) return xs;
  let sorted = true;
  for (let i = 1; i < xs.length && sorted; i++) sorted = (xs[i - 1] as number) < (xs[i] as number);
  if (sorted) return xs;
  xs.sort(byNumber);
  let n = 1;
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i] as number;
    if (x !== xs[n - 1]) xs[n++] = x;
  }
  xs.length = n;
  return xs;
}

const byNumber = (x: number, y: number): number => x - y;

function push<K>(map: Map<K, number[]>, key: K, i: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [i]);
  else list.push(i);
}
