/**
 * What a name at the cursor refers to, and every place in the policy that names the same thing:
 * the base of find references, document highlight and rename.
 *
 * Targets:
 * - rules, by name and arity: rule heads, rule type heads and rule calls (not method calls);
 * - roles, permissions and relations of a resource block: their declarations in every opening of
 *   the block, the shorthand rules that use them (in the block itself, and the impliers of
 *   `… on "relation"` in blocks whose relation points to it), and the string argument of
 *   `has_role`/`has_permission`/`has_relation` rule heads specialised on the block;
 * - classes (actor and resource block names): block names, relation types and specializers
 *   (`x: Repo`, `x matches Repo`).
 */
import type { Line, Parameter, Term } from "@polar-ide/analyzer";
import {
  blockName,
  contains,
  declaredStrings,
  ruleNameSpan,
  spanOf,
  stringOf,
  symbolOf,
  walk,
  type ParsedDocument,
  type ResourceBlockLine,
  type Span,
} from "./features.js";

export type Target =
  | { readonly kind: "rule"; readonly name: string; readonly arity: number }
  | { readonly kind: "declared"; readonly block: string; readonly name: string; readonly relation: boolean }
  | { readonly kind: "class"; readonly name: string };

/** One place naming a target: `span` is exactly the text a rename replaces (a string's content, without quotes). */
export interface Occurrence {
  readonly doc: ParsedDocument;
  readonly span: Span;
  /** A definition or declaration (rule head, declared name, block name), not a use. */
  readonly declaration: boolean;
}

/** Which `has_*` rule names which kind of declared name (2nd argument, the 3rd specialised on the block). */
const DECLARED_RULES: ReadonlyMap<string, boolean> = new Map([
  ["has_role", false],
  ["has_permission", false],
  ["has_relation", true],
]);

/** A string term's content (inside the quotes). */
function inner(term: Term): Span | null {
  const s = spanOf(term);
  return s === null || s.end - s.start < 2 ? null : { start: s.start + 1, end: s.end - 1 };
}

function tagSpan(term: Term): { name: string; span: Span } | null {
  const s = spanOf(term);
  if (s === null || term.value.type !== "InstancePattern") return null;
  return { name: term.value.tag, span: { start: s.start, end: s.start + term.value.tag.length } };
}

/** The terms of a line outside resource blocks: parameters, specializers, bodies, queries. */
function lineTerms(line: Line): Term[] {
  if (line.kind === "query") return [line.term];
  if (line.kind !== "rule" && line.kind !== "ruleType") return [];
  const out: Term[] = [];
  for (const p of line.rule.params) {
    out.push(p.parameter);
    if (p.specializer !== null) out.push(p.specializer);
  }
  out.push(line.rule.body);
  return out;
}

/** Rule calls (not `x.m()` nor `new C()`) and class patterns inside a term. */
function visitTerms(
  terms: readonly Term[],
  onCall: (name: string, arity: number, span: Span) => void,
  onClass: (name: string, span: Span) => void,
): void {
  for (const root of terms) {
    walk(root, (t, parent) => {
      if (t.value.type === "InstancePattern") {
        const tag = tagSpan(t);
        if (tag !== null) onClass(tag.name, tag.span);
        return;
      }
      if (t.value.type !== "Call") return;
      if (parent !== null && parent.value.type === "Expression") {
        const op = parent.value.operator;
        if (op === "Dot" || op === "New") return;
      }
      const span = spanOf(t);
      if (span !== null)
        onCall(t.value.name, t.value.args.length, { start: span.start, end: span.start + t.value.name.length });
    });
  }
}

interface BlockInfo {
  /** Role and permission names, and relation names with their types, over every opening. */
  readonly rolesAndPermissions: Set<string>;
  readonly relations: Map<string, string | null>;
}

function blockInfo(docs: readonly ParsedDocument[]): Map<string, BlockInfo> {
  const out = new Map<string, BlockInfo>();
  for (const doc of docs) {
    const text = doc.document.getText();
    for (const line of doc.lines) {
      if (line.kind !== "resourceBlock") continue;
      const name = blockName(line);
      if (name === null) continue;
      let info = out.get(name);
      if (info === undefined) out.set(name, (info = { rolesAndPermissions: new Set(), relations: new Map() }));
      for (const p of line.productions) {
        if (p.kind !== "declaration") continue;
        const declName = symbolOf(p.name);
        if (declName === null) continue;
        for (const d of declaredStrings(declName, p.value, text)) {
          if (d.kind === "relation") info.relations.set(d.name, d.type);
          else info.rolesAndPermissions.add(d.name);
        }
      }
    }
  }
  return out;
}

/** Whether an implier without `on` names a relation of the block (`"admin" if "creator";`). */
function implierIsRelation(info: BlockInfo | undefined, name: string): boolean {
  return info !== undefined && info.relations.has(name) && !info.rolesAndPermissions.has(name);
}

