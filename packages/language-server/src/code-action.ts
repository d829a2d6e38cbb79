/**
 * Code action `refactor.rewrite` on a shorthand rule: rewrite it into the longhand rule Oso
 * generates from it (the text the hover shows, `longhand`).
 *
 * A longhand rule cannot live inside a resource block, so the edit removes the shorthand rule from
 * its block (its line, when nothing else is on it) and adds the rule at top level right after the
 * block's closing brace. The generated rule comes from a load of the policy's editor parse (the
 * error-tolerant one in a file with a syntax error), so the action works while a file is broken.
 *
 * The rewrite must keep the policy's meaning: the rewritten policy is loaded the same way and its
 * diagnostic codes compared with today's. A rewrite that would change them (dropping the last
 * shorthand rule that traverses a relation makes its `has_relation` rule type optional, and so
 * removes a MissingRequiredRule) is offered disabled, with the reason.
 */
import {
  EDITOR_DROPPED_CODES,
  diagnosticLoad,
  parseTolerant,
  type LoadResult,
  type Line,
  type Production,
} from "@polar-ide/analyzer";
import { CodeActionKind, type CodeAction, type TextEdit } from "vscode-languageserver";
import { rangeOf, spanOf, type ParsedDocument, type ResourceBlockLine, type Span } from "./features.js";
import { generatedAt, longhand } from "./shorthand-hover.js";

type Shorthand = Extract<Production, { kind: "shorthand" }>;

/** The load of the documents as the editor features see them (each file's lines, tolerant when broken). */
export function editorLoad(docs: readonly ParsedDocument[]): LoadResult {
  return diagnosticLoad(
    docs.map((d) => ({ file: { name: d.uri, text: d.document.getText() }, parsed: { ok: true, value: d.lines } })),
  );
}

/** The diagnostic codes an editor shows for a load, sorted (the multiset of codes). */
export function editorCodes(load: LoadResult): string[] {
  return load.diagnostics
    .map((d) => d.code)
    .filter((c) => !EDITOR_DROPPED_CODES.has(c))
    .sort();
}

/** A shorthand rule with its block and spans: `span` is head..last string, `removal` what the edit deletes. */
interface Located {
  readonly block: ResourceBlockLine;
  readonly production: Shorthand;
  readonly span: Span;
  readonly removal: Span;
}

function shorthandSpan(p: Shorthand): Span | null {
  const head = spanOf(p.head);
  const last = spanOf(p.relation?.name ?? p.implier);
  return head === null || last === null ? null : { start: head.start, end: last.end };
}

/**
 * What removing a shorthand rule deletes: the rule and its `;`, and its whole line (line break
 * included) when it shares the line with nothing but blanks.
 */
function removalOf(text: string, span: Span): Span | null {
  let end = span.end;
  while (end < text.length && (text[end] === " " || text[end] === "\t")) end++;
  if (text[end] !== ";") return null;
  end++;
  let lineStart = span.start;
  while (lineStart > 0 && (text[lineStart - 1] === " " || text[lineStart - 1] === "\t")) lineStart--;
  let lineEnd = end;
  while (lineEnd < text.length && (text[lineEnd] === " " || text[lineEnd] === "\t")) lineEnd++;
  const aloneBefore = lineStart === 0 || text[lineStart - 1] === "\n";
  const aloneAfter = lineEnd === text.length || text[lineEnd] === "\n" || text[lineEnd] === "\r";
  if (!aloneBefore || !aloneAfter) return { start: span.start, end };
  if (text.startsWith("\r\n", lineEnd)) lineEnd += 2;
  else if (lineEnd < text.length) lineEnd++;
  return { start: lineStart, end: lineEnd };
}

