/**
 * Tokenizes Polar with the extension's own grammar through the same engine VS Code uses
 * (vscode-textmate over the Oniguruma WASM build).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";

const require = createRequire(import.meta.url);
const GRAMMAR_PATH = fileURLToPath(new URL("../syntaxes/polar.tmLanguage.json", import.meta.url));

/** One token of one line: its text and its scopes without the root `source.polar`. */
export interface Token {
  readonly line: number;
  readonly text: string;
  readonly scopes: readonly string[];
}

let grammarPromise: Promise<textmate.IGrammar> | undefined;

async function loadGrammar(): Promise<textmate.IGrammar> {
  const wasm = await readFile(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== "source.polar") return null;
      return textmate.parseRawGrammar(await readFile(GRAMMAR_PATH, "utf8"), GRAMMAR_PATH);
    },
  });
  const grammar = await registry.loadGrammar("source.polar");
  if (!grammar) throw new Error("grammar source.polar did not load");
  return grammar;
}

/** Tokenizes `source` line by line (state carried across lines, as the editor does). */
export async function tokenize(source: string): Promise<Token[]> {
  grammarPromise ??= loadGrammar();
  const grammar = await grammarPromise;
  const tokens: Token[] = [];
  let state = textmate.INITIAL;
  source.split(/\r?\n/).forEach((lineText, index) => {
    const result = grammar.tokenizeLine(lineText, state);
    for (const t of result.tokens) {
      const text = lineText.slice(t.startIndex, t.endIndex);
      if (text.trim() === "") continue;
      tokens.push({ line: index + 1, text, scopes: t.scopes.filter((s) => s !== "source.polar") });
    }
    state = result.ruleStack;
  });
  return tokens;
}

/** The golden-file rendering: one token a line, `line:text<TAB>scopes`. */
export function renderTokens(tokens: readonly Token[]): string {
  return tokens.map((t) => `${t.line}: ${JSON.stringify(t.text)}\t${t.scopes.join(" ")}`).join("\n") + "\n";
}
