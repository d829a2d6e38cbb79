/**
 * Generators of Polar policies for the differential and robustness tests and for the benchmark
 * shape checks: fast-check arbitraries for valid-ish policies (every grammar construct, with a bias
 * towards text that parses so that validation is exercised too), mutations of any text (token
 * deletion/insertion/swap/duplication, truncation, character noise), and a deterministic RBAC
 * policy generator whose size is controlled by a line count.
 */
import fc from "fast-check";

// ---------------------------------------------------------------------------------------------
// Valid-ish Polar

/** Variable names: a few repeat often so that rules avoid singletons some of the time. */
const VARIABLES = ["x", "y", "z", "actor", "resource", "action", "_", "_a", "u", "r", "Foo::bar"];
/** Class-like names; the engine environment of the differential test registers some of them. */
export const CLASS_NAMES = [
  "User",
  "Repo",
  "Org",
  "Issue",
  "Actor",
  "Resource",
  "String",
  "Integer",
  "List",
  "Dictionary",
  "Foo",
  "str",
];
/** Rule names, biased to the built-in rule types and to rules that call each other. */
const RULE_NAMES = [
  "allow",
  "allow_field",
  "allow_request",
  "has_permission",
  "has_role",
  "has_relation",
  "f",
  "g",
  "h",
  "is_admin",
];
/** Words that are keywords or reserved in some position. */
const KEYWORDS = [
  "in",
  "new",
  "cut",
  "debug",
  "print",
  "isa",
  "matches",
  "not",
  "and",
  "or",
  "if",
  "type",
  "forall",
  "true",
  "false",
  "nil",
  "on",
];
const STRINGS = ['"read"', '"owner"', '"member"', '"parent"', '"admin"', '"a\\nb"', '"q\\"uote"', '""', '"é"'];
const NUMBERS = [
  "0",
  "1",
  "42",
  "-1",
  "1.5",
  "1e3",
  "1.",
  "2.5e-3",
  "9223372036854775807",
  "9223372036854775808",
  "1e",
  "0.25",
];

const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);

const variable = pick(VARIABLES);
const className = pick(CLASS_NAMES);
const stringLit = pick(STRINGS);
const numberLit = pick(NUMBERS);

const BINARY_OPS = [
  "+",
  "-",
  "*",
  "/",
  "mod",
  "rem",
  "<",
  ">",
  "<=",
  ">=",
  "==",
  "!=",
  "=",
  ":=",
  "in",
  "matches",
  "and",
  "or",
];

// A type alias, not an interface: fc.letrec's typed overload needs a `Record<string, unknown>`.
type TermArbs = {
  term: string;
  value: string;
  logical: string;
};

