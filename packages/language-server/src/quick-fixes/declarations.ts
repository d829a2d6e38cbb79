/**
 * Edits that declare a role, permission or relation in a resource block: the name is appended to
 * the block's `roles = [...]` / `permissions = [...]` list or `relations = {...}` dictionary, or,
 * when the block has none, a new declaration is written after its last declaration (or right
 * after its `{`), indented like the block's other productions.
 */
import { Lexer, TokenKind, isLexError, type Term } from "@polar-ide/analyzer";
import { nameSpanOf, spanOf, symbolOf, type ParsedDocument, type ResourceBlockLine } from "../features.js";
import type { OffsetEdit } from "./context.js";

export type DeclarationKind = "role" | "permission" | "relation";

/** The declaration production that holds each kind. */
export const DECLARATION_NAME: Readonly<Record<DeclarationKind, string>> = {
  role: "roles",
  permission: "permissions",
  relation: "relations",
};

/** The block's (last) well-formed declaration of `kind`: its value term (a list, or a dictionary for relations). */
export function declarationValue(line: ResourceBlockLine, kind: DeclarationKind): Term | null {
  let found: Term | null = null;
  for (const p of line.productions) {
    if (p.kind !== "declaration" || symbolOf(p.name) !== DECLARATION_NAME[kind]) continue;
    const type = p.value.value.type;
    if (kind === "relation" ? type === "Dictionary" : type === "List") found = p.value;
  }
  return found;
}

/** Whether `name` can be written as a relation key (one Polar symbol, not a keyword). */
export function isSymbolName(name: string): boolean {
  const lexer = new Lexer(name);
  const first = lexer.next();
  if (isLexError(first) || first.kind !== TokenKind.Symbol || first.end !== name.length) return false;
  const rest = lexer.next();
  return !isLexError(rest) && rest.kind === TokenKind.EOF;
}

/** The indentation of the line `offset` is on (its leading blanks). */
function indentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const match = /^[ \t]*/.exec(text.slice(lineStart, offset));
  return match?.[0] ?? "";
}

/**
 * The edit that declares `entry` — a string literal (`"reader"`) for a role or permission, or
 * `key: Type` for a relation — in the block `line` of `doc`. Null when the block's text is not
 * where its parse says (it never is, short of a defect).
 */
export function declareIn(
  doc: ParsedDocument,
  line: ResourceBlockLine,
  kind: DeclarationKind,
  entry: string,
): OffsetEdit | null {
  const text = doc.document.getText();
  const value = declarationValue(line, kind);
  if (value !== null) {
    const span = spanOf(value);
    if (span === null) return null;
    const v = value.value;
    const members = v.type === "List" ? v.elements : v.type === "Dictionary" ? [...v.fields.values()] : [];
    let last = -1;
    for (const m of members) last = Math.max(last, spanOf(m)?.end ?? -1);
    if (last >= 0) return { uri: doc.uri, start: last, end: last, newText: `, ${entry}` };
    const open = text[span.start];
    if (open !== "[" && open !== "{") return null;
    const inner = open === "{" ? ` ${entry} ` : entry;
    return { uri: doc.uri, start: span.start + 1, end: span.end - 1, newText: inner };
  }

  const production = `${DECLARATION_NAME[kind]} = ${kind === "relation" ? `{ ${entry} }` : `[${entry}]`};`;
  // After the block's last declaration, when it has one.
  let after = -1;
  let indent = "";
  for (const p of line.productions) {
    if (p.kind !== "declaration") continue;
    const start = spanOf(p.name)?.start;
    const end = spanOf(p.value)?.end;
    if (start === undefined || end === undefined) continue;
    const semicolon = text.indexOf(";", end);
    if (semicolon < 0) continue;
    if (semicolon + 1 > after) {
      after = semicolon + 1;
      indent = indentAt(text, start);
    }
  }
  if (after >= 0) return { uri: doc.uri, start: after, end: after, newText: `\n${indent}${production}` };

  // Right after the block's `{`.
  const block = spanOf(line.resource);
  if (block === null) return null;
  const open = text.indexOf("{", nameSpanOf(line).end);
  if (open < 0 || open >= block.end || text[block.end - 1] !== "}") return null;
  const first = line.productions[0];
  const firstStart = first === undefined ? null : spanOf(first.kind === "declaration" ? first.name : first.head);
  const blockIndent = indentAt(text, block.start);
  if (firstStart === null) {
    // An empty block: `resource Repo {}` becomes a block of one declaration.
    if (text.slice(open + 1, block.end - 1).trim() !== "") return null;
    return {
      uri: doc.uri,
      start: open + 1,
      end: block.end - 1,
      newText: `\n${blockIndent}  ${production}\n${blockIndent}`,
    };
  }
  const sameLine = !text.slice(open + 1, firstStart.start).includes("\n");
  const inner = sameLine ? `${blockIndent}  ` : indentAt(text, firstStart.start);
  return { uri: doc.uri, start: open + 1, end: open + 1, newText: `\n${inner}${production}` };
}
