/**
 * The incremental `Policy.analyze()` must report exactly what a load from scratch reports. Random
 * sequences of edits (character insertions and deletions anywhere, token mutations, whole-file
 * replacements, added, removed and duplicated files) are applied to multi-file policies built from
 * conformance-corpus cases, generated RBAC policies and generated policies; after every edit each
 * view (editor, engine, engine without the allow warning) is compared with a fresh
 * `diagnosticLoad` of the same files: diagnostics, published diagnostics, the stage reached and
 * the rewritten rules and rule types (whose temporaries must be numbered as in a fresh load).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateRbacPolicy } from "../../../bench/lib/rbac.mjs";
import { compareCodePoints } from "../src/code-points.js";
import type { LoadOptions } from "../src/environment.js";
import { diagnosticLoad } from "../src/load.js";
import { parseFile } from "../src/parser.js";
import { Policy, publishDiagnostics } from "../src/policy.js";
import {
  applyMutations,
  CLASS_NAMES,
  corpusFiles,
  mutations,
  polarFiles,
  polarPolicy,
  roughTokens,
} from "./generators.js";
import { loadShape } from "./load-shape.js";

const SEED = 20240611;
const RBAC = generateRbacPolicy(160, 4);

const VIEWS: readonly LoadOptions[] = [
  {},
  { environment: { classes: [...CLASS_NAMES, ...RBAC.classes], mro: { Repo: ["Org"] } } },
  { environment: { classes: ["User", "Org", "Repo"] }, ignoreNoAllowWarning: true },
];

/** Corpus cases as file lists. */
const CASES: { name: string; text: string }[][] = (() => {
  const byCase = new Map<string, { name: string; text: string }[]>();
  for (const f of corpusFiles()) {
    const list = byCase.get(f.case) ?? [];
    list.push({ name: f.name, text: f.text });
    byCase.set(f.case, list);
  }
  return [...byCase.values()];
})();

/** Texts that replace or add files. */
const POOL: string[] = [...RBAC.files.map((f) => f.text), ...CASES.flat().map((f) => f.text)];

const position = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
/** Characters whose insertion changes tokens, gensym counts (`.`, `_`, `+`), lines or nothing at all. */
const CHARS = [" ", "\n", "x", "_", ".", "+", "#", '"', "(", ")", ";", "a", "1", "é", "💯"];

/** Words that swap specializers, rule names and relation types, so that rule types change but not their number. */
const WORDS = [
  "Integer",
  "String",
  "User",
  "Repo",
  "Org",
  "Actor",
  "Resource",
  "x",
  "f",
  "g",
  "has_role",
  "parent",
  "reader",
];

type Edit =
  | { op: "insert"; file: number; at: number; text: string }
  | { op: "word"; file: number; at: number; word: string }
  | { op: "delete"; file: number; at: number; length: number }
  | { op: "deleteChar"; file: number; which: number; char: string }
  | { op: "mutate"; file: number; ms: Parameters<typeof applyMutations>[1] }
  | { op: "replace"; file: number; pool: number }
  | { op: "add"; pool: number }
  | { op: "remove"; file: number }
  | { op: "copy"; file: number; from: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("insert" as const),
      file: position,
      at: position,
      text: fc.constantFrom(...CHARS),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("word" as const),
      file: position,
      at: position,
      word: fc.constantFrom(...WORDS),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("delete" as const),
      file: position,
      at: position,
      length: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("mutate" as const), file: position, ms: mutations }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("replace" as const), file: position, pool: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("add" as const), pool: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("remove" as const), file: position }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("copy" as const), file: position, from: position }) },
);

