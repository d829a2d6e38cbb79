/**
 * The cross-property rules of `diagnostic_load`, declared once for the validator and its fast
 * path: each diagnostic is an error or a warning and has one code (or is unknown), and each load
 * has one trigger.
 */
import { CODE_PROPERTIES, LSP_METHODS, lspMethodProperty, type EventProperties } from "./schema.js";

/** Why an event breaks a rule: the property named, and the message. */
export interface ConsistencyProblem {
  readonly property: string;
  readonly message: string;
}

const CONSISTENCY_HINT = "the counters of an event must add up";

/** Property names of the code counters and of the LSP method counters. */
const CODE_COUNT_NAMES: readonly string[] = [...CODE_PROPERTIES.values()];
const LSP_COUNT_NAMES: readonly string[] = LSP_METHODS.map((m) => lspMethodProperty(m));

function num(p: EventProperties, name: string): number {
  const v = p[name];
  return typeof v === "number" ? v : 0;
}

/** The first rule the (otherwise valid) properties break, or null. */
export function checkConsistency(p: EventProperties): ConsistencyProblem | null {
  const diagnostics = num(p, "diagnostic_count");
  if (num(p, "error_count") + num(p, "warning_count") !== diagnostics) {
    return {
      property: "diagnostic_count",
      message: `error_count + warning_count must equal diagnostic_count (${CONSISTENCY_HINT})`,
    };
  }
  let coded = num(p, "unknown_diagnostic_count");
  for (const name of CODE_COUNT_NAMES) coded += num(p, name);
  if (coded !== diagnostics) {
    return {
      property: "diagnostic_count",
      message: `the <code>_count properties plus unknown_diagnostic_count must equal diagnostic_count (${CONSISTENCY_HINT})`,
    };
  }
  const loads = num(p, "load_success_count") + num(p, "load_failure_count");
  if (loads === 0) return { property: "load_success_count", message: "an event must report at least one load" };
  let triggered = 0;
  for (const name of LSP_COUNT_NAMES) triggered += num(p, name);
  if (triggered !== loads) {
    return {
      property: "load_success_count",
      message: `the LSP_method_<method>_count properties must add up to load_success_count + load_failure_count (${CONSISTENCY_HINT})`,
    };
  }
  return null;
}
