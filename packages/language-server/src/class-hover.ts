/**
 * Hover on a class name when the project lists the application's classes (`project-classes.ts`):
 * a specializer (`x: User`, `x: User{…}`), `matches User`, `new User(…)`, a block name
 * (`resource Repository {`) or a relation type (`relations = { parent: Organization }`). It says
 * whether the application registers the class (and where that is said, with its bases), is a
 * built-in class, or is not registered, which Oso's load reports. Without classes there is no
 * class hover (Oso's behaviour).
 */
import { ACTOR_UNION_NAME, BUILTIN_CLASSES, RESOURCE_UNION_NAME, type Term } from "@polar-ide/analyzer";
import { MarkupKind, type Hover } from "vscode-languageserver";
import {
  contains,
  declaredStrings,
  nameSpanOf,
  rangeOf,
  spanOf,
  symbolOf,
  walk,
  type ParsedDocument,
  type Span,
} from "./features.js";
import type { RegisteredClass } from "./project-classes.js";

/** The class named at `offset` of a parsed document, with the span of its name. */
export function classReferenceAt(doc: ParsedDocument, offset: number): { name: string; span: Span } | null {
  let found: { name: string; span: Span } | null = null;
  const named = (name: string, start: number): void => {
    const span = { start, end: start + name.length };
    if (found === null && contains(span, offset)) found = { name, span };
  };
  const pattern = (term: Term): void => {
    const s = spanOf(term);
    if (s !== null && term.value.type === "InstancePattern") named(term.value.tag, s.start);
  };
  const inBody = (root: Term): void => {
    if (!contains(spanOf(root), offset)) return;
    walk(root, (t) => {
      if (t.value.type !== "Expression") return;
      const [left, right] = t.value.args;
      if (t.value.operator === "Isa" && right !== undefined) pattern(right);
      if (t.value.operator === "New" && left !== undefined && left.value.type === "Call") {
        const s = spanOf(left);
        if (s !== null) named(left.value.name, s.start);
      }
    });
  };
  const text = doc.document.getText();
  for (const line of doc.lines) {
    if (line.kind === "rule" || line.kind === "ruleType") {
      for (const p of line.rule.params) {
        if (p.specializer !== null) pattern(p.specializer);
      }
      if (line.kind === "rule") inBody(line.rule.body);
    } else if (line.kind === "query") {
      inBody(line.term);
    } else {
      const name = symbolOf(line.resource);
      if (name !== null) named(name, nameSpanOf(line).start);
      for (const p of line.productions) {
        if (p.kind !== "declaration" || symbolOf(p.name) !== "relations") continue;
        for (const d of declaredStrings("relations", p.value, text)) {
          if (d.type !== null && d.typeSpan !== null) named(d.type, d.typeSpan.start);
        }
      }
    }
    if (found !== null) return found;
  }
  return found;
}

/** The hover of a class name, or null when the cursor is on none or no classes are configured. */
export function classHover(
  doc: ParsedDocument,
  offset: number,
  registered: ReadonlyMap<string, RegisteredClass> | null,
): Hover | null {
  if (registered === null) return null;
  const ref = classReferenceAt(doc, offset);
  if (ref === null) return null;
  const { name } = ref;
  let value: string;
  const known = registered.get(name);
  if (known !== undefined) {
    value = `class \`${name}\`: registered by the application (${where(known.from)})`;
    if (known.bases.length > 0) value += `\n\nbases: ${known.bases.map((b) => `\`${b}\``).join(", ")}`;
  } else if ((BUILTIN_CLASSES as readonly string[]).includes(name)) {
    value = `class \`${name}\`: built-in, registered by Oso`;
  } else if (name === ACTOR_UNION_NAME || name === RESOURCE_UNION_NAME) {
    value = `\`${name}\`: Oso's union of the policy's ${name === ACTOR_UNION_NAME ? "actor" : "resource"} types`;
  } else {
    value = `class \`${name}\`: **not registered** by the application (not in ${[...new Set([...registered.values()].map((c) => where(c.from)))].join(" or ") || "the configured classes"}); Oso's load reports it`;
  }
  return { contents: { kind: MarkupKind.Markdown, value }, range: rangeOf(doc.document, ref.span) };
}

function where(from: string): string {
  return from.startsWith("file:") ? "polar.json" : `setting \`${from}\``;
}
