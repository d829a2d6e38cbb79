/**
 * Fixes for a term of a shorthand rule that no block declares (`ValidationError::ResourceBlock`,
 * docs/diagnostics.md §1.3 #9 and #10): change it to a declared name that is spelt alike (did you
 * mean), or declare it in the block that must hold it — the rule's own block for its head, its
 * local implier and its `on` relation; the related block for the implier of `… on "relation"`.
 *
 * The names offered fit the place: a head is a role or permission; a local implier any declared
 * name; an `on` relation a relation whose type's block declares the implier (or the rule would
 * report #10 instead); the implier of `… on "relation"` a role or permission of the related block.
 */
import type { Diagnostic, LoadResult, Production } from "@polar-ide/analyzer";
import {
  blockName,
  blocksNamed,
  spanOf,
  stringOf,
  symbolOf,
  type BlockRef,
  type ParsedDocument,
  type ResourceBlockLine,
} from "../features.js";
import { preferFirst, stringLiteral, type Fix, type FixContext } from "./context.js";
import { declareIn, declarationValue, isSymbolName, type DeclarationKind } from "./declarations.js";
import { hasObviousBest, suggestions } from "./did-you-mean.js";

type Shorthand = Extract<Production, { kind: "shorthand" }>;
type Part = "head" | "implier" | "relation";

/** A block's declarations as the load registered them (reopened blocks merged). */
type Declarations = NonNullable<ReturnType<LoadResult["blocks"]["declarationsOf"]>>;

interface Located {
  readonly block: ResourceBlockLine;
  readonly rule: Shorthand;
  readonly part: Part;
}

/** The shorthand rule of `doc` one of whose strings spans exactly `[start, end)`, and which string. */
export function locateShorthandString(doc: ParsedDocument, start: number, end: number): Located | null {
  for (const block of doc.lines) {
    if (block.kind !== "resourceBlock") continue;
    const span = spanOf(block.resource);
    if (span === null || span.end < start || span.start > end) continue;
    for (const rule of block.productions) {
      if (rule.kind !== "shorthand") continue;
      const parts: [Part, (typeof rule)["head"] | undefined][] = [
        ["head", rule.head],
        ["implier", rule.implier],
        ["relation", rule.relation?.name],
      ];
      for (const [part, term] of parts) {
        const s = term === undefined ? null : spanOf(term);
        if (s !== null && s.start === start && s.end === end) return { block, rule, part };
      }
    }
  }
  return null;
}

function kindOf(declarations: Declarations | undefined, name: string | null): DeclarationKind | undefined {
  return name === null ? undefined : declarations?.get(name)?.kind;
}

const ARTICLE: Readonly<Record<DeclarationKind, string>> = {
  role: "a role",
  permission: "a permission",
  relation: "a relation",
};

