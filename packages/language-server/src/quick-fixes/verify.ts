/**
 * The server's own check that a fix keeps its promise before it is offered: the policy with the
 * fix applied (a fork of the policy: `Documents.trial`, which re-checks only the edited files)
 * reports the fixed diagnostic's code less often and no code more often. One exception: when the
 * load stopped at the block phase (an unrecoverable ResourceBlock error), the fix lets the later
 * phases run (docs/diagnostics.md §2), and what they report was hidden by the error, not added by
 * the fix. A fix that fails the check is not offered. Verdicts are kept per load (a client asks
 * again at every cursor move).
 */
import type { LoadResult } from "@polar-ide/analyzer";
import { applyOffsetEdits } from "../code-action.js";
import { documentOf, type Fix, type FixContext } from "./context.js";

/** What the policy reports now and with some files' texts replaced (URI → text). */
export type Trial = (texts: ReadonlyMap<string, string>) => {
  readonly before: readonly { readonly code: string }[];
  readonly after: readonly { readonly code: string }[];
};

/** Codes of the phases after the block phase: rule-type validation, undefined calls, missing rules. */
export const LATER_PHASE_CODES: ReadonlySet<string> = new Set([
  "ValidationError::InvalidRule",
  "ValidationError::InvalidRuleType",
  "ValidationError::MissingRequiredRule",
  "ValidationError::UndefinedRuleCall",
  "ValidationWarning::MissingAllowRule",
  "ValidationWarning::MissingHasPermissionRule",
]);

function counts(diagnostics: readonly { readonly code: string }[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const d of diagnostics) m.set(d.code, (m.get(d.code) ?? 0) + 1);
  return m;
}

/** Whether `after` reports `code` less often than `before` and adds no code (see the module's note). */
export function keepsPromise(
  code: string,
  stage: LoadResult["stage"],
  before: readonly { readonly code: string }[],
  after: readonly { readonly code: string }[],
): boolean {
  const b = counts(before);
  const a = counts(after);
  if ((a.get(code) ?? 0) >= (b.get(code) ?? 0)) return false;
  for (const [c, n] of a) {
    if (stage === "stopped-after-shorthand" && LATER_PHASE_CODES.has(c)) continue;
    if (n > (b.get(c) ?? 0)) return false;
  }
  return true;
}

/** The texts of the documents a fix edits, with the fix applied. */
export function textsAfter(context: FixContext, fix: Fix): Map<string, string> | null {
  const out = new Map<string, string>();
  for (const uri of new Set(fix.edits.map((e) => e.uri))) {
    const doc = documentOf(context, uri);
    if (doc === undefined) return null;
    out.set(
      uri,
      applyOffsetEdits(
        doc.document.getText(),
        fix.edits.filter((e) => e.uri === uri),
      ),
    );
  }
  return out;
}

const verdicts = new WeakMap<LoadResult, Map<string, boolean>>();

/** Whether the fix `key` of a diagnostic of `code` keeps its promise (memoised per load). */
export function verified(context: FixContext, trial: Trial, code: string, fix: Fix, key: string): boolean {
  let memo = verdicts.get(context.load);
  if (memo === undefined) verdicts.set(context.load, (memo = new Map()));
  const memoKey = `${code}\u0000${key}`;
  let ok = memo.get(memoKey);
  if (ok === undefined) {
    const texts = textsAfter(context, fix);
    if (texts === null) ok = false;
    else {
      const { before, after } = trial(texts);
      ok = keepsPromise(code, context.load.stage, before, after);
    }
    memo.set(memoKey, ok);
  }
  return ok;
}
