/** Test support: temporary policy trees, the CLI in-process, and the built binary. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { run } from "../src/cli.js";

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, "../../..");
export const CLI_ROOT = join(REPO_ROOT, "packages/cli");
export const BIN = join(CLI_ROOT, "dist/main.js");
export const EXAMPLES = join(REPO_ROOT, "examples");

export const ALLOW = "allow(_actor, _action, _resource);\n";

export interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A fresh temporary directory per test file (created before its tests, removed after); `tree`
 * writes files into a new directory below it.
 */
export function useTempDir(): { tree: (files: Record<string, string>) => string; dir: () => string } {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "polar-check-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    tree(files) {
      const root = mkdtempSync(join(dir, "t-"));
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      }
      return root;
    },
  };
}

/** Runs polar-check in-process. */
export function cli(...argv: string[]): Outcome {
  let stdout = "";
  let stderr = "";
  const status = run(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { status, stdout, stderr };
}

/** Runs the built binary (build it first: `npx tsc -b packages/cli`). */
export function bin(argv: readonly string[], options: { cwd?: string } = {}): Outcome {
  const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: "utf8", cwd: options.cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The last line of a text output. */
export function lastLine(text: string): string {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.at(-1) ?? "";
}
