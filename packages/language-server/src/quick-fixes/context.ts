/**
 * What every quick fix works from, and what it gives back: the policy's documents as the editor
 * features see them, the document of the request, the policy's load (the one whose diagnostics
 * were published), and for one diagnostic a list of fixes, each a title and text edits (UTF-16
 * offsets into the named document). `index.ts` turns fixes into LSP code actions.
 */
import type { Diagnostic, LoadResult } from "@polar-ide/analyzer";
import type { ParsedDocument } from "../features.js";

export interface FixContext {
  /** The documents of the policy the request's document belongs to. */
  readonly docs: readonly ParsedDocument[];
  /** The document the code actions were asked for. */
  readonly doc: ParsedDocument;
  /** The policy's load, whose diagnostics the client shows. */
  readonly load: LoadResult;
}

/** Replace `[start, end)` of the document `uri` with `newText`. */
export interface OffsetEdit {
  readonly uri: string;
  readonly start: number;
  readonly end: number;
  readonly newText: string;
}

export interface Fix {
  readonly title: string;
  readonly edits: readonly OffsetEdit[];
  /** The obvious fix of its diagnostic (an editor may apply it on "auto fix"). */
  readonly preferred: boolean;
  /**
   * True when the fix cannot add a diagnostic by construction (its module says why), so the
   * server does not check it on a fork of the policy (`verify.ts`): the fixes met while typing
   * (a misspelt call, parentheses) stay as cheap as the request. The tests check every fix.
   */
  readonly proven?: boolean;
}

/** The fixes for one diagnostic of the load (an empty list when none applies). */
export type Fixer = (diagnostic: Diagnostic, context: FixContext) => Fix[];

/** The document of `uri` among the policy's documents. */
export function documentOf(context: FixContext, uri: string): ParsedDocument | undefined {
  return context.docs.find((d) => d.uri === uri) ?? (context.doc.uri === uri ? context.doc : undefined);
}

/**
 * Marks the first fix preferred when `obvious` holds and leaves the others unmarked: one preferred
 * fix per diagnostic at most.
 */
export function preferFirst(fixes: Fix[], obvious: boolean): Fix[] {
  return fixes.map((f, i) => ({ ...f, preferred: obvious && i === 0 }));
}

/** A Polar string literal for `value`, or null when it would need escapes (never guessed). */
export function stringLiteral(value: string): string | null {
  return /["\\\n\r]/.test(value) ? null : `"${value}"`;
}
