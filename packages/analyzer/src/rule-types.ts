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

/** `RuleParamMatch` or the error that aborts validation. */
export type MatchResult =
  | { readonly kind: "match" }
  | { readonly kind: "mismatch"; readonly reason: string }
  | { readonly kind: "error"; readonly error: Diagnostic };

const MATCH: MatchResult = { kind: "match" };
const mismatch = (reason: string): MatchResult => ({ kind: "mismatch", reason });
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

function fieldsMismatch(rule: InstanceValue, index: number, type: InstanceValue): MatchResult {
  return mismatch(
    `Rule specializer ${instanceToPolar(rule)} on parameter ${index} did not match rule type specializer ${instanceToPolar(type)} because the specializer fields did not match.`,
  );
}

/** `check_rule_instance_is_subclass_of_rule_type_instance`. */
function checkSubclass(kb: KnowledgeBase, rule: InstanceValue, type: InstanceValue, index: number): MatchResult {
  const constant = kb.constant(type.tag);
  if (constant === undefined) return fail(unregisteredClass(type.tag, null));
  // Every constant the hosts register for a load (classes and `nil`) is an external instance, so
  // the engine's "registered as a constant with value" branch cannot be reached here.
  const ruleMro = kb.mroOf(rule.tag);
  if (ruleMro === undefined) {
    return mismatch(`Rule specializer ${rule.tag} on parameter ${index} is not registered as a class.`);
  }
  if (!ruleMro.includes(constant.id)) {
    return mismatch(`Rule specializer ${rule.tag} on parameter ${index} must match rule type specializer ${type.tag}`);
  }
  if (!paramFieldsMatch(type.fields, rule.fields)) return fieldsMismatch(rule, index, type);
  return MATCH;
}

/** `check_pattern_param`. */
function checkPatternParam(kb: KnowledgeBase, index: number, rule: PatternValue, type: PatternValue): MatchResult {
  if (type.type === "InstancePattern" && rule.type === "InstancePattern") {
    if (type.tag === rule.tag) {
      return paramFieldsMatch(type.fields, rule.fields) ? MATCH : fieldsMismatch(rule, index, type);
    }
    if (kb.isUnion(type.tag)) {
      if (kb.isUnion(rule.tag)) {
        // Tags differ here, so these are two different unions.
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
          let reason = `Rule specializer ${rule.tag} on parameter ${index} must be a member of rule type specializer ${type.tag}`;
          if (type.tag === ACTOR_UNION_NAME) {
            reason += `\n\n\tPerhaps you meant to add an actor block to the top of your policy, like this:\n\n\t  actor ${rule.tag} {}`;
          } else if (type.tag === RESOURCE_UNION_NAME) {
            reason += `\n\n\tPerhaps you meant to add a resource block to your policy, like this:\n\n\t  resource ${rule.tag} { .. }`;
          }
          return mismatch(reason);
        }
      }
      return paramFieldsMatch(type.fields, rule.fields) ? MATCH : fieldsMismatch(rule, index, type);
    }
    return checkSubclass(kb, rule, type, index);
  }
  if (
    type.type === "DictionaryPattern" ||
    (type.type === "InstancePattern" && type.tag === "Dictionary" && rule.type === "DictionaryPattern")
  ) {
    // (Dict, Dict) | (Dict, Instance) | (Instance{Dictionary}, Dict)
    if (paramFieldsMatch(type.fields, rule.fields)) return MATCH;
    return mismatch(
      `Specializer mismatch on parameter ${index}. Rule specializer fields ${debugDictionary(rule.fields)} do not match rule type specializer fields ${debugDictionary(type.fields)}.`,
    );
  }
  // The engine prints the rule type's pattern first here.
  return mismatch(
    `Mismatch on parameter ${index}. Rule parameter ${debugPattern(type)} does not match rule type parameter ${debugPattern(rule)}.`,
  );
}

function hasRestVar(list: readonly Term[]): boolean {
  const last = list[list.length - 1];
  return last !== undefined && last.value.type === "RestVariable";
}

/** `check_value_param`. */
function checkValueParam(index: number, rule: Value, type: Value, ruleType: Rule): MatchResult {
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
    return mismatch(
      `Invalid parameter ${index}. Rule type expected list ${debugTermList(type.elements)}, got list ${debugTermList(rule.elements)}.`,
    );
  }
  if (type.type === "Dictionary" && rule.type === "Dictionary") {
    if (paramFieldsMatch(type.fields, rule.fields)) return MATCH;
    return mismatch(
      `Invalid parameter ${index}. Rule type expected Dictionary with fields ${debugDictionary(type.fields)}, got Dictionary with fields ${debugDictionary(rule.fields)}`,
    );
  }
  if (valuesEqual(type, rule)) return MATCH;
  return mismatch(
    `Invalid parameter ${index}. Rule value ${debugValue(rule, false)} != rule type value ${debugValue(type, false)}`,
  );
}