/** Applies an edit to the file map (name -> text). */
function applyEdit(files: Map<string, string>, e: Edit, fresh: () => string): void {
  const names = [...files.keys()].sort(compareCodePoints);
  const pick = (at: number): string | undefined => names[Math.floor(at * names.length)];
  switch (e.op) {
    case "insert":
    case "word":
    case "delete":
    case "deleteChar":
    case "mutate":
    case "replace": {
      const name = pick(e.file);
      if (name === undefined) return;
      const text = files.get(name) ?? "";
      if (e.op === "insert") {
        const i = Math.floor(e.at * (text.length + 1));
        files.set(name, text.slice(0, i) + e.text + text.slice(i));
      } else if (e.op === "word") {
        // Replace one identifier (a rough token that starts with a letter).
        const tokens = roughTokens(text);
        const words = tokens.flatMap((t, i) => (/^[A-Za-z]/.test(t) ? [i] : []));
        const k = words[Math.floor(e.at * words.length)];
        if (k !== undefined) tokens[k] = e.word;
        files.set(name, tokens.join(""));
      } else if (e.op === "delete") {
        const i = Math.floor(e.at * text.length);
        files.set(name, text.slice(0, i) + text.slice(i + e.length));
      } else if (e.op === "deleteChar") {
        // One occurrence of a structural character (`;`, `}`, `"`, `#`): items merge or strings/comments end elsewhere.
        const at: number[] = [];
        for (let i = text.indexOf(e.char); i >= 0; i = text.indexOf(e.char, i + 1)) at.push(i);
        const i = at[Math.floor(e.which * at.length)];
        if (i !== undefined) files.set(name, text.slice(0, i) + text.slice(i + 1));
      } else if (e.op === "mutate") {
        files.set(name, applyMutations(text, e.ms));
      } else {
        files.set(name, POOL[e.pool % POOL.length] ?? "");
      }
      return;
    }
    case "add":
      files.set(fresh(), POOL[e.pool % POOL.length] ?? "");
      return;
    case "remove": {
      const name = pick(e.file);
      if (name !== undefined && files.size > 1) files.delete(name);
      return;
    }
    case "copy": {
      const name = pick(e.file);
      const from = pick(e.from);
      if (name !== undefined && from !== undefined) files.set(name, files.get(from) ?? "");
      return;
    }
  }
}

/** Applies the edits one by one, checking every view after each. */
function checkSequence(initial: readonly { name: string; text: string }[], edits: readonly Edit[]): void {
  const files = new Map(initial.map((f) => [f.name, f.text]));
  const policy = new Policy();
  let added = 0;
  const fresh = (): string => `added-${added++}.polar`;
  const sync = (): void => {
    for (const name of policy.names()) if (!files.has(name)) policy.delete(name);
    for (const [name, text] of files) policy.set(name, text);
  };
  const compare = (step: number): void => {
    const names = [...files.keys()].sort(compareCodePoints);
    const sources = names.map((name) => {
      const file = { name, text: files.get(name) ?? "" };
      return { file, parsed: parseFile(file) };
    });
    for (const options of VIEWS) {
      const expected = diagnosticLoad(sources, options);
      const actual = policy.analyze(options);
      const where = `step ${step}, view ${JSON.stringify(options)}`;
      expect(actual.all, where).toEqual(expected.diagnostics);
      expect(actual.diagnostics, where).toEqual(publishDiagnostics(expected.diagnostics, options.environment));
      expect(loadShape(actual.load), where).toEqual(loadShape(expected));
    }
  };
  sync();
  compare(0);
  edits.forEach((e, i) => {
    applyEdit(files, e, fresh);
    sync();
    compare(i + 1);
  });
}

const edits = fc.array(edit, { minLength: 1, maxLength: 8 });

/** One big file: the RBAC policy's files and corpus cases that parse, joined (the incremental re-parse's case). */
const BIG_FILE: { name: string; text: string }[] = [
  {
    name: "big.polar",
    text: [
      ...generateRbacPolicy(600, 1).files.map((f) => f.text),
      ...CASES.flat()
        .slice(0, 40)
        .map((f) => f.text),
    ]
      .filter((text) => parseFile({ name: "t", text }).ok)
      .join("\n"),
  },
];

