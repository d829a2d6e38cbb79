/**
 * Actor/resource blocks, ported from polar-core's resource_block.rs (and the parts of kb.rs that
 * drive it), one job per module:
 *
 * - read.ts — reading a parsed block (keyword and declaration checks) and its declared names;
 * - registry.ts — registering blocks per load (reopened blocks merge, declaration clashes);
 * - shorthand.ts — rewriting one shorthand rule into an ordinary rule (or its first error);
 * - phases.ts — the block phases of a load (shorthand rules of every block) and their cache;
 * - generated-rule-types.ts — the `has_relation` / `has_role` rule types;
 * - errors.ts — the ResourceBlock error reading and shorthand translation report.
 *
 * Where the engine iterates a Rust `HashMap` (so its order is not a function of the text) these
 * modules use source order: blocks in order of first appearance, declarations in the order roles,
 * permissions, relations (relations sorted by name, as the engine's BTreeMap holds them), shorthand
 * rules in order.
 */
export {
  ACTOR_UNION_NAME,
  RESOURCE_UNION_NAME,
  blockTypeFromKeyword,
  declaredNames,
  readResourceBlock,
  validateParsedDeclaration,
  type BlockType,
  type Declaration,
  type DeclaredName,
  type ParsedDeclaration,
  type ResourceBlock,
  type ResourceBlockLine,
  type ShorthandRule,
} from "./read.js";
export { BlockRegistry, prepareBlock, type PreparedBlock, type RegisteredBlock, DeclarationIndex } from "./registry.js";
export { GeneratedRule, resourceNameAsVar } from "./shorthand.js";
export { BlockPhaseCache, forEachShorthandResult, rewriteShorthandRules, type ShorthandOutput } from "./phases.js";
export { resourceSpecificRuleTypes, type GeneratedRuleType } from "./generated-rule-types.js";