/** The `has_*` head's declared-name parameter: `has_role(_: User, "admin", _: Repo)` → ("admin", "Repo"). */
function declaredHeadParam(params: readonly Parameter[]): { name: string; span: Span; block: string } | null {
  const name = params[1];
  const resource = params[2];
  if (params.length !== 3 || name === undefined || resource === undefined || resource.specializer === null) return null;
  const value = stringOf(name.parameter);
  const span = inner(name.parameter);
  const tag = tagSpan(resource.specializer);
  return value === null || span === null || tag === null ? null : { name: value, span, block: tag.name };
}

/** Every reference inside one block opening, with what it refers to. */
function blockReferences(
  line: ResourceBlockLine,
  text: string,
  infos: ReadonlyMap<string, BlockInfo>,
  visit: (target: Target, span: Span, declaration: boolean) => void,
): void {
  const block = blockName(line);
  if (block === null) return;
  visit({ kind: "class", name: block }, { start: line.nameStart, end: line.nameEnd }, true);
  const info = infos.get(block);
  for (const p of line.productions) {
    if (p.kind === "declaration") {
      const declName = symbolOf(p.name);
      if (declName === null) continue;
      for (const d of declaredStrings(declName, p.value, text)) {
        const span = d.kind === "relation" ? d.span : { start: d.span.start + 1, end: d.span.end - 1 };
        visit({ kind: "declared", block, name: d.name, relation: d.kind === "relation" }, span, true);
        if (d.type !== null && d.typeSpan !== null) visit({ kind: "class", name: d.type }, d.typeSpan, false);
      }
      continue;
    }
    const head = stringOf(p.head);
    const headSpan = inner(p.head);
    if (head !== null && headSpan !== null)
      visit({ kind: "declared", block, name: head, relation: false }, headSpan, false);
    const relation = p.relation === null ? null : stringOf(p.relation.name);
    const relationSpan = p.relation === null ? null : inner(p.relation.name);
    if (relation !== null && relationSpan !== null) {
      visit({ kind: "declared", block, name: relation, relation: true }, relationSpan, false);
    }
    const implier = stringOf(p.implier);
    const implierSpan = inner(p.implier);
    if (implier === null || implierSpan === null) continue;
    if (relation === null) {
      visit({ kind: "declared", block, name: implier, relation: implierIsRelation(info, implier) }, implierSpan, false);
    } else {
      const type = info?.relations.get(relation);
      if (type !== undefined && type !== null) {
        visit({ kind: "declared", block: type, name: implier, relation: false }, implierSpan, false);
      }
    }
  }
}

/** Visits every reference in the documents (or in `only`), with its target. */
function visitAll(
  docs: readonly ParsedDocument[],
  only: ParsedDocument | null,
  visit: (doc: ParsedDocument, target: Target, span: Span, declaration: boolean) => void,
): void {
  const infos = blockInfo(docs);
  for (const doc of only === null ? docs : [only]) {
    const text = doc.document.getText();
    for (const line of doc.lines) {
      if (line.kind === "resourceBlock") {
        blockReferences(line, text, infos, (target, span, declaration) => visit(doc, target, span, declaration));
        continue;
      }
      if (line.kind === "rule" || line.kind === "ruleType") {
        const nameSpan = ruleNameSpan(line.rule, text, line.kind === "ruleType");
        if (nameSpan !== null) {
          visit(doc, { kind: "rule", name: line.rule.name, arity: line.rule.params.length }, nameSpan, true);
        }
        const relation = DECLARED_RULES.get(line.rule.name);
        const declared = relation === undefined ? null : declaredHeadParam(line.rule.params);
        if (relation !== undefined && declared !== null) {
          visit(doc, { kind: "declared", block: declared.block, name: declared.name, relation }, declared.span, false);
        }
      }
      visitTerms(
        lineTerms(line),
        (name, arity, span) => visit(doc, { kind: "rule", name, arity }, span, false),
        (name, span) => visit(doc, { kind: "class", name }, span, false),
      );
    }
  }
}

function sameTarget(a: Target, b: Target): boolean {
  if (a.kind === "rule" && b.kind === "rule") return a.name === b.name && a.arity === b.arity;
  if (a.kind === "class" && b.kind === "class") return a.name === b.name;
  if (a.kind === "declared" && b.kind === "declared") {
    return a.block === b.block && a.name === b.name && a.relation === b.relation;
  }
  return false;
}

/** The target named at `offset` of `doc` (the innermost span holding it), with that span. */
export function targetAt(
  docs: readonly ParsedDocument[],
  doc: ParsedDocument,
  offset: number,
): { target: Target; span: Span } | null {
  let found: { target: Target; span: Span } | null = null;
  visitAll(docs, doc, (_, target, span) => {
    if (!contains(span, offset)) return;
    if (found === null || span.end - span.start < found.span.end - found.span.start) found = { target, span };
  });
  return found;
}

/** Every place in the documents naming `target`, in document then text order. */
export function occurrences(docs: readonly ParsedDocument[], target: Target): Occurrence[] {
  const out: Occurrence[] = [];
  const seen = new Set<string>();
  visitAll(docs, null, (doc, t, span, declaration) => {
    if (!sameTarget(t, target)) return;
    const key = `${doc.uri}\u0000${span.start}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ doc, span, declaration });
  });
  return out.sort((a, b) => (a.doc.uri === b.doc.uri ? a.span.start - b.span.start : 0));
}
