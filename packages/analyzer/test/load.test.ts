import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import type { SourceFile } from "../src/ast.js";
import type { ClassEnvironment } from "../src/environment.js";
import { EDITOR_DROPPED_CODES } from "../src/diagnostics.js";
import { diagnosticLoad, type LoadSource } from "../src/load.js";
import { parseFile } from "../src/parser.js";

const require = createRequire(import.meta.url);

function sources(files: Record<string, string>): LoadSource[] {
  return Object.entries(files).map(([name, text]) => {
    const file: SourceFile = { name, text };
    return { file, parsed: parseFile(file) };
  });
}

function codes(files: Record<string, string>, environment: ClassEnvironment | null = null): string[] {
  return diagnosticLoad(sources(files), { environment })
    .diagnostics.map((d) => d.code)
    .filter((c) => environment !== null || !EDITOR_DROPPED_CODES.has(c));
}

const ALLOW = "allow(actor, action, resource) if has_permission(actor, action, resource);\n";

describe("diagnosticLoad phases and order", () => {
  const cases: { name: string; files: Record<string, string>; env?: ClassEnvironment; expected: string[] }[] = [
    { name: "empty policy", files: { "a.polar": "" }, expected: ["ValidationWarning::MissingAllowRule"] },
    {
      name: "undefined call before the allow warning",
      files: { "a.polar": "f() if g();" },
      expected: ["ValidationError::UndefinedRuleCall", "ValidationWarning::MissingAllowRule"],
    },
    {
      name: "parse error stops global checks",
      files: { "a.polar": "f() if g();", "b.polar": "f(" },
      expected: ["ParseError::UnrecognizedEOF"],
    },
    {
      name: "singletons before ambiguous precedence, per rule",
      files: { "a.polar": "allow(x, _, _) if a() and b() or c();\nf(y) if 1 = 1;\na(); b(); c();" },
      env: { classes: [] },
      expected: [
        "ValidationError::SingletonVariable",
        "ValidationWarning::AmbiguousPrecedence",
        "ValidationError::SingletonVariable",
      ],
    },
    {
      name: "rule type with a dot lookup",
      files: { "a.polar": "allow(_, _, _);\ntype f(x.y);" },
      expected: ["ValidationError::InvalidRuleType"],
    },
    {
      name: "shorthand errors stop rule-type validation",
      files: { "a.polar": `${ALLOW}actor User {}\nresource Repo { roles = ["a"]; "a" if "b"; }\nf() if g();` },
      expected: ["ValidationError::ResourceBlock"],
    },
    {
      name: "missing has_role, then undefined calls, then warnings",
      files: { "a.polar": `allow(_, _, _) if g();\nactor User {}\nresource Repo { roles = ["a"]; }` },
      expected: [
        "ValidationError::MissingRequiredRule",
        "ValidationError::UndefinedRuleCall",
        "ValidationWarning::MissingHasPermissionRule",
      ],
    },
    {
      name: "unregistered block class in the engine view only",
      files: { "a.polar": "allow(_, _, _);\nresource Repo {}" },
      env: { classes: [] },
      expected: ["ValidationError::UnregisteredClass", "ValidationWarning::MissingHasPermissionRule"],
    },
    {
      name: "file loaded twice",
      files: { "a.polar": "allow(_, _, _);" },
      expected: [],
    },
  ];
  it.each(cases)("$name", ({ files, env, expected }) => {
    expect(codes(files, env ?? null)).toEqual(expected);
  });

  it("reports FileLoading for a repeated name with other contents", () => {
    const r = diagnosticLoad(
      [
        { name: "a.polar", text: "allow(_, _, _);" },
        { name: "a.polar", text: "f(" },
      ],
      {},
    );
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      "Problem loading file: A file with the name a.polar, but different contents has already been loaded.",
    ]);
  });

  it("reports FileLoading for repeated contents, skipping the file", () => {
    const a: SourceFile = { name: "a.polar", text: "allow(_, _, _);" };
    const b: SourceFile = { name: "b.polar", text: "allow(_, _, _);" };
    const a2: SourceFile = { name: "a.polar", text: "f(" };
    const r = diagnosticLoad([a, b, a2, a], {});
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      "Problem loading file: A file with the same contents as b.polar named a.polar has already been loaded.",
      // b.polar took over a.polar's contents entry, so the name a.polar is free again and "f(" is parsed.
      "hit the end of the file unexpectedly. Did you forget a semi-colon",
      "Problem loading file: A file with the same contents as a.polar named b.polar has already been loaded.",
    ]);
    const fileLoading = r.diagnostics.filter((d) => d.code === "ValidationError::FileLoading");
    expect(fileLoading.map((d) => [d.context?.start, d.context?.end])).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it("honours ignoreNoAllowWarning", () => {
    expect(diagnosticLoad(sources({ "a.polar": "f();" }), { ignoreNoAllowWarning: true }).diagnostics).toEqual([]);
  });

  it("returns rules, rule types and blocks for editor features", () => {
    const r = diagnosticLoad(
      sources({
        "a.polar": `${ALLOW}actor User {}\nresource Repo { roles = ["a"]; permissions = ["r"]; "r" if "a"; }\ntype f(x);`,
      }),
      {},
    );
    expect([...r.rules.keys()]).toEqual(["allow", "has_permission"]);
    expect(r.ruleTypes.get("f")?.length).toBe(1);
    expect(r.ruleTypes.get("has_role")?.[0]?.required).toBe(true);
    expect(r.blocks.blockNames()).toEqual(["User", "Repo"]);
  });

  it("does not mutate the cached parse results", () => {
    const src = sources({
      "a.polar": `${ALLOW}actor User {}\nresource Repo { roles = ["a"]; "a" if "a"; }\nf(x) if x.y + 1 = 2 and new Foo(_);`,
    });
    const snapshot = JSON.stringify(src, (_k, v: unknown) =>
      typeof v === "bigint" ? v.toString() : v instanceof Map ? [...v] : v,
    );
    diagnosticLoad(src, {});
    diagnosticLoad(src, { environment: { classes: ["User", "Repo"] } });
    expect(
      JSON.stringify(src, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Map ? [...v] : v)),
    ).toBe(snapshot);
  });
});

