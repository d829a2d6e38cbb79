import { caseDir, caseNames } from "@polar-ide/testing";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Line, Rule, SourceFile, Term } from "../src/ast.js";
import type { Diagnostic } from "../src/diagnostics.js";
import { ruleToPolar } from "../src/printer.js";
import {
  BlockRegistry,
  declaredNames,
  readResourceBlock,
  resourceNameAsVar,
  resourceSpecificRuleTypes,
  rewriteShorthandRules,
  type GeneratedRuleType,
} from "../src/resource-blocks/index.js";
import { blockLines } from "./block-lines.js";

const BUILTINS = ["nil", "Boolean", "Integer", "Float", "String", "List", "Dictionary"];

/** Phases 1–3 (blocks only) and the rule types of phase 5, as diagnostic_load runs them. */
function analyze(
  files: readonly SourceFile[],
  isConstant: (name: string) => boolean,
): {
  diagnostics: Diagnostic[];
  rules: Rule[];
  ruleTypes: readonly GeneratedRuleType[];
  registry: BlockRegistry;
} {
  const registry = new BlockRegistry();
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    const lines = blockLines(file);
    if (lines === null) throw new Error(`unsupported test input ${file.name}`);
    for (const line of lines) {
      if (line.kind !== "resourceBlock") continue;
      const { block, diagnostics: ds } = readResourceBlock(line);
      diagnostics.push(...ds, ...registry.add(block, isConstant));
    }
  }
  const stopped = { diagnostics, rules: [], ruleTypes: [], registry };
  if (diagnostics.some((d) => d.unrecoverable)) return stopped;
  const rewritten = rewriteShorthandRules(registry, isConstant);
  diagnostics.push(...rewritten.diagnostics);
  if (diagnostics.some((d) => d.unrecoverable)) return stopped;
  return {
    diagnostics,
    rules: rewritten.rules,
    ruleTypes: resourceSpecificRuleTypes(registry),
    registry,
  };
}

function file(text: string, name = "policy.polar"): SourceFile {
  return { name, text };
}

function summary(d: Diagnostic): string {
  const span = d.context === null ? "-" : `${d.context.start}..${d.context.end}`;
  return `${d.code} ${span} ${d.message}`;
}

// ---------------------------------------------------------------------------------------------
// Corpus: the block-related diagnostics of every case the test reader understands.

const BLOCK_CODES = new Set([
  "ValidationError::ResourceBlock",
  "ValidationError::DuplicateResourceBlockDeclaration",
  "OperationalError::InvalidState",
]);

interface ExpectedDiagnostic {
  code: string;
  message: string;
  offset: number | null;
  end_offset: number | null;
}

interface CorpusCase {
  name: string;
  files: SourceFile[];
  expected: string[];
  alternatives: string[][] | null;
  requiredTypes: string[];
  isConstant: (name: string) => boolean;
}

function isBlockDiagnostic(d: ExpectedDiagnostic): boolean {
  return BLOCK_CODES.has(d.code) || (d.code === "ValidationError::UnregisteredClass" && d.offset !== null);
}

function expectedSummary(d: ExpectedDiagnostic): string {
  const span = d.offset === null ? "-" : `${d.offset}..${d.end_offset}`;
  return `${d.code} ${span} ${d.message}`;
}

function loadCorpus(): CorpusCase[] {
  const out: CorpusCase[] = [];
  for (const name of caseNames()) {
    const dir = caseDir(name);
    const caseJson = JSON.parse(readFileSync(join(dir, "case.json"), "utf8")) as { load?: unknown };
    if (caseJson.load !== undefined) continue;
    const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as {
      diagnostics: ExpectedDiagnostic[];
      diagnostics_alternatives?: ExpectedDiagnostic[][];
      environment: { builtins: boolean; classes: string[] };
    };
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".polar"))
      .sort()
      .map((f) => file(readFileSync(join(dir, f), "utf8"), f));
    // Byte offsets equal UTF-16 offsets only for ASCII text.
    if (files.some((f) => [...f.text].some((c) => c.charCodeAt(0) > 127))) continue;
    if (!files.some((f) => /\{/.test(f.text))) continue;
    if (files.some((f) => blockLines(f) === null)) continue;
    if (expected.diagnostics.some((d) => d.code.startsWith("ParseError::") || d.code.includes("FileLoading"))) continue;
    const classes = new Set([...(expected.environment.builtins ? BUILTINS : []), ...expected.environment.classes]);
    out.push({
      name,
      files,
      expected: expected.diagnostics.filter(isBlockDiagnostic).map(expectedSummary),
      alternatives:
        expected.diagnostics_alternatives?.map((alt) => alt.filter(isBlockDiagnostic).map(expectedSummary)) ?? null,
      requiredTypes: expected.diagnostics
        .filter((d) => d.code === "ValidationError::MissingRequiredRule")
        .map(expectedSummary),
      isConstant: (n) => classes.has(n),
    });
  }
  return out;
}