export function undeclaredTermFixes(diagnostic: Diagnostic, context: FixContext): Fix[] {
  const c = diagnostic.context;
  if (diagnostic.code !== "ValidationError::ResourceBlock" || c === null || c.file.name !== context.doc.uri) return [];
  const located = locateShorthandString(context.doc, c.start, c.end);
  if (located === null) return [];
  const { block, rule, part } = located;
  const name = blockName(block);
  const text = context.doc.document.getText();
  const value = stringOf(
    part === "head" ? rule.head : part === "implier" ? rule.implier : (rule.relation?.name ?? rule.head),
  );
  if (name === null || value === null || text[c.start] !== '"' || text[c.end - 1] !== '"') return [];
  const registry = context.load.blocks;
  const own = registry.declarationsOf(name);
  const head = stringOf(rule.head);
  const headKind = kindOf(own, head);

  if (part === "head") {
    // The engine reports a rule's first undeclared term only: fixing the head alone would leave
    // the rule reporting its implier. Then only declaring both fixes the diagnostic.
    const rest = restOfRule(context, rule, name);
    if (rest === "broken") return [];
    if (rest.implierBlock !== null) {
      return bothDeclared(context, { doc: context.doc, line: block }, value, text.slice(c.start, c.end), rest);
    }
  }

  // Where the term must be declared, which names may replace it, and which kinds it may be declared as.
  let target = name;
  let candidates: string[];
  let kinds: DeclarationKind[];
  let preferredKind: DeclarationKind | null = null;
  let relationTypes: string[] = [];
  if (part === "implier" && rule.relation !== null) {
    // #10: the implier of `… on "relation"` belongs to the related block.
    const relation = own?.get(stringOf(rule.relation.name) ?? "");
    const related = relation?.kind === "relation" ? symbolOf(relation.type) : null;
    if (related === null) return [];
    target = related;
    const theirs = registry.declarationsOf(related);
    candidates = [...(theirs ?? [])].filter(([, d]) => d.kind !== "relation").map(([n]) => n);
    kinds = ["role", "permission"];
    if (headKind === "role") preferredKind = "role";
  } else if (part === "relation") {
    // #9 on the relation: a relation whose related block declares the implier.
    const implier = stringOf(rule.implier);
    const declares = (block: string): boolean =>
      implier !== null && registry.declarationsOf(block)?.has(implier) === true;
    candidates = [...(own ?? [])]
      .filter(([, d]) => d.kind === "relation" && declares(symbolOf(d.type) ?? ""))
      .map(([n]) => n);
    kinds = isSymbolName(value) ? ["relation"] : [];
    relationTypes = registry.blockNames().filter(declares);
  } else {
    // #9 on the head or the local implier.
    const other = part === "head" ? stringOf(rule.implier) : head;
    candidates = [...(own ?? [])]
      .filter(([n, d]) => n !== other && (part === "implier" || d.kind !== "relation"))
      .map(([n]) => n);
    kinds = ["role", "permission"];
    const otherKind = kindOf(rule.relation === null ? own : impliersBlock(context, own, rule), other);
    if (part === "head")
      preferredKind = otherKind === "permission" ? "permission" : otherKind === "relation" ? "role" : null;
    else preferredKind = headKind === "role" ? "role" : null;
  }

  const found = suggestions(value, candidates);
  const renames: Fix[] = [];
  for (const s of found) {
    const literal = stringLiteral(s.name);
    if (literal === null) continue;
    renames.push({
      title: `Change "${value}" to "${s.name}"`,
      edits: [{ uri: context.doc.uri, start: c.start, end: c.end, newText: literal }],
      preferred: false,
    });
  }

  const declarations: Fix[] = [];
  const literal = text.slice(c.start, c.end);
  for (const kind of kinds) {
    const ref = declarationBlock(context, target, kind, target === name ? { doc: context.doc, line: block } : null);
    if (ref === null) continue;
    if (kind === "relation") {
      for (const type of relationTypes) {
        const edit = declareIn(ref.doc, ref.line, "relation", `${value}: ${type}`);
        if (edit !== null)
          declarations.push({
            title: `Declare relation "${value}" of type ${type} in ${target}`,
            edits: [edit],
            preferred: false,
          });
      }
    } else {
      const edit = declareIn(ref.doc, ref.line, kind, literal);
      if (edit !== null) {
        const fix = { title: `Declare "${value}" as ${ARTICLE[kind]} in ${target}`, edits: [edit], preferred: false };
        if (kind === preferredKind) declarations.unshift(fix);
        else declarations.push(fix);
      }
    }
  }

  if (renames.length > 0 && hasObviousBest(found)) return [...preferFirst(renames, true), ...declarations];
  const obviousDeclaration = kinds.includes("relation") ? relationTypes.length === 1 : preferredKind !== null;
  return [...renames, ...preferFirst(declarations, obviousDeclaration && renames.length === 0)];
}

/**
 * The block line to declare a `kind` in: one of the block's lines that already has that kind of
 * declaration (so that the name joins the list), else `fallback`, else the block's first line.
 */
