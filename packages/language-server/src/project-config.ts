/**
 * The application's classes for a project: `polar.json` at a project root, or the
 * `oso.polarLanguageServer.classes` setting (the same shape as polar.json's `classes`).
 *
 * ```json
 * { "classes": { "User": {}, "Admin": { "bases": ["User"] }, "Repository": {} } }
 * ```
 *
 * The shape is declared once, here, as a JSON Schema (`POLAR_JSON_SCHEMA`, `CLASSES_SETTING_SCHEMA`):
 * the VS Code extension ships it as `schemas/polar.schema.json` (its `jsonValidation`) and as the
 * setting's schema in its `package.json`, both generated from this module and checked by a test;
 * the server validates with the same schema (`validateSchema` interprets the keywords it uses, and
 * refuses a schema with any other keyword). On top of the schema: duplicate class names, and bases
 * that are not registered (Oso records only registered ancestors), are errors too.
 *
 * A class listed here is what `polar-check --classes NAME` registers; `bases` are its `--mro`
 * ancestors. The built-in classes (Boolean, Integer, Float, String, List, Dictionary) are always
 * registered; Actor and Resource (the unions) cannot be.
 *
 * This module knows no LSP: the extension imports it (`@polar-ide/language-server/project-config`).
 */
import { ACTOR_UNION_NAME, BUILTIN_CLASSES, RESOURCE_UNION_NAME, type ClassEnvironment } from "@polar-ide/analyzer";
import { nodeOfValue, parseJson, type JsonNode, type Span } from "./json-spans.js";

/** The file name, at a project root. */
export const PROJECT_CONFIG_FILE = "polar.json";

/** The VS Code setting with the same shape as polar.json's `classes`. */
export const CLASSES_SETTING = "oso.polarLanguageServer.classes";

/** Names a project cannot register: Oso's unions and the classes it registers itself. */
export const REFUSED_CLASS_NAMES: readonly string[] = [ACTOR_UNION_NAME, RESOURCE_UNION_NAME, ...BUILTIN_CLASSES];

/** A Polar class name: `Name` or `Module::Name` (ASCII letters, digits, `_`), not a refused one. */
export const CLASS_NAME_PATTERN = `^(?!(?:${REFUSED_CLASS_NAMES.join("|")})$)[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*$`;

const CLASS_NAME_MESSAGE = `A class name is a Polar name (letters, digits and _, parts joined by ::) and is not ${REFUSED_CLASS_NAMES.join(", ")}: Oso registers the built-in classes itself and refuses to register the two unions.`;

/** A JSON Schema node, as far as this module uses JSON Schema (draft-07 keywords and VS Code's message keywords). */
export interface SchemaNode {
  readonly type?: "object" | "array" | "string" | readonly ("object" | "array" | "string" | "null")[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: false | SchemaNode;
  readonly propertyNames?: SchemaNode;
  readonly items?: SchemaNode;
  readonly uniqueItems?: boolean;
  readonly pattern?: string;
  /** VS Code's message for a failed `pattern`. */
  readonly patternErrorMessage?: string;
  // Annotations (no effect on validation).
  readonly $schema?: string;
  readonly title?: string;
  readonly description?: string;
  readonly markdownDescription?: string;
  readonly default?: unknown;
  readonly scope?: string;
  readonly examples?: readonly unknown[];
}

/** The keywords `validateSchema` interprets or ignores as annotations; a schema using another one is refused. */
export const SCHEMA_KEYWORDS: ReadonlySet<string> = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "propertyNames",
  "items",
  "uniqueItems",
  "pattern",
  "patternErrorMessage",
  "$schema",
  "title",
  "description",
  "markdownDescription",
  "default",
  "scope",
  "examples",
]);

const CLASS_NAME_SCHEMA: SchemaNode = {
  type: "string",
  pattern: CLASS_NAME_PATTERN,
  patternErrorMessage: CLASS_NAME_MESSAGE,
};

/** One class: `{}` or `{ "bases": [...] }`. */
const CLASS_SCHEMA: SchemaNode = {
  type: "object",
  description: "A class the application registers (Oso's registerClass), by the name the policy uses.",
  properties: {
    bases: {
      type: "array",
      items: CLASS_NAME_SCHEMA,
      uniqueItems: true,
      description:
        "Registered classes this class inherits from (polar-check --mro Class:Base). Only registered classes count, as in Oso's class MRO: each must be listed in classes.",
    },
  },
  additionalProperties: false,
};

/** polar.json's `classes`, and the value of the `oso.polarLanguageServer.classes` setting. */
export const CLASSES_SCHEMA: SchemaNode = {
  type: "object",
  description:
    'The classes the application registers with Oso, by name: { "User": {}, "Admin": { "bases": ["User"] }, "Repository": {} }. With classes, the editor reports what Oso reports when the application loads the policy (UnregisteredClass, UnknownSpecializer, SingletonVariable), as polar-check --classes does. The built-in classes are always registered.',
  propertyNames: CLASS_NAME_SCHEMA,
  additionalProperties: CLASS_SCHEMA,
  examples: [{ User: {}, Admin: { bases: ["User"] }, Repository: {} }],
};