const corpus = loadCorpus();

describe("resource blocks: corpus", () => {
  it("finds resource-block cases", () => {
    expect(corpus.filter((c) => c.name.startsWith("hand-rb-")).length).toBeGreaterThan(30);
  });

  it.each(corpus.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const got = analyze(c.files, c.isConstant).diagnostics.map(summary);
    if (c.alternatives === null) {
      expect(got).toEqual(c.expected);
    } else {
      // Hash-ordered engine output: same multiset as one of the observed runs.
      expect(c.alternatives.map((a) => [...a].sort())).toContainEqual([...got].sort());
    }
  });

  it.each(corpus.filter((c) => c.requiredTypes.length > 0).map((c) => [c.name, c] as const))(
    "%s: the missing required rule is one of the generated required types",
    (_name, c) => {
      const { ruleTypes } = analyze(c.files, c.isConstant);
      const required = ruleTypes
        .filter((t) => t.required)
        .map((t) => {
          const s = t.rule.source;
          const span = s.kind === "parser" ? `${s.start}..${s.end}` : "-";
          return `ValidationError::MissingRequiredRule ${span} Missing implementation for required rule ${ruleToPolar(t.rule)}`;
        });
      for (const e of c.requiredTypes) expect(required).toContain(e);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Generated rules: the engine's own unit tests (resource_block.rs) print them like this.

describe("resource blocks: shorthand rewriting", () => {
  const allRegistered = (): boolean => true;
  it.each([
    [
      'resource Org { roles = ["owner", "member"]; permissions = ["invite", "create_repo"]; "member" if "owner"; "invite" if "owner"; "create_repo" if "invite"; }',
      [
        'has_role(actor: Actor{}, "member", org: Org{}) if has_role(actor, "owner", org);',
        'has_permission(actor: Actor{}, "invite", org: Org{}) if has_role(actor, "owner", org);',
        'has_permission(actor: Actor{}, "create_repo", org: Org{}) if has_permission(actor, "invite", org);',
      ],
    ],
    [
      'resource Repo { roles = ["reader"]; relations = { parent: Org }; "reader" if "member" on "parent"; } resource Org { roles = ["member"]; }',
      [
        'has_role(actor: Actor{}, "reader", repo: Repo{}) if has_relation(related_org, "parent", repo) and has_role(actor, "member", related_org);',
      ],
    ],
    [
      'resource repo { roles = ["reader"]; relations = { parent: org }; "reader" if "member" on "parent"; } resource org { roles = ["member"]; }',
      [
        'has_role(actor: Actor{}, "reader", repo_instance: repo{}) if has_relation(related_org_instance, "parent", repo_instance) and has_role(actor, "member", related_org_instance);',
      ],
    ],
    [
      'resource Dir { permissions = ["read"]; relations = { parent: Dir }; "read" if "read" on "parent"; }',
      [
        'has_permission(actor: Actor{}, "read", dir: Dir{}) if has_relation(related_dir, "parent", dir) and has_permission(actor, "read", related_dir);',
      ],
    ],
    [
      'actor User {} resource Repo { roles = ["admin"]; relations = { owner: User }; "admin" if "owner"; }',
      ['has_role(actor: Actor{}, "admin", repo: Repo{}) if has_relation(actor, "owner", repo);'],
    ],
  ])("%s", (text, expected) => {
    const { diagnostics, rules } = analyze([file(text)], allRegistered);
    expect(diagnostics).toEqual([]);
    expect(rules.map(ruleToPolar)).toEqual(expected);
    for (const r of rules) expect(r.generated).toBe(true);
  });

  it("stamps generated rules and calls with the shorthand strings' spans", () => {
    const text =
      'resource Repo { roles = ["reader"]; relations = { parent: Org }; "reader" if "member" on "parent"; } resource Org { roles = ["member"]; }';
    const { rules } = analyze([file(text)], allRegistered);
    const rule = rules[0];
    const spanText = (t: { source: Term["source"] }): string =>
      t.source.kind === "parser" ? text.slice(t.source.start, t.source.end) : "<temporary>";
    expect(rule && spanText(rule)).toBe('"reader"');
    const body = rule?.body.value;
    expect(body?.type).toBe("Expression");
    const args = body?.type === "Expression" ? body.args : [];
    expect(args.map(spanText)).toEqual(['"parent"', '"member"']);
  });

  it.each([
    ["Repo", false, "repo"],
    ["repo", false, "repo_instance"],
    ["RepositorySettings", true, "related_repositorysettings"],
    ["org", true, "related_org_instance"],
  ] as const)("resourceNameAsVar(%s, %s) = %s", (name, related, expected) => {
    expect(resourceNameAsVar(name, related)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// Declarations and ordering details not covered by the corpus.

describe("resource blocks: declarations", () => {
  const registered = (n: string): boolean => n !== "Nope";
  it.each([
    [
      "clash inside a block drops the block (its shorthand rules are never checked)",
      'resource Repo { roles = ["a", "a"]; "x" if "y"; }',
      [
        'ValidationError::DuplicateResourceBlockDeclaration ["a"]@30 Cannot overwrite existing role declaration "a" in resource Repo with role',
      ],
    ],
    [
      "reopened block: every clash, in declaration order",
      'resource Repo { roles = ["a", "b"]; } resource Repo { permissions = ["b", "a"]; }',
      [
        'ValidationError::DuplicateResourceBlockDeclaration ["b"]@69 Cannot overwrite existing role declaration "b" in resource Repo with permission',
        'ValidationError::DuplicateResourceBlockDeclaration ["a"]@74 Cannot overwrite existing role declaration "a" in resource Repo with permission',
      ],
    ],
    [
      "reopened block with a different relation type",
      "resource Repo { relations = { p: A }; } resource Repo { relations = { p: B }; }",
      [
        'ValidationError::DuplicateResourceBlockDeclaration [B]@73 Cannot overwrite existing relation declaration "p" in resource Repo with relation',
      ],
    ],
    [
      "keyword and declaration errors come before UnregisteredClass",
      'thing Nope { foo = []; roles = {}; roles = ["a"]; roles = ["b"]; }',
      [
        "ValidationError::ResourceBlock [thing]@0 Expected 'actor' or 'resource' but found 'thing'.",
        "ValidationError::ResourceBlock [[]]@19 Unexpected declaration 'foo'. Did you mean for this to be 'roles = [ ... ];' or 'permissions = [ ... ];'?",
        "ValidationError::ResourceBlock [{}]@31 Expected 'roles' declaration to be a list of strings; found a dictionary",
        "ValidationError::ResourceBlock [[\"b\"]]@58 Multiple 'roles' declarations in 'Nope' resource block.",
        'ValidationError::UnregisteredClass [thing Nope { foo = []; roles = {}; roles = ["a"]; roles = ["b"]; }]@0 Unregistered class: Nope',
      ],
    ],
    [
      "shorthand errors: one per rule, head first",
      'resource R { roles = ["a"]; permissions = ["p"]; relations = { o: S }; "x" if "y" onn "z"; "a" if "b" onn "z"; "a" if "a" on "p"; "a" if "a" on "o"; }',
      [
        'ValidationError::ResourceBlock ["x"]@71 Undeclared term "x" referenced in rule in \'R\' resource block. Did you mean to declare it as a role, permission, or relation?',
        "ValidationError::ResourceBlock [onn]@102 Unexpected relation keyword 'onn'. Did you mean 'on'?",
        "OperationalError::InvalidState - Invalid state: Expected Relation; got: Permission",
        'ValidationError::ResourceBlock [S]@66 R: Relation "o" in rule body `"a" on "o"` has type \'S\', but no such resource block exists. Try declaring one: `resource S {}`',
      ],
    ],
  ])("%s", (_label, text, expected) => {
    const spanned = (d: Diagnostic): string =>
      `${d.code} ${d.context === null ? "-" : `[${text.slice(d.context.start, d.context.end)}]@${d.context.start}`} ${d.message}`;
    expect(analyze([file(text)], registered).diagnostics.map(spanned)).toEqual(expected);
  });

  it("lists declared names with spans for editor features", () => {
    const text = 'resource Repo { roles = ["r"]; relations = { parent: Org }; permissions = ["p"]; }';
    const lines = blockLines(file(text)) ?? [];
    const line = lines[0] as Extract<Line, { kind: "resourceBlock" }>;
    const { block } = readResourceBlock(line);
    expect(block.name).toBe("Repo");
    expect(declaredNames(block).map((d) => `${d.kind}:${d.name}:${text.slice(d.start, d.end)}`)).toEqual([
      'role:r:"r"',
      "relation:parent:Org",
      'permission:p:"p"',
    ]);
  });

  it("generates has_relation types (required when traversed) and has_role", () => {
    const text =
      'actor User {} resource Org { roles = ["m"]; relations = { owner: User, unused: User }; } resource Repo { roles = ["r"]; relations = { parent: Org }; "r" if "owner" on "parent"; }';
    const { ruleTypes } = analyze([file(text)], () => true);
    expect(ruleTypes.map((t) => `${t.required} ${ruleToPolar(t.rule)}`)).toEqual([
      'true has_relation(subject: User{}, "owner", object: Org{});',
      'false has_relation(subject: User{}, "unused", object: Org{});',
      'true has_relation(subject: Org{}, "parent", object: Repo{});',
      "true has_role(actor: Actor{}, role: String{}, resource: Resource{});",
    ]);
  });
});