function declarationBlock(
  context: FixContext,
  name: string,
  kind: DeclarationKind,
  fallback: BlockRef | null,
): BlockRef | null {
  const refs = blocksNamed(context.docs, name);
  if (fallback !== null && declarationValue(fallback.line, kind) !== null) return fallback;
  return refs.find((r) => declarationValue(r.line, kind) !== null) ?? fallback ?? refs[0] ?? null;
}

/** The declarations of the block the implier of `rule` must be declared in (the related block for `… on "relation"`). */
function impliersBlock(context: FixContext, own: Declarations | undefined, rule: Shorthand): Declarations | undefined {
  if (rule.relation === null) return own;
  const relation = own?.get(stringOf(rule.relation.name) ?? "");
  const related = relation?.kind === "relation" ? symbolOf(relation.type) : null;
  return related === null ? undefined : context.load.blocks.declarationsOf(related);
}

interface Rest {
  /** The block the implier must be declared in, when it is not (null: it is declared). */
  readonly implierBlock: string | null;
  readonly implier: string;
  readonly implierLiteral: string;
}

/**
 * What the engine would check after a rule's head: its `on` clause (keyword, relation, related
 * block) — "broken" when any of them fails, which a declaration cannot fix — and its implier.
 */
function restOfRule(context: FixContext, rule: Shorthand, blockName: string): Rest | "broken" {
  const registry = context.load.blocks;
  const implier = stringOf(rule.implier);
  const span = spanOf(rule.implier);
  if (implier === null || span === null) return "broken";
  const implierLiteral = context.doc.document.getText().slice(span.start, span.end);
  let target = blockName;
  if (rule.relation !== null) {
    if (symbolOf(rule.relation.keyword) !== "on") return "broken";
    const relation = registry.declarationsOf(blockName)?.get(stringOf(rule.relation.name) ?? "");
    const related = relation?.kind === "relation" ? symbolOf(relation.type) : null;
    if (related === null || registry.declarationsOf(related) === undefined) return "broken";
    target = related;
  }
  const declared = registry.declarationsOf(target)?.has(implier) === true;
  return { implierBlock: declared ? null : target, implier, implierLiteral };
}

/** The kinds a head and its implier may be declared as together: a permission implied by a role, or both roles, or both permissions. */
const PAIRS: readonly (readonly [DeclarationKind, DeclarationKind])[] = [
  ["permission", "role"],
  ["role", "role"],
  ["permission", "permission"],
];

/** Fixes that declare both the head (in its block) and the implier (in `rest.implierBlock`). */
function bothDeclared(context: FixContext, own: BlockRef, head: string, headLiteral: string, rest: Rest): Fix[] {
  const implierBlock = rest.implierBlock;
  if (implierBlock === null) return [];
  const ownName = blockName(own.line);
  const fixes: Fix[] = [];
  for (const [headKind, implierKind] of PAIRS) {
    const headRef = declarationBlock(context, ownName ?? "", headKind, own);
    const implierRef = declarationBlock(context, implierBlock, implierKind, implierBlock === ownName ? own : null);
    if (headRef === null || implierRef === null) continue;
    const sameList = headRef.line === implierRef.line && headKind === implierKind && head !== rest.implier;
    const edits = sameList
      ? [declareIn(headRef.doc, headRef.line, headKind, `${headLiteral}, ${rest.implierLiteral}`)]
      : head === rest.implier && headRef.line === implierRef.line
        ? headKind === implierKind
          ? [declareIn(headRef.doc, headRef.line, headKind, headLiteral)]
          : []
        : [
            declareIn(headRef.doc, headRef.line, headKind, headLiteral),
            declareIn(implierRef.doc, implierRef.line, implierKind, rest.implierLiteral),
          ];
    if (edits.length === 0 || edits.some((e) => e === null)) continue;
    const where = implierBlock === ownName ? ` in ${implierBlock}` : ` in ${ownName ?? ""} and ${implierBlock}`;
    fixes.push({
      title: `Declare "${head}" as ${ARTICLE[headKind]} and "${rest.implier}" as ${ARTICLE[implierKind]}${where}`,
      edits: edits.filter((e) => e !== null),
      preferred: false,
    });
  }
  return fixes;
}
