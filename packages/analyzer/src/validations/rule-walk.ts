/**
 * The loader's one walk over a parsed rule (issue 13). Phase 1 used to visit every term of every
 * rule five times: singleton variables, ambiguous precedence, the gensym numbers its rewrite
 * takes, the names it calls, whether it calls `has_permission`. One pre-order walk (the engine's
 * visiting order, which the singleton and precedence checks need) now finds all of them, once
 * per parsed rule: the loader keeps the result in the rule's phase-1 record (load-segments.ts),
 * so a segment re-made after an edit merges the records' results without visiting terms.
 *
 * Each part gives exactly what its own walk gives: {@link checkSingletons} and
 * {@link checkAmbiguousPrecedence} (their per-term steps are shared), `rewriteCounts`
 * (rewrite.ts), `addCalledNames` (undefined-rule-calls.ts: calls below `.` and `new` left out)
 * and `ruleCallsHasPermission` (missing-rules.ts: every call); a test compares them.
 */
import type { Rule, Term } from "../ast.js";
import type { Diagnostic } from "../diagnostics.js";
import { LAZY_DEPTH, needsRewrite, TOO_DEEP, type RewriteCounts } from "../rewrite.js";
import { visitChildrenReversed } from "../walk.js";
import { ambiguousPrecedenceAt } from "./ambiguous-precedence.js";
import { beginSingletons, endSingletons, visitSingletons } from "./singletons.js";

/** What the walk found in one rule as parsed. */
export interface RuleFacts extends RewriteCounts {
  /** SingletonVariable / UnknownSpecializer (when checked), then AmbiguousPrecedence, unfiltered. */
  readonly diagnostics: readonly Diagnostic[];
  /** Distinct names of the rule calls, in first-seen order; calls below `.` and `new` are not rule calls. */
  readonly called: readonly string[];
  /** Whether the rule calls `has_permission` anywhere (method calls included). */
  readonly callsHasPermission: boolean;
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * The walk's stack, used up to `top` (not pushed and popped: an array popped empty gives back its
 * store, and one walk per rule made it grow again each time, some 18 bytes per term), and at the
 * same index each entry's depth (1 for the roots) times 2, plus 1 below `.`/`new`.
 */
const stack: (Term | undefined)[] = [];
const flags: number[] = [];
let top = 0;
/**
 * Distinct called names of the rule being walked: the first {@link FEW} in an array searched in
 * order, the rest in a set made when needed (a set cleared per rule would allocate its table each
 * time).
 */
const calls: string[] = [];
let callCount = 0;
let moreCalls: Set<string> | null = null;
const FEW = 16;

/** Shared lists of one called name (most rules call one name, often the same), up to {@link ONLY_CALLS} of them. */
const onlyCalls = new Map<string, readonly string[]>();
const ONLY_CALLS = 4096;

function onlyCall(name: string): readonly string[] {
  let list = onlyCalls.get(name);
  if (list === undefined) {
    list = Object.freeze([name]);
    if (onlyCalls.size < ONLY_CALLS) onlyCalls.set(name, list);
  }
  return list;
}

function addCall(name: string): void {
  for (let i = 0; i < callCount; i++) if (calls[i] === name) return;
  if (callCount < FEW) calls[callCount++] = name;
  else (moreCalls ??= new Set(calls)).add(name);
}

function push(t: Term, flag: number): void {
  stack[top] = t;
  flags[top] = flag;
  top++;
}

/**
 * Where {@link walkRuleInto} writes what it found: the loader's record of the rule (one object per
 * rule, which is also a rule: the counts are `bodyNumbers` and `paramNumbers` there).
 */
export interface WalkSink {
  diagnostics: readonly Diagnostic[];
  called: readonly string[];
  callsHasPermission: boolean;
  bodyNumbers: number;
  paramNumbers: number;
}

/**
 * Walks `rule` once (see the module comment). `isConstant`: the class environment's constants for
 * the singleton check, or null to skip it (the editor view drops all it reports).
 */
export function walkRule(rule: Rule, isConstant: ((name: string) => boolean) | null): RuleFacts {
  const out: WalkSink = { diagnostics: NONE, called: NONE, callsHasPermission: false, bodyNumbers: 0, paramNumbers: 0 };
  walkRuleInto(rule, isConstant, out);
  const { diagnostics, called, callsHasPermission, bodyNumbers: body, paramNumbers: params } = out;
  return { diagnostics, called, callsHasPermission, body, params };
}

/** {@link walkRule} writing its findings into `out` (the loader's record keeps them, no object of their own). */
export function walkRuleInto(rule: Rule, isConstant: ((name: string) => boolean) | null, out: WalkSink): void {
  // Zero unless a walk threw.
  top = 0;
  callCount = 0;
  moreCalls = null;
  if (isConstant !== null) beginSingletons();
  // The roots: parameters (each followed by its specializer), then the body, popped in that order.
  push(rule.body, 2);
  for (let i = rule.params.length - 1; i >= 0; i--) {
    const p = rule.params[i];
    if (p === undefined) continue;
    if (p.specializer !== null) push(p.specializer, 2);
    push(p.parameter, 2);
  }

  let precedence: Diagnostic[] | null = null;
  let hasPermission = false;
  // Gensym numbers: of the parameters so far, and of the root being walked (TOO_DEEP: gave up).
  let params = 0;
  let current = 0;
  let roots = 0;
  while (top > 0) {
    top--;
    const t = stack[top] as Term;
    // Keep no term of this rule alive.
    stack[top] = undefined;
    const flag = flags[top] as number;
    const depth = flag >> 1;
    if (depth === 1) {
      // A new root: the previous one was a parameter or specializer.
      if (roots++ > 0) params = params < 0 || current < 0 ? TOO_DEEP : params + current;
      current = 0;
    }
    if (depth > LAZY_DEPTH) current = TOO_DEEP;
    if (isConstant !== null) visitSingletons(t, isConstant);
    const v = t.value;
    // The children's flag: one level deeper, below `.`/`new` if this term is or lies below one.
    let child = ((depth + 1) << 1) | (flag & 1);
    switch (v.type) {
      case "Variable":
      case "RestVariable":
        if (v.name === "_" && current >= 0) current++;
        continue;
      case "Call":
        if (v.name === "has_permission") hasPermission = true;
        if ((flag & 1) === 0) addCall(v.name);
        break;
      case "Expression":
        if (current >= 0) {
          // `forall` keeps its first two arguments only: a change without a number.
          if (v.operator === "ForAll" && v.args.length !== 2) current = TOO_DEEP;
          else if (needsRewrite(v.operator, v.args.length)) current++;
        }
        precedence = ambiguousPrecedenceAt(t, precedence);
        // Calls below `.` (method calls) and `new` are not rule calls.
        if (v.operator === "Dot" || v.operator === "New") child |= 1;
        break;
      default:
        break;
    }
    // One call site: the walk stays small enough for the compiler to inline what it calls.
    visitChildrenReversed(v, push, child);
  }
  // The last root walked is the body.
  const body = current;
  const singletons = isConstant === null ? NONE : endSingletons();
  const called =
    moreCalls !== null
      ? [...moreCalls]
      : callCount === 0
        ? NONE
        : callCount === 1
          ? onlyCall(calls[0] as string)
          : calls.slice(0, callCount);
  moreCalls = null;
  out.diagnostics =
    precedence === null ? singletons : singletons.length === 0 ? precedence : [...singletons, ...precedence];
  out.called = called;
  out.callsHasPermission = hasPermission;
  out.bodyNumbers = body;
  out.paramNumbers = params;
}
