/**
 * Rules generated from shorthand rules are `GeneratedRule`s (issue 13): their terms are built
 * when first read, a rule-type check reads shared stand-ins of their parameters and is shared by
 * resource and head inside a `RuleTypeGroup`, and `ruleCallsHasPermission` answers without the
 * terms. On random policies with random rule types and class environments, each of these fast
 * paths must give what the built rule gives: the check of its built parameters by a fresh group,
 * the stand-ins' values, and the walk of a plain copy of the rule.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateRbacPolicy } from "../../../bench/lib/rbac.mjs";
import type { Parameter, Rule, Term, Value } from "../src/ast.js";
import type { ClassEnvironment } from "../src/environment.js";
import { KnowledgeBase, type RuleType } from "../src/kb.js";
import { parseFile } from "../src/parser.js";
import {
  GeneratedRule,
  readResourceBlock,
  resourceSpecificRuleTypes,
  rewriteShorthandRules,
} from "../src/resource-blocks/index.js";
import { rewriteRule } from "../src/rewrite.js";
import { matchedTypes, RuleTypeGroup, type RuleCheck } from "../src/rule-types.js";
import { ruleToPolar } from "../src/printer.js";
import { bodilessRule, stringValue, symbolName, temporary, typeParameter } from "../src/terms.js";
import { ruleCallsHasPermission } from "../src/validations/missing-rules.js";
import { polarPolicy } from "./generators.js";

const CLASSES = ["User", "Repo", "Org", "Issue", "Team"];
const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);

/** Policies of blocks over a few classes, with rule types that some generated rules match and others do not. */
const blockPolicy: fc.Arbitrary<string> = fc
  .tuple(
    fc.uniqueArray(
      fc.tuple(
        pick(["resource", "resource", "resource", "actor"]),
        pick(CLASSES),
        fc.oneof(fc.constant(['"reader"', '"writer"', '"owner"']), fc.subarray(['"reader"', '"writer"', '"owner"'])),
        fc.oneof(fc.constant(['"read"', '"write"', '"delete"']), fc.subarray(['"read"', '"write"', '"delete"'])),
        fc.subarray(["parent: Org", "owner: User", "repo: Repo", "team: Team"]),
        fc.array(
          fc.tuple(
            // Mostly declared names (a rule is generated), sometimes not (an error instead).
            pick(['"reader"', '"writer"', '"owner"', '"read"', '"write"', '"delete"', '"reader"', '"parent"']),
            pick(['"reader"', '"writer"', '"owner"', '"reader"', '"writer"', '"owner"', '"read"', '"team"']),
            fc.option(pick(['"parent"', '"owner"', '"repo"', '"team"', '"reader"']), { freq: 2 }),
          ),
          { maxLength: 8 },
        ),
      ),
      { minLength: 1, maxLength: 4, selector: ([, name]) => name },
    ),
    fc.array(
      fc.tuple(
        pick(["has_role", "has_permission", "has_relation"]),
        pick(["a: User", "a: Actor", "a: Team", "a", "a: Repo"]),
        pick(['"reader"', '"read"', '"owner"', "x", "x: String", "x: Integer", '"parent"']),
        pick(["r: Repo", "r: Org", "r: Resource", "r: Issue", "r", "r: Team", "r: Nope"]),
      ),
      { maxLength: 4 },
    ),
  )
  .map(([blocks, types]) =>
    [
      ...blocks.map(([kw, name, roles, perms, rels, rules]) => {
        const lines = [`roles = [${roles.join(", ")}];`, `permissions = [${perms.join(", ")}];`];
        if (rels.length > 0) lines.push(`relations = {${rels.join(", ")}};`);
        for (const [head, implier, on] of rules) lines.push(`${head} if ${implier}${on === null ? "" : ` on ${on}`};`);
        return `${kw} ${name} {\n  ${lines.join("\n  ")}\n}`;
      }),
      ...types.map(([name, a, x, r]) => `type ${name}(${a}, ${x}, ${r});`),
    ].join("\n"),
  );

const environment: fc.Arbitrary<ClassEnvironment | null> = fc.oneof(
  fc.constant(null),
  fc.subarray(CLASSES).map((classes) => ({ classes })),
);

/** The generated rules of `text`'s blocks and the knowledge base they are checked in, as a load builds them. */
function generated(text: string, env: ClassEnvironment | null): { kb: KnowledgeBase; rules: GeneratedRule[] } | null {
  const parsed = parseFile({ name: "p.polar", text });
  if (!parsed.ok) return null;
  const kb = new KnowledgeBase(env);
  const isConstant = (name: string): boolean => kb.isConstant(name);
  for (const line of parsed.value) {
    if (line.kind === "resourceBlock") kb.blocks.add(readResourceBlock(line).block, isConstant);
    if (line.kind === "ruleType") kb.addRuleType(rewriteRule(line.rule, kb.gensym), false);
  }
  for (const t of resourceSpecificRuleTypes(kb.blocks)) kb.addRuleTypeEntry(t);
  const rules = rewriteShorthandRules(kb.blocks, isConstant).rules;
  for (const r of rules) if (!(r instanceof GeneratedRule)) throw new Error(`${r.name} is not a GeneratedRule`);
  return { kb, rules: rules as GeneratedRule[] };
}

