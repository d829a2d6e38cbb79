/**
 * The TextMate grammar, tokenized by vscode-textmate + vscode-oniguruma as VS Code does:
 * golden scope files for the fixtures (regenerate with `npm run test:update-golden -w
 * @polar-ide/vscode-extension` and review the diff), plus one-line expectations for the scopes
 * that themes colour.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { renderTokens, tokenize } from "./textmate.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/grammar/", import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === "1";

describe("golden scopes", () => {
  const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith(".polar"));
  it("has fixtures", () => expect(fixtures.length).toBeGreaterThanOrEqual(3));
  for (const fixture of fixtures) {
    it(fixture, async () => {
      const rendered = renderTokens(await tokenize(readFileSync(FIXTURES + fixture, "utf8")));
      const goldenPath = `${FIXTURES}${fixture}.scopes`;
      if (UPDATE) writeFileSync(goldenPath, rendered);
      expect(rendered).toBe(readFileSync(goldenPath, "utf8"));
    });
  }
});

/** [source, token text, scope the token must carry (innermost match)]. */
const CASES: ReadonlyArray<readonly [string, string, string]> = [
  ["# a comment", " a comment", "comment.line.number-sign.polar"],
  ["# a comment", "#", "punctuation.definition.comment.polar"],
  ['allow(a, "r", b) if has_role(a, "x", b);', "allow", "entity.name.function.rule.polar"],
  ['allow(a, "r", b) if has_role(a, "x", b);', "has_role", "variable.function.polar"],
  ['allow(a, "r", b) if has_role(a, "x", b);', "if", "keyword.control.polar"],
  ['allow(a, "r", b) if has_role(a, "x", b);', ";", "punctuation.terminator.polar"],
  ["f(u: User) if u.x = 1;", "User", "entity.name.type.polar"],
  ["f(u: User) if u.x = 1;", "u", "variable.parameter.polar"],
  ["f(x) if x matches Admin::Role;", "Admin::Role", "entity.name.type.polar"],
  ["f(x) if x := new Foo(1);", "Foo", "entity.name.type.polar"],
  ["f(x) if x := new Foo(1);", ":=", "keyword.operator.assignment.polar"],
  ["f(x) if x == 1.5e3;", "1.5e3", "constant.numeric.float.polar"],
  ["f(x) if x == 42;", "42", "constant.numeric.integer.polar"],
  ["f(x) if x != true;", "true", "constant.language.boolean.polar"],
  ["f(x) if x <= inf;", "inf", "constant.language.numeric.polar"],
  ["f(x) if not x in [1 | t];", "not", "keyword.operator.logical.polar"],
  ["f(x) if not x in [1 | t];", "in", "keyword.operator.word.polar"],
  ["f(x) if not x in [1 | t];", "|", "keyword.operator.rest.polar"],
  ["f(x) if forall(y in x, y > 0);", "forall", "keyword.control.polar"],
  ['f(x) if x = "a\\"b";', '\\"', "constant.character.escape.polar"],
  ["type has_role(a: User, r: String, o: Org);", "type", "keyword.other.type.polar"],
  ["type has_role(a: User, r: String, o: Org);", "has_role", "entity.name.function.rule-type.polar"],
  ["type has_role(a: User, r: String, o: Org);", "Org", "entity.name.type.polar"],
  ['?= f("x");', "?=", "keyword.operator.query.polar"],
  ["actor User {}", "actor", "storage.type.polar"],
  ["actor User {}", "User", "entity.name.type.polar"],
  ['resource Repo { roles = ["r"]; }', "roles", "variable.other.declaration.polar"],
  ["resource Repo { relations = {org: Org}; }", "Org", "entity.name.type.polar"],
  ['resource Repo { "r" if "m" on "org"; }', "on", "keyword.control.on.polar"],
  ['resource Repo { "r" if "m" on "org"; }', '"', "punctuation.definition.string.begin.polar"],
  ["f(x) if x = {key: 1};", "key", "variable.other.key.polar"],
];

describe("scopes", () => {
  it.each(CASES)("%s: %s", async (source, text, scope) => {
    const token = (await tokenize(source)).find((t) => t.text === text);
    expect(token, `no token ${JSON.stringify(text)}`).toBeDefined();
    expect(token?.scopes.at(-1)).toBe(scope);
  });

  it("an unterminated string ends with its line, as in Polar's lexer", async () => {
    const tokens = await tokenize('f(x) if x = "open\nh(z);');
    const h = tokens.find((t) => t.text === "h");
    expect(h?.scopes.at(-1)).toBe("variable.function.polar");
    expect(h?.scopes).not.toContain("string.quoted.double.polar");
  });

  it("does not treat keywords followed by a parenthesis as calls", async () => {
    const tokens = await tokenize("f(x) if print(x) and not (x);");
    expect(tokens.find((t) => t.text === "print")?.scopes.at(-1)).toBe("keyword.other.debug.polar");
    expect(tokens.find((t) => t.text === "not")?.scopes.at(-1)).toBe("keyword.operator.logical.polar");
  });
});