/** The shorthand rules of `doc` that intersect `[start, end]`. */
function shorthandsIn(doc: ParsedDocument, start: number, end: number): Located[] {
  const text = doc.document.getText();
  const out: Located[] = [];
  for (const line of doc.lines) {
    if (line.kind !== "resourceBlock") continue;
    const block = spanOf(line.resource);
    if (block === null || block.end < start || block.start > end) continue;
    for (const p of line.productions) {
      if (p.kind !== "shorthand") continue;
      const span = shorthandSpan(p);
      if (span === null || span.end < start || span.start > end) continue;
      const removal = removalOf(text, span);
      if (removal !== null) out.push({ block: line, production: p, span, removal });
    }
  }
  return out;
}

/** Applies non-overlapping edits (offsets) to a text. */
export function applyOffsetEdits(
  text: string,
  edits: readonly { start: number; end: number; newText: string }[],
): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start || b.end - a.end)) {
    out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  }
  return out;
}

function linesOf(uri: string, text: string): readonly Line[] {
  return parseTolerant({ name: uri, text }).lines;
}

/**
 * `textDocument/codeAction` for the range `[start, end]` of `doc`: one `refactor.rewrite` action per
 * shorthand rule the range touches, skipped when `only` excludes the kind. `currentLoad` is the
 * load of `docs` as they are (the server passes the policy's cached load when it completed).
 */
export function shorthandCodeActions(
  docs: readonly ParsedDocument[],
  doc: ParsedDocument,
  start: number,
  end: number,
  only?: readonly string[],
  currentLoad: () => LoadResult = () => editorLoad(docs),
): CodeAction[] {
  if (only !== undefined && !only.some((k) => CodeActionKind.RefactorRewrite.startsWith(k))) return [];
  const found = shorthandsIn(doc, start, end);
  if (found.length === 0) return [];
  const load = currentLoad();
  const before = editorCodes(load);
  const text = doc.document.getText();
  const out: CodeAction[] = [];
  for (const s of found) {
    const block = spanOf(s.block.resource);
    const rule = generatedAt(load, doc.uri, s.span.start);
    const title = `Rewrite as the longhand rule Oso generates`;
    if (block === null || text[block.end - 1] !== "}") continue;
    if (rule === null) {
      out.push({
        title,
        kind: CodeActionKind.RefactorRewrite,
        disabled: { reason: "Oso generates no rule from this shorthand rule: the policy reports why." },
      });
      continue;
    }
    const edits = [
      { start: s.removal.start, end: s.removal.end, newText: "" },
      { start: block.end, end: block.end, newText: `\n\n${longhand(rule)}` },
    ];
    const after = applyOffsetEdits(text, edits);
    const now = editorCodes(
      diagnosticLoad(
        docs.map((d) =>
          d.uri === doc.uri
            ? { file: { name: d.uri, text: after }, parsed: { ok: true, value: linesOf(d.uri, after) } }
            : { file: { name: d.uri, text: d.document.getText() }, parsed: { ok: true, value: d.lines } },
        ),
      ),
    );
    if (now.join("\n") !== before.join("\n")) {
      out.push({
        title,
        kind: CodeActionKind.RefactorRewrite,
        disabled: {
          reason: `The longhand rule would change what the policy reports (${describeChange(before, now)}).`,
        },
      });
      continue;
    }
    const changes: Record<string, TextEdit[]> = {
      [doc.uri]: edits.map((e) => ({ range: rangeOf(doc.document, e), newText: e.newText })),
    };
    out.push({ title, kind: CodeActionKind.RefactorRewrite, edit: { changes } });
  }
  return out;
}

function describeChange(before: readonly string[], now: readonly string[]): string {
  const count = (codes: readonly string[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const c of codes) m.set(c, (m.get(c) ?? 0) + 1);
    return m;
  };
  const b = count(before);
  const n = count(now);
  const parts: string[] = [];
  for (const code of new Set([...b.keys(), ...n.keys()])) {
    const d = (n.get(code) ?? 0) - (b.get(code) ?? 0);
    if (d !== 0) parts.push(`${d > 0 ? "+" : ""}${d} ${code}`);
  }
  return parts.join(", ");
}