/** A parameter's values (what a check reads), without sources. */
function values(params: readonly Parameter[]): [Value, Value | null][] {
  return params.map((p) => [p.parameter.value, p.specializer?.value ?? null]);
}

/** Checks every fast path of `text`'s generated rules against the built rules; returns how many rules it compared. */
function compare(text: string, env: ClassEnvironment | null): number {
  const made = generated(text, env);
  if (made === null) return 0;
  const { kb, rules } = made;
  // Every fast path first, while no rule is built: building makes them read the built terms.
  const fast: (RuleCheck | null)[] = [];
  const standIns: [Value, Value | null][][] = [];
  const calls: boolean[] = [];
  const groups = new Map<string, RuleTypeGroup>();
  for (const rule of rules) {
    const types = kb.ruleTypes.get(rule.name);
    let group = groups.get(rule.name);
    if (group === undefined && types !== undefined) {
      group = new RuleTypeGroup(kb, types);
      groups.set(rule.name, group);
    }
    fast.push(group === undefined ? null : group.check(rule));
    standIns.push(values(rule.paramsForCheck()));
    calls.push(ruleCallsHasPermission(rule));
  }
  rules.forEach((rule, i) => {
    const plain: Rule = { name: rule.name, params: rule.params, body: rule.body, source: rule.source, generated: true };
    const types = kb.ruleTypes.get(rule.name);
    const expected = types === undefined ? null : new RuleTypeGroup(kb, types).checkParams(plain.params);
    expect(fast[i], `${rule.name} #${i} of ${rule.resourceName}`).toEqual(expected);
    expect(standIns[i]).toEqual(values(plain.params));
    expect(calls[i]).toBe(ruleCallsHasPermission(plain));
    expect(rule.headValue).toBe(
      plain.params[1]?.parameter.value.type === "String" ? plain.params[1].parameter.value.value : null,
    );
  });
  return rules.length;
}

describe("generated rules", () => {
  it("checks, stand-in parameters and has_permission calls equal the built rule's on random block policies", () => {
    let compared = 0;
    let failing = 0;
    fc.assert(
      fc.property(blockPolicy, environment, (text, env) => {
        compared += compare(text, env);
        const made = generated(text, env);
        if (made !== null) {
          // Count the rules that fail their check: the fast path must be exercised on both outcomes.
          for (const rule of made.rules) {
            const types = made.kb.ruleTypes.get(rule.name);
            if (types === undefined) continue;
            const r = new RuleTypeGroup(made.kb, types).checkParams(rule.params);
            if ((matchedTypes(r)?.length ?? 0) === 0) failing++;
          }
        }
      }),
      { seed: 20261213, numRuns: 300 },
    );
    expect(compared).toBeGreaterThan(300);
    expect(failing).toBeGreaterThan(20);
  });

  it("equal the built rule's on the differential test's random policies and on a generated RBAC policy", () => {
    let compared = 0;
    fc.assert(
      fc.property(polarPolicy, environment, (text, env) => {
        compared += compare(text, env);
      }),
      { seed: 20261214, numRuns: 300 },
    );
    const rbac = generateRbacPolicy(2000, 1)
      .files.map((f) => f.text)
      .join("\n");
    compared += compare(rbac, { classes: ["User", "Org", ...Array.from({ length: 100 }, (_, i) => `Resource${i}`)] });
    compared += compare(rbac, null);
    expect(compared).toBeGreaterThan(500);
  });

  it("check alike per resource only while no type compares the head string", () => {
    // Generated has_relation rules (relation heads) meet has_relation types with the relation
    // name second: "parent" matches its own type only, "other" its own. Generated has_role rules
    // meet a user type with a string second: "owner" and "member" check differently.
    const text = [
      "actor User {}",
      "resource Repo {",
      '  roles = ["owner", "member"];',
      "  relations = { parent: Actor, other: Actor };",
      '  "parent" if "owner";',
      '  "other" if "owner";',
      '  "owner" if "other";',
      '  "member" if "parent";',
      "}",
      'type has_role(actor: Actor, "owner", resource: Repo);',
    ].join("\n");
    for (const env of [null, { classes: ["User", "Repo"] }]) {
      expect(compare(text, env)).toBe(4);
    }
  });

  it("a check does not build the terms of a generated rule", () => {
    const rbac = generateRbacPolicy(1000, 1)
      .files.map((f) => f.text)
      .join("\n");
    const made = generated(rbac, null);
    expect(made).not.toBeNull();
    const { kb, rules } = made as { kb: KnowledgeBase; rules: GeneratedRule[] };
    const group = new RuleTypeGroup(kb, kb.ruleTypes.get("has_role") ?? []);
    const rule = rules.find((r) => r.name === "has_role") as GeneratedRule;
    const standIn = rule.paramsForCheck();
    group.check(rule);
    // Still the stand-ins: nothing built them.
    expect(rule.paramsForCheck()).not.toBe(standIn);
    expect(rule.paramsForCheck()[0]).toBe(standIn[0]);
    // Built once read, and then the check reads the built terms.
    const params = rule.params;
    expect(rule.paramsForCheck()).toBe(params);
    expect(rule.params).toBe(params);
  });
});

