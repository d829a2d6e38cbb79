/**
 * Completion (`textDocument/completion`): what may be typed at the cursor, by context.
 *
 * The context comes from the text before the cursor, scanned into tokens (the cursor usually sits
 * in an unfinished item, which no parser accepts); the names offered come from the policy's
 * error-tolerant parse (`ParsedDocument.lines`), so a syntax error elsewhere hides nothing.
 *
 * - top level: `actor`, `resource`, `type`, snippets (actor block, resource block, `allow`,
 *   `has_permission`, `has_role`, `has_relation`) and rule names;
 * - in a resource block: `roles`/`permissions`/`relations`, then in shorthand rules the block's
 *   roles and permissions (head), roles, permissions and relations (implier), relations (after
 *   `on`), and the related block's roles and permissions in the implier of `… on "relation"`;
 *   `if`/`on` between them; classes as relation types;
 * - in rules: classes after `:` (specializers), `matches` and `new`; rule names and body keywords
 *   in bodies; in `has_role(_, "…", _)`, `has_permission`, `has_relation` and `allow` the declared
 *   roles, permissions, relations and permissions.
 */
import { BUILTIN_CLASSES } from "@polar-ide/analyzer";
import { CompletionItemKind, InsertTextFormat, type CompletionItem, type Range } from "vscode-languageserver";
import { blockName, blocksNamed, declarationsOf, type Declared, type ParsedDocument } from "./features.js";
import type { RegisteredClass } from "./project-classes.js";

/** The application's classes (polar.json or the classes setting), or null when the project lists none. */
export type Registered = ReadonlyMap<string, RegisteredClass> | null;

/** The rules Oso knows by name (rule types it declares, or it calls). */
export const BUILTIN_RULES: readonly string[] = [
  "allow",
  "allow_field",
  "allow_request",
  "has_permission",
  "has_role",
  "has_relation",
];

const TOP_LEVEL_KEYWORDS = ["actor", "resource", "type"];
const DECLARATION_KEYWORDS = ["roles", "permissions", "relations"];
const BODY_KEYWORDS = ["and", "or", "not", "in", "matches", "forall", "cut", "new", "true", "false", "print", "debug"];

/** Snippets offered at the start of a top-level item. */
export const SNIPPETS: readonly { label: string; detail: string; body: string }[] = [
  { label: "actor block", detail: "actor User {}", body: "actor ${1:User} {}\n$0" },
  {
    label: "resource block",
    detail: "resource with roles, permissions and relations",
    body: 'resource ${1:Repository} {\n  permissions = [${2:"read"}];\n  roles = [${3:"reader"}];\n  relations = {};\n\n  ${4:"read"} if ${5:"reader"};\n}\n$0',
  },
  {
    label: "allow",
    detail: "allow(actor, action, resource) if has_permission(…)",
    body: "allow(${1:actor}, ${2:action}, ${3:resource}) if\n  has_permission(${1:actor}, ${2:action}, ${3:resource});\n$0",
  },
  {
    label: "has_permission",
    detail: "has_permission(actor: User, permission, resource: Resource) if …",
    body: 'has_permission(${1:actor}: ${2:User}, ${3:"read"}, ${4:resource}: ${5:Resource}) if\n  $0;',
  },
  {
    label: "has_role",
    detail: "has_role(actor: User, role: String, resource: Resource) if …",
    body: "has_role(${1:actor}: ${2:User}, ${3:name}: String, ${4:resource}: ${5:Resource}) if\n  $0;",
  },
  {
    label: "has_relation",
    detail: "has_relation(subject: Type, relation, resource: Resource) if …",
    body: 'has_relation(${1:subject}: ${2:Organization}, ${3:"parent"}, ${4:resource}: ${5:Resource}) if\n  $0;',
  },
];

// ---------------------------------------------------------------------------------------------
// Scanning

interface Tok {
  readonly kind: "str" | "sym" | "punct";
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Strings: whether the closing quote is there. */
  readonly closed: boolean;
}

const SYMBOL_CHAR = /[A-Za-z0-9_?\u0080-\uffff]/;