/** The whole `polar.json`. */
export const POLAR_JSON_SCHEMA: SchemaNode = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Polar project (polar.json)",
  description:
    "At a Polar project root: the classes the application registers with Oso, so that the editor reports what loading the policy in the application reports.",
  type: "object",
  properties: {
    $schema: { type: "string", description: "The schema of this file (for editors)." },
    classes: CLASSES_SCHEMA,
  },
  required: ["classes"],
  additionalProperties: false,
};

/** The setting's schema in the extension's package.json: the same `classes`, or null (the default: not set). */
export const CLASSES_SETTING_SCHEMA: SchemaNode = {
  ...CLASSES_SCHEMA,
  type: ["object", "null"],
  default: null,
  scope: "resource",
  markdownDescription:
    'The classes the application registers with Oso, as in a `polar.json` at the project root: `{ "User": {}, "Admin": { "bases": ["User"] }, "Repository": {} }`. With classes, Polar files are checked as the application loads them (`UnregisteredClass`, `UnknownSpecializer`, `SingletonVariable` are reported, as by `polar-check --classes`). A `polar.json` at a project root replaces this setting for that root. `null` (default): Oso\'s editor behaviour.',
};

// ---------------------------------------------------------------------------------------------
// Validation

/** One problem with a document: where (`path` as `classes.User.bases[0]`, `span` in its text) and what. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
  readonly span: Span;
}

function pathOf(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  const part = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key);
  return parent === "" ? part : `${parent}.${part}`;
}

function kindName(node: JsonNode): string {
  return node.kind === "array"
    ? "a list"
    : node.kind === "object"
      ? "an object"
      : node.kind === "null"
        ? "null"
        : `a ${node.kind}`;
}

/** Checks that `schema` uses only the keywords `validateSchema` knows; returns the unknown ones (with their paths). */
export function unknownSchemaKeywords(schema: SchemaNode, path = "#"): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(schema)) {
    if (!SCHEMA_KEYWORDS.has(key)) out.push(`${path}/${key}`);
    const sub = (v: unknown, p: string): void => {
      if (v !== null && typeof v === "object" && !Array.isArray(v))
        out.push(...unknownSchemaKeywords(v as SchemaNode, p));
    };
    if (key === "properties") {
      for (const [name, s] of Object.entries(value as Record<string, SchemaNode>)) sub(s, `${path}/properties/${name}`);
    } else if (key === "additionalProperties" || key === "propertyNames" || key === "items")
      sub(value, `${path}/${key}`);
  }
  return out;
}