/** The `has_relation` rule type of one relation as built before issue 13's sharing: every term fresh. */
function eagerRelationRuleType(subject: Term, name: Term, object: Term): Rule {
  return bodilessRule(
    "has_relation",
    [
      typeParameter("subject", symbolName(subject)),
      { parameter: temporary({ type: "String", value: stringValue(name) }), specializer: null },
      typeParameter("object", symbolName(object)),
    ],
    name.source,
  );
}

/** Random `has_relation` rules over the test's classes and relation names. */
const hasRelationRules: fc.Arbitrary<string[]> = fc.array(
  fc
    .tuple(
      pick(["a: User", "a: Actor", "a: Team", "a", "a: Repo", "a: Org", "a: Resource"]),
      pick(['"parent"', '"owner"', '"repo"', '"team"', '"reader"', "x", "x: String"]),
      pick(["r: Repo", "r: Org", "r: Resource", "r: Issue", "r", "r: Team", "r: User"]),
    )
    .map(([a, x, r]) => `has_relation(${a}, ${x}, ${r});`),
  { maxLength: 12 },
);

describe("has_relation rule types", () => {
  it("share parameter terms, and equal and check like freshly built rule types on random block policies", () => {
    let compared = 0;
    let shared = 0;
    let matched = 0;
    fc.assert(
      fc.property(blockPolicy, hasRelationRules, environment, (text, ruleTexts, env) => {
        const made = generated(text, env);
        if (made === null) return;
        const { kb } = made;
        const types = (kb.ruleTypes.get("has_relation") ?? []).filter((t) => "key" in t);
        // One rule type per relation declaration, in registry order.
        const tuples = kb.blocks.relationTuples();
        expect(types.length).toBe(tuples.length);
        const eager = tuples.map(({ subject, name, object }, i) => {
          const rule = eagerRelationRuleType(subject, name, object);
          const t = types[i] as RuleType;
          expect(t.rule).toEqual(rule);
          expect(ruleToPolar(t.rule)).toBe(ruleToPolar(rule));
          expect(t.rule.source).toBe(name.source);
          compared++;
          return { ...t, rule };
        });
        for (let i = 0; i < types.length; i++) {
          for (let j = 0; j < i; j++) {
            const a = (types[i] as RuleType).rule.params;
            const b = (types[j] as RuleType).rule.params;
            for (let p = 0; p < 3; p++) if (a[p] === b[p]) shared++;
          }
        }
        // Checks against the shared types equal checks against fresh ones, rule by rule.
        if (types.length === 0) return;
        const fast = new RuleTypeGroup(kb, types);
        const slow = new RuleTypeGroup(kb, eager);
        // Rules made from the relations themselves (most match), then the random ones.
        const fromRelations = tuples.flatMap(({ subject, name, object }) => [
          `has_relation(s: ${symbolName(subject)}, "${stringValue(name)}", o: ${symbolName(object)});`,
          `has_relation(s: ${symbolName(object)}, "${stringValue(name)}", o: ${symbolName(subject)});`,
        ]);
        for (const ruleText of [...fromRelations, ...ruleTexts]) {
          const parsed = parseFile({ name: "r.polar", text: ruleText });
          if (!parsed.ok) continue;
          for (const line of parsed.value) {
            if (line.kind !== "rule") continue;
            const rule = rewriteRule(line.rule, kb.gensym);
            const r = fast.checkParams(rule.params);
            expect(r).toEqual(slow.checkParams(rule.params));
            if ((matchedTypes(r)?.length ?? 0) > 0) matched++;
          }
        }
      }),
      { seed: 20261215, numRuns: 300 },
    );
    expect(compared).toBeGreaterThan(300);
    expect(shared).toBeGreaterThan(100);
    expect(matched).toBeGreaterThan(100);
  });
});
