/**
 * Semantic tokens (`textDocument/semanticTokens/full` and `/full/delta`).
 *
 * Every token of the analyzer's lexer, plus the comments between them, classified by the editor
 * parse (the error-tolerant one in a broken file) where it knows the token's role, else by the
 * tokens around it:
 *
 * | type         | what                                                                                     |
 * | ------------ | ---------------------------------------------------------------------------------------- |
 * | `keyword`    | `if and or not in matches new cut forall isa type print debug true false`, `actor`/`resource` of a block, `roles`/`permissions`/`relations`, `on` in a shorthand rule |
 * | `function`   | rule names: heads (`declaration`), calls; Oso's own rules `defaultLibrary`               |
 * | `method`     | `x.m(…)`                                                                                 |
 * | `property`   | fields (`x.f`), dictionary and pattern keys, relation names in `relations = {…}`         |
 * | `class`      | specializers, `new C`, `matches C`, block names (`declaration`), relation types; built-in classes `defaultLibrary` |
 * | `parameter`  | a rule's parameters, in its head (`declaration`) and body                                |
 * | `variable`   | other variables                                                                          |
 * | `enumMember` | role, permission and relation strings inside a resource block (`declaration` in lists)   |
 * | `string`, `number`, `operator`, `comment` | the rest                                                    |
 *
 * Delta: one `SemanticTokensBuilder` (vscode-languageserver) per document keeps the last result,
 * and computes the edits from it (`previousResultId`).
 */
import { BUILTIN_CLASSES, Lexer, TokenKind, isLexError, type Term, type Token } from "@polar-ide/analyzer";
import {
  SemanticTokensBuilder,
  type SemanticTokens,
  type SemanticTokensDelta,
  type SemanticTokensLegend,
} from "vscode-languageserver";
import { BUILTIN_RULES } from "./completion.js";
import { nameSpanOf, ruleNameSpan, spanOf, stringOf, walk, type ParsedDocument } from "./features.js";

export const TOKEN_TYPES = [
  "keyword",
  "function",
  "method",
  "property",
  "class",
  "parameter",
  "variable",
  "enumMember",
  "string",
  "number",
  "operator",
  "comment",
] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

export const TOKEN_MODIFIERS = ["declaration", "defaultLibrary"] as const;
export type TokenModifier = (typeof TOKEN_MODIFIERS)[number];

export const LEGEND: SemanticTokensLegend = { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] };

/** One token, in document offsets. */
export interface SemanticToken {
  readonly start: number;
  readonly end: number;
  readonly type: TokenType;
  readonly modifiers: readonly TokenModifier[];
}

interface Role {
  readonly type: TokenType;
  readonly modifiers: readonly TokenModifier[];
}

const KEYWORD_KINDS: ReadonlySet<TokenKind> = new Set([
  TokenKind.If,
  TokenKind.And,
  TokenKind.Or,
  TokenKind.Not,
  TokenKind.In,
  TokenKind.Matches,
  TokenKind.New,
  TokenKind.Cut,
  TokenKind.ForAll,
  TokenKind.Isa,
  TokenKind.Type,
  TokenKind.Print,
  TokenKind.Debug,
  TokenKind.Boolean,
]);

const OPERATOR_KINDS: ReadonlySet<TokenKind> = new Set([
  TokenKind.Bang,
  TokenKind.Mul,
  TokenKind.Div,
  TokenKind.Mod,
  TokenKind.Rem,
  TokenKind.Add,
  TokenKind.Sub,
  TokenKind.Eq,
  TokenKind.Neq,
  TokenKind.Leq,
  TokenKind.Geq,
  TokenKind.Lt,
  TokenKind.Gt,
  TokenKind.Unify,
  TokenKind.Assign,
  TokenKind.Query,
]);

const BUILTIN_CLASS_NAMES: ReadonlySet<string> = new Set(BUILTIN_CLASSES);
const BUILTIN_RULE_NAMES: ReadonlySet<string> = new Set(BUILTIN_RULES);

function classRole(name: string, declaration = false): Role {
  const modifiers: TokenModifier[] = [];
  if (declaration) modifiers.push("declaration");
  if (BUILTIN_CLASS_NAMES.has(name)) modifiers.push("defaultLibrary");
  return { type: "class", modifiers };
}

