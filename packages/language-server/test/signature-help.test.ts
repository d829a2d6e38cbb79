/**
 * Signature help over the protocol on examples/github.polar and examples/document-sharing.polar:
 * the rule types (generated from the blocks, Oso's, declared) and the definitions of the called
 * rule, the active parameter by commas, in a file with a syntax error (the call being typed), and
 * nothing for method calls, constructors or unknown rules.
 */
import { describe, expect, it } from "vitest";
import type { Position, SignatureHelp, SignatureInformation } from "vscode-languageserver";
import { callAt } from "../src/signature-help.js";
import { oneDocumentServer, uri, type TestClient, GITHUB, SHARING } from "./helpers.js";

const A = uri("signatures.polar");

const started = oneDocumentServer(A);

/** The 1-based line of `needle`. */
function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split("\n").length;
}

function positionAt(text: string, offset: number): Position {
  const lines = text.slice(0, offset).split("\n");
  return { line: lines.length - 1, character: (lines.at(-1) ?? "").length };
}

async function helpAt(c: TestClient, text: string, offset: number): Promise<SignatureHelp | null> {
  return c.connection.sendRequest<SignatureHelp | null>("textDocument/signatureHelp", {
    textDocument: { uri: A },
    position: positionAt(text, offset),
    context: { triggerKind: 2, triggerCharacter: ",", isRetrigger: false },
  });
}

/** `label` with the parameter texts, and the documentation. */
function describeSignature(s: SignatureInformation | undefined): [string, string[], unknown] {
  const label = s?.label ?? "";
  const params = (s?.parameters ?? []).map((p) =>
    typeof p.label === "string" ? p.label : label.slice(p.label[0], p.label[1]),
  );
  return [label, params, s?.documentation];
}

describe("signature help", () => {
  it("shows the generated rule type and the definitions of has_role while the call is typed", async () => {
    const text = `${GITHUB}\ncheck(actor: User, repo: Repository) if\n  has_role(actor, `;
    const c = await started(text);
    const help = await helpAt(c, text, text.length);
    expect(help?.activeParameter).toBe(1);
    expect(help?.signatures.map(describeSignature)).toEqual([
      [
        "type has_role(actor: Actor, role: String, resource: Resource)",
        ["actor: Actor", "role: String", "resource: Resource"],
        "Rule type generated from the resource blocks.",
      ],
      [
        "has_role(user: User, name: String, org: Organization)",
        ["user: User", "name: String", "org: Organization"],
        `Definition at line ${lineOf(text, "has_role(user: User, name: String, org")} of signatures.polar.`,
      ],
      [
        "has_role(user: User, name: String, repo: Repository)",
        ["user: User", "name: String", "repo: Repository"],
        `Definition at line ${lineOf(text, "has_role(user: User, name: String, repo")} of signatures.polar.`,
      ],
    ]);
    expect(help?.activeSignature).toBe(0);
  });

  it("shows every has_relation type generated from the blocks, and the active parameter", async () => {
    const text = `${GITHUB}\ncheck(org: Organization, repo: Repository) if\n  has_relation(org, "organization", repo);\n`;
    const c = await started(text);
    const at = text.lastIndexOf('"organization", repo);') + 2;
    const help = await helpAt(c, text, at);
    expect(help?.activeParameter).toBe(1);
    const types = (help?.signatures ?? []).filter((s) => s.label.startsWith("type "));
    // In the order of the blocks' registry (the engine's), which the test does not pin.
    expect(types.map((s) => s.label).sort()).toEqual(
      [
        'type has_relation(subject: Organization, "organization", object: Repository)',
        'type has_relation(subject: Repository, "repository", object: Issue)',
        'type has_relation(subject: User, "author", object: Issue)',
      ].sort(),
    );
    expect(help?.signatures.length).toBe(types.length + 3);
  });

  it("shows Oso's has_permission type in allow, with the parameter after the second comma", async () => {
    const c = await started(GITHUB);
    const at = GITHUB.indexOf("has_permission(actor, action, resource);") + "has_permission(actor, action, r".length;
    const help = await helpAt(c, GITHUB, at);
    expect(help?.activeParameter).toBe(2);
    expect(describeSignature(help?.signatures[0])).toEqual([
      "type has_permission(actor: Actor, _permission: String, resource: Resource)",
      ["actor: Actor", "_permission: String", "resource: Resource"],
      "Rule type Oso declares.",
    ]);
  });

  it("shows a rule type declared in the policy and its definition", async () => {
    const c = await started(SHARING);
    const at = SHARING.indexOf("is_owner(user, document)") + "is_owner(".length;
    const help = await helpAt(c, SHARING, at);
    expect(help?.activeParameter).toBe(0);
    expect(help?.signatures.map((s) => [s.label, s.documentation])).toEqual([
      ["type is_owner(user: User, document: Document)", "Rule type declared in the policy."],
      ["is_owner(user: User, document: Document)", expect.stringContaining("Definition at line")],
    ]);
  });

  it("answers nothing for unknown rules, method calls and outside calls", async () => {
    const text = `${GITHUB}\nf(x) if unknown_rule(x, 1) and x.method(1, 2) and y = new Thing(1, );\n`;
    const c = await started(text);
    for (const needle of ["unknown_rule(x, ", "x.method(1, ", "new Thing(1, ", "f(x) if unk"]) {
      const at = text.indexOf(needle) + needle.length;
      expect(await helpAt(c, text, at), needle).toBeNull();
    }
  });
});

describe("the call around the cursor", () => {
  it("counts commas at its own depth only, and stops at the end of an item", () => {
    const cases: [string, { name: string; argument: number } | null][] = [
      ["f(a, g(b, ", { name: "g", argument: 1 }],
      ["f(a, g(b), ", { name: "f", argument: 2 }],
      ["f(a, [1, 2], {x: 1, y: 2}, ", { name: "f", argument: 3 }],
      ['f(a, "x, y", ', { name: "f", argument: 2 }],
      ["f(a, # a comment, with commas\n  b, ", { name: "f", argument: 2 }],
      ["f(a);\ng", null],
      ["f (a, ", null],
      ["x.f(a, ", null],
      ["[f, ", null],
      ['f(a, "unfinished', { name: "f", argument: 1 }],
    ];
    for (const [text, expected] of cases) expect(callAt(text, text.length), text).toEqual(expected);
  });
});
