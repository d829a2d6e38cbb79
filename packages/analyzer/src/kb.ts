/**
 * The knowledge base of one load (polar-core kb.rs `KnowledgeBase`, reduced to what
 * `diagnostic_load` needs): registered constants and class MROs, loaded file contents, rules by
 * name, rule types by name, inline queries, resource blocks and the gensym counter that the
 * rewriter shares across the whole load.
 *
 * Where polar-core keeps rules and rule types in a Rust `HashMap` (iteration order not a function
 * of the policy text), this class keeps insertion order (JavaScript `Map`), so every result is
 * deterministic and follows source order.
 */
import type { Parameter, Rule, SourceFile, Term } from "./ast.js";
import { bodilessRule, typeParameter } from "./terms.js";
import { error, type Diagnostic } from "./diagnostics.js";
import { BUILTIN_CLASSES, type ClassEnvironment } from "./environment.js";
import { ACTOR_UNION_NAME, BlockRegistry, RESOURCE_UNION_NAME } from "./resource-blocks/index.js";
import type { Gensym } from "./rewrite.js";
import { exactLength } from "./arrays.js";

/** A registered constant: a class (has an MRO) or a plain instance such as `nil`. Ids are unique per constant. */
export interface Constant {
  readonly kind: "class" | "instance";
  readonly id: number;
}

/** A rule type plus the `required` flag polar-core keeps on its `Rule` struct. */
export interface RuleType {
  readonly rule: Rule;
  /** Required rule types need at least one matching rule (MissingRequiredRule). */
  readonly required: boolean;
  /** True for the default rule types and those generated from resource blocks. */
  readonly builtin: boolean;
  /** Generated rule types only: equal keys mean the types check every rule alike (see resource-blocks/generated-rule-types.ts). */
  readonly key?: string;
}

function defaultRuleType(name: string, params: readonly Parameter[]): RuleType {
  return { rule: bodilessRule(name, params), required: false, builtin: true };
}

/** polar-core `RuleTypes::add_default_rule_types`, in its order (shared by every load: terms are immutable). */
const DEFAULT_RULE_TYPES: readonly RuleType[] = [
  defaultRuleType("has_permission", [
    typeParameter("actor", ACTOR_UNION_NAME),
    typeParameter("_permission", "String"),
    typeParameter("resource", RESOURCE_UNION_NAME),
  ]),
  defaultRuleType("allow", [typeParameter("actor"), typeParameter("_action"), typeParameter("resource")]),
  defaultRuleType("allow_field", [
    typeParameter("actor"),
    typeParameter("action"),
    typeParameter("resource"),
    typeParameter("field"),
  ]),
  defaultRuleType("allow_request", [typeParameter("actor"), typeParameter("request")]),
];

/**
 * The registered constants of a class environment and their MROs. It depends on the environment
 * only, so an incremental loader builds it once and shares it between its loads.
 */
export class ClassTable {
  private readonly constants = new Map<string, Constant>();
  /** Class name -> ids of the classes in its MRO (as the host libraries register them). */
  private readonly mro = new Map<string, number[]>();
  private readonly idToName = new Map<number, string>();
  /** {@link ancestorsOf} results: the checks ask for the same few classes thousands of times. */
  private readonly ancestorCache = new Map<string, string[]>();

  constructor(environment: ClassEnvironment | null) {
    if (environment !== null) this.register(environment);
  }

