/**
 * UndefinedRuleCall (polar-core validations.rs `check_undefined_rule_calls`): every call in a
 * rule (head and body, also inside `not`, `or`, `forall`, lists and dictionaries) to a name no
 * rule defines. Calls under `.` (method calls) and `new` are skipped, arity is ignored, and rule
 * types and inline queries define nothing. One diagnostic per call site, in rule order.
 *
 * This module finds the call sites and builds the diagnostic; the check itself runs in the loader
 * (load.ts `Loader.checkUndefinedRuleCalls`), which memoizes call sites per rule and skips the
 * walk when every called name is defined.
 */
import type { Rule, Term } from "../ast.js";
import { contextOf, error, type Diagnostic } from "../diagnostics.js";
import { pushChildren, pushChildrenReversed, ruleTermStack } from "../walk.js";
import { toPolar } from "../printer.js";

/** A call term found in a rule, with the rule it occurs in. */
export interface CallSite {
  readonly name: string;
  readonly term: Term;
  readonly rule: Rule;
}

/**
 * Every call term of `rules`, in the engine's visiting order (rules in order; per rule the
 * parameters, then the body, pre-order; dictionary fields by sorted key). Calls below `.` and
 * `new` are not rule calls and are left out.
 */
export function collectCallSites(rules: Iterable<Rule>): CallSite[] {
  const out: CallSite[] = [];
  for (const rule of rules) collectRuleCallSites(rule, out);
  return out;
}

/** Appends the call sites of one rule to `out` (see {@link collectCallSites}). */
export function collectRuleCallSites(rule: Rule, out: CallSite[]): void {
  // Explicit stack, children pushed in reverse so that they pop in order: deep terms must not overflow.
  const stack = ruleTermStack(rule);
  for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
    const v = t.value;
    if (v.type === "Call") out.push({ name: v.name, term: t, rule });
    // Calls under `.` (method calls) and `new` are not rule calls.
    else if (v.type === "Expression" && (v.operator === "Dot" || v.operator === "New")) continue;
    pushChildrenReversed(stack, v);
  }
}

/** Adds the names of the calls {@link collectRuleCallSites} would find in `rule` to `names` (no allocation per call). */
export function addCalledNames(rule: Rule, names: Set<string>): void {
  const stack = ruleTermStack(rule);
  for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
    const v = t.value;
    if (v.type === "Call") names.add(v.name);
    else if (v.type === "Expression" && (v.operator === "Dot" || v.operator === "New")) continue;
    pushChildren(stack, v);
  }
}

/** The UndefinedRuleCall error of one call site. */
export function undefinedRuleCall(term: Term): Diagnostic {
  return error("ValidationError::UndefinedRuleCall", `Call to undefined rule: ${toPolar(term)}`, contextOf(term));
}