/** Validates a JSON document against a schema; problems in document order of discovery. */
export function validateSchema(node: JsonNode, schema: SchemaNode, path = ""): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const where = path === "" ? "the file" : path;
  if (schema.type !== undefined) {
    const types: readonly string[] = typeof schema.type === "string" ? [schema.type] : schema.type;
    if (!types.includes(node.kind)) {
      const wanted = types.map((t) =>
        t === "array" ? "a list" : t === "object" ? "an object" : t === "null" ? "null" : `a ${t}`,
      );
      problems.push({ path, span: node, message: `${where} must be ${wanted.join(" or ")}, not ${kindName(node)}` });
      return problems;
    }
  }
  if (node.kind === "string" && schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(node.value)) {
    problems.push({
      path,
      span: node,
      message: `${JSON.stringify(node.value)} is not allowed here. ${schema.patternErrorMessage ?? `It must match ${schema.pattern}.`}`,
    });
  }
  if (node.kind === "array") {
    if (schema.uniqueItems === true) {
      const seen = new Set<string>();
      node.items.forEach((item, i) => {
        const key = JSON.stringify(item.kind === "string" ? item.value : item.kind);
        if (item.kind === "string" && seen.has(key)) {
          problems.push({
            path: pathOf(path, i),
            span: item,
            message: `${JSON.stringify(item.value)} is listed twice in ${where}`,
          });
        }
        seen.add(key);
      });
    }
    if (schema.items !== undefined) {
      const items = schema.items;
      node.items.forEach((item, i) => problems.push(...validateSchema(item, items, pathOf(path, i))));
    }
  }
  if (node.kind === "object") {
    for (const name of schema.required ?? []) {
      if (!node.entries.some((e) => e.key === name)) {
        problems.push({ path, span: node, message: `${where} needs a ${JSON.stringify(name)} property` });
      }
    }
    for (const entry of node.entries) {
      const at = pathOf(path, entry.key);
      if (schema.propertyNames !== undefined) {
        const nameProblems = validateSchema(
          { kind: "string", value: entry.key, ...entry.keySpan },
          schema.propertyNames,
          at,
        );
        problems.push(...nameProblems.map((p) => ({ ...p, message: `In ${where}: ${p.message}` })));
      }
      const declared = schema.properties?.[entry.key];
      if (declared !== undefined) problems.push(...validateSchema(entry.value, declared, at));
      else if (schema.additionalProperties === false) {
        const allowed = Object.keys(schema.properties ?? {});
        problems.push({
          path: at,
          span: entry.keySpan,
          message: `unknown property ${JSON.stringify(entry.key)} in ${where}${allowed.length > 0 ? ` (allowed: ${allowed.join(", ")})` : ""}`,
        });
      } else if (schema.additionalProperties !== undefined) {
        problems.push(...validateSchema(entry.value, schema.additionalProperties, at));
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The classes

/** Registered classes: name → the registered classes it inherits from. */
export type ClassesConfig = ReadonlyMap<string, readonly string[]>;

export type ConfigResult =
  | { readonly ok: true; readonly classes: ClassesConfig }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** The checks beyond the schema: duplicate names, bases that are not registered, a class its own base. */
function classesOf(node: JsonNode & { kind: "object" }, path: string): ConfigResult {
  const problems: ConfigProblem[] = [];
  const classes = new Map<string, string[]>();
  for (const entry of node.entries) {
    if (classes.has(entry.key)) {
      problems.push({
        path: pathOf(path, entry.key),
        span: entry.keySpan,
        message: `class ${entry.key} is listed twice in ${path}`,
      });
    }
    const bases = entry.value.kind === "object" ? entry.value.entries.find((e) => e.key === "bases")?.value : undefined;
    classes.set(
      entry.key,
      bases?.kind === "array" ? bases.items.flatMap((b) => (b.kind === "string" ? [b.value] : [])) : [],
    );
  }
  for (const entry of node.entries) {
    const bases = entry.value.kind === "object" ? entry.value.entries.find((e) => e.key === "bases")?.value : undefined;
    if (bases?.kind !== "array") continue;
    bases.items.forEach((b, i) => {
      if (b.kind !== "string") return;
      const at = pathOf(pathOf(pathOf(path, entry.key), "bases"), i);
      if (b.value === entry.key)
        problems.push({ path: at, span: b, message: `class ${entry.key} cannot be its own base` });
      else if (!classes.has(b.value)) {
        problems.push({
          path: at,
          span: b,
          message: `base ${b.value} of ${entry.key} is not a class listed in ${path}: Oso only records registered ancestors, so list it too (${JSON.stringify(b.value)}: {})`,
        });
      }
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, classes };
}

/** Reads a `polar.json` text: its classes, or its problems (a syntax error is one problem). */
export function parseProjectConfig(text: string): ConfigResult {
  const parsed = parseJson(text);
  if (!parsed.ok) {
    return {
      ok: false,
      problems: [
        {
          path: "",
          span: { start: parsed.offset, end: Math.min(text.length, parsed.offset + 1) },
          message: `${PROJECT_CONFIG_FILE} is not valid JSON: ${parsed.message}`,
        },
      ],
    };
  }
  const problems = validateSchema(parsed.node, POLAR_JSON_SCHEMA);
  if (problems.length > 0) return { ok: false, problems };
  const classes =
    parsed.node.kind === "object" ? parsed.node.entries.find((e) => e.key === "classes")?.value : undefined;
  if (classes?.kind !== "object")
    return { ok: false, problems: [{ path: "", span: parsed.node, message: "no classes" }] };
  return classesOf(classes, "classes");
}

/**
 * Reads the `oso.polarLanguageServer.classes` setting: null when it is not set (null or absent),
 * else its classes or its problems (paths start at `classes`).
 */
export function parseClassesSetting(value: unknown): ConfigResult | null {
  if (value === undefined || value === null) return null;
  const node = nodeOfValue(value);
  if (node === null)
    return {
      ok: false,
      problems: [{ path: "classes", span: { start: 0, end: 0 }, message: "the setting is not a JSON value" }],
    };
  const problems = validateSchema(node, CLASSES_SCHEMA, "classes");
  if (problems.length > 0) return { ok: false, problems };
  if (node.kind !== "object")
    return { ok: false, problems: [{ path: "classes", span: node, message: "not an object" }] };
  return classesOf(node, "classes");
}

/**
 * The class environment of some configurations together (the policy of several roots is one
 * load): every class of each, and every base. The built-ins are registered, as polar-check does.
 */
export function environmentOf(configs: readonly ClassesConfig[]): ClassEnvironment {
  const classes: string[] = [];
  const mro: Record<string, string[]> = {};
  for (const config of configs) {
    for (const [name, bases] of config) {
      if (!classes.includes(name)) classes.push(name);
      for (const base of bases) {
        const list = (mro[name] ??= []);
        if (!list.includes(base)) list.push(base);
      }
    }
  }
  return { classes, mro, builtins: true };
}
