/**
 * One headless Chromium launcher for every browser test: the collector's dashboard test and the
 * extension's end-to-end run in code-server. Debian's Chromium (installed by scripts/setup.sh),
 * driven by playwright-core; `CHROMIUM_PATH` points at another binary.
 *
 * playwright-core is loaded on first launch, not when this package is imported, so suites that
 * only read the conformance corpus never load it.
 */
import { existsSync } from "node:fs";
import type { Browser, LaunchOptions } from "playwright-core";

/** The environment variable naming the Chromium binary. */
export const CHROMIUM_ENV = "CHROMIUM_PATH";

/** The binary launched: `$CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return process.env[CHROMIUM_ENV] ?? "/usr/bin/chromium";
}

/**
 * Flags for a quiet, deterministic headless run: no sandbox (containers and CI run as root), no
 * GPU, no QUIC, and none of the background traffic (component updates, sync) that would reach the
 * network during a test.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Launches headless Chromium; `options` are added to the defaults (`args` are appended). */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? chromiumPath();
  if (!existsSync(executablePath))
    throw new Error(
      `Chromium not found at ${executablePath}: run scripts/setup.sh (installs Debian's chromium) or set ${CHROMIUM_ENV}`,
    );
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    ...options,
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}
