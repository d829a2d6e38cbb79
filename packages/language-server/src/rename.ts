/**
 * Find references, document highlight and rename over the targets of `references.ts`.
 *
 * Rename is refused (with a message the editor shows) for names built into Oso (`allow`,
 * `has_role`, … and the built-in classes), for a new name that is not valid where it goes, and for
 * a rename that would make the analyzer report a diagnostic the policy does not have today (the
 * renamed policy is analysed — by the server, on a fork of its incremental policy, so that only
 * the renamed files are re-checked — and its diagnostic codes counted against the current ones).
 */
import { BUILTIN_CLASSES, Policy, type PublishedDiagnostic } from "@polar-ide/analyzer";
import {
  DocumentHighlightKind,
  type DocumentHighlight,
  type Location,
  type Range,
  type TextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver";
import { BUILTIN_RULES } from "./completion.js";
import { rangeOf, type ParsedDocument } from "./features.js";
import { occurrences, targetAt, type Target } from "./references.js";

/** A refusal, with the message for the user. */
export interface Refusal {
  readonly refused: string;
}

export function isRefusal(x: unknown): x is Refusal {
  return typeof x === "object" && x !== null && "refused" in x;
}

/** `textDocument/references`: every place naming what is at the cursor (declarations on request). */
export function references(
  docs: readonly ParsedDocument[],
  doc: ParsedDocument,
  offset: number,
  includeDeclaration: boolean,
): Location[] {
  const at = targetAt(docs, doc, offset);
  if (at === null) return [];
  return occurrences(docs, at.target)
    .filter((o) => includeDeclaration || !o.declaration)
    .map((o) => ({ uri: o.doc.uri, range: rangeOf(o.doc.document, o.span) }));
}

/** `textDocument/documentHighlight`: the places in this document naming what is at the cursor. */
export function documentHighlights(
  docs: readonly ParsedDocument[],
  doc: ParsedDocument,
  offset: number,
): DocumentHighlight[] {
  const at = targetAt(docs, doc, offset);
  if (at === null) return [];
  return occurrences(docs, at.target, [doc]).map((o) => ({
    range: rangeOf(doc.document, o.span),
    kind: o.declaration ? DocumentHighlightKind.Write : DocumentHighlightKind.Read,
  }));
}

function describe(target: Target): string {
  switch (target.kind) {
    case "rule":
      return `rule ${target.name}/${target.arity}`;
    case "class":
      return `class ${target.name}`;
    case "declared":
      return `${target.relation ? "relation" : "role or permission"} "${target.name}" of ${target.block}`;
  }
}

function builtIn(target: Target): string | null {
  if (target.kind === "rule" && BUILTIN_RULES.includes(target.name)) {
    return `${target.name} is a rule Oso knows by name: it cannot be renamed.`;
  }
  if (target.kind === "class" && (BUILTIN_CLASSES as readonly string[]).includes(target.name)) {
    return `${target.name} is a class built into Oso: it cannot be renamed.`;
  }
  return null;
}

/** `textDocument/prepareRename`: the range to rename and its text, null off any name, or a refusal. */
export function prepareRename(
  docs: readonly ParsedDocument[],
  doc: ParsedDocument,
  offset: number,
): { range: Range; placeholder: string } | Refusal | null {
  const at = targetAt(docs, doc, offset);
  if (at === null) return null;
  const refused = builtIn(at.target);
  if (refused !== null) return { refused };
  return {
    range: rangeOf(doc.document, at.span),
    placeholder: doc.document.getText().slice(at.span.start, at.span.end),
  };
}

const SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORDS = new Set([
  "new",
  "in",
  "cut",
  "debug",
  "print",
  "isa",
  "forall",
  "if",
  "and",
  "or",
  "not",
  "matches",
  "type",
  "mod",
  "rem",
  "true",
  "false",
  "inf",
  "nan",
]);

function invalidName(target: Target, name: string): string | null {
  // Relation names are symbols in `relations = { name: Type }` and strings elsewhere: both must hold.
  const symbol = target.kind !== "declared" || target.relation;
  if (symbol && (!SYMBOL.test(name) || KEYWORDS.has(name))) return `"${name}" is not a valid Polar name here.`;
  if (name.length === 0 || /["\\\n\r]/.test(name)) return `"${name}" cannot be written inside a Polar string.`;
  return null;
}

function codeCounts(diagnostics: readonly PublishedDiagnostic[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of diagnostics) out.set(d.code, (out.get(d.code) ?? 0) + 1);
  return out;
}

/**
 * What the policy reports now, and what it would report with some of its files' texts replaced
 * (URI → text): `Documents.trial` answers it with a fork of the incremental policy.
 */
export type TrialAnalysis = (texts: ReadonlyMap<string, string>) => {
  readonly before: readonly PublishedDiagnostic[];
  readonly after: readonly PublishedDiagnostic[];
};

/** A {@link TrialAnalysis} that loads both versions of the documents from scratch (for callers without a policy). */
export function trialFromScratch(docs: readonly ParsedDocument[]): TrialAnalysis {
  const analyse = (texts: ReadonlyMap<string, string>): readonly PublishedDiagnostic[] => {
    const policy = new Policy();
    for (const [uri, text] of texts) policy.set(uri, text);
    return policy.analyze().diagnostics;
  };
  return (changed) => {
    const before = new Map(docs.map((d) => [d.uri, d.document.getText()]));
    const after = new Map(before);
    for (const [uri, text] of changed) after.set(uri, text);
    return { before: analyse(before), after: analyse(after) };
  };
}

/** Applies edits (non-overlapping) to a text. */
function applyEdits(text: string, edits: readonly { start: number; end: number; newText: string }[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start))
    out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

/** `textDocument/rename`: the edits renaming what is at the cursor in the whole policy, or a refusal. */
export function rename(
  docs: readonly ParsedDocument[],
  doc: ParsedDocument,
  offset: number,
  newName: string,
  trial: TrialAnalysis = trialFromScratch(docs),
): WorkspaceEdit | Refusal | null {
  const at = targetAt(docs, doc, offset);
  if (at === null) return null;
  const refused = builtIn(at.target) ?? invalidName(at.target, newName);
  if (refused !== null) return { refused };
  const found = occurrences(docs, at.target);
  const byUri = new Map<string, { start: number; end: number; newText: string }[]>();
  for (const o of found) {
    let list = byUri.get(o.doc.uri);
    if (list === undefined) byUri.set(o.doc.uri, (list = []));
    list.push({ start: o.span.start, end: o.span.end, newText: newName });
  }
  // The renamed policy must not report anything new.
  const changed = new Map<string, string>();
  for (const d of docs) {
    const edits = byUri.get(d.uri);
    if (edits !== undefined) changed.set(d.uri, applyEdits(d.document.getText(), edits));
  }
  const { before, after: now } = trial(changed);
  const was = codeCounts(before);
  const counts = codeCounts(now);
  for (const [code, n] of counts) {
    if (n > (was.get(code) ?? 0)) {
      const example = now.find((d) => d.code === code);
      return {
        refused: `Renaming ${describe(at.target)} to "${newName}" would add ${code}${example === undefined ? "" : `: ${example.message}`}`,
      };
    }
  }
  const changes: Record<string, TextEdit[]> = {};
  for (const d of docs) {
    const edits = byUri.get(d.uri);
    if (edits === undefined) continue;
    changes[d.uri] = edits.map((e) => ({ range: rangeOf(d.document, e), newText: e.newText }));
  }
  return { changes };
}