/** The built-in class a value specializes on (`check_param`'s conversion), or null when it cannot. */
function builtinInstance(v: Value): InstanceValue | null {
  const inst = (tag: string, fields: Fields = new Map()): InstanceValue => ({ type: "InstancePattern", tag, fields });
  switch (v.type) {
    case "String":
      return inst("String");
    case "Number":
      return inst(v.number.kind === "integer" ? "Integer" : "Float");
    case "Boolean":
      return inst("Boolean");
    case "List":
      return inst("List");
    case "Dictionary":
      return inst("Dictionary", v.fields);
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

/** `check_param`: one rule parameter against one rule-type parameter (`index` is 1-based). */
export function checkParam(
  kb: KnowledgeBase,
  index: number,
  ruleParam: Parameter,
  typeParam: Parameter,
  ruleType: Rule,
): MatchResult {
  const tp = typeParam.parameter.value;
  const ts = typeParam.specializer?.value ?? null;
  const rp = ruleParam.parameter.value;
  const rs = ruleParam.specializer?.value ?? null;

  if (tp.type === "Variable") {
    if (ts !== null) {
      if (isPattern(ts) && rp.type === "Variable" && isPattern(rs)) return checkPatternParam(kb, index, rs, ts);
      if (rp.type === "Variable" && rs === null) {
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
            return checkPatternParam(kb, index, inst, ts);
          }
          if (ruleValue.type === "Dictionary") {
            if (paramFieldsMatch(ts.fields, ruleValue.fields)) return MATCH;
            return mismatch(
              `Invalid parameter ${index}. Rule type expected Dictionary with fields ${dictToPolar(ts.fields)}, got dictionary with fields ${dictToPolar(ruleValue.fields)}.`,
            );
          }
          return mismatch(
            `Invalid parameter ${index}. Rule type expected Dictionary, got ${debugValue(ruleValue, false)}.`,
          );
        }
        return checkValueParam(index, ruleValue, ts, ruleType);
      }
    } else {
      return MATCH;
    }
  } else if (ts === null && rs === null) {
    return checkValueParam(index, rp, tp, ruleType);
  }
  return mismatch(
    `Invalid parameter ${index}. Rule parameter ${parameterToPolar(ruleParam)} does not match rule type parameter ${parameterToPolar(typeParam)}`,
  );
}