/** Terms of bounded depth: values (literals, lists, dicts, lookups, `new`) and logical expressions. */
const terms = fc.letrec<TermArbs>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3, depthIdentifier: "term" },
    { arbitrary: variable, weight: 6 },
    { arbitrary: stringLit, weight: 3 },
    { arbitrary: numberLit, weight: 3 },
    { arbitrary: pick(["true", "false", "nil"]), weight: 1 },
    { arbitrary: fc.array(tie("value"), { maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`), weight: 2 },
    {
      arbitrary: fc
        .tuple(fc.array(tie("value"), { maxLength: 2 }), variable)
        .map(([xs, r]) => `[${[...xs, `*${r}`].join(", ")}]`),
      weight: 1,
    },
    {
      arbitrary: fc
        .array(fc.tuple(pick(["a", "b", "c", "id"]), fc.option(tie("value"), { nil: undefined })), { maxLength: 3 })
        .map((fs) => `{${fs.map(([k, v]) => (v === undefined ? k : `${k}: ${v}`)).join(", ")}}`),
      weight: 2,
    },
    { arbitrary: fc.tuple(variable, pick(["name", "id", "org", "owner"])).map(([a, b]) => `${a}.${b}`), weight: 3 },
    {
      arbitrary: fc
        .tuple(variable, pick(["m", "get"]), fc.array(tie("value"), { maxLength: 2 }))
        .map(([a, m, xs]) => `${a}.${m}(${xs.join(", ")})`),
      weight: 1,
    },
    {
      arbitrary: fc
        .tuple(className, fc.array(tie("value"), { maxLength: 2 }))
        .map(([c, xs]) => `new ${c}(${xs.join(", ")})`),
      weight: 1,
    },
    {
      arbitrary: fc
        .tuple(tie("value"), pick(["+", "-", "*", "/", "mod", "rem"]), tie("value"))
        .map(([a, o, b]) => `${a} ${o} ${b}`),
      weight: 2,
    },
    { arbitrary: tie("value").map((v) => `(${v})`), weight: 1 },
  ),
  logical: fc.oneof(
    { maxDepth: 3, depthIdentifier: "term" },
    {
      arbitrary: fc
        .tuple(pick(RULE_NAMES), fc.array(tie("value"), { maxLength: 3 }))
        .map(([f, xs]) => `${f}(${xs.join(", ")})`),
      weight: 5,
    },
    {
      arbitrary: fc
        .tuple(tie("value"), pick(["=", "==", "!=", "<", ">", "<=", ">=", ":=", "in"]), tie("value"))
        .map(([a, o, b]) => `${a} ${o} ${b}`),
      weight: 5,
    },
    { arbitrary: fc.tuple(variable, className).map(([a, c]) => `${a} matches ${c}`), weight: 2 },
    {
      arbitrary: fc
        .tuple(variable, className, pick(["a", "id"]), tie("value"))
        .map(([a, c, k, v]) => `${a} matches ${c}{${k}: ${v}}`),
      weight: 1,
    },
    { arbitrary: tie("logical").map((t) => `not ${t}`), weight: 2 },
    { arbitrary: fc.array(tie("logical"), { minLength: 2, maxLength: 3 }).map((xs) => xs.join(" and ")), weight: 4 },
    { arbitrary: fc.array(tie("logical"), { minLength: 2, maxLength: 3 }).map((xs) => xs.join(" or ")), weight: 3 },
    { arbitrary: tie("logical").map((t) => `(${t})`), weight: 2 },
    { arbitrary: fc.tuple(tie("logical"), tie("logical")).map(([a, b]) => `forall(${a}, ${b})`), weight: 1 },
    { arbitrary: fc.array(tie("value"), { maxLength: 2 }).map((xs) => `print(${xs.join(", ")})`), weight: 1 },
    { arbitrary: pick(["cut", "debug()", "true", "false", "x"]), weight: 1 },
  ),
  term: fc.oneof({ arbitrary: tie("logical"), weight: 3 }, { arbitrary: tie("value"), weight: 1 }),
}));

/** A parameter: a term, optionally with a specializer (class, class pattern, dict pattern or value). */
const parameter = fc.oneof(
  { arbitrary: variable, weight: 4 },
  { arbitrary: fc.tuple(variable, className).map(([v, c]) => `${v}: ${c}`), weight: 4 },
  {
    arbitrary: fc
      .tuple(variable, className, pick(["id", "name"]), terms.value)
      .map(([v, c, k, t]) => `${v}: ${c}{${k}: ${t}}`),
    weight: 1,
  },
  { arbitrary: fc.tuple(variable, pick(["a", "b"]), terms.value).map(([v, k, t]) => `${v}: {${k}: ${t}}`), weight: 1 },
  { arbitrary: terms.value, weight: 2 },
);

const ruleHead = fc
  .tuple(pick(RULE_NAMES), fc.array(parameter, { maxLength: 4 }))
  .map(([n, ps]) => `${n}(${ps.join(", ")})`);

/**
 * Renames variables that occur once in a rule to `_name`, so that most generated rules get past
 * the singleton check (the engine's first error would otherwise almost always be a singleton).
 */
export function renameSingletons(rule: string): string {
  const tokens = roughTokens(rule);
  const counts = new Map<string, number>();
  for (const t of tokens) if (SINGLETON_CANDIDATES.has(t)) counts.set(t, (counts.get(t) ?? 0) + 1);
  return tokens.map((t) => (counts.get(t) === 1 ? `_${t}` : t)).join("");
}
const SINGLETON_CANDIDATES = new Set(VARIABLES.filter((v) => /^[a-z]+$/u.test(v)));

const rule = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.tuple(ruleHead, terms.logical).map(([h, b]) => `${h} if ${b};`), weight: 5 },
      { arbitrary: ruleHead.map((h) => `${h};`), weight: 2 },
    ),
    fc.nat(9),
  )
  .map(([r, dice]) => (dice < 8 ? renameSingletons(r) : r));

const ruleType = ruleHead.map((h) => `type ${h};`);
const query = terms.logical.map((t) => `?= ${t};`);

const roleNames = pick(['"reader"', '"writer"', '"admin"', '"owner"', '"member"']);
const permNames = pick(['"read"', '"write"', '"delete"', '"push"']);
const relNames = pick(["parent", "owner", "org", "creator"]);

/** One production inside a resource block. */
const production = fc.oneof(
  { arbitrary: fc.array(roleNames, { maxLength: 4 }).map((xs) => `roles = [${xs.join(", ")}];`), weight: 3 },
  { arbitrary: fc.array(permNames, { maxLength: 4 }).map((xs) => `permissions = [${xs.join(", ")}];`), weight: 3 },
  {
    arbitrary: fc
      .array(fc.tuple(relNames, className), { maxLength: 3 })
      .map((xs) => `relations = {${xs.map(([k, c]) => `${k}: ${c}`).join(", ")}};`),
    weight: 3,
  },
  {
    arbitrary: fc
      .tuple(fc.oneof(roleNames, permNames), fc.oneof(roleNames, permNames))
      .map(([a, b]) => `${a} if ${b};`),
    weight: 4,
  },
  {
    arbitrary: fc
      .tuple(
        fc.oneof(roleNames, permNames),
        fc.oneof(roleNames, permNames),
        pick(["on", "on", "on", "in", "of"]),
        relNames,
      )
      .map(([a, b, kw, r]) => `${a} if ${b} ${kw} "${r}";`),
    weight: 3,
  },
  { arbitrary: pick(["roles = {a: B};", "relations = [];", 'things = ["a"];', "stuff = {a: B};"]), weight: 1 },
);

const block = fc
  .tuple(
    pick(["resource", "resource", "actor", "Resource", "thing"]),
    className,
    fc.array(production, { maxLength: 6 }),
  )
  .map(([kw, name, ps]) => `${kw} ${name} {\n  ${ps.join("\n  ")}\n}`);

/** One top-level line of a policy. */
export const polarLine: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: rule, weight: 8 },
  { arbitrary: ruleType, weight: 1 },
  { arbitrary: query, weight: 1 },
  { arbitrary: block, weight: 3 },
  { arbitrary: pick(["# a comment", ""]), weight: 1 },
  // Rare raw keyword/token noise keeps the parser's error paths busy even before mutation.
  {
    arbitrary: fc
      .array(
        fc.oneof(
          pick(KEYWORDS),
          pick(BINARY_OPS),
          pick(["(", ")", "[", "]", "{", "}", ",", ";", ":", ".", "?=", "|", "!"]),
        ),
        { maxLength: 5 },
      )
      .map((xs) => xs.join(" ")),
    weight: 1,
  },
);

/** A valid-ish policy: a few lines, usually starting with an allow rule. */
export const polarPolicy: fc.Arbitrary<string> = fc
  .tuple(fc.boolean(), fc.array(polarLine, { minLength: 1, maxLength: 6 }), pick(["\n", "\n\n", " ", "\r\n"]))
  .map(([withAllow, lines, sep]) =>
    [
      ...(withAllow ? ["allow(actor, action, resource) if has_permission(actor, action, resource);"] : []),
      ...lines,
    ].join(sep),
  );

// ---------------------------------------------------------------------------------------------
// Mutations

/** Rough Polar tokenization (strings, comments, numbers, words, operators, whitespace) for mutations. */
export function roughTokens(text: string): string[] {
  return (
    text.match(
      /"(?:[^"\\\n]|\\.)*"?|#[^\n]*|\d+(?:\.\d*)?(?:[eE][+-]?\d*)?|[A-Za-z_][A-Za-z0-9_:]*|\?=|:=|==|!=|<=|>=|\s+|[\s\S]/gu,
    ) ?? []
  );
}

const NOISE = [
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  ";",
  ":",
  ".",
  "=",
  "if",
  "and",
  "or",
  "not",
  "in",
  "new",
  "on",
  '"',
  "*",
  "?=",
  "x",
  "1",
  "1.5",
  "\n",
  " ",
  "#",
  "\\",
  "é",
  "💯",
  "\u0000",
  "~",
  "isa",
  "matches",
  "forall",
];

/** One mutation step, applied to the token list at a relative position. */
type Mutation =
  | { op: "delete"; at: number }
  | { op: "insert"; at: number; token: string }
  | { op: "swap"; at: number; other: number }
  | { op: "duplicate"; at: number }
  | { op: "truncate"; at: number };

const position = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  position.map((at) => ({ op: "delete" as const, at })),
  fc.tuple(position, pick(NOISE)).map(([at, token]) => ({ op: "insert" as const, at, token })),
  fc.tuple(position, position).map(([at, other]) => ({ op: "swap" as const, at, other })),
  position.map((at) => ({ op: "duplicate" as const, at })),
  position.map((at) => ({ op: "truncate" as const, at })),
);

/** Applies mutations to a text. Truncation cuts at a character offset (may split a token or a surrogate pair). */
export function applyMutations(text: string, mutations: readonly Mutation[]): string {
  let tokens = roughTokens(text);
  for (const m of mutations) {
    const i = Math.floor(m.at * tokens.length);
    switch (m.op) {
      case "delete":
        tokens.splice(i, 1);
        break;
      case "insert":
        tokens.splice(i, 0, m.token);
        break;
      case "swap": {
        const j = Math.floor(m.other * tokens.length);
        const a = tokens[i];
        const b = tokens[j];
        if (a !== undefined && b !== undefined) {
          tokens[i] = b;
          tokens[j] = a;
        }
        break;
      }
      case "duplicate": {
        const t = tokens[i];
        if (t !== undefined) tokens.splice(i, 0, t);
        break;
      }
      case "truncate": {
        const joined = tokens.join("");
        tokens = [joined.slice(0, Math.floor(m.at * (joined.length + 1)))];
        tokens = roughTokens(tokens[0] ?? "");
        break;
      }
    }
  }
  return tokens.join("");
}

/** 1–3 mutations. */
export const mutations: fc.Arbitrary<Mutation[]> = fc.array(mutation, { minLength: 1, maxLength: 3 });

/** A mutated generated policy. */
export const mutatedPolicy: fc.Arbitrary<string> = fc
  .tuple(polarPolicy, mutations)
  .map(([t, ms]) => applyMutations(t, ms));

// ---------------------------------------------------------------------------------------------
// Corpus

/** Every `.polar` file of the conformance corpus: `{case, name, text}`, sorted; throws when there is none. */
export { corpusFiles } from "@polar-ide/testing";

// ---------------------------------------------------------------------------------------------
// Reference engine (oso 0.27.3's WebAssembly polar-core)

/** A diagnostic as the engine reports it through `load()` / `nextMessage()`. */
export interface EngineDiagnostic {
  readonly code: string;
  /** Message without the " at line L, column C of file F:…" suffix. */
  readonly message: string;
  /** 1-based line/column the engine printed, null without a source context. */
  readonly line: number | null;
  readonly column: number | null;
}

/** Result of one engine load. `panicked`: formatting a position panicked (non-ASCII text) — the instance was replaced. */
export interface EngineResult {
  readonly ok: boolean;
  readonly error: EngineDiagnostic | null;
  readonly warnings: readonly EngineDiagnostic[];
  readonly panicked: boolean;
}

interface FfiPolar {
  load(sources: { src: string; filename: string }[]): void;
  clearRules(): void;
  nextMessage(): { kind: string; msg: string } | undefined;
}
interface JsPolar {
  getFfi(): FfiPolar;
  registerClass(cls: new () => unknown, params: { name: string }): void;
}

const WARNING_CODES: [string, string][] = [
  ["Expression without parentheses could be ambiguous.", "ValidationWarning::AmbiguousPrecedence"],
  ["Your policy does not contain an allow rule", "ValidationWarning::MissingAllowRule"],
  ["Warning: your policy uses resource blocks", "ValidationWarning::MissingHasPermissionRule"],
  ["Unknown specializer ", "ValidationWarning::UnknownSpecializer"],
];

/** Splits the engine's "{message} at line L, column C of file F:\n\t…" into message and position. */
export function splitEngineMessage(
  text: string,
  filenames: readonly string[],
): { message: string; line: number | null; column: number | null } {
  const re = / at line (\d+), column (\d+) of file ([^\n]*):\n/gu;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (filenames.includes(m[3] ?? ""))
      return { message: text.slice(0, m.index), line: Number(m[1]), column: Number(m[2]) };
  }
  // Positions without a file name are not produced by load(); messages without a context have no suffix.
  return { message: text, line: null, column: null };
}

/**
 * One long-lived engine instance (creating instances perturbs hash order and costs time). Classes
 * registered stay registered; `registered` lists them so the analyzer can be given the same environment.
 */
export class OsoEngine {
  private polar: JsPolar;
  readonly registered: string[] = [];

  constructor(private readonly PolarClass: new () => JsPolar) {
    this.polar = new PolarClass();
  }

  /** Registers a class name (idempotent). */
  register(name: string): void {
    if (this.registered.includes(name)) return;
    this.registered.push(name);
    this.polar.registerClass(class {}, { name });
  }

  /** `clearRules` + `load`: the first error thrown and every queued warning. */
  load(files: readonly { name: string; text: string }[]): EngineResult {
    const ffi = this.polar.getFfi();
    ffi.clearRules();
    while (ffi.nextMessage() !== undefined);
    const names = files.map((f) => f.name);
    let error: EngineDiagnostic | null = null;
    let ok = true;
    // The wasm panic hook logs through console.error; a panic is reported in the result instead.
    const consoleError = console.error;
    console.error = () => undefined;
    try {
      ffi.load(files.map((f) => ({ src: f.text, filename: f.name })));
    } catch (e) {
      ok = false;
      const err = e as { name?: string; message?: string };
      if (err.name === undefined || !err.name.includes("::")) {
        // A panic ("unreachable") kills the wasm instance: start a new one with the same classes.
        this.polar = new this.PolarClass();
        for (const c of this.registered) this.polar.registerClass(class {}, { name: c });
        return { ok: false, error: null, warnings: [], panicked: true };
      }
      error = { code: err.name, ...splitEngineMessage(err.message ?? "", names) };
    } finally {
      console.error = consoleError;
    }
    const warnings: EngineDiagnostic[] = [];
    for (let m = ffi.nextMessage(); m !== undefined; m = ffi.nextMessage()) {
      if (m.kind !== "Warning") continue;
      const split = splitEngineMessage(m.msg, names);
      const code = WARNING_CODES.find(([prefix]) => split.message.startsWith(prefix))?.[1] ?? "ValidationWarning::?";
      warnings.push({ code, ...split });
    }
    return { ok, error, warnings, panicked: false };
  }
}

/** The engine's 1-based (line, column) of a UTF-16 offset, when it is computable: only ASCII text before it. */
export function enginePosition(text: string, offset: number): { line: number; column: number } | null {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) return null;
    if (c === 10) {
      line++;
      column = 1;
    } else column++;
  }
  return { line, column };
}

/**
 * Renumbers the engine's temporaries (`_value_N`, `_op_N`, `_instance_N`, `_temp_N`, `_N`) in order of first
 * appearance. The engine's counter lives in the instance and is not reset by `clearRules`, so in a
 * long-lived instance only the structure of the numbering can be compared.
 */
export function normalizeTemporaries(message: string): string {
  const ids = new Map<string, number>();
  return message.replace(/\b_(?:value_|op_|instance_|temp_)?(\d+)\b/gu, (m, n: string) => {
    let id = ids.get(n);
    if (id === undefined) {
      id = ids.size + 1;
      ids.set(n, id);
    }
    return m.slice(0, m.length - n.length) + String(id);
  });
}

/** InvalidRule messages list rule types in hash order (has_relation types): sort the sections. */
export function normalizeInvalidRule(message: string): string {
  const marker = "Must match one of the following rule types:\n";
  const i = message.indexOf(marker);
  if (i < 0) return message;
  const sections = message
    .slice(i + marker.length)
    .split(/\n(?=\n)/u)
    .sort();
  return message.slice(0, i + marker.length) + sections.join("\n");
}

/** Names of the files of a generated multi-file policy. */
const FILE_NAMES = ["a.polar", "b.polar", "c.polar"];

/**
 * 1–3 files of generated policy; sometimes one file repeats another's text (FileLoading) and the
 * allow rule lives in only one of them, so cross-file rule lookups are exercised.
 */
export const polarFiles: fc.Arbitrary<{ name: string; text: string }[]> = fc
  .tuple(fc.array(polarPolicy, { minLength: 1, maxLength: 3 }), fc.nat(9))
  .map(([texts, dice]) => {
    const files = texts.map((text, i) => ({ name: FILE_NAMES[i] ?? `f${i}.polar`, text }));
    const first = files[0];
    if (dice === 0 && first !== undefined && files.length > 1)
      files[files.length - 1] = { name: FILE_NAMES[files.length - 1] ?? "x.polar", text: first.text };
    return files;
  });
