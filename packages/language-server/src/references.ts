/**
 * What a name at the cursor refers to, and every place in the policy that names the same thing:
 * the base of find references, document highlight and rename.
 *
 * Targets:
 * - rules, by name and arity: rule heads, rule type heads and rule calls (not method calls);
 * - roles, permissions and relations of a resource block: their declarations in every opening of
 *   the block, the shorthand rules that use them (in the block itself, and the impliers of
 *   `… on "relation"` in blocks whose relation points to it), and the string argument of
 *   `has_role`/`has_permission`/`has_relation` rule heads and calls whose resource is of the
 *   block's type (a specializer `repo: Repo`, or `repo matches Repo` in the rule's body);
 * - classes (actor and resource block names): block names, relation types and specializers
 *   (`x: Repo`, `x matches Repo`).
 *
 * Each document's references are indexed once per parse (by target); only the impliers of
 * shorthand rules, whose target depends on the block's declarations in every file, are resolved
 * per request. A request costs a lookup per document, not a walk over the policy.
 */
import type { Line, Parameter, Rule, Term } from "@polar-ide/analyzer";
import {
  blockName,
  contains,
  declaredStrings,
  nameSpanOf,
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

/** Which `has_*` rule names which kind of declared name (2nd argument, the 3rd of the block's type). */
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

/**
 * The classes a rule's variables are known to have: a parameter's specializer (`repo: Repo`,
 * `repo: Repo{}`) or a `repo matches Repo` that holds for the whole body (a conjunct of it).
 */
function variableClasses(rule: Rule): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of rule.params) {
    const name = symbolOf(p.parameter);
    const tag = p.specializer?.value.type === "InstancePattern" ? p.specializer.value.tag : null;
    if (name !== null && tag !== null) out.set(name, tag);
  }
  const body = rule.body.value;
  const conjuncts = body.type === "Expression" && body.operator === "And" ? body.args : [rule.body];
  for (const c of conjuncts) {
    const v = c.value;
    if (v.type !== "Expression" || v.operator !== "Isa") continue;
    const [left, right] = v.args;
    const name = left === undefined ? null : symbolOf(left);
    if (name !== null && right?.value.type === "InstancePattern" && !out.has(name)) out.set(name, right.value.tag);
  }
  return out;
}

/** The class of a `has_*` resource argument: its specializer, else what the rule knows of its variable. */
function resourceClass(term: Term, specializer: Term | null, classes: ReadonlyMap<string, string>): string | null {
  if (specializer?.value.type === "InstancePattern") return specializer.value.tag;
  if (term.value.type === "InstancePattern") return term.value.tag;
  const name = symbolOf(term);
  return name === null ? null : (classes.get(name) ?? null);
}

/** The declared name a `has_*` head or call names: `has_role(_: User, "admin", _: Repo)` → ("admin", "Repo"). */
function declaredArgument(
  name: Term | undefined,
  resource: Term | undefined,
  specializer: Term | null,
  classes: ReadonlyMap<string, string>,
): { name: string; span: Span; block: string } | null {
  if (name === undefined || resource === undefined) return null;
  const value = stringOf(name);
  const span = inner(name);
  const block = resourceClass(resource, specializer, classes);
  return value === null || span === null || block === null ? null : { name: value, span, block };
}

function declaredHeadParam(params: readonly Parameter[], classes: ReadonlyMap<string, string>) {
  const resource = params[2];
  if (params.length !== 3 || resource === undefined) return null;
  return declaredArgument(params[1]?.parameter, resource.parameter, resource.specializer, classes);
}

/** The roles/permissions and relations (with their types) one document declares per block. */
interface BlockInfo {
  readonly rolesAndPermissions: Set<string>;
  readonly relations: Map<string, string | null>;
}

/** A shorthand rule's implier: what it names depends on its block's declarations in every document. */
interface Implier {
  readonly block: string;
  readonly name: string;
  /** The `on "relation"` clause's relation, or null. */
  readonly relation: string | null;
  readonly span: Span;
}

interface Reference {
  readonly target: Target;
  readonly span: Span;
  readonly declaration: boolean;
}

