/**
 * Fixes for the two warnings about rules a policy lacks (published without a range, at 0:0 of
 * every document): `ValidationWarning::MissingHasPermissionRule` and
 * `ValidationWarning::MissingAllowRule`. Both insert, at the top of the document (below its
 * leading comments), the top-level `allow` rule Oso's documentation writes for resource blocks
 * (docs.osohq.com, "Write Polar Rules"; the warnings' own messages quote it):
 *
 *     allow(actor, action, resource) if
 *       has_permission(actor, action, resource);
 *
 * It is offered only when some rule defines `has_permission` (a written one, or one generated from
 * a permission's shorthand rule), since calling an undefined rule is an error. A policy without
 * any is offered, for MissingAllowRule, an `allow` rule that allows nothing yet
 * (`allow(_actor, _action, _resource) if false;`): a placeholder that never widens access.
 */
import type { Diagnostic } from "@polar-ide/analyzer";
import type { Fix, FixContext } from "./context.js";

/** The rule Oso's documentation writes to make resource blocks' permissions take effect. */
export const HAS_PERMISSION_ALLOW_RULE =
  "allow(actor, action, resource) if\n  has_permission(actor, action, resource);";

/** An `allow` rule that allows nothing: it silences MissingAllowRule without granting anything. */
export const PLACEHOLDER_ALLOW_RULE =
  "# Allows nothing yet: replace `false` with when `actor` may do `action` on `resource`.\n" +
  "allow(_actor, _action, _resource) if false;";

/** Where a top-level rule goes "at the top": after the document's leading comment and blank lines. */
export function topOfPolicy(text: string): number {
  let offset = 0;
  while (offset < text.length) {
    const newline = text.indexOf("\n", offset);
    const end = newline < 0 ? text.length : newline + 1;
    const line = text.slice(offset, end).trim();
    if (line !== "" && !line.startsWith("#")) break;
    offset = end;
  }
  return offset;
}

function insertAtTop(context: FixContext, rule: string): Fix["edits"] {
  const text = context.doc.document.getText();
  const at = topOfPolicy(text);
  const before = at > 0 && text[at - 1] !== "\n" ? "\n" : "";
  const after = at < text.length ? "\n\n" : "\n";
  return [{ uri: context.doc.uri, start: at, end: at, newText: `${before}${rule}${after}` }];
}

function definesHasPermission(context: FixContext): boolean {
  return context.load.rules.get("has_permission")?.some((r) => r.params.length === 3) === true;
}

export function missingHasPermissionFixes(diagnostic: Diagnostic, context: FixContext): Fix[] {
  if (diagnostic.context !== null || !definesHasPermission(context)) return [];
  return [
    {
      title: "Add the allow rule that calls has_permission",
      edits: insertAtTop(context, HAS_PERMISSION_ALLOW_RULE),
      preferred: true,
    },
  ];
}

export function missingAllowFixes(diagnostic: Diagnostic, context: FixContext): Fix[] {
  if (diagnostic.context !== null) return [];
  if (definesHasPermission(context)) return missingHasPermissionFixes(diagnostic, context);
  return [
    {
      title: "Add an allow rule that allows nothing yet",
      edits: insertAtTop(context, PLACEHOLDER_ALLOW_RULE),
      preferred: false,
    },
  ];
}
