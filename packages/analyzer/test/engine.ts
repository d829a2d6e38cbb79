/**
 * The real engine (oso 0.27.3's wasm polar-core) for differential tests: load policies and
 * return the first error message and the queued warnings, without the position suffix.
 */
import { createRequire } from "node:module";

interface WasmPolar {
  load(sources: { src: string; filename: string }[]): void;
  nextMessage(): { kind: string; msg: string } | undefined;
  free?(): void;
}

const require = createRequire(import.meta.url);
const wasm = require("oso/dist/src/polar_wasm_api.js") as { Polar: new () => WasmPolar };

/** Strip " at line L, column C of file F:\n…" that the engine appends to located messages. */
function stripContext(message: string): string {
  const i = message.search(/ at line \d+, column \d+ of file /);
  return i < 0 ? message : message.slice(0, i);
}

/** A message without its context suffix, and the 1-based position the engine printed (if any). */
export interface EngineMessage {
  message: string;
  line: number | null;
  column: number | null;
}

export interface EngineResult {
  error: EngineMessage | null;
  warnings: EngineMessage[];
}

function parseMessage(raw: string): EngineMessage {
  const m = / at line (\d+), column (\d+) of file /.exec(raw);
  return {
    message: stripContext(raw),
    line: m?.[1] === undefined ? null : Number(m[1]),
    column: m?.[2] === undefined ? null : Number(m[2]),
  };
}

/** Load one policy file into a fresh engine. */
export function engineLoad(src: string, filename = "policy.polar"): EngineResult {
  const polar = new wasm.Polar();
  let error: EngineMessage | null = null;
  try {
    polar.load([{ src, filename }]);
  } catch (e) {
    error = parseMessage(String((e as { message?: unknown }).message ?? e));
  }
  const warnings: EngineMessage[] = [];
  for (let m = polar.nextMessage(); m; m = polar.nextMessage()) warnings.push(parseMessage(m.msg));
  polar.free?.();
  return { error, warnings };
}
