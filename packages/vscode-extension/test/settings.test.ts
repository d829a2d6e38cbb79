/**
 * The pure parts of the extension: project-root validation, the consent rule, and the manifest's
 * agreement with the code (commands, settings).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseMetricsSetting, telemetryAllowed } from "../src/consent.js";
import { parseProjectRoots, PROJECT_ROOTS_SETTING } from "../src/roots.js";

describe("parseProjectRoots", () => {
  const valid: ReadonlyArray<readonly [unknown, readonly string[]]> = [
    [undefined, []],
    [[], []],
    [["policy"], ["policy"]],
    [["my/policy/"], ["my/policy"]],
    [["./my/policy"], ["my/policy"]],
    [["."], [""]],
    [["a", "./a", "a/"], ["a"]],
    [
      ["a", "b/c"],
      ["a", "b/c"],
    ],
  ];
  it.each(valid)("%j → %j", (raw, paths) => {
    expect(parseProjectRoots(raw)).toEqual({ paths, errors: [] });
  });

  const invalid: ReadonlyArray<readonly [unknown, string]> = [
    ["policy", "must be a list of relative paths"],
    [[42], "must be a string"],
    [[""], "it is empty"],
    [["/abs/path"], "not absolute"],
    [["C:/x"], "not absolute"],
    [["a\\b"], "forward slashes"],
    [["a//b"], "single forward slashes"],
    [["../outside"], "inside the workspace folder"],
    [["a/../../b"], "inside the workspace folder"],
  ];
  it.each(invalid)("%j is rejected: %s", (raw, message) => {
    const result = parseProjectRoots(raw);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(message);
    expect(result.errors[0]).toContain(PROJECT_ROOTS_SETTING);
  });

  it("keeps the valid entries next to the invalid ones (the caller refuses the folder)", () => {
    expect(parseProjectRoots(["ok", "/bad"])).toMatchObject({ paths: ["ok"], errors: [expect.any(String)] });
  });
});

describe("consent", () => {
  const cases: ReadonlyArray<readonly [boolean, unknown, boolean]> = [
    [true, "default", true],
    [true, undefined, true],
    [true, "off", false],
    [false, "default", false],
    [false, "off", false],
    // Oso's old "on" cannot override VS Code: anything unknown counts as off.
    [false, "on", false],
    [true, "on", false],
    [true, "typo", false],
  ];
  it.each(cases)("VS Code usage %s, setting %j → %s", (vscodeOn, raw, expected) => {
    expect(telemetryAllowed(vscodeOn, parseMetricsSetting(raw))).toBe(expected);
  });
});

describe("package.json", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    contributes: {
      commands: { command: string; title: string; category: string }[];
      configuration: { properties: Record<string, { enum?: string[] }> };
    };
    main: string;
  };
  const commandsSource = readFileSync(new URL("../src/commands.ts", import.meta.url), "utf8");

  it("declares exactly the commands of the command table", () => {
    const inCode = [...commandsSource.matchAll(/^ {2}"(polar\.[A-Za-z]+)":/gm)].map((m) => m[1]).sort();
    expect(pkg.contributes.commands.map((c) => c.command).sort()).toEqual(inCode);
    expect(pkg.contributes.commands.map((c) => `${c.category}: ${c.title}`).sort()).toEqual([
      "Polar: Restart Language Server",
      "Polar: Show Pending Telemetry",
    ]);
  });

  it("offers only default and off for the metrics switch", () => {
    expect(pkg.contributes.configuration.properties["oso.polarLanguageServer.metrics.enabled"]?.enum).toEqual([
      "default",
      "off",
    ]);
  });

  it("documents every setting the code reads", () => {
    const configSource = readFileSync(new URL("../src/config.ts", import.meta.url), "utf8");
    const read = [...configSource.matchAll(/\.get<unknown>\("([A-Za-z.]+)"\)/g)].map(
      (m) => `oso.polarLanguageServer.${m[1]}`,
    );
    expect(read.length).toBeGreaterThan(3);
    for (const name of read) expect(Object.keys(pkg.contributes.configuration.properties)).toContain(name);
  });

  it("starts the bundle VS Code loads", () => {
    expect(pkg.main).toBe("./out/extension.js");
  });
});