function functionRole(name: string, declaration: boolean): Role {
  const modifiers: TokenModifier[] = [];
  if (declaration) modifiers.push("declaration");
  if (BUILTIN_RULE_NAMES.has(name)) modifiers.push("defaultLibrary");
  return { type: "function", modifiers };
}

/** The roles the parse knows, by the start offset of their token. */
function rolesOf(doc: ParsedDocument): Map<number, Role> {
  const text = doc.document.getText();
  const roles = new Map<number, Role>();
  const set = (term: Term | null, role: Role): void => {
    const span = term === null ? null : spanOf(term);
    if (span !== null) roles.set(span.start, role);
  };
  for (const line of doc.lines) {
    if (line.kind === "rule" || line.kind === "ruleType") {
      const rule = line.rule;
      const name = ruleNameSpan(rule, text, line.kind === "ruleType");
      if (name !== null) roles.set(name.start, functionRole(rule.name, true));
      const params = new Set<string>();
      for (const p of rule.params) {
        if (p.parameter.value.type === "Variable") {
          params.add(p.parameter.value.name);
          set(p.parameter, { type: "parameter", modifiers: ["declaration"] });
        }
        const spec = p.specializer;
        if (spec !== null) {
          if (spec.value.type === "InstancePattern") set(spec, classRole(spec.value.tag));
          else if (spec.value.type === "Variable") set(spec, classRole(spec.value.name));
        }
      }
      if (params.size > 0) {
        walk(rule.body, (t) => {
          if (t.value.type === "Variable" && params.has(t.value.name)) set(t, { type: "parameter", modifiers: [] });
        });
      }
    } else if (line.kind === "resourceBlock") {
      set(line.keyword, { type: "keyword", modifiers: [] });
      const nameSpan = nameSpanOf(line);
      const name = text.slice(nameSpan.start, nameSpan.end);
      roles.set(nameSpan.start, classRole(name, true));
      for (const p of line.productions) {
        if (p.kind === "declaration") {
          set(p.name, { type: "keyword", modifiers: [] });
          const v = p.value.value;
          if (v.type === "List") {
            for (const e of v.elements) {
              if (stringOf(e) !== null) set(e, { type: "enumMember", modifiers: ["declaration"] });
            }
          } else if (v.type === "Dictionary" || v.type === "DictionaryPattern") {
            for (const t of v.fields.values()) {
              if (t.value.type === "Variable") set(t, classRole(t.value.name));
            }
          }
        } else {
          set(p.head, { type: "enumMember", modifiers: [] });
          set(p.implier, { type: "enumMember", modifiers: [] });
          if (p.relation !== null) {
            set(p.relation.keyword, { type: "keyword", modifiers: [] });
            set(p.relation.name, { type: "enumMember", modifiers: [] });
          }
        }
      }
    }
  }
  return roles;
}

/** Comments in `text[from, to)` (between two tokens: blanks, comments, or text the lexer rejected). */
function commentsIn(text: string, from: number, to: number, out: SemanticToken[]): void {
  for (let i = from; i < to; i++) {
    if (text.charCodeAt(i) !== 35 /* # */) continue;
    let end = i;
    while (end < to && text[end] !== "\n" && text[end] !== "\r") end++;
    out.push({ start: i, end, type: "comment", modifiers: [] });
    i = end;
  }
}

/** A token, in one piece per line: LSP tokens never span lines (a string may hold a raw `\r`). */
function pushSplit(text: string, start: number, end: number, role: Role, out: SemanticToken[]): void {
  let from = start;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : -1;
    if (c !== 10 && c !== 13 && c !== -1) continue;
    if (i > from) out.push({ start: from, end: i, type: role.type, modifiers: role.modifiers });
    from = i + 1;
  }
}