/** One parse's references: by target key, and the impliers left to resolve. */
interface DocumentIndex {
  /** Every reference of the document but the impliers, in visiting order. */
  readonly references: readonly Reference[];
  readonly byKey: ReadonlyMap<string, readonly Reference[]>;
  readonly impliers: readonly Implier[];
  readonly blocks: ReadonlyMap<string, BlockInfo>;
}

function keyOf(target: Target): string {
  switch (target.kind) {
    case "rule":
      return `rule\u0000${target.name}\u0000${target.arity}`;
    case "class":
      return `class\u0000${target.name}`;
    case "declared":
      return `${target.relation ? "relation" : "declared"}\u0000${target.block}\u0000${target.name}`;
  }
}

/** Indexes by parse (a document's lines belong to one text). */
const indexes = new WeakMap<readonly Line[], DocumentIndex>();

function indexOf(doc: ParsedDocument): DocumentIndex {
  let index = indexes.get(doc.lines);
  if (index === undefined) {
    index = buildIndex(doc);
    indexes.set(doc.lines, index);
  }
  return index;
}

function buildIndex(doc: ParsedDocument): DocumentIndex {
  const text = doc.document.getText();
  const references: Reference[] = [];
  const impliers: Implier[] = [];
  const blocks = new Map<string, BlockInfo>();
  const visit = (target: Target, span: Span, declaration: boolean): void => {
    references.push({ target, span, declaration });
  };
  for (const line of doc.lines) {
    if (line.kind === "resourceBlock") {
      blockReferences(line, text, blocks, visit, impliers);
      continue;
    }
    let classes: ReadonlyMap<string, string> = new Map();
    if (line.kind === "rule" || line.kind === "ruleType") {
      classes = variableClasses(line.rule);
      const nameSpan = ruleNameSpan(line.rule, text, line.kind === "ruleType");
      if (nameSpan !== null)
        visit({ kind: "rule", name: line.rule.name, arity: line.rule.params.length }, nameSpan, true);
      const relation = DECLARED_RULES.get(line.rule.name);
      const declared = relation === undefined ? null : declaredHeadParam(line.rule.params, classes);
      if (relation !== undefined && declared !== null) {
        visit({ kind: "declared", block: declared.block, name: declared.name, relation }, declared.span, false);
      }
    }
    visitTerms(lineTerms(line), classes, visit);
  }
  const byKey = new Map<string, Reference[]>();
  for (const r of references) {
    const key = keyOf(r.target);
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [r]);
    else list.push(r);
  }
  return { references, byKey, impliers, blocks };
}

/**
 * Rule calls (not `x.m()` nor `new C()`), the declared names of `has_*` calls whose resource's
 * class is known, and class patterns inside a line's terms.
 */
function visitTerms(
  terms: readonly Term[],
  classes: ReadonlyMap<string, string>,
  visit: (target: Target, span: Span, declaration: boolean) => void,
): void {
  for (const root of terms) {
    walk(root, (t, parent) => {
      if (t.value.type === "InstancePattern") {
        const tag = tagSpan(t);
        if (tag !== null) visit({ kind: "class", name: tag.name }, tag.span, false);
        return;
      }
      if (t.value.type !== "Call") return;
      if (parent !== null && parent.value.type === "Expression") {
        const op = parent.value.operator;
        if (op === "Dot" || op === "New") return;
      }
      const { name, args } = t.value;
      const span = spanOf(t);
      if (span !== null)
        visit({ kind: "rule", name, arity: args.length }, { start: span.start, end: span.start + name.length }, false);
      const relation = DECLARED_RULES.get(name);
      if (relation === undefined || args.length !== 3) return;
      const declared = declaredArgument(args[1], args[2], null, classes);
      if (declared !== null) {
        visit({ kind: "declared", block: declared.block, name: declared.name, relation }, declared.span, false);
      }
    });
  }
}