/** Edits inside one file aimed at item boundaries: strings, comments, `;`, `{`, `}`, spans across items. */
const bigFileEdit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    op: fc.constant("insert" as const),
    file: fc.constant(0),
    at: position,
    text: fc.constantFrom('"', "#", ";", "}", "{", "\n", '";', "# x;\n", 'f(";");', "resource R {", "x", "."),
  }),
  fc.record({
    op: fc.constant("delete" as const),
    file: fc.constant(0),
    at: position,
    length: fc.integer({ min: 1, max: 80 }),
  }),
  fc.record({
    op: fc.constant("deleteChar" as const),
    file: fc.constant(0),
    which: position,
    char: fc.constantFrom(";", "}", '"', "#"),
  }),
  fc.record({ op: fc.constant("word" as const), file: fc.constant(0), at: position, word: fc.constantFrom(...WORDS) }),
);

describe("incremental analysis equals a fresh load", () => {
  it("has corpus cases to edit", () => {
    expect(CASES.length).toBeGreaterThan(100);
  });

  it("on corpus cases", () => {
    fc.assert(
      fc.property(fc.nat(CASES.length - 1), edits, (i, es) => checkSequence(CASES[i] ?? [], es)),
      { seed: SEED, numRuns: 150 },
    );
  });

  it("on edits inside one big file", () => {
    expect(BIG_FILE[0]?.text.split("\n").length).toBeGreaterThan(500);
    fc.assert(
      fc.property(fc.array(bigFileEdit, { minLength: 1, maxLength: 10 }), (es) => checkSequence(BIG_FILE, es)),
      { seed: SEED + 4, numRuns: 40 },
    );
  });

  it("on generated RBAC policies", () => {
    fc.assert(
      fc.property(edits, (es) => checkSequence(RBAC.files, es)),
      { seed: SEED + 1, numRuns: 60 },
    );
  });

  it("on generated policies", () => {
    fc.assert(
      fc.property(polarFiles, edits, (fs, es) => checkSequence(fs, es)),
      { seed: SEED + 2, numRuns: 150 },
    );
  });

  it("on generated policies split line by line over three files", () => {
    // Rule types and the rules they check land in different files, so that editing one leaves
    // the other's (memoized) rules unchanged.
    const split = polarPolicy.map((text) => {
      const parts: string[][] = [[], [], []];
      text.split("\n").forEach((line, i) => parts[i % 3]?.push(line));
      return parts.map((lines, i) => ({ name: `part-${i}.polar`, text: lines.join("\n") }));
    });
    fc.assert(
      fc.property(split, edits, (fs, es) => checkSequence(fs, es)),
      { seed: SEED + 3, numRuns: 150 },
    );
  });

  it("re-checks rules when a rule type changes but the number of types does not", () => {
    checkSequence(
      [
        { name: "a.polar", text: "type f(x: Integer);\ntype f(x: String);\n" },
        { name: "b.polar", text: 'f(1);\nf("a");\nallow(_, _, _);\n' },
      ],
      [
        { op: "word", file: 0, at: 0.4, word: "Repo" },
        { op: "word", file: 0, at: 0.9, word: "Integer" },
        { op: "word", file: 1, at: 0, word: "g" },
      ],
    );
  });

  it("renumbers temporaries of later files when an earlier file's count changes", () => {
    const a = "allow(x, _, y) if x.f = y.g;\n";
    const b = "g(x) if x.h > 1 and _ = x;\nallow(_, _, _);\n";
    checkSequence(
      [
        { name: "a.polar", text: a },
        { name: "b.polar", text: b },
      ],
      [
        { op: "insert", file: 0, at: 0.5, text: "." },
        { op: "replace", file: 0, pool: 0 },
        { op: "delete", file: 0, at: 0, length: 3 },
      ],
    );
  });
});