/** `rule_params_match`: every parameter is checked in order; an error aborts, else the first failure is the reason. */
export function ruleParamsMatch(kb: KnowledgeBase, rule: Pick<Rule, "params">, ruleType: Rule): MatchResult {
  if (rule.params.length !== ruleType.params.length) {
    return mismatch(
      `Different number of parameters. Rule has ${rule.params.length} parameter(s) but rule type has ${ruleType.params.length}.`,
    );
  }
  let firstMismatch: MatchResult | null = null;
  for (let i = 0; i < rule.params.length; i++) {
    const rp = rule.params[i];
    const tp = ruleType.params[i];
    if (rp === undefined || tp === undefined) break;
    const r = checkParam(kb, i + 1, rp, tp, ruleType);
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

/** Outcome of checking one rule against all rule types of its name. */
export type RuleCheck =
  | { readonly kind: "error"; readonly error: Diagnostic }
  /** `matched`: indices (into the name's type list) of every matching type; empty = InvalidRule. */
  | { readonly kind: "checked"; readonly matched: readonly number[] };

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
   * {@link retarget}).
   */
  private readonly generatedChecks = new Map<string, Map<string, RuleCheck>>();

  /** Check `rule` against every type of this name, as `validate_rule_types` does. */
  check(rule: Rule): RuleCheck {
    if (!(rule instanceof GeneratedRule)) return this.checkParams(rule.params);
    let byHead = this.generatedChecks.get(rule.resourceName);
    if (byHead === undefined) {
      byHead = new Map();
      this.generatedChecks.set(rule.resourceName, byHead);
    }
    let r = byHead.get(rule.headValue);
    if (r === undefined) {
      r = this.checkParams(rule.paramsForCheck());
      byHead.set(rule.headValue, r);
    }
    return r;
  }

  /** {@link check} from the rule's parameters: what every rule's check is, without the generated rules' sharing. */
  checkParams(params: readonly Parameter[]): RuleCheck {
    const rule = { params };
    const a = this.byArity.get(params.length);
    // No type of this arity: every type fails on the parameter count, none can error.
    if (a === undefined) return NOTHING_MATCHED;
    if (this.types.length === 1) {
      // A single type (most built-in names): the plain engine check is the cheapest.
      const t = this.types[0] as RuleType;
      const r = ruleParamsMatch(this.kb, rule, t.rule);
      if (r.kind === "error") return { kind: "error", error: r.error };
      return r.kind === "match" ? FIRST_MATCHED : NOTHING_MATCHED;
    }

    // Candidate lists are kept as references (never copied) so that a long list at one position
    // costs nothing unless it is the shortest one.
    const errorCandidates: number[] = [];
    let best: readonly (readonly number[])[] = [a.all];
    let bestSize = a.all.length;
    for (let p = 0; p < rule.params.length; p++) {
      const pos = a.positions[p];
      const param = rule.params[p];
      if (pos === undefined || param === undefined) continue;
      const candidates: (readonly number[])[] = [pos.generic];
      for (const i of pos.generic) errorCandidates.push(i);
      this.positionCandidates(pos, param, candidates, errorCandidates);
      let size = 0;
      for (const c of candidates) size += c.length;
      if (size < bestSize) {
        best = candidates;
        bestSize = size;
      }
    }

    // The first type (in order) whose check errors aborts everything, matches or not.
    for (const i of sortedUnique(errorCandidates)) {
      const t = this.types[i];
      if (t === undefined) continue;
      const r = ruleParamsMatch(this.kb, rule, t.rule);
      if (r.kind === "error") return { kind: "error", error: r.error };
    }

    const all: number[] = [];
    for (const c of best) for (const i of c) all.push(i);
    const matched: number[] = [];
    for (const i of sortedUnique(all)) {
      const t = this.types[i];
      if (t !== undefined && ruleParamsMatch(this.kb, rule, t.rule).kind === "match") matched.push(i);
    }
    return matched.length === 0 ? NOTHING_MATCHED : { kind: "checked", matched };
  }

  /** Adds the indexed (non-generic) types at one position that may match, or may error, for this rule parameter. */
  private positionCandidates(
    pos: PositionIndex,
    param: Parameter,
    candidates: (readonly number[])[],
    errors: number[],
  ): void {
    const v = param.parameter.value;
    const s = param.specializer?.value ?? null;
    if (v.type === "String" && s === null) candidates.push(pos.strings.get(v.value) ?? []);
    if (pos.firstInstance === Infinity) return;

    // The class the engine compares against `x: Tag{…}` type parameters, if any.
    let inst: InstanceValue | null = null;
    if (v.type === "Variable") {
      if (s === null) return; // "Parameter `x` expects a Tag type constraint": no match, no error
      if (s.type === "DictionaryPattern") {
        candidates.push(pos.byTag.get("Dictionary") ?? []);
        return;
      }
      inst = s.type === "InstancePattern" ? s : builtinInstance(s);
    } else if (s === null) {
      inst = builtinInstance(v);
    } else {
      return; // a specialized non-variable parameter cannot be parsed; it would simply mismatch
    }
    if (inst === null) {
      // InvalidState for every such type parameter; the first one errors first.
      errors.push(pos.firstInstance);
      return;
    }
    const tag = inst.tag;
    candidates.push(pos.byTag.get(tag) ?? []);
    for (const ancestor of this.kb.ancestorsOf(tag)) {
      if (ancestor !== tag) candidates.push(pos.byTag.get(ancestor) ?? []);
    }
    // A different, unregistered type tag is an UnregisteredClass error.
    const firstOther = pos.unregistered.find((u) => u.tag !== tag);
    if (firstOther !== undefined) errors.push(firstOther.first);
  }
}

const NOTHING_MATCHED: RuleCheck = { kind: "checked", matched: [] };
const FIRST_MATCHED: RuleCheck = { kind: "checked", matched: [0] };

/** Sorts `xs` in place and returns it without duplicates (candidate lists are short). */
function sortedUnique(xs: number[]): number[] {
  if (xs.length < 2) return xs;
  xs.sort((x, y) => x - y);
  let n = 1;
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i] as number;
    if (x !== xs[n - 1]) xs[n++] = x;
  }
  xs.length = n;
  return xs;
}

function push<K>(map: Map<K, number[]>, key: K, i: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [i]);
  else list.push(i);
}
