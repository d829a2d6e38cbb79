/**
 * Signature help (`textDocument/signatureHelp`, triggered by `(` and `,`) for a rule call (or a
 * rule head being written): the rule types the rule must match — from the load, which knows the
 * declared `type` lines, Oso's built-in types and the `has_role`/`has_relation` types generated
 * from the resource blocks — then the rule's definitions (their heads as written), with the active
 * parameter by the commas before the cursor.
 *
 * The call around the cursor comes from the analyzer's lexer over the text before it (the cursor
 * usually sits in an unfinished call no parser accepts); the definitions from the error-tolerant
 * parse; the load is the policy's when it completed, else the load of the tolerant parse (a file
 * with a syntax error), else the declared types and Oso's defaults.
 */
import { Lexer, TokenKind, isLexError, toPolar, type LoadResult, type Rule, type Token } from "@polar-ide/analyzer";
import type { ParameterInformation, SignatureHelp, SignatureInformation } from "vscode-languageserver";
import { BUILTIN_RULE_TYPES, displayPolar, spanOf, type ParsedDocument } from "./features.js";

/** At most this many definitions are listed (a rule may have hundreds). */
const MAX_DEFINITIONS = 50;

/** The rule call whose argument list holds `offset`: its name and the index of the argument at the cursor. */
export function callAt(text: string, offset: number): { name: string; argument: number } | null {
  const tokens: Token[] = [];
  const lexer = new Lexer(text);
  for (;;) {
    const before = lexer.offset;
    const t = lexer.next();
    if (isLexError(t)) {
      if (lexer.offset <= before || lexer.offset >= offset) break;
      continue;
    }
    // A token ending at the cursor is before it, except a `(` the cursor is in front of.
    if (t.kind === TokenKind.EOF || t.start >= offset) break;
    tokens.push(t);
  }
  let depth = 0;
  let commas = 0;
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i] as Token;
    switch (t.kind) {
      case TokenKind.RP:
      case TokenKind.RB:
      case TokenKind.RCB:
        depth++;
        break;
      case TokenKind.LB:
      case TokenKind.LCB:
        if (depth === 0) return null;
        depth--;
        break;
      case TokenKind.LP: {
        if (depth > 0) {
          depth--;
          break;
        }
        const name = tokens[i - 1];
        const before = tokens[i - 2];
        if (name?.kind !== TokenKind.Symbol || name.end !== t.start) return null;
        if (before?.kind === TokenKind.Dot || before?.kind === TokenKind.New) return null;
        return { name: name.text, argument: commas };
      }
      case TokenKind.Comma:
        if (depth === 0) commas++;
        break;
      case TokenKind.SemiColon:
        return null;
      default:
        break;
    }
  }
  return null;
}

function signature(
  label: string,
  prefix: string,
  params: readonly string[],
  documentation?: string,
): SignatureInformation {
  const parameters: ParameterInformation[] = [];
  let text = `${prefix}${label}(`;
  params.forEach((p, i) => {
    if (i > 0) text += ", ";
    parameters.push({ label: [text.length, text.length + p.length] });
    text += p;
  });
  text += ")";
  return { label: text, parameters, ...(documentation === undefined ? {} : { documentation }) };
}

function paramTexts(rule: Rule): string[] {
  return rule.params.map((p) =>
    displayPolar(p.specializer === null ? toPolar(p.parameter) : `${toPolar(p.parameter)}: ${toPolar(p.specializer)}`),
  );
}

/** `type name(a, b)` source texts → parameter texts (the built-in defaults are written out). */
function paramsOfText(type: string): string[] {
  const inner = type.slice(type.indexOf("(") + 1, type.lastIndexOf(")"));
  return inner.trim() === "" ? [] : inner.split(",").map((p) => p.trim());
}

/** `textDocument/signatureHelp` at `offset` of `doc`. */
export function signatureHelp(
  docs: readonly ParsedDocument[],
  doc: ParsedDocument,
  offset: number,
  load: () => LoadResult | null,
): SignatureHelp | null {
  const call = callAt(doc.document.getText(), offset);
  if (call === null) return null;
  const signatures: SignatureInformation[] = [];
  const loaded = load();
  const types = loaded?.ruleTypes.get(call.name);
  if (types !== undefined) {
    for (const t of types) {
      signatures.push(
        signature(
          call.name,
          "type ",
          paramTexts(t.rule),
          t.key !== undefined
            ? "Rule type generated from the resource blocks."
            : t.builtin
              ? "Rule type Oso declares."
              : "Rule type declared in the policy.",
        ),
      );
    }
  } else if (loaded === null) {
    for (const d of docs) {
      for (const line of d.lines) {
        if (line.kind === "ruleType" && line.rule.name === call.name) {
          signatures.push(signature(call.name, "type ", paramTexts(line.rule), "Rule type declared in the policy."));
        }
      }
    }
    for (const t of BUILTIN_RULE_TYPES.get(call.name) ?? []) {
      signatures.push(signature(call.name, "type ", paramsOfText(t), "Rule type Oso declares."));
    }
  }
  let definitions = 0;
  for (const d of docs) {
    const text = d.document.getText();
    for (const line of d.lines) {
      if (line.kind !== "rule" || line.rule.name !== call.name || definitions >= MAX_DEFINITIONS) continue;
      definitions++;
      const params = line.rule.params.map((p) => {
        const a = spanOf(p.parameter);
        const b = p.specializer === null ? a : spanOf(p.specializer);
        return a === null || b === null ? toPolar(p.parameter) : text.slice(a.start, b.end).replace(/\s+/g, " ");
      });
      const at = d.document.positionAt(spanOf(line.rule)?.start ?? 0);
      signatures.push(
        signature(call.name, "", params, `Definition at line ${at.line + 1} of ${d.uri.split("/").pop() ?? d.uri}.`),
      );
    }
  }
  if (signatures.length === 0) return null;
  const active = signatures.findIndex((s) => (s.parameters?.length ?? 0) > call.argument);
  return {
    signatures,
    activeSignature: active < 0 ? 0 : active,
    activeParameter: call.argument,
  };
}