/** The document's tokens, in order, by offsets (a token broken by a line break comes in pieces). */
export function semanticTokens(doc: ParsedDocument): SemanticToken[] {
  const text = doc.document.getText();
  const roles = rolesOf(doc);
  const tokens: Token[] = [];
  const gaps: [number, number][] = [];
  const lexer = new Lexer(text);
  let from = 0;
  for (;;) {
    const before = lexer.offset;
    const t = lexer.next();
    if (isLexError(t)) {
      // Rejected text: comments after it still count; it has no token of its own.
      if (lexer.offset <= before) break;
      continue;
    }
    if (t.kind === TokenKind.EOF) break;
    gaps.push([from, t.start]);
    tokens.push(t);
    from = t.end;
  }
  gaps.push([from, text.length]);

  const out: SemanticToken[] = [];
  const brackets: TokenKind[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const gap = gaps[i];
    if (gap !== undefined) commentsIn(text, gap[0], gap[1], out);
    const t = tokens[i] as Token;
    const role = roles.get(t.start) ?? lexicalRole(t, tokens[i - 1], tokens[i + 1], brackets.at(-1));
    if (t.kind === TokenKind.LP || t.kind === TokenKind.LB || t.kind === TokenKind.LCB) brackets.push(t.kind);
    else if (t.kind === TokenKind.RP || t.kind === TokenKind.RB || t.kind === TokenKind.RCB) brackets.pop();
    if (role !== null) pushSplit(text, t.start, t.end, role, out);
  }
  const last = gaps[tokens.length];
  if (last !== undefined) commentsIn(text, last[0], last[1], out);
  return out;
}

/** A token's role from its kind and neighbours, where the parse does not say (or the text does not parse). */
function lexicalRole(
  t: Token,
  prev: Token | undefined,
  next: Token | undefined,
  bracket: TokenKind | undefined,
): Role | null {
  if (KEYWORD_KINDS.has(t.kind)) return { type: "keyword", modifiers: [] };
  if (OPERATOR_KINDS.has(t.kind)) return { type: "operator", modifiers: [] };
  switch (t.kind) {
    case TokenKind.Integer:
    case TokenKind.Float:
      return { type: "number", modifiers: [] };
    case TokenKind.String:
      return { type: "string", modifiers: [] };
    case TokenKind.Symbol: {
      if (prev?.kind === TokenKind.Dot) {
        return { type: next?.kind === TokenKind.LP ? "method" : "property", modifiers: [] };
      }
      if (prev?.kind === TokenKind.New || prev?.kind === TokenKind.Matches) return classRole(t.text);
      if (next?.kind === TokenKind.LP) return functionRole(t.text, false);
      if (next?.kind === TokenKind.Colon && bracket === TokenKind.LCB) return { type: "property", modifiers: [] };
      return { type: "variable", modifiers: [] };
    }
    default:
      return null;
  }
}

/** Pushes the tokens into a builder, in LSP positions (type and modifiers as legend indexes/bits). */
export function pushTokens(
  builder: SemanticTokensBuilder,
  doc: ParsedDocument,
  tokens: readonly SemanticToken[],
): void {
  for (const t of tokens) {
    const start = doc.document.positionAt(t.start);
    let bits = 0;
    for (const m of t.modifiers) bits |= 1 << TOKEN_MODIFIERS.indexOf(m);
    builder.push(start.line, start.character, t.end - t.start, TOKEN_TYPES.indexOf(t.type), bits);
  }
}

/**
 * The last result per document, for deltas: `full` starts a new builder (a builder's data is not
 * reset by `build`), `delta` continues the document's builder from the client's previous result.
 */
export class SemanticTokensCache {
  private readonly builders = new Map<string, SemanticTokensBuilder>();

  full(doc: ParsedDocument): SemanticTokens {
    const builder = new SemanticTokensBuilder();
    this.builders.set(doc.uri, builder);
    pushTokens(builder, doc, semanticTokens(doc));
    return builder.build();
  }

  /** Edits from the result `previousResultId` (the full tokens when the server no longer has it). */
  delta(doc: ParsedDocument, previousResultId: string): SemanticTokens | SemanticTokensDelta {
    const builder = this.builders.get(doc.uri);
    if (builder === undefined) return this.full(doc);
    builder.previousResult(previousResultId);
    pushTokens(builder, doc, semanticTokens(doc));
    return builder.buildEdits();
  }

  /** Forgets documents no longer tracked. */
  retain(tracked: (uri: string) => boolean): void {
    for (const uri of [...this.builders.keys()]) if (!tracked(uri)) this.builders.delete(uri);
  }
}