/** Tokens of `text[from, to)`: strings (ending at the line's end when unclosed), symbols, punctuation; comments skipped. */
function scan(text: string, from: number, to: number): Tok[] {
  const out: Tok[] = [];
  let i = from;
  while (i < to) {
    const c = text[i] ?? "";
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "#") {
      while (i < to && text[i] !== "\n") i++;
    } else if (c === '"') {
      let j = i + 1;
      let closed = false;
      while (j < text.length && text[j] !== "\n") {
        if (text[j] === "\\") j += 2;
        else if (text[j] === '"') {
          closed = true;
          j++;
          break;
        } else j++;
      }
      out.push({ kind: "str", text: text.slice(i + 1, closed ? j - 1 : j), start: i, end: j, closed });
      i = j;
    } else if (SYMBOL_CHAR.test(c)) {
      let j = i + 1;
      // `::` joins symbols (`Module::Class`); a single `:` is punctuation.
      while (j < text.length && (SYMBOL_CHAR.test(text[j] ?? "") || (text[j] === ":" && text[j + 1] === ":"))) {
        j += text[j] === ":" ? 2 : 1;
      }
      out.push({ kind: "sym", text: text.slice(i, j), start: i, end: j, closed: true });
      i = j;
    } else {
      out.push({ kind: "punct", text: c, start: i, end: i + 1, closed: true });
      i++;
    }
  }
  return out;
}

const OPEN: Readonly<Record<string, string>> = { "(": ")", "[": "]", "{": "}" };

interface Context {
  /** Tokens of the current top-level item before the cursor (the word or string being typed excluded). */
  readonly item: Tok[];
  /** Open brackets before the cursor, outermost first, with their index in `item`. */
  readonly open: { readonly char: string; readonly index: number }[];
  /** The string the cursor is in, if any. */
  readonly inString: Tok | null;
  /** The symbol being typed (the cursor at its end or inside it), if any. */
  readonly word: Tok | null;
}

function contextAt(text: string, offset: number): Context {
  const tokens = scan(text, 0, text.length);
  let item: Tok[] = [];
  let open: { char: string; index: number }[] = [];
  let inString: Tok | null = null;
  let word: Tok | null = null;
  for (const t of tokens) {
    if (t.start >= offset) break;
    // Inside a string: before its closing quote, or anywhere on the line of an unclosed one.
    if (t.kind === "str" && (t.closed ? offset < t.end : offset <= t.end)) {
      inString = t;
      break;
    }
    if (t.kind === "sym" && offset <= t.end) {
      word = t;
      break;
    }
    item.push(t);
    if (t.kind !== "punct") continue;
    if (OPEN[t.text] !== undefined) open.push({ char: t.text, index: item.length - 1 });
    else if (t.text === ")" || t.text === "]" || t.text === "}") {
      open.pop();
      if (t.text === "}" && open.length === 0) {
        item = [];
        open = [];
      }
    } else if (t.text === ";" && open.length === 0) {
      item = [];
      open = [];
    }
  }
  return { item, open, inString, word };
}

// ---------------------------------------------------------------------------------------------
// Names from the policy

function ruleNames(docs: readonly ParsedDocument[]): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const d of docs) {
    for (const line of d.lines) {
      if (line.kind !== "rule" && line.kind !== "ruleType") continue;
      let arities = out.get(line.rule.name);
      if (arities === undefined) out.set(line.rule.name, (arities = new Set()));
      arities.add(line.rule.params.length);
    }
  }
  return out;
}

function classNames(docs: readonly ParsedDocument[], registered: Registered): Map<string, string> {
  const out = new Map<string, string>();
  // The application's classes first; a block the application does not register says so.
  for (const [name, c] of registered ?? []) {
    out.set(name, `registered class${c.bases.length > 0 ? ` (bases: ${c.bases.join(", ")})` : ""}`);
  }
  for (const d of docs) {
    for (const line of d.lines) {
      if (line.kind !== "resourceBlock") continue;
      const name = blockName(line);
      const keyword = line.keyword?.value.type === "Variable" ? line.keyword.value.name : "resource";
      if (name !== null && !out.has(name)) out.set(name, registered === null ? keyword : `${keyword} (not registered)`);
    }
  }
  for (const b of BUILTIN_CLASSES) if (!out.has(b)) out.set(b, "built-in class");
  return out;
}

function declared(docs: readonly ParsedDocument[], block: string): Declared[] {
  return blocksNamed(docs, block).flatMap(declarationsOf);
}