/** The references inside one block opening (impliers apart), and its declarations into `blocks`. */
function blockReferences(
  line: ResourceBlockLine,
  text: string,
  blocks: Map<string, BlockInfo>,
  visit: (target: Target, span: Span, declaration: boolean) => void,
  impliers: Implier[],
): void {
  const block = blockName(line);
  if (block === null) return;
  visit({ kind: "class", name: block }, nameSpanOf(line), true);
  let info = blocks.get(block);
  if (info === undefined) blocks.set(block, (info = { rolesAndPermissions: new Set(), relations: new Map() }));
  for (const p of line.productions) {
    if (p.kind === "declaration") {
      const declName = symbolOf(p.name);
      if (declName === null) continue;
      for (const d of declaredStrings(declName, p.value, text)) {
        if (d.kind === "relation") info.relations.set(d.name, d.type);
        else info.rolesAndPermissions.add(d.name);
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
    if (implier !== null && implierSpan !== null) {
      impliers.push({ block, name: implier, relation, span: implierSpan });
    }
  }
}

/** The declarations of every block over all its openings in the documents (later openings win for a relation's type). */
function mergedBlocks(docs: readonly ParsedDocument[]): Map<string, BlockInfo> {
  const out = new Map<string, BlockInfo>();
  for (const doc of docs) {
    for (const [block, info] of indexOf(doc).blocks) {
      let merged = out.get(block);
      if (merged === undefined) out.set(block, (merged = { rolesAndPermissions: new Set(), relations: new Map() }));
      for (const name of info.rolesAndPermissions) merged.rolesAndPermissions.add(name);
      for (const [name, type] of info.relations) merged.relations.set(name, type);
    }
  }
  return out;
}

/**
 * What an implier names: without `on`, a relation of its block when the block declares it as a
 * relation only (`"admin" if "creator";`), else a role or permission of its block; with
 * `on "relation"`, a role or permission of the relation's type.
 */
function implierTarget(implier: Implier, blocks: ReadonlyMap<string, BlockInfo>): Target | null {
  const info = blocks.get(implier.block);
  if (implier.relation === null) {
    const relation =
      info !== undefined && info.relations.has(implier.name) && !info.rolesAndPermissions.has(implier.name);
    return { kind: "declared", block: implier.block, name: implier.name, relation };
  }
  const type = info?.relations.get(implier.relation);
  return type === undefined || type === null
    ? null
    : { kind: "declared", block: type, name: implier.name, relation: false };
}

function sameTarget(a: Target, b: Target): boolean {
  return keyOf(a) === keyOf(b);
}

/** The target named at `offset` of `doc` (the innermost span holding it), with that span. */
export function targetAt(
  docs: readonly ParsedDocument[],
  doc: ParsedDocument,
  offset: number,
): { target: Target; span: Span } | null {
  let found: { target: Target; span: Span } | null = null;
  const consider = (target: Target, span: Span): void => {
    if (!contains(span, offset)) return;
    if (found === null || span.end - span.start < found.span.end - found.span.start) found = { target, span };
  };
  const index = indexOf(doc);
  for (const r of index.references) consider(r.target, r.span);
  const touched = index.impliers.filter((i) => contains(i.span, offset));
  if (touched.length > 0) {
    const blocks = mergedBlocks(docs.includes(doc) ? docs : [...docs, doc]);
    for (const i of touched) {
      const target = implierTarget(i, blocks);
      if (target !== null) consider(target, i.span);
    }
  }
  return found;
}

/**
 * Every place in the documents naming `target`, in document then text order; only those in
 * `within` when given (the target's meaning still depends on every document of `docs`).
 */
export function occurrences(
  docs: readonly ParsedDocument[],
  target: Target,
  within: readonly ParsedDocument[] = docs,
): Occurrence[] {
  const key = keyOf(target);
  const blocks = target.kind === "declared" ? mergedBlocks(docs) : null;
  const out: Occurrence[] = [];
  for (const doc of within) {
    const index = indexOf(doc);
    const spans: { span: Span; declaration: boolean }[] = [...(index.byKey.get(key) ?? [])];
    if (blocks !== null) {
      for (const i of index.impliers) {
        // Cheap filters before resolving: the implier's name is the target's name.
        if (i.name !== target.name) continue;
        const t = implierTarget(i, blocks);
        if (t !== null && sameTarget(t, target)) spans.push({ span: i.span, declaration: false });
      }
    }
    spans.sort((a, b) => a.span.start - b.span.start);
    let last = -1;
    for (const s of spans) {
      if (s.span.start === last) continue;
      last = s.span.start;
      out.push({ doc, span: s.span, declaration: s.declaration });
    }
  }
  return out;
}
