/**
 * The pure parts of the extension: project-root validation, the consent rule, and the manifest's
 * agreement with the code (commands, settings).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { collectionState, parseMetricsSetting } from "../src/consent.js";
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
  const ENDPOINT = "http://127.0.0.1:8787/track";
  const cases: ReadonlyArray<readonly [boolean, unknown, string | undefined, string, readonly string[]]> = [
    [true, "default", ENDPOINT, "send", []],
    [true, undefined, ENDPOINT, "send", []],
    [true, "off", ENDPOINT, "off", ["metrics.enabled"]],
    [false, "default", ENDPOINT, "off", ["telemetryLevel"]],
    [false, "off", undefined, "off", ["telemetryLevel", "metrics.enabled", "endpoint"]],
    [true, "default", undefined, "off", ["endpoint"]],
    // Oso's old "on" cannot override VS Code: anything unknown counts as off.
    [false, "on", ENDPOINT, "off", ["telemetryLevel", "metrics.enabled"]],
    [true, "on", ENDPOINT, "off", ["metrics.enabled"]],
    [true, "typo", ENDPOINT, "off", ["metrics.enabled"]],
    // local: the user's explicit choice to aggregate and look, never to send.
    [true, "local", ENDPOINT, "local", ["metrics.enabled"]],
    [false, "local", undefined, "local", ["metrics.enabled"]],
  ];
  it.each(cases)("VS Code usage %s, setting %j, endpoint %j → %s (%j)", (vscodeOn, raw, endpoint, mode, why) => {
    const state = collectionState(vscodeOn, parseMetricsSetting(raw), endpoint);
    expect(state.mode).toBe(mode);
    expect(state.reasons).toHaveLength(why.length);
    why.forEach((word, i) => expect(state.reasons[i]).toContain(word));
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

  it("offers default, local and off for the metrics switch", () => {
    expect(pkg.contributes.configuration.properties["oso.polarLanguageServer.metrics.enabled"]?.enum).toEqual([
      "default",
      "local",
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
