// The workspace of the run and what Oso's own engine (npm `oso@0.27.3`) reports for it: the
// expected diagnostics come from the engine, never from our analyzer.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { diagnosticLoad } from "@polar-ide/analyzer";

const require = createRequire(import.meta.url);
const wasm = require("oso/dist/src/polar_wasm_api.js");

/** Two folders; `services` holds two policies (projectRoots). */
export const POLICIES = {
  "app/policy.polar": 'allow(actor, "read", doc) if doc.owner = actor;\n',
  "app/extra/broken.polar": "has_role(user, role) if user.role = role and;\n",
  "services/billing/billing.polar": "pay(user, invoice) if invoice.payer = user;\n",
  "services/docs/docs.polar": "allow(actor, action, resource) if can_read(actor, action, resource);\n",
  "services/.vscode/settings.json": JSON.stringify({ "oso.polarLanguageServer.projectRoots": ["billing", "docs/"] }),
};
export const ROOTS = ["app", "services/billing", "services/docs"];
/**
 * Written after the telemetry checks (so they change none of the figures): a resource block for
 * completion in `app`, and a caller of billing.polar's rule `pay` for a rename across two files.
 */
export const FEATURE_FILES = {
  "app/repo.polar": [
    "actor User {}",
    "",
    "resource Repo {",
    '  permissions = ["read", "push"];',
    '  roles = ["reader", "maintainer"];',
    "",
    '  "read" if "reader";',
    "}",
    "",
  ].join("\n"),
  "services/billing/limits.polar": 'allow(user, "pay", invoice) if pay(user, invoice);\n',
};
/** Outside every root (and every workspace folder): checked as a one-file policy. */
export const LOOSE_POLICY = "allow(actor, action, resource) if loose_rule(actor, action, resource);\n";
/** Typed into an untitled buffer switched to Polar. */
export const UNTITLED_POLICY = "allow(actor, _action, _resource) if untitled_rule(actor);";
/** Appended to docs.polar: defines the missing rule, so its error goes away. */
export const DOCS_FIX = "can_read(_actor, _action, _resource);\n";

/** First error + warnings of Oso's engine, each without the " at line …" context. */
export function osoLoad(files) {
  const polar = new wasm.Polar();
  const strip = (m) => {
    const i = m.search(/ at line \d+, column \d+ of file /);
    return (i < 0 ? m : m.slice(0, i)).trim();
  };
  const messages = [];
  try {
    polar.load(files.map(([filename, src]) => ({ filename, src })));
  } catch (e) {
    messages.push(strip(String(e.message ?? e)));
  }
  for (let m = polar.nextMessage(); m; m = polar.nextMessage()) messages.push(strip(m.msg));
  polar.free?.();
  return messages;
}

/** The first line of Oso's first message for one policy text. */
export const firstMessage = (text) => osoLoad([["x", text]])[0].split("\n")[0];

/**
 * The codes of every state `text` passes through while `typed` is appended to it a character at
 * a time. Our analyzer names them (Oso's messages carry no code); used only to allow a half-typed
 * edit's codes in the telemetry, never as the expected diagnostics.
 */
export function codesWhileTyping(text, typed) {
  const codes = new Set();
  for (let i = 0; i <= typed.length; i++) {
    for (const d of diagnosticLoad([{ name: "typed.polar", text: text + typed.slice(0, i) }]).diagnostics)
      codes.add(d.code);
  }
  return [...codes];
}

/** Writes the workspace under `dir`; returns its .code-workspace file. */
export function makeWorkspace(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [rel, text] of Object.entries(POLICIES)) {
    fs.mkdirSync(join(dir, rel, ".."), { recursive: true });
    fs.writeFileSync(join(dir, rel), text);
  }
  const file = join(dir, "e2e.code-workspace");
  fs.writeFileSync(file, JSON.stringify({ folders: [{ path: "app" }, { path: "services" }], settings: {} }, null, 2));
  return file;
}

/** Oso's messages per root for the files currently on disk. */
export function expectedMessages(dir) {
  const all = [];
  for (const root of ROOTS) {
    const files = [];
    const walk = (d) => {
      if (!fs.existsSync(d)) return;
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".polar")) files.push([pathToFileURL(p).href, fs.readFileSync(p, "utf8")]);
      }
    };
    walk(join(dir, root));
    if (files.length > 0) all.push(...osoLoad(files));
  }
  return all.map((m) => m.split("\n")[0]).sort();
}