  /**
   * Register what the JS `Polar` class registers (`nil`, then the built-in classes) and the
   * environment's classes. MROs follow the JS host: each class's ancestors that are registered.
   * The host registers both `Integer` and `Float` for JS `Number`, so the `Number` class resolves
   * to `Float` (the later registration) and both MROs hold Float's id: an `Integer` rule
   * specializer therefore matches a `Float` rule type, but not the other way round.
   */
  private register(environment: ClassEnvironment): void {
    let nextId = 1;
    const add = (name: string, kind: Constant["kind"]): number => {
      const existing = this.constants.get(name);
      if (existing !== undefined) return existing.id;
      const id = nextId++;
      this.constants.set(name, { kind, id });
      this.idToName.set(id, name);
      return id;
    };
    const builtins = environment.builtins !== false;
    if (builtins) {
      add("nil", "instance");
      for (const name of BUILTIN_CLASSES) add(name, "class");
    }
    for (const name of environment.classes) {
      // The union names cannot be registered (polar-core `register_constant` refuses them).
      if (name === ACTOR_UNION_NAME || name === RESOURCE_UNION_NAME) continue;
      add(name, "class");
    }
    for (const [name, constant] of this.constants) {
      if (constant.kind !== "class") continue;
      const ids: number[] = [];
      if (builtins && (name === "Integer" || name === "Float")) {
        const float = this.constants.get("Float");
        if (float !== undefined) ids.push(float.id);
      } else {
        ids.push(constant.id);
      }
      for (const ancestor of environment.mro?.[name] ?? []) {
        const a = this.constants.get(ancestor);
        if (a !== undefined && a.kind === "class" && !ids.includes(a.id)) ids.push(a.id);
      }
      this.mro.set(name, exactLength(ids));
    }
  }

  /** polar-core `is_constant`. */
  isConstant(name: string): boolean {
    return this.constants.has(name);
  }

  /** The registered constant named `name`, if any (`get_registered_class` without the error). */
  constant(name: string): Constant | undefined {
    return this.constants.get(name);
  }

  /** The MRO (class ids) registered for `name`, if it is a registered class. */
  mroOf(name: string): readonly number[] | undefined {
    return this.mro.get(name);
  }

  /** Names of the registered classes whose id is in `name`'s MRO (its registered ancestors, itself included). */
  ancestorsOf(name: string): readonly string[] {
    let out = this.ancestorCache.get(name);
    if (out !== undefined) return out;
    out = [];
    for (const id of this.mro.get(name) ?? []) {
      const n = this.idToName.get(id);
      if (n !== undefined) out.push(n);
    }
    out = exactLength(out);
    this.ancestorCache.set(name, out);
    return out;
  }
}

/** Lists of rules a knowledge base joined for a name: the lists, in order, and the joined list. */
export type RuleLists = ReadonlyMap<
  string,
  { readonly parts: readonly (readonly Rule[])[]; readonly merged: readonly Rule[] }
>;

