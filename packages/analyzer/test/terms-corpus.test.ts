/**
 * Round-trip every rule of the conformance corpus through the engine: print it with `ruleToPolar`,
 * load the printed text (renamed to `f`, variables prefixed with `_` so that no singleton error
 * comes first) after `type f();`, and compare the engine's InvalidRule message, which prints the
 * engine's rewrite of our printout, with our own rewrite.
 */
import { corpusFiles } from "@polar-ide/testing";
import { describe, expect, it } from "vitest";
import type { Rule, Term, Value } from "../src/ast.js";
import { parseFile } from "../src/parser.js";
import { ruleToPolar } from "../src/printer.js";
import { createGensym, rewriteRule } from "../src/rewrite.js";
import { engineLoad } from "./engine.js";

function renameValue(v: Value): Value {
  const t = (x: Term): Term => ({ source: x.source, value: renameValue(x.value) });
  const fs = (m: ReadonlyMap<string, Term>): Map<string, Term> => new Map([...m].map(([k, x]) => [k, t(x)]));
  switch (v.type) {
    case "Variable":
    case "RestVariable":
      return v.name === "_" || v.name.startsWith("_") ? v : { ...v, name: `_${v.name}` };
    case "List":
      return { ...v, elements: v.elements.map(t) };
    case "Dictionary":
    case "DictionaryPattern":
    case "InstancePattern":
      return { ...v, fields: fs(v.fields) };
    case "Call":
      return { ...v, args: v.args.map(t), kwargs: v.kwargs === null ? null : fs(v.kwargs) };
    case "Expression":
      return { ...v, args: v.args.map(t) };
    default:
      return v;
  }
}

function prepare(rule: Rule): Rule {
  const t = (x: Term): Term => ({ source: x.source, value: renameValue(x.value) });
  return {
    ...rule,
    name: "f",
    params: rule.params.map((p) => ({ parameter: t(p.parameter), specializer: p.specializer && t(p.specializer) })),
    body: t(rule.body),
  };
}

function corpusRules(): string[] {
  const out = new Set<string>();
  for (const { name: file, text } of corpusFiles()) {
    const parsed = parseFile({ name: file, text });
    if (!parsed.ok) continue;
    for (const line of parsed.value) {
      if (line.kind === "rule" && line.rule.params.length > 0) out.add(ruleToPolar(prepare(line.rule)));
    }
  }
  return [...out];
}

describe("corpus rules: printing and rewriting agree with the engine", () => {
  const rules = corpusRules();
  it("has material", () => {
    expect(rules.length).toBeGreaterThan(100);
  });
  it.each(rules)("%s", (printed) => {
    const policy = `allow(_a, _b, _c);\ntype f();\n${printed}\n`;
    const parsed = parseFile({ name: "policy.polar", text: policy });
    const engine = engineLoad(policy);
    const match = /^Invalid rule: (.*) Must match one of the following rule types:/s.exec(engine.error?.message ?? "");
    if (!parsed.ok || match === null) {
      // to_polar is not a faithful inverse of the parser (strings and field names are printed
      // unescaped, odd symbols bare): then both sides must reject or reinterpret the printout.
      expect(engine.error?.message ?? "").toMatch(/^(did not expect|Singleton variable|'.*' is not a valid character)/);
      return;
    }
    const gensym = createGensym();
    let last: Rule | null = null;
    for (const line of parsed.value) {
      if (line.kind === "rule" || line.kind === "ruleType") last = rewriteRule(line.rule, gensym);
    }
    expect(last && ruleToPolar(last)).toBe(match?.[1]);
  });
});
