/**
 * `textDocument/codeAction`, kind `quickfix`: for each diagnostic of the policy's load that the
 * request's range touches (a diagnostic without a source context, published at 0:0 of every
 * document, when the range starts at 0:0 or the client names it in `context.diagnostics`), the
 * fixes its code has (one module per kind of fix, see `FIXERS`). Each action carries the
 * diagnostic it fixes, as published; the obvious fix of a diagnostic is `isPreferred`. An action
 * that fixes several diagnostics at once (the `allow` rule fixes both missing-rule warnings) is
 * offered once, with all of them.
 *
 * Before a fix is offered the server checks it on a fork of the policy (`verify.ts`); the tests
 * check every fix the same way from outside (test/quick-fixes*.test.ts).
 */
import { EDITOR_DROPPED_CODES, publishDiagnostics, type Diagnostic, type LoadResult } from "@polar-ide/analyzer";
import {
  CodeActionKind,
  type CodeAction,
  type Diagnostic as LspDiagnostic,
  type TextEdit,
} from "vscode-languageserver";
import { rangeOf, type ParsedDocument } from "../features.js";
import { toLspDiagnostic } from "../load.js";
import { ambiguousPrecedenceFixes } from "./ambiguous-precedence.js";
import { documentOf, type Fix, type FixContext, type Fixer } from "./context.js";
import { missingBlockFixes } from "./missing-block.js";
import { missingAllowFixes, missingHasPermissionFixes } from "./missing-rules.js";
import { relationKeywordFixes } from "./relation-keyword.js";
import { undeclaredTermFixes } from "./shorthand-terms.js";
import { undefinedRuleCallFixes } from "./undefined-rule-call.js";
import { verified, type Trial } from "./verify.js";

/** The fixes of each diagnostic code that has some. */
export const FIXERS: ReadonlyMap<string, Fixer> = new Map<string, Fixer>([
  ["ValidationError::UndefinedRuleCall", undefinedRuleCallFixes],
  // #9/#10 sit on a shorthand rule's string, #11 on a relation's type, #8 on the word before the
  // relation: each fixer checks where.
  [
    "ValidationError::ResourceBlock",
    (d, c) => [...undeclaredTermFixes(d, c), ...missingBlockFixes(d, c), ...relationKeywordFixes(d, c)],
  ],
  ["ValidationWarning::MissingHasPermissionRule", missingHasPermissionFixes],
  ["ValidationWarning::MissingAllowRule", missingAllowFixes],
  ["ValidationWarning::AmbiguousPrecedence", ambiguousPrecedenceFixes],
]);

/** The codes of the diagnostics a client sent in `context.diagnostics` (ignoring anything malformed). */
function clientCodes(diagnostics: unknown): Set<string> {
  const out = new Set<string>();
  if (!Array.isArray(diagnostics)) return out;
  for (const d of diagnostics as unknown[]) {
    const code = typeof d === "object" && d !== null ? (d as { code?: unknown }).code : undefined;
    if (typeof code === "string") out.add(code);
  }
  return out;
}

/** Whether diagnostic `d` is one the request for `[start, end]` of `doc` is about. */
function concerns(d: Diagnostic, doc: ParsedDocument, start: number, end: number, named: Set<string>): boolean {
  const c = d.context;
  if (c === null) return start === 0 || named.has(d.code);
  return c.file.name === doc.uri && c.start <= end && start <= c.end;
}

function workspaceEdit(context: FixContext, fix: Fix): Record<string, TextEdit[]> | null {
  const changes: Record<string, TextEdit[]> = {};
  for (const e of fix.edits) {
    const target = documentOf(context, e.uri);
    if (target === undefined) return null;
    (changes[e.uri] ??= []).push({ range: rangeOf(target.document, e), newText: e.newText });
  }
  return changes;
}

/**
 * The quick fixes for `[start, end]` of `doc` (offsets), in a policy of `docs` whose load `load`
 * gives (called only when quick fixes are asked for). `only` is the request's `context.only`;
 * `requestDiagnostics` its `context.diagnostics`. With `trial` (the server passes the policy's),
 * a fix is offered only when the policy with it applied keeps its promise (`verify.ts`).
 */
export function quickFixCodeActions(
  docs: readonly ParsedDocument[],
  doc: ParsedDocument,
  start: number,
  end: number,
  only: readonly string[] | undefined,
  requestDiagnostics: unknown,
  load: () => LoadResult,
  trial?: Trial,
): CodeAction[] {
  if (only !== undefined && !only.some((k) => CodeActionKind.QuickFix.startsWith(k))) return [];
  const context: FixContext = { docs, doc, load: load() };
  const named = clientCodes(requestDiagnostics);
  const byKey = new Map<string, CodeAction & { diagnostics: LspDiagnostic[] }>();
  for (const d of context.load.diagnostics) {
    if (EDITOR_DROPPED_CODES.has(d.code)) continue;
    const fixer = FIXERS.get(d.code);
    if (fixer === undefined || !concerns(d, doc, start, end, named)) continue;
    const fixes = fixer(d, context);
    if (fixes.length === 0) continue;
    const [published] = publishDiagnostics([d], null);
    if (published === undefined) continue;
    const lsp = toLspDiagnostic(published);
    for (const fix of fixes) {
      const changes = workspaceEdit(context, fix);
      if (changes === null) continue;
      const key = `${fix.title}\u0000${JSON.stringify(changes)}`;
      if (trial !== undefined && fix.proven !== true && !verified(context, trial, d.code, fix, key)) continue;
      const existing = byKey.get(key);
      if (existing !== undefined) {
        existing.diagnostics.push(lsp);
        if (fix.preferred) existing.isPreferred = true;
        continue;
      }
      byKey.set(key, {
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [lsp],
        ...(fix.preferred ? { isPreferred: true } : {}),
        edit: { changes },
      });
    }
  }
  return [...byKey.values()];
}
