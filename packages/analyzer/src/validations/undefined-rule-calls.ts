/**
 * UndefinedRuleCall (polar-core validations.rs `check_undefined_rule_calls`): every call in a
 * rule (head and body, also inside `not`, `or`, `forall`, lists and dictionaries) to a name no
 * rule defines. Calls under `.` (method calls) and `new` are skipped, arity is ignored, and rule
 * types and inline queries define nothing. One diagnostic per call site, in rule order.
 */
import { sortedFields, type Rule, type Term } from "../ast.js";
import { contextOf, error, type Diagnostic } from "../diagnostics.js";
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
  for (const rule of rules) {
    // Explicit stack (pushed in reverse) instead of recursion: deep terms must not overflow.
    const stack: Term[] = [rule.body];
    for (let i = rule.params.length - 1; i >= 0; i--) {
      const p = rule.params[i];
      if (p === undefined) continue;
      if (p.specializer !== null) stack.push(p.specializer);
      stack.push(p.parameter);
    }
    for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
      const v = t.value;
      const children: Term[] = [];
      switch (v.type) {
        case "Call":
          out.push({ name: v.name, term: t, rule });
          children.push(...v.args);
          if (v.kwargs !== null) for (const [, f] of sortedFields(v.kwargs)) children.push(f);
          break;
        case "Expression":
          if (v.operator === "Dot" || v.operator === "New") break;
          children.push(...v.args);
          break;
        case "List":
          children.push(...v.elements);
          break;
        case "Dictionary":
        case "DictionaryPattern":
        case "InstancePattern":
          for (const [, f] of sortedFields(v.fields)) children.push(f);
          break;
        default:
          break;
      }
      for (let i = children.length - 1; i >= 0; i--) {
        const c = children[i];
        if (c !== undefined) stack.push(c);
      }
    }
  }
  return out;
}

/** UndefinedRuleCall errors for the calls of `rules` whose name `isDefined` rejects. */
export function checkUndefinedRuleCalls(rules: Iterable<Rule>, isDefined: (name: string) => boolean): Diagnostic[] {
  return collectCallSites(rules)
    .filter((c) => !isDefined(c.name))
    .map((c) =>
      error("ValidationError::UndefinedRuleCall", `Call to undefined rule: ${toPolar(c.term)}`, contextOf(c.term)),
    );
}