// Rule-type matching is indexed (linear, where Oso's is quadratic in the number of blocks); how fast
// it is at scale is measured by `npm run bench:analyzer`, never asserted here (tests hold no timings).
describe("rule-type validation at scale", () => {
  it("checks thousands of has_relation rules against thousands of relation types", () => {
    const n = 3000;
    const lines = ["allow(_, _, _);", "actor User {}"];
    for (let i = 0; i < n; i++) {
      lines.push(
        `resource R${i} { roles = ["r"]; relations = { parent: R${i + 1}, owner: User }; "r" if "r" on "parent"; }`,
      );
      lines.push(`has_relation(p: R${i + 1}, "parent", c: R${i}) if c.p = p;`);
      lines.push(`has_relation(u: User, "owner", c: R${i}) if c.o = u;`);
    }
    lines.push(`resource R${n} { roles = ["r"]; }`);
    lines.push(`has_role(u: User, r: String, x: Resource) if x.r(u) = r;`);
    const classes = ["User", ...Array.from({ length: n + 1 }, (_, i) => `R${i}`)];
    const r = diagnosticLoad(sources({ "a.polar": lines.join("\n") }), { environment: { classes } });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["ValidationWarning::MissingHasPermissionRule"]);
  });
});

describe("agrees with the oso engine (first error)", () => {
  const { Polar } = require("oso/dist/src/Polar.js") as { Polar: new () => OsoPolar };
  interface OsoPolar {
    registerClass(cls: unknown, opts: { name: string }): void;
    loadStr(src: string, name: string): Promise<void>;
  }
  const cases: { src: string; classes?: string[] }[] = [
    { src: "allow(_,_,_); type f(_x: Integer); f(_x: nil);" },
    { src: "allow(_,_,_); type f(_x: Float); f(1); type g(_x: Integer); g(1.5);" },
    { src: 'allow(_,_,_); type f(_x: Foo, "a"); type f(_x: Bar, "b"); f(_x: Foo, "a");', classes: ["Foo"] },
    { src: "allow(_,_,_); type f([1, *_r]); type f(_x); f([1]);" },
    { src: "allow(_,_,_); type f(_x: {a: 1}); f(_x: Foo{a: 2});", classes: ["Foo"] },
    { src: "allow(_,_,_); actor User {} type f(_x: Actor); f(_x: Admin);", classes: ["Admin"] },
    { src: "allow(_,_,_); f(x) if g(x.y, x.z + 1); g(_, _) if new Foo(1).bar(h());", classes: ["Foo"] },
    {
      src: 'actor User {} resource Repo { roles = ["r"]; relations = {parent: Org}; "r" if "m" on "parent"; } resource Org { roles = ["m"]; } has_role(_u: User, _r: String, _repo: Repo); has_relation(_o: Org, "parent", _r: Repo{x: 1});',
      classes: ["User", "Repo", "Org"],
    },
    {
      src: 'actor User {} resource Repo { roles = ["r"]; relations = {parent: Org}; "r" if "m" on "parent"; } resource Org { roles = ["m"]; } has_role(_u: User, _r: String, _repo: Repo); has_relation(_o: Org, "parent", _r: Repo);',
      classes: ["User", "Repo"],
    },
  ];
  it.each(cases)("$src", async ({ src, classes = [] }) => {
    const polar = new Polar();
    for (const name of classes) polar.registerClass({ [name]: class {} }[name], { name });
    let engine: string | null = null;
    const warn = console.warn;
    console.warn = () => undefined;
    try {
      await polar.loadStr(src, "policy.polar");
    } catch (e) {
      engine = (e as Error).message.replace(/ at line \d+, column \d+ of file policy\.polar:\n[\s\S]*$/, "");
    } finally {
      console.warn = warn;
    }
    const ours = diagnosticLoad([{ name: "policy.polar", text: src }], { environment: { classes } }).diagnostics.find(
      (d) => d.severity === "error",
    );
    expect(ours?.message ?? null).toBe(engine);
  });
});

