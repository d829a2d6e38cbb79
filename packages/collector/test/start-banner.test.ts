/**
 * The main job's banner (`scripts/start.sh`): its `curl` line must work when pasted into a new shell —
 * no variable of the starting shell, no working directory assumed — and must not put the read token on
 * a command line. Runs the real script (set-up skipped: the tree is built) on a fresh state folder.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const REPO = resolve(import.meta.dirname, "../../..");

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      s.close(() => ok(port));
    });
  });
}

/** Reads the child's stdout until `pattern` matches (or fails after `ms`). */
function waitFor(child: ChildProcess, pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((ok, fail) => {
    let seen = "";
    const timer = setTimeout(() => fail(new Error(`timed out waiting for ${pattern}; output:\n${seen}`)), ms);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString("utf8");
      const m = seen.match(pattern);
      if (m !== null) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        ok(m);
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`start.sh exited (${code}) before ${pattern}; output:\n${seen}`));
    });
  });
}

describe("scripts/start.sh banner", () => {
  const home = mkdtempSync(join(tmpdir(), "polar-start-"));
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill("SIGTERM");
    rmSync(home, { recursive: true, force: true });
  });

  it("prints a curl line that works pasted into a new shell, with no token on its command line", async () => {
    const port = await freePort();
    child = spawn("bash", ["scripts/start.sh", "--port", String(port)], {
      cwd: REPO,
      env: {
        PATH: process.env["PATH"] ?? "/usr/bin:/bin",
        HOME: process.env["HOME"] ?? home,
        POLAR_SKIP_SETUP: "1",
        POLAR_COLLECTOR_HOME: join(home, "state"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const match = await waitFor(child, /read API:\s+(curl .+)\n/, 30_000);
    const curlLine = match[1] ?? "";
    // Wait until the server answers, then run the line in a clean shell elsewhere.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error("collector did not start");
      await new Promise((r) => setTimeout(r, 200));
    }
    const out = execFileSync(
      "env",
      ["-i", `PATH=${process.env["PATH"] ?? "/usr/bin:/bin"}`, "bash", "-c", `${curlLine} -sS -f`],
      {
        cwd: tmpdir(),
        encoding: "utf8",
      },
    );
    expect(() => JSON.parse(out) as unknown).not.toThrow();
    expect(curlLine).not.toMatch(/Bearer/);
    // The header file holding the token is private to its owner.
    const headerFile = /@"?([^"\s]+)"?/.exec(curlLine)?.[1] ?? "";
    expect(statSync(headerFile).mode & 0o077).toBe(0);
  }, 90_000);
});
