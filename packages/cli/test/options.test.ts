import { describe, expect, it } from "vitest";
import { BUILTIN_CLASSES } from "@polar-ide/analyzer";
import { refusedClassReason } from "../src/options.js";
import { osoRefusesClassName } from "./engine.js";
import { ALLOW, cli, useTempDir } from "./helpers.js";

const { tree } = useTempDir();

/** Every option a usage error must list. */
const OPTIONS = ["--format", "--stats", "--classes", "--mro", "--help"];

/** Checks the shape every usage error has and returns its sentence (first line, without the prefix). */
function usageError(argv: string[]): string {
  const r = cli(...argv);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe("");
  const lines = r.stderr.split("\n");
  expect(lines).toHaveLength(3); // two lines and the final newline
  const [first = "", second = ""] = lines;
  // One sentence naming the problem: a single period, at the end.
  expect(first).toMatch(/^polar-check: [^.\n]+\.$/);
  expect(second).toMatch(/^Valid options: /);
  for (const option of OPTIONS) expect(second).toContain(option);
  return first.slice("polar-check: ".length, -1);
}

describe("usage errors: one sentence naming the problem, then the valid options, exit 2", () => {
  it.each<[string, string[], string]>([
    ["no path", [], "no PATH given (name at least one Polar file or directory)"],
    ["unknown long option", ["--frobnicate", "x.polar"], "unknown option '--frobnicate'"],
    ["unknown short option", ["-x", "x.polar"], "unknown option '-x'"],
    ["option value missing at the end", ["x.polar", "--format"], "option '--format' needs a value"],
    ["option followed by another option", ["--classes", "--stats", "x.polar"], "option '--classes' needs a value"],
    ["value given to a flag", ["--stats=yes", "x.polar"], "option '--stats' takes no value"],
    ["bad format", ["--format", "xml", "x.polar"], "unknown format 'xml' (--format takes 'text' or 'json')"],
    [
      "--mro without --classes",
      ["--mro", "A:B", "x.polar"],
      "--mro needs --classes, since ancestors are given for registered classes",
    ],
    [
      "malformed --mro",
      ["--classes", "A", "--mro", "AB", "x.polar"],
      "--mro takes Sub:Base pairs, and 'AB' is not one",
    ],
    [
      "--mro with an empty side",
      ["--classes", "A", "--mro", "A:", "x.polar"],
      "--mro takes Sub:Base pairs, and 'A:' is not one",
    ],
  ])("%s", (_name, argv, sentence) => {
    expect(usageError(argv)).toBe(sentence);
  });

  it("Node's own parser messages never leak through", () => {
    for (const argv of [["--frob", "x"], ["--format"], ["--format", "--stats", "x"], ["--stats=1", "x"]]) {
      const r = cli(...argv);
      expect(r.stderr).not.toMatch(/To specify|ambiguous|ERR_PARSE_ARGS|Did you forget/);
    }
  });

  it("usage errors come before any file is read", () => {
    // The path does not exist: the usage error is what is reported, not the I/O error.
    expect(usageError(["--format", "yaml", "/nonexistent/missing.polar"])).toMatch(/unknown format 'yaml'/);
  });

  it("--help wins over other problems on the line and prints the usage on stdout", () => {
    const r = cli("--frobnicate", "--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: polar-check/);
    expect(r.stderr).toBe("");
    expect(cli("-h").stdout).toBe(r.stdout);
  });
});

describe("--classes refuses exactly the names Oso refuses to register", () => {
  it.each(["Actor", "Resource"])("%s: the built-in union", (name) => {
    const sentence = usageError(["--classes", `User,${name}`, "x.polar"]);
    expect(sentence).toContain(`--classes cannot list '${name}'`);
    expect(sentence).toContain("built-in union");
    expect(sentence).toContain("Oso refuses to register");
  });

  it.each([...BUILTIN_CLASSES])("%s: a built-in class", (name) => {
    const sentence = usageError(["--classes", name, "x.polar"]);
    expect(sentence).toContain(`--classes cannot list '${name}'`);
    expect(sentence).toContain("built-in class");
  });

  it("agrees with oso@0.27.3's registerClass, name by name", () => {
    const candidates = [
      "Actor",
      "Resource",
      ...BUILTIN_CLASSES,
      "actor",
      "resource",
      "ACTOR",
      "nil",
      "User",
      "Oso",
      "Polar",
      "Number",
      "Array",
      "Dict",
      "Object",
    ];
    const ours = candidates.filter((n) => refusedClassReason(n) !== null);
    const oso = candidates.filter(osoRefusesClassName);
    expect(ours).toEqual(oso);
    expect(ours.length).toBeGreaterThan(0);
  });

  it("names Oso accepts are accepted", () => {
    const root = tree({ "p.polar": ALLOW });
    const r = cli("--classes", "nil,actor,Object", root);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
  });
});