describe("rule-type outcomes shared within a name", () => {
  it("rules matching different sets of as many types satisfy each its own required type", () => {
    // Each has_relation rule matches the policy's type and its own block's generated (required)
    // type: two outcomes of two types each, which must not be taken for one another.
    const block = (name: string): string =>
      `resource ${name} { roles = ["r"]; relations = { owner: User }; "r" if "owner"; }\n`;
    const text = [
      ALLOW,
      "actor User {}\n",
      block("Org"),
      block("Repo"),
      block("Team"),
      "type has_relation(u: User, name: String, x: Resource);\n",
      'has_relation(u: User, "owner", o: Org) if o.owner = u;\n',
      'has_relation(u: User, "owner", r: Repo) if r.owner = u;\n',
      "has_role(u: User, name: String, r: Resource) if r.role = name and u = u;\n",
      'has_permission(u: User, "read", r: Resource) if has_role(u, "r", r);\n',
    ].join("");
    const environment = { classes: ["User", "Org", "Repo", "Team"] };
    // Only Team's has_relation type is missing a rule.
    const diagnostics = diagnosticLoad(sources({ "a.polar": text }), { environment }).diagnostics;
    expect(diagnostics.map((d) => d.code)).toEqual(["ValidationError::MissingRequiredRule"]);
    expect(diagnostics[0]?.message).toContain("Team");
    const complete = text + 'has_relation(u: User, "owner", t: Team) if t.owner = u;\n';
    expect(codes({ "a.polar": complete }, environment)).toEqual([]);
  });
});
