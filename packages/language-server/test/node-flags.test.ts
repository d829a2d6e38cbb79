/**
 * The server's Node flags are declared once (src/node-flags.ts). The checked-in launcher must name
 * the same flags on its `#!` line, and the process it starts must really run with them.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SERVER_NODE_FLAGS } from "../src/node-flags.js";

const BIN = fileURLToPath(new URL("../bin/polar-language-server.js", import.meta.url));

describe("the language server's Node flags", () => {
  it("are the launcher's #! line", () => {
    const first = readFileSync(BIN, "utf8").split("\n", 1)[0] ?? "";
    const m = /^#!\/usr\/bin\/env -S node(?: (.*))?$/.exec(first);
    expect(m, first).not.toBeNull();
    expect((m?.[1] ?? "").split(" ").filter((f) => f !== "")).toEqual([...SERVER_NODE_FLAGS]);
  });

  it("reach the process the launcher starts", async () => {
    expect(SERVER_NODE_FLAGS.length).toBeGreaterThan(0);
    const child = spawn(BIN, ["--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      await new Promise((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", reject);
      });
      // `env` replaces itself with node: wait until the process image is node's.
      let argv: string[] = [];
      for (let i = 0; i < 100; i++) {
        argv = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
        if (argv.some((a) => a.endsWith("polar-language-server.js")) && !argv[0]?.endsWith("env")) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const flag of SERVER_NODE_FLAGS) expect(argv).toContain(flag);
    } finally {
      child.kill();
    }
  });
});