function allDeclared(docs: readonly ParsedDocument[]): { block: string; declared: Declared }[] {
  const out: { block: string; declared: Declared }[] = [];
  for (const d of docs) {
    for (const line of d.lines) {
      if (line.kind !== "resourceBlock") continue;
      const block = blockName(line);
      if (block === null) continue;
      for (const x of declarationsOf({ doc: d, line })) out.push({ block, declared: x });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Items

function keyword(label: string): CompletionItem {
  return { label, kind: CompletionItemKind.Keyword };
}

const KIND_OF: Readonly<Record<Declared["kind"], CompletionItemKind>> = {
  role: CompletionItemKind.Constant,
  permission: CompletionItemKind.EnumMember,
  relation: CompletionItemKind.Field,
};

/**
 * Declared names as strings: inside a string the name replaces the string's content (`range`);
 * outside one, the item inserts the quoted name.
 */
function declaredItems(names: readonly { block: string; declared: Declared }[], range: Range | null): CompletionItem[] {
  const seen = new Set<string>();
  const out: CompletionItem[] = [];
  for (const { block, declared: d } of names) {
    const key = `${d.kind}:${d.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const item: CompletionItem = {
      label: range === null ? `"${d.name}"` : d.name,
      kind: KIND_OF[d.kind],
      detail: `${d.kind} of ${block}${d.type !== null ? `: ${d.type}` : ""}`,
      sortText: `0${d.name}`,
    };
    if (range !== null) item.textEdit = { range, newText: d.name };
    out.push(item);
  }
  return out;
}

function classItems(docs: readonly ParsedDocument[], registered: Registered = null): CompletionItem[] {
  return [...classNames(docs, registered)].map(([name, detail]) => ({
    label: name,
    kind: CompletionItemKind.Class,
    detail,
  }));
}

function ruleItems(docs: readonly ParsedDocument[]): CompletionItem[] {
  const rules = ruleNames(docs);
  for (const b of BUILTIN_RULES) if (!rules.has(b)) rules.set(b, new Set());
  return [...rules].map(([name, arities]) => ({
    label: name,
    kind: CompletionItemKind.Function,
    detail:
      arities.size === 0
        ? "rule Oso knows"
        : `rule/${[...arities].sort((a, b) => a - b).join(", ")}${BUILTIN_RULES.includes(name) ? " (Oso knows it)" : ""}`,
  }));
}

function snippetItems(): CompletionItem[] {
  return SNIPPETS.map((s) => ({
    label: s.label,
    kind: CompletionItemKind.Snippet,
    detail: s.detail,
    insertText: s.body,
    insertTextFormat: InsertTextFormat.Snippet,
  }));
}

// ---------------------------------------------------------------------------------------------
// The entry point

/**
 * Completion items at `offset` of `doc`; `docs` are the documents of its policy (for declared
 * names); `registered`: the application's classes, offered as classes (specializers, relation types).
 */
export function completion(
  docs: readonly ParsedDocument[],
  doc: ParsedDocument,
  offset: number,
  registered: Registered = null,
): CompletionItem[] {
  const text = doc.document.getText();
  const ctx = contextAt(text, offset);
  const stringRange: Range | null =
    ctx.inString === null
      ? null
      : {
          start: doc.document.positionAt(ctx.inString.start + 1),
          end: doc.document.positionAt(ctx.inString.closed ? ctx.inString.end - 1 : offset),
        };
  const { item, open } = ctx;
  const first = item[0];
  const second = item[1];

  // In a resource block: `actor|resource Name {` opened the outermost bracket.
  const outer = open[0];
  if (
    outer !== undefined &&
    outer.char === "{" &&
    outer.index === 2 &&
    first?.kind === "sym" &&
    second?.kind === "sym"
  ) {
    return inBlock(docs, text, offset, ctx, second.text, stringRange, registered);
  }

  if (item.length === 0) {
    if (ctx.inString !== null) return [];
    return [...TOP_LEVEL_KEYWORDS.map(keyword), ...snippetItems(), ...ruleItems(docs)];
  }
  if (first?.kind === "sym" && (first.text === "actor" || first.text === "resource") && item.length === 1) return [];
  if (first?.kind === "sym" && first.text === "type" && item.length === 1) return ruleItems(docs);

  const last = item.at(-1);
  const inBody = item.some((t) => t.kind === "sym" && t.text === "if");
  if (ctx.inString !== null) return inBody ? callArgumentNames(docs, item, open, stringRange) : [];
  if (last?.kind === "punct" && last.text === ":") return classItems(docs, registered);
  if (last?.kind === "sym" && (last.text === "matches" || last.text === "new")) return classItems(docs, registered);
  if (!inBody) {
    // After the head's closing parenthesis.
    if (open.length === 0 && last?.kind === "punct" && last.text === ")") return [keyword("if")];
    return [];
  }
  return [...ruleItems(docs), ...BODY_KEYWORDS.map(keyword)];
}

/** Inside `has_role(_, "…", _)` and friends: the declared names that argument takes. */
function callArgumentNames(
  docs: readonly ParsedDocument[],
  item: readonly Tok[],
  open: Context["open"],
  range: Range | null,
): CompletionItem[] {
  const paren = open.at(-1);
  if (paren === undefined || paren.char !== "(") return [];
  const callee = item[paren.index - 1];
  if (callee?.kind !== "sym") return [];
  let commas = 0;
  let depth = 0;
  for (let i = paren.index + 1; i < item.length; i++) {
    const t = item[i];
    if (t?.kind !== "punct") continue;
    if (OPEN[t.text] !== undefined) depth++;
    else if (t.text === ")" || t.text === "]" || t.text === "}") depth--;
    else if (t.text === "," && depth === 0) commas++;
  }
  if (commas !== 1) return [];
  const kind: Declared["kind"] | null =
    callee.text === "has_role"
      ? "role"
      : callee.text === "has_permission" || callee.text === "allow"
        ? "permission"
        : callee.text === "has_relation"
          ? "relation"
          : null;
  if (kind === null) return [];
  return declaredItems(
    allDeclared(docs).filter((d) => d.declared.kind === kind),
    range,
  );
}

function inBlock(
  docs: readonly ParsedDocument[],
  text: string,
  offset: number,
  ctx: Context,
  block: string,
  range: Range | null,
  registered: Registered,
): CompletionItem[] {
  const { item, open } = ctx;
  const own = declared(docs, block).map((d) => ({ block, declared: d }));
  if (open.length > 1) {
    // Inside `relations = { name: |` → a class; inside a list (`roles = [`) a new name: nothing.
    const inner = open.at(-1);
    const last = item.at(-1);
    if (inner?.char === "{" && last?.kind === "punct" && last.text === ":") return classItems(docs, registered);
    return [];
  }
  // The current production: the tokens since the last `;` (or the block's `{`).
  let from = 3;
  for (let i = item.length - 1; i >= 3; i--) {
    const t = item[i];
    if (t?.kind === "punct" && t.text === ";") {
      from = i + 1;
      break;
    }
  }
  const p = item.slice(from);
  const kinds = (...k: Declared["kind"][]): { block: string; declared: Declared }[] =>
    own.filter((d) => k.includes(d.declared.kind));
  const is = (t: Tok | undefined, kind: Tok["kind"], s?: string): boolean =>
    t !== undefined && t.kind === kind && (s === undefined || t.text === s);

  // `… if "|" on "relation"`: the implier is declared by the related block.
  const relatedBlockNames = (): { block: string; declared: Declared }[] | null => {
    const after = scan(text, ctx.inString?.end ?? offset, Math.min(text.length, offset + 400));
    const on = after[0];
    const rel = after[1];
    if (!is(on, "sym") || on?.text === "if" || rel?.kind !== "str") return null;
    const types = own.filter((d) => d.declared.kind === "relation" && d.declared.name === rel.text);
    return types.flatMap((t) =>
      t.declared.type === null
        ? []
        : declared(docs, t.declared.type)
            .filter((d) => d.kind !== "relation")
            .map((d) => ({ block: t.declared.type ?? "", declared: d })),
    );
  };

  if (p.length === 0) {
    if (range !== null) return declaredItems(kinds("role", "permission"), range);
    return [...DECLARATION_KEYWORDS.map(keyword), ...declaredItems(kinds("role", "permission"), null)];
  }
  if (p.length === 1 && is(p[0], "str") && range === null) return [keyword("if")];
  if (p.length === 2 && is(p[0], "str") && is(p[1], "sym", "if")) {
    return declaredItems(relatedBlockNames() ?? kinds("role", "permission", "relation"), range);
  }
  if (p.length === 3 && is(p[0], "str") && is(p[2], "str") && range === null) return [keyword("on")];
  if (p.length === 4 && is(p[0], "str") && is(p[2], "str") && is(p[3], "sym")) {
    return declaredItems(kinds("relation"), range);
  }
  // `roles = |`, `relations = |`: nothing to offer (new names).
  return [];
}
