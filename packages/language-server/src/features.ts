/**
 * Editor features computed from parsed Polar lines: document symbols, go to definition and hover.
 * Pure functions over a snapshot of the tracked documents; they know no connection (the server
 * wires them to LSP requests). Offsets are UTF-16 offsets into a document's text, converted to LSP
 * positions only at the edge through each document's `TextDocument`.
 */
import {
  ruleHeadToPolar,
  type FileSpans,
  type LoadResult,
  type SourceFile,
  type Line,
  type Production,
  type Rule,
  type Term,
} from "@polar-ide/analyzer";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { DocumentSymbol, MarkupKind, SymbolKind, type Hover, type Location, type Range } from "vscode-languageserver";
import { LineTableDocument } from "./line-table-document.js";

/** One tracked document with its parsed lines (empty when it failed to parse). */
export interface ParsedDocument {
  readonly uri: string;
  readonly document: TextDocument;
  readonly lines: readonly Line[];
}

export type ResourceBlockLine = Extract<Line, { kind: "resourceBlock" }>;
type Shorthand = Extract<Production, { kind: "shorthand" }>;

export interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * The position tables of the documents' current parses, by the parse text ("generation") their
 * terms name. The analyzer re-parses only the items an edit touched and keeps the others as they
 * were, with the offsets of the parse that made them (see the analyzer's spans.ts); the documents
 * register each new parse here ({@link trackSpans}), so that {@link spanOf} places every term in
 * its document's current text. A generation belongs to one document, and only the server's own
 * policies are registered (never a fork for a trial), so each maps to its document's current parse.
 * Terms of a fresh parse (every term in its own text) need no entry.
 */
const liveSpans = new WeakMap<SourceFile, FileSpans>();

/** Registers the position table of a document's current parse (called on every change). */
export function trackSpans(spans: FileSpans | undefined): void {
  if (spans === undefined || spans.isIdentity) return;
  for (const file of spans.sources()) liveSpans.set(file, spans);
}

/** A parsed term's span in its document's current text, or null for temporaries. */
export function spanOf(term: { readonly source: Term["source"] } | Rule): Span | null {
  const s = term.source;
  if (s.kind !== "parser") return null;
  const spans = liveSpans.get(s.file);
  if (spans === undefined) return { start: s.start, end: s.end };
  const d = spans.shift(s.file, s.start);
  return { start: s.start + d, end: s.end + d };
}

/** The span of a resource block's name in its document's current text. */
export function nameSpanOf(line: ResourceBlockLine): Span {
  const s = line.resource.source;
  const spans = s.kind === "parser" ? liveSpans.get(s.file) : undefined;
  if (spans === undefined) return { start: line.nameStart, end: line.nameEnd };
  return { start: spans.offset(s, line.nameStart), end: spans.offset(s, line.nameEnd) };
}

export function contains(span: Span | null, offset: number): span is Span {
  // Inclusive end: a cursor right after the last character still "touches" the token, as editors expect.
  return span !== null && span.start <= offset && offset <= span.end;
}

export function rangeOf(doc: TextDocument, span: Span): Range {
  return { start: doc.positionAt(span.start), end: doc.positionAt(span.end) };
}

export function stringOf(term: Term): string | null {
  return term.value.type === "String" ? term.value.value : null;
}

export function symbolOf(term: Term | null): string | null {
  return term !== null && term.value.type === "Variable" ? term.value.name : null;
}

/** The span of a rule from its head to the end of its body (the head alone for bodiless rules). */
export function ruleSpan(rule: Rule): Span | null {
  const head = spanOf(rule);
  if (head === null) return null;
  const body = spanOf(rule.body);
  return body !== null && body.end > head.end ? { start: head.start, end: body.end } : head;
}

/** The span of a rule's name inside its head: heads start with the name (`type ` precedes it in rule types). */
export function ruleNameSpan(rule: Rule, text: string, isType: boolean): Span | null {
  const head = spanOf(rule);
  if (head === null) return null;
  const at = text.indexOf(rule.name, head.start);
  if (at >= 0 && at < head.end) return { start: at, end: at + rule.name.length };
  return isType ? head : { start: head.start, end: Math.min(head.end, head.start + rule.name.length) };
}

/** Visits every sub-term (pre-order). `parent` is the enclosing term, for telling method calls from rule calls. */
export function walk(term: Term, visit: (term: Term, parent: Term | null) => void, parent: Term | null = null): void {
  // Explicit stack: deeply nested terms (a 10 MB document of parentheses) must not overflow the call stack.
  const stack: [Term, Term | null][] = [[term, parent]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [t, p] = item;
    visit(t, p);
    const v = t.value;
    const children: Term[] = [];
    switch (v.type) {
      case "Dictionary":
      case "DictionaryPattern":
      case "InstancePattern":
        children.push(...v.fields.values());
        break;
      case "Call":
        children.push(...v.args);
        if (v.kwargs !== null) children.push(...v.kwargs.values());
        break;
      case "List":
        children.push(...v.elements);
        break;
      case "Expression":
        children.push(...v.args);
        break;
      default:
        break;
    }
    for (let i = children.length - 1; i >= 0; i--) {
      const c = children[i];
      if (c !== undefined) stack.push([c, t]);
    }
  }
}

/** A rule call (not a method call `x.m()` nor a constructor `new C()`), whose name covers `offset`. */
function ruleCallAt(lines: readonly Line[], offset: number): { name: string; span: Span } | null {
  let found: { name: string; span: Span } | null = null;
  const inspect = (root: Term): void => {
    if (!contains(spanOf(root), offset)) return;
    walk(root, (t, parent) => {
      if (found !== null || t.value.type !== "Call") return;
      if (parent !== null && parent.value.type === "Expression") {
        const op = parent.value.operator;
        if (op === "Dot" || op === "New") return;
      }
      const span = spanOf(t);
      if (span === null) return;
      const name = { start: span.start, end: span.start + t.value.name.length };
      if (contains(name, offset)) found = { name: t.value.name, span: name };
    });
  };
  for (const line of lines) {
    if (line.kind === "rule") {
      for (const p of line.rule.params) {
        inspect(p.parameter);
        if (p.specializer !== null) inspect(p.specializer);
      }
      inspect(line.rule.body);
    } else if (line.kind === "query") inspect(line.term);
    if (found !== null) return found;
  }
  return null;
}

/** Rule heads (and rule type heads) whose name covers `offset`: hovering a definition shows its types too. */
function ruleHeadAt(doc: ParsedDocument, offset: number): { name: string; span: Span } | null {
  const text = doc.document.getText();
  for (const line of doc.lines) {
    if (line.kind !== "rule" && line.kind !== "ruleType") continue;
    const span = ruleNameSpan(line.rule, text, line.kind === "ruleType");
    if (contains(span, offset)) return { name: line.rule.name, span };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Document symbols

/**
 * The most items an outline answer (`textDocument/documentSymbol`) holds, at every depth. Every
 * top-level item is always in it (the outline, breadcrumbs and "go to symbol" navigate the whole
 * file by them); the nested levels — a block's declarations and shorthand rules, then the roles,
 * permissions and relations a declaration lists — are added one whole level at a time, while the
 * total stays within this. A 50k-line file (56k items, 13.5 MB of JSON, whose encoding and
 * decoding alone took 279 ms on a quiet machine) is answered with its 10k top-level items (2.7 MB);
 * a 10k-line one keeps its blocks' declarations and shorthand rules. VS Code's own JSON server caps
 * its outline the same way (`json.maxItemsComputed`, 5000). Workspace symbols are not capped here.
 */
export const OUTLINE_MAX_ITEMS = 10_000;

/** How deep an outline goes: 1 top-level items, 2 with blocks' productions, 3 with declared names. */
type OutlineDepth = 1 | 2 | 3;

/**
 * The deepest outline of `lines` whose items number at most `maxItems` (at least the top level).
 * Counted from the syntax tree without building anything; a level's count is an upper bound (an
 * item the outline cannot place is counted too), so the answer never exceeds the budget.
 */
export function outlineDepth(lines: readonly Line[], maxItems: number): OutlineDepth {
  let top = 0;
  let productions = 0;
  let declared = 0;
  // Indexed loops: an iterator not yet optimised allocates a result object per step (run per outline).
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as Line;
    if (line.kind === "query") continue;
    top++;
    if (line.kind !== "resourceBlock") continue;
    productions += line.productions.length;
    for (let j = 0; j < line.productions.length; j++) {
      const p = line.productions[j] as Production;
      if (p.kind !== "declaration") continue;
      const v = p.value.value;
      if (v.type === "List") declared += v.elements.length;
      else if (v.type === "Dictionary" || v.type === "DictionaryPattern") declared += v.fields.size;
    }
  }
  if (top + productions + declared <= maxItems) return 3;
  return top + productions <= maxItems ? 2 : 1;
}

/**
 * The outline of each parsed item, with where the item started when it was made and how deep it
 * goes. An item's symbols depend only on its text, on the position of its start (positions inside
 * it are that start plus the item's own text) and on the depth. The re-parse keeps the untouched
 * items of a big file (the same line objects), so after a keystroke that adds no line break
 * before them, their symbols are these very objects; else they are made again. Symbols are never
 * mutated.
 */
const itemSymbols = new WeakMap<
  Line,
  {
    readonly line: number;
    readonly character: number;
    readonly depth: OutlineDepth;
    readonly symbol: DocumentSymbol | null;
  }
>();

/** A parsed term's start in its document's current text ({@link spanOf}'s, allocating nothing), or -1 for temporaries. */
function startOf(term: { readonly source: Term["source"] } | Rule): number {
  const s = term.source;
  if (s.kind !== "parser") return -1;
  const spans = liveSpans.get(s.file);
  return spans === undefined ? s.start : s.start + spans.shift(s.file, s.start);
}

/** The offset an item's symbols are placed from (its first token), or -1 when it has no outline. */
function itemStart(line: Line): number {
  switch (line.kind) {
    case "rule":
    case "ruleType":
      return startOf(line.rule);
    case "resourceBlock":
      return startOf(line.resource);
    case "query":
      return -1;
  }
}

/** Where an item starts, as a position: one object, written over for every item (an outline checks them all). */
const itemAt = { line: 0, character: 0 };

/** {@link itemAt} set to the position of `offset` in `document`. */
function placeItem(document: TextDocument, offset: number): void {
  if (document instanceof LineTableDocument) document.positionInto(offset, itemAt);
  else {
    const p = document.positionAt(offset);
    itemAt.line = p.line;
    itemAt.character = p.character;
  }
}

/**
 * Outline of one document: rules, rule types, resource blocks with declarations and shorthand
 * rules, as deep as `maxItems` allows ({@link OUTLINE_MAX_ITEMS}; unlimited by default). After a
 * keystroke in a big file all but a few items are cached: checking them allocates nothing
 * ({@link startOf}, {@link placeItem}), so an outline leaves little garbage for the next scavenge.
 */
export function documentSymbols(doc: ParsedDocument, maxItems = Number.POSITIVE_INFINITY): DocumentSymbol[] {
  const text = doc.document.getText();
  const depth = outlineDepth(doc.lines, maxItems);
  // Sized once (an array grown by push leaves its outgrown copies behind), cut to its length at the end.
  const out = new Array<DocumentSymbol>(doc.lines.length);
  let n = 0;
  for (let i = 0; i < doc.lines.length; i++) {
    const line = doc.lines[i] as Line;
    const start = itemStart(line);
    if (start < 0) continue;
    placeItem(doc.document, start);
    const cached = itemSymbols.get(line);
    let symbol: DocumentSymbol | null;
    if (
      cached !== undefined &&
      cached.line === itemAt.line &&
      cached.character === itemAt.character &&
      cached.depth === depth
    )
      symbol = cached.symbol;
    else {
      const { line: l, character } = itemAt;
      symbol = lineSymbol(doc, line, text, depth);
      itemSymbols.set(line, { line: l, character, depth, symbol });
    }
    if (symbol !== null) out[n++] = symbol;
  }
  out.length = n;
  return out;
}

function lineSymbol(doc: ParsedDocument, line: Line, text: string, depth: OutlineDepth): DocumentSymbol | null {
  switch (line.kind) {
    case "rule":
    case "ruleType": {
      const span = ruleSpan(line.rule);
      const name = ruleNameSpan(line.rule, text, line.kind === "ruleType");
      if (span === null || name === null) return null;
      const head = spanOf(line.rule) ?? span;
      return DocumentSymbol.create(
        line.rule.name,
        line.kind === "ruleType" ? "rule type" : oneLine(text.slice(head.start, head.end)),
        line.kind === "ruleType" ? SymbolKind.Interface : SymbolKind.Function,
        rangeOf(doc.document, span),
        rangeOf(doc.document, name),
      );
    }
    case "resourceBlock":
      return blockSymbol(doc, line, text, depth);
    case "query":
      return null;
  }
}

/** Polar as the engine prints it, as a person writes it: `Actor{}` (an instance pattern) as `Actor`. */
export function displayPolar(text: string): string {
  return text.replace(/\b([A-Za-z_][A-Za-z0-9_:]*)\{\}/g, "$1");
}

/** The most characters of a one-line rendering ({@link oneLine}); longer ones end with `...`. */
const ONE_LINE_MAX = 120;

/**
 * `s` on one line: each run of white space (as the RegExp `\s` class) one space, trimmed, at most
 * {@link ONE_LINE_MAX} characters. A new string, read character by character: `s` is a slice of the
 * document's whole text, and neither a slice of it (which `trim()` or a `replace` that matches
 * nothing return) kept in a cached symbol, nor V8's record of the last RegExp match (which holds its
 * subject), may keep that text alive after the next edit (issue 13's memory).
 */
export function oneLine(s: string): string {
  let out = "";
  let space = false;
  for (let i = 0; i < s.length && out.length <= ONE_LINE_MAX; i++) {
    const c = s.charCodeAt(i);
    if (isWhiteSpace(c)) {
      space = out.length > 0;
      continue;
    }
    if (space) out += " ";
    space = false;
    out += String.fromCharCode(c);
  }
  return out.length > ONE_LINE_MAX ? `${out.slice(0, ONE_LINE_MAX - 3)}...` : out;
}

/** Whether a UTF-16 code unit is white space or a line terminator, as RegExp's `\s` matches. */
function isWhiteSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function blockSymbol(
  doc: ParsedDocument,
  line: ResourceBlockLine,
  text: string,
  depth: OutlineDepth,
): DocumentSymbol | null {
  const span = spanOf(line.resource);
  if (span === null) return null;
  const nameSpan = nameSpanOf(line);
  const name = symbolOf(line.resource) ?? text.slice(nameSpan.start, nameSpan.end);
  const children: DocumentSymbol[] = [];
  for (const production of depth > 1 ? line.productions : []) {
    if (production.kind === "declaration") {
      const declaration = declarationSymbol(doc, production.name, production.value, text, depth);
      if (declaration !== null) children.push(declaration);
    } else {
      const s = shorthandSpan(production);
      const head = spanOf(production.head);
      if (s === null || head === null) continue;
      children.push(
        DocumentSymbol.create(
          oneLine(text.slice(s.start, s.end)),
          "shorthand rule",
          SymbolKind.Event,
          rangeOf(doc.document, s),
          rangeOf(doc.document, head),
        ),
      );
    }
  }
  return DocumentSymbol.create(
    name,
    symbolOf(line.keyword) ?? "",
    SymbolKind.Class,
    rangeOf(doc.document, span),
    rangeOf(doc.document, nameSpan),
    depth > 1 ? children : undefined,
  );
}

function shorthandSpan(p: Shorthand): Span | null {
  const head = spanOf(p.head);
  const last = spanOf(p.relation?.name ?? p.implier);
  return head === null || last === null ? null : { start: head.start, end: last.end };
}

function declarationSymbol(
  doc: ParsedDocument,
  nameTerm: Term,
  value: Term,
  text: string,
  depth: OutlineDepth,
): DocumentSymbol | null {
  const name = symbolOf(nameTerm);
  const nameSpan = spanOf(nameTerm);
  const valueSpan = spanOf(value);
  if (name === null || nameSpan === null || valueSpan === null) return null;
  const children: DocumentSymbol[] = [];
  for (const d of depth > 2 ? declaredStrings(name, value, text) : []) {
    children.push(
      DocumentSymbol.create(
        d.name,
        d.detail,
        d.kind === "relation" ? SymbolKind.Field : d.kind === "role" ? SymbolKind.Constant : SymbolKind.EnumMember,
        rangeOf(doc.document, d.span),
        rangeOf(doc.document, d.span),
      ),
    );
  }
  return DocumentSymbol.create(
    name,
    undefined,
    SymbolKind.Namespace,
    rangeOf(doc.document, { start: nameSpan.start, end: valueSpan.end }),
    rangeOf(doc.document, nameSpan),
    depth > 2 ? children : undefined,
  );
}

export interface Declared {
  readonly kind: "role" | "permission" | "relation";
  readonly name: string;
  readonly span: Span;
  readonly detail: string;
  /** For relations: the related resource type. */
  readonly type: string | null;
  readonly typeSpan: Span | null;
}

/** The strings a `roles`/`permissions` list or `relations` dictionary declares, with their spans. */
export function declaredStrings(declaration: string, value: Term, text: string): Declared[] {
  const out: Declared[] = [];
  const v = value.value;
  if ((declaration === "roles" || declaration === "permissions") && v.type === "List") {
    const kind = declaration === "roles" ? "role" : "permission";
    for (const e of v.elements) {
      const s = stringOf(e);
      const span = spanOf(e);
      if (s !== null && span !== null) out.push({ kind, name: s, span, detail: kind, type: null, typeSpan: null });
    }
  } else if (declaration === "relations" && (v.type === "Dictionary" || v.type === "DictionaryPattern")) {
    const dict = spanOf(value);
    // Keys carry no span in the syntax tree: find each key between the previous entry and its type symbol.
    const entries = [...v.fields.entries()]
      .map(([key, type]) => ({ key, type, span: spanOf(type) }))
      .sort((a, b) => (a.span?.start ?? 0) - (b.span?.start ?? 0));
    let from = dict?.start ?? 0;
    for (const { key, type, span } of entries) {
      if (span === null) continue;
      const at = text.lastIndexOf(key, span.start);
      const keySpan = at >= from ? { start: at, end: at + key.length } : span;
      const typeName = symbolOf(type);
      out.push({
        kind: "relation",
        name: key,
        span: keySpan,
        detail: typeName === null ? "relation" : `relation: ${typeName}`,
        type: typeName,
        typeSpan: span,
      });
      from = span.end;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Go to definition

/** Locations a position refers to: rule definitions for a rule call, declarations for shorthand strings. */
export function definition(docs: readonly ParsedDocument[], doc: ParsedDocument, offset: number): Location[] {
  const call = ruleCallAt(doc.lines, offset) ?? ruleHeadAt(doc, offset);
  if (call !== null) return ruleDefinitions(docs, call.name);
  return blockDefinition(docs, doc, offset);
}

function ruleDefinitions(docs: readonly ParsedDocument[], name: string): Location[] {
  const out: Location[] = [];
  for (const d of docs) {
    const text = d.document.getText();
    for (const line of d.lines) {
      if (line.kind !== "rule" || line.rule.name !== name) continue;
      const span = ruleSpan(line.rule);
      const nameSpan = ruleNameSpan(line.rule, text, false);
      if (span !== null && nameSpan !== null) out.push({ uri: d.uri, range: rangeOf(d.document, nameSpan) });
    }
  }
  return out;
}

export interface BlockRef {
  readonly doc: ParsedDocument;
  readonly line: ResourceBlockLine;
}

export function blockName(line: ResourceBlockLine): string | null {
  return symbolOf(line.resource);
}

/** Every declaration of a block, across all its (re)openings in all documents. */
export function blocksNamed(docs: readonly ParsedDocument[], name: string): BlockRef[] {
  const out: BlockRef[] = [];
  for (const doc of docs) {
    for (const line of doc.lines) {
      if (line.kind === "resourceBlock" && blockName(line) === name) out.push({ doc, line });
    }
  }
  return out;
}

export function declarationsOf(ref: BlockRef): Declared[] {
  const text = ref.doc.document.getText();
  const out: Declared[] = [];
  for (const p of ref.line.productions) {
    if (p.kind !== "declaration") continue;
    const name = symbolOf(p.name);
    if (name !== null) out.push(...declaredStrings(name, p.value, text));
  }
  return out;
}

function findDeclared(
  refs: readonly BlockRef[],
  name: string,
  kinds: ReadonlySet<Declared["kind"]>,
): { ref: BlockRef; declared: Declared }[] {
  const out: { ref: BlockRef; declared: Declared }[] = [];
  for (const ref of refs) {
    for (const declared of declarationsOf(ref)) {
      if (declared.name === name && kinds.has(declared.kind)) out.push({ ref, declared });
    }
  }
  return out;
}

const ROLE_OR_PERMISSION: ReadonlySet<Declared["kind"]> = new Set(["role", "permission"]);
const RELATION: ReadonlySet<Declared["kind"]> = new Set(["relation"]);
const ANY_DECLARED: ReadonlySet<Declared["kind"]> = new Set(["role", "permission", "relation"]);

function toLocations(found: { ref: BlockRef; declared: Declared }[]): Location[] {
  return found.map(({ ref, declared }) => ({ uri: ref.doc.uri, range: rangeOf(ref.doc.document, declared.span) }));
}

function blockDefinition(docs: readonly ParsedDocument[], doc: ParsedDocument, offset: number): Location[] {
  for (const line of doc.lines) {
    if (line.kind !== "resourceBlock" || !contains(spanOf(line.resource), offset)) continue;
    const name = blockName(line);
    if (name === null) return [];
    const here = blocksNamed(docs, name);
    for (const p of line.productions) {
      if (p.kind === "declaration") {
        // A relation's type symbol → the block of that type.
        const declName = symbolOf(p.name);
        if (declName !== "relations") continue;
        for (const d of declaredStrings(declName, p.value, doc.document.getText())) {
          if (d.type !== null && contains(d.typeSpan, offset)) return blockLocations(docs, d.type);
        }
        continue;
      }
      const head = stringOf(p.head);
      if (head !== null && contains(spanOf(p.head), offset)) {
        return toLocations(findDeclared(here, head, ROLE_OR_PERMISSION));
      }
      const relation = p.relation === null ? null : stringOf(p.relation.name);
      if (p.relation !== null && relation !== null && contains(spanOf(p.relation.name), offset)) {
        return toLocations(findDeclared(here, relation, RELATION));
      }
      const implier = stringOf(p.implier);
      if (implier !== null && contains(spanOf(p.implier), offset)) {
        // Without `on`, the implier may also be a relation of this block (`"admin" if "creator";`).
        if (relation === null) return toLocations(findDeclared(here, implier, ANY_DECLARED));
        // `"x" if "y" on "rel"`: "y" is declared in the block of the relation's type.
        const locations: Location[] = [];
        for (const { declared } of findDeclared(here, relation, RELATION)) {
          if (declared.type === null) continue;
          locations.push(...toLocations(findDeclared(blocksNamed(docs, declared.type), implier, ROLE_OR_PERMISSION)));
        }
        return locations;
      }
    }
    return [];
  }
  return [];
}

function blockLocations(docs: readonly ParsedDocument[], name: string): Location[] {
  return blocksNamed(docs, name).map(({ doc, line }) => ({
    uri: doc.uri,
    range: rangeOf(doc.document, nameSpanOf(line)),
  }));
}

// ---------------------------------------------------------------------------------------------
// Hover

/**
 * Hover on a rule call (or rule head): the rule types a definition of that rule must match — from
 * the policy's load when it completed (`load`), which includes the types generated from resource
 * blocks, else the declared types and the engine's defaults.
 */
export function hover(
  docs: readonly ParsedDocument[],
  doc: ParsedDocument,
  offset: number,
  load?: () => LoadResult | null,
): Hover | null {
  const call = ruleCallAt(doc.lines, offset) ?? ruleHeadAt(doc, offset);
  if (call === null) return null;
  const types: string[] = [];
  let definitions = 0;
  for (const d of docs) {
    const text = d.document.getText();
    for (const line of d.lines) {
      if ((line.kind !== "rule" && line.kind !== "ruleType") || line.rule.name !== call.name) continue;
      if (line.kind === "rule") definitions++;
      else if (line.kind === "ruleType") {
        const span = spanOf(line.rule);
        if (span === null) continue;
        const src = oneLine(text.slice(span.start, span.end));
        types.push(src.startsWith("type ") ? src : `type ${src}`);
      }
    }
  }
  // A complete load knows every rule type, the ones generated from the resource blocks included
  // (`has_role`, `has_relation`); otherwise the declared ones and the engine's defaults are shown.
  const loaded = load?.() ?? null;
  const known = loaded !== null && loaded.stage === "complete" ? loaded.ruleTypes.get(call.name) : undefined;
  if (known !== undefined) {
    types.length = 0;
    for (const t of known) {
      types.push(
        `type ${displayPolar(ruleHeadToPolar(t.rule))}${t.key !== undefined ? "  # from the resource blocks" : ""}`,
      );
    }
  } else {
    types.push(...(BUILTIN_RULE_TYPES.get(call.name) ?? []));
  }
  const lines: string[] = [];
  if (types.length === 0) {
    lines.push(`\`${call.name}\`: no rule type declared; any definition is accepted.`);
  } else {
    lines.push(`\`${call.name}\` must match ${types.length === 1 ? "this rule type" : "one of these rule types"}:`);
    lines.push("", "```polar", ...types.map((t) => t.replace(/^(.*?\))(\s*#.*)?$/, "$1;$2")), "```");
  }
  lines.push("", `${definitions} definition${definitions === 1 ? "" : "s"} in the policy.`);
  return {
    contents: { kind: MarkupKind.Markdown, value: lines.join("\n") },
    range: rangeOf(doc.document, call.span),
  };
}

/**
 * Rule types the engine always declares (docs/diagnostics.md, InvalidRule). `has_role` and
 * `has_relation` types are generated per resource block and are not listed here.
 */
export const BUILTIN_RULE_TYPES: ReadonlyMap<string, readonly string[]> = new Map([
  ["allow", ["type allow(actor, action, resource)"]],
  ["allow_field", ["type allow_field(actor, action, resource, field)"]],
  ["allow_request", ["type allow_request(actor, request)"]],
  ["has_permission", ["type has_permission(actor: Actor, _permission: String, resource: Resource)"]],
]);