function sameLists(a: readonly (readonly Rule[])[], b: readonly (readonly Rule[])[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The knowledge base of one `diagnosticLoad`. */
export class KnowledgeBase {
  /** Registered constants (shared with other loads of the same environment). */
  readonly classes: ClassTable;
  /** `loaded_content`: file contents -> file name, plus how many contents map to each name. */
  private readonly loadedContent = new Map<string, string>();
  private readonly loadedNames = new Map<string, number>();
  private gensymCounter = 1;

  /** Rule types by name, in order of first definition; each list in load order. */
  readonly ruleTypes = new Map<string, RuleType[]>();
  /** `?=` queries, stored and never checked. */
  readonly inlineQueries: Term[] = [];
  /** Actor/resource blocks of this load (an incremental load may put in the previous load's, when it registered the same blocks). */
  blocks = new BlockRegistry();

  /** The rewriter's symbol generator; one counter per load, like polar-core's `gensym_counter`. */
  readonly gensym: Gensym = (prefix) => `${prefix === "_" ? "_" : `_${prefix}_`}${this.gensymCounter++}`;

  /**
   * A fresh knowledge base: the default rule types and the environment's classes (a prebuilt
   * table may be passed). `previousLists`: the {@link ruleLists} of a previous load, whose joined
   * lists are reused where the same lists are joined again.
   */
  constructor(
    environment: ClassEnvironment | ClassTable | null = null,
    private readonly previousLists: RuleLists | null = null,
  ) {
    for (const rt of DEFAULT_RULE_TYPES) this.addRuleTypeEntry(rt);
    this.classes = environment instanceof ClassTable ? environment : new ClassTable(environment);
  }

  /** polar-core `is_constant`. */
  isConstant(name: string): boolean {
    return this.classes.isConstant(name);
  }

  /** The registered constant named `name`, if any (`get_registered_class` without the error). */
  constant(name: string): Constant | undefined {
    return this.classes.constant(name);
  }

  /** The MRO (class ids) registered for `name`, if it is a registered class. */
  mroOf(name: string): readonly number[] | undefined {
    return this.classes.mroOf(name);
  }

  /** Names of the registered classes whose id is in `name`'s MRO (its registered ancestors, itself included). */
  ancestorsOf(name: string): readonly string[] {
    return this.classes.ancestorsOf(name);
  }

  /** `Actor` or `Resource`. */
  isUnion(name: string): boolean {
    return name === ACTOR_UNION_NAME || name === RESOURCE_UNION_NAME;
  }

  /** Members of a union: actor blocks for `Actor`, every block for `Resource`. */
  unionMembers(name: string): ReadonlySet<string> {
    return name === ACTOR_UNION_NAME ? this.blocks.actors : this.blocks.resources;
  }

  private unregisteredMemberCache = new Map<string, { size: number; first: string | undefined }>();

  /** The first member (in block order) of a union that is not a registered constant. Cached; member sets only grow. */
  firstUnregisteredMember(union: string): string | undefined {
    const members = this.unionMembers(union);
    const cached = this.unregisteredMemberCache.get(union);
    if (cached !== undefined && cached.size === members.size) return cached.first;
    let first: string | undefined;
    for (const m of members) {
      if (!this.classes.isConstant(m)) {
        first = m;
        break;
      }
    }
    this.unregisteredMemberCache.set(union, { size: members.size, first });
    return first;
  }

  /** polar-core `add_rule`. */
  addRule(rule: Rule): void {
    this.settle(rule.name);
    const list = this.ruleMap.get(rule.name);
    if (list === undefined) this.setOwned(rule.name, [rule]);
    else if (this.ownLists.has(list)) list.push(rule);
    else this.setOwned(rule.name, [...list, rule]);
  }

  /**
   * `addRule` for each of `rules` (all named `name`, a list nobody changes). The list is taken
   * over while the name is new (and copied, not changed, if a rule is added later: later loads may
   * share it); else it is joined to the name's other lists when the rules are next read, in one
   * exactly sized list, or in the list a previous load joined from the same lists (see
   * {@link RuleLists}).
   */
  appendRules(name: string, rules: readonly Rule[]): void {
    const list = this.ruleMap.get(name);
    if (list === undefined) {
      // Typed mutable for the map only: a list this knowledge base did not make is copied before anything is added.
      this.ruleMap.set(name, rules as Rule[]);
      return;
    }
    if (this.ownLists.has(list)) {
      for (const rule of rules) list.push(rule);
      return;
    }
    const parts = this.pending.get(name);
    if (parts === undefined) this.pending.set(name, [list, rules]);
    else parts.push(rules);
  }

  /** Same as {@link appendRules} (phase 3 adds the generated rules of a name at once). */
  addRules(name: string, rules: readonly Rule[]): void {
    this.appendRules(name, rules);
  }

  /**
   * Rules by name, in order of first definition; each list in load order. Lists are shared with
   * the callers that added them and with other loads: nobody may change them.
   */
  get rules(): ReadonlyMap<string, readonly Rule[]> {
    if (this.pending.size > 0) this.settleAll();
    return this.ruleMap;
  }

  /**
   * The lists this knowledge base joined so far, by name, with the lists they were joined from
   * (more are joined when `rules` is read): a loader hands them to its next load's knowledge base,
   * which reuses a joined list when it joins the same lists again (issue 13).
   */
  get joinedLists(): RuleLists {
    return this.joined;
  }

  /**
   * The lists of rules named `name`, in load order, not joined into one (undefined when no rule
   * has the name). Each list is shared and never changes while it is in use.
   */
  ruleParts(name: string): readonly (readonly Rule[])[] | undefined {
    const parts = this.pending.get(name);
    if (parts !== undefined) return parts;
    const list = this.ruleMap.get(name);
    return list === undefined ? undefined : [list];
  }

  /** Calls `each` with every rule name, in order of first definition (without joining lists). */
  forEachRuleName(each: (name: string) => void): void {
    this.ruleMap.forEach((_, name) => each(name));
  }

  private readonly ruleMap = new Map<string, Rule[]>();
  /** Names defined by more than one list since the last read, with their lists in order (the first one is in `ruleMap`). */
  private readonly pending = new Map<string, (readonly Rule[])[]>();
  private readonly joined = new Map<
    string,
    { readonly parts: readonly (readonly Rule[])[]; readonly merged: readonly Rule[] }
  >();

  private settleAll(): void {
    for (const name of this.pending.keys()) this.settle(name);
  }

  /** Joins the pending lists of `name`, if any. */
  private settle(name: string): void {
    const parts = this.pending.get(name);
    if (parts === undefined) return;
    this.pending.delete(name);
    const before = this.previousLists?.get(name);
    let merged: readonly Rule[];
    if (before !== undefined && sameLists(before.parts, parts)) merged = before.merged;
    else {
      let n = 0;
      for (const part of parts) n += part.length;
      const list = new Array<Rule>(n);
      let at = 0;
      for (const part of parts) for (const rule of part) list[at++] = rule;
      merged = list;
    }
    // Not owned: a later load may reuse it, so a rule added later copies it first.
    this.joined.set(name, { parts, merged });
    this.ruleMap.set(name, merged as Rule[]);
  }

  /**
   * Lists this knowledge base made, which it may change in place; every other list in `rules` is
   * taken over from a caller (shared with other loads) and never changed. Few names need one: a
   * set of those is cheaper than a set of the thousands of shared ones.
   */
  private readonly ownLists = new Set<Rule[]>();

  private setOwned(name: string, list: Rule[]): void {
    this.ownLists.add(list);
    this.ruleMap.set(name, list);
  }

  /** polar-core `add_rule_type`. */
  addRuleType(rule: Rule, required: boolean, builtin = false): void {
    this.addRuleTypeEntry({ rule, required, builtin });
  }

  /** Adds a rule type entry as is (incremental loads reuse entries, whose identity they compare). */
  addRuleTypeEntry(entry: RuleType): void {
    const list = this.ruleTypes.get(entry.rule.name);
    if (list === undefined) this.ruleTypes.set(entry.rule.name, [entry]);
    else list.push(entry);
  }

  /**
   * polar-core `add_source`: FileLoading when this name or these contents were loaded before.
   * Like the engine, the contents are recorded even when the file is rejected.
   */
  addSource(file: SourceFile): Diagnostic | null {
    const filename = file.name;
    const seenFilename = (this.loadedNames.get(filename) ?? 0) > 0;
    const previous = this.loadedContent.get(file.text);
    this.loadedContent.set(file.text, filename);
    if (previous !== undefined) this.loadedNames.set(previous, (this.loadedNames.get(previous) ?? 1) - 1);
    this.loadedNames.set(filename, (this.loadedNames.get(filename) ?? 0) + 1);

    let msg: string | null = null;
    if (previous !== undefined && previous === filename) msg = `File ${filename} has already been loaded.`;
    else if (previous !== undefined) {
      msg = `A file with the same contents as ${filename} named ${previous} has already been loaded.`;
    } else if (seenFilename) msg = `A file with the name ${filename}, but different contents has already been loaded.`;
    if (msg === null) return null;
    return error("ValidationError::FileLoading", `Problem loading file: ${msg}`, { file, start: 0, end: 0 });
  }

  /** Whether any rule named `name` was loaded (parsed or generated from a shorthand rule). */
  hasRule(name: string): boolean {
    return this.ruleMap.has(name);
  }
}
