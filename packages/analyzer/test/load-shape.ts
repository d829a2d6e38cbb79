/**
 * What must agree between two loads of the same files besides the diagnostics (an incremental
 * load and a fresh one): the stage reached, every rule and rule type as Polar text, the resource
 * blocks, the inline queries and the files loaded.
 */
import type { LoadResult } from "../src/load.js";
import { ruleToPolar } from "../src/printer.js";

export function loadShape(load: LoadResult): unknown {
  return {
    stage: load.stage,
    rules: [...load.rules].map(([name, rules]) => [name, rules.map(ruleToPolar)]),
    ruleTypes: [...load.ruleTypes].map(([name, types]) => [
      name,
      types.map((t) => `${t.required ? "required " : ""}${ruleToPolar(t.rule)}`),
    ]),
    blocks: load.blocks.allBlocks.map((b) => b.name),
    inlineQueries: load.inlineQueries.length,
    loadedFiles: load.loadedFiles.map((f) => f.name),
  };
}
