/**
 * Fixes for a relation whose type has no block (`ValidationError::ResourceBlock` #11, reported on
 * the type symbol in `relations = {…}`): change the type to a block spelt alike that declares what
 * the rules traversing the relation need (did you mean), or add the missing block after the block
 * that declares the relation.
 *
 * The added block declares every implier that a shorthand rule reaches through a relation of that
 * type (`"reader" if "member" on "organization"` needs `"member"`), from any block of the policy,
 * so that the block it adds does not raise #10 instead; an implier is declared as a role when a
 * rule implies a role with it, else as a permission.
 */
import type { Diagnostic } from "@polar-ide/analyzer";
import { blockName, spanOf, stringOf, symbolOf, type ParsedDocument, type ResourceBlockLine } from "../features.js";
import { preferFirst, stringLiteral, type Fix, type FixContext } from "./context.js";
import { declarationValue } from "./declarations.js";
import { hasObviousBest, suggestions } from "./did-you-mean.js";

/** The block of `doc` and the relation (key) whose type symbol spans exactly `[start, end)`. */
function locateRelationType(
  doc: ParsedDocument,
  start: number,
  end: number,
): { block: ResourceBlockLine; relation: string; type: string } | null {
  for (const block of doc.lines) {
    if (block.kind !== "resourceBlock") continue;
    const dict = declarationValue(block, "relation");
    if (dict === null || dict.value.type !== "Dictionary") continue;
    for (const [relation, type] of dict.value.fields) {
      const span = spanOf(type);
      const name = symbolOf(type);
      if (span !== null && name !== null && span.start === start && span.end === end)
        return { block, relation, type: name };
    }
  }
  return null;
}

/** The relations of type `type` in the policy, by block name. */
function relationsOfType(docs: readonly ParsedDocument[], type: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const doc of docs) {
    for (const line of doc.lines) {
      if (line.kind !== "resourceBlock") continue;
      const name = blockName(line);
      const dict = declarationValue(line, "relation");
      if (name === null || dict === null || dict.value.type !== "Dictionary") continue;
      for (const [relation, t] of dict.value.fields) {
        if (symbolOf(t) !== type) continue;
        let set = out.get(name);
        if (set === undefined) out.set(name, (set = new Set()));
        set.add(relation);
      }
    }
  }
  return out;
}

/**
 * What the shorthand rules of the policy need a block of type `type` to declare: the impliers of
 * `… on "relation"` for relations of that type, each with whether it implies a role.
 */
function neededDeclarations(context: FixContext, relations: Map<string, Set<string>>): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const doc of context.docs) {
    for (const line of doc.lines) {
      if (line.kind !== "resourceBlock") continue;
      const name = blockName(line);
      const keys = name === null ? undefined : relations.get(name);
      if (name === null || keys === undefined) continue;
      const declarations = context.load.blocks.declarationsOf(name);
      for (const p of line.productions) {
        if (p.kind !== "shorthand" || p.relation === null) continue;
        const relation = stringOf(p.relation.name);
        const implier = stringOf(p.implier);
        if (relation === null || implier === null || !keys.has(relation)) continue;
        const head = stringOf(p.head);
        const impliesRole = head !== null && declarations?.get(head)?.kind === "role";
        out.set(implier, (out.get(implier) ?? false) || impliesRole);
      }
    }
  }
  return out;
}

function list(names: readonly string[]): string | null {
  const literals = names.map(stringLiteral);
  return literals.some((l) => l === null) ? null : literals.join(", ");
}

export function missingBlockFixes(diagnostic: Diagnostic, context: FixContext): Fix[] {
  const c = diagnostic.context;
  if (diagnostic.code !== "ValidationError::ResourceBlock" || c === null || c.file.name !== context.doc.uri) return [];
  const located = locateRelationType(context.doc, c.start, c.end);
  if (located === null) return [];
  const { block, type } = located;
  const registry = context.load.blocks;
  if (registry.declarationsOf(type) !== undefined) return [];
  const needed = neededDeclarations(context, relationsOfType(context.docs, type));
  const fixes: Fix[] = [];

  // Did you mean another block? Only one that declares everything the rules need from it.
  const fits = registry
    .blockNames()
    .filter((b) => [...needed.keys()].every((n) => registry.declarationsOf(b)?.has(n) === true));
  const found = suggestions(type, fits);
  for (const s of found) {
    fixes.push({
      title: `Change the type ${type} to ${s.name}`,
      edits: [{ uri: context.doc.uri, start: c.start, end: c.end, newText: s.name }],
      preferred: false,
    });
  }

  // Add the block, after the block that names the type.
  const blockSpan = spanOf(block.resource);
  const text = context.doc.document.getText();
  const roles = [...needed].filter(([, role]) => role).map(([n]) => n);
  const permissions = [...needed].filter(([, role]) => !role).map(([n]) => n);
  const roleList = list(roles);
  const permissionList = list(permissions);
  if (blockSpan !== null && text[blockSpan.end - 1] === "}" && roleList !== null && permissionList !== null) {
    const body = [
      ...(roles.length > 0 ? [`  roles = [${roleList}];`] : []),
      ...(permissions.length > 0 ? [`  permissions = [${permissionList}];`] : []),
    ];
    const newBlock = body.length === 0 ? `resource ${type} {}` : `resource ${type} {\n${body.join("\n")}\n}`;
    fixes.push({
      title: `Add the missing block \`resource ${type} {…}\``,
      edits: [{ uri: context.doc.uri, start: blockSpan.end, end: blockSpan.end, newText: `\n\n${newBlock}` }],
      preferred: false,
    });
  }
  return found.length > 0 ? preferFirst(fixes, hasObviousBest(found)) : preferFirst(fixes, true);
}
