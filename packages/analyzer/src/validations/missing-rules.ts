/**
 * Whole-policy warnings (polar-core validations.rs): MissingAllowRule (`check_no_allow_rule`) and
 * MissingHasPermissionRule (`check_resource_blocks_missing_has_permission`). The loader (load.ts,
 * phase 6) reports them: MissingHasPermissionRule when a block was accepted and no rule passes
 * {@link ruleCallsHasPermission} (memoized per rule across loads).
 */
import { pushChildren } from "../walk.js";
import type { Rule, Term } from "../ast.js";
import { warning, type Diagnostic } from "../diagnostics.js";
import { GeneratedRule } from "../resource-blocks/shorthand.js";

export const MISSING_ALLOW_RULE_MESSAGE =
  "Your policy does not contain an allow rule, which usually means\n" +
  "that no actions are allowed. Did you mean to add an allow rule to\n" +
  "the top of your policy?\n\n" +
  "  allow(actor, action, resource) if ...\n\n" +
  "You can also suppress this warning by adding an allow_field or allow_request\n" +
  "rule. For more information about allow rules, see:\n\n" +
  "  https://docs.osohq.com/reference/polar/builtin_rule_types.html#allow";

export const MISSING_HAS_PERMISSION_RULE_MESSAGE =
  "Warning: your policy uses resource blocks but does not call the\n" +
  "has_permission rule. This means that permissions you define in a\n" +
  "resource block will not have any effect. Did you mean to include a\n" +
  "call to has_permission in a top-level allow rule?\n\n" +
  "  allow(actor, action, resource) if\n" +
  "      has_permission(actor, action, resource);\n\n" +
  "For more information about resource blocks, see https://docs.osohq.com/any/reference/polar/polar-syntax.html#actor-and-resource-blocks";

/** MissingAllowRule unless a rule named `allow`, `allow_field` or `allow_request` exists (rule types do not count). */
export function checkNoAllowRule(hasRule: (name: string) => boolean): Diagnostic | null {
  if (hasRule("allow") || hasRule("allow_field") || hasRule("allow_request")) return null;
  return warning("ValidationWarning::MissingAllowRule", MISSING_ALLOW_RULE_MESSAGE, null);
}

/** Whether a term contains a call named `has_permission` anywhere (method calls included, as the engine's visitor walks every call). */
export function callsHasPermission(root: Term): boolean {
  const stack: Term[] = [root];
  for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
    const v = t.value;
    if (v.type === "Call" && v.name === "has_permission") return true;
    pushChildren(stack, v);
  }
  return false;
}

/** Whether a rule calls `has_permission` anywhere (head or body). */
export function ruleCallsHasPermission(rule: Rule): boolean {
  // A generated rule knows without building its terms.
  if (rule instanceof GeneratedRule) return rule.callsHasPermission;
  if (callsHasPermission(rule.body)) return true;
  for (const p of rule.params) {
    if (callsHasPermission(p.parameter)) return true;
    if (p.specializer !== null && callsHasPermission(p.specializer)) return true;
  }
  return false;
}

/** The MissingHasPermissionRule warning (the loader decides when it applies). */
export function missingHasPermissionRule(): Diagnostic {
  return warning("ValidationWarning::MissingHasPermissionRule", MISSING_HAS_PERMISSION_RULE_MESSAGE, null);
}
