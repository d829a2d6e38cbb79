/**
 * The application's classes, per project root: `polar.json` at the root, else the
 * `oso.polarLanguageServer.classes` setting (`initializationOptions.classes`, then
 * `workspace/didChangeConfiguration` with `settings.oso.polarLanguageServer.classes`). A root's
 * `polar.json` replaces the setting for that root, even when it is broken: the file says what the
 * application registers, and mixing it with a setting would hide where a class came from.
 *
 * When some root has classes, the roots' policy is loaded in Oso's engine view with them (every
 * root's classes together: the roots form one policy), so the server reports what
 * `polar-check --classes` reports — `UnregisteredClass`, `UnknownSpecializer`,
 * `SingletonVariable` — through the analyzer's own `ClassEnvironment`. Without classes, nothing
 * changes (Oso's editor view). One-file policies are never given classes.
 *
 * A broken `polar.json` gets one diagnostic (on the first problem, with the count of the others)
 * and contributes no classes until it is fixed; a broken setting is shown as a message and ignored.
 * `polar.json` is re-read on every `workspace/didChangeWatchedFiles` naming it (or a deleted folder
 * holding it) and on every settings change; a change of the classes re-analyses the policy.
 */
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ClassEnvironment } from "@polar-ide/analyzer";
import {
  DiagnosticSeverity,
  MessageType,
  ShowMessageNotification,
  type Connection,
  type Diagnostic,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Documents } from "./documents.js";
import type { LoadScheduler } from "./load-scheduler.js";
import { DIAGNOSTIC_SOURCE } from "./load.js";
import {
  CLASSES_SETTING,
  environmentOf,
  parseClassesSetting,
  parseProjectConfig,
  PROJECT_CONFIG_FILE,
  type ClassesConfig,
  type ConfigResult,
} from "./project-config.js";
import { formatError, type Logger } from "./run-safe.js";
import { isSameOrUnder } from "./uris.js";

/** `code` of the diagnostic on a broken polar.json. */
export const PROJECT_CONFIG_CODE = "PolarJson::Invalid";

/** A polar.json larger than this is refused unread (a class list is a few kilobytes). */
export const MAX_PROJECT_CONFIG_BYTES = 1 << 20;

/** A registered class as features show it: where it is declared and its bases. */
export interface RegisteredClass {
  readonly bases: readonly string[];
  /** The polar.json URI that lists it, or the setting's name. */
  readonly from: string;
}

interface RootConfig {
  /** URI of the root's polar.json. */
  readonly uri: string;
  /** Text last read (null: no such file). */
  text: string | null;
  result: ConfigResult | null;
}

/** The polar.json URI of a root folder URI. */
export function projectConfigUri(root: string): string {
  return `${root.endsWith("/") ? root : `${root}/`}${PROJECT_CONFIG_FILE}`;
}

/** Reads a file: its text, null when it does not exist; throws a readable Error otherwise. */
function readText(uri: string): string | null {
  let path: string;
  try {
    path = fileURLToPath(uri);
  } catch {
    return null;
  }
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error(`${PROJECT_CONFIG_FILE} is not a file`);
    size = st.size;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw e;
  }
  if (size > MAX_PROJECT_CONFIG_BYTES) {
    throw new Error(
      `${PROJECT_CONFIG_FILE} is ${size} bytes, more than the ${MAX_PROJECT_CONFIG_BYTES} this server reads`,
    );
  }
  return readFileSync(path, "utf8");
}

export class ProjectClasses {
  private roots: RootConfig[] = [];
  private setting: ConfigResult | null = null;
  private environment: ClassEnvironment | null = null;
  private environmentKey = "null";
  /** polar.json URIs with a published diagnostic (cleared when fixed or gone). */
  private readonly flagged = new Set<string>();
  private settingProblem: string | null = null;

  constructor(
    private readonly connection: Connection,
    private readonly documents: Documents,
    private readonly loads: LoadScheduler,
    private readonly logger: Logger,
    private readonly log: (message: string) => void,
  ) {}

  /** At `initialize`: the roots and the setting's value (`initializationOptions.classes`). */
  initialize(roots: readonly string[], setting: unknown): void {
    this.roots = roots.map((root) => ({ uri: projectConfigUri(root), text: null, result: null }));
    this.setting = this.readSetting(setting);
    this.refresh(false);
  }

  /**
   * The roots changed (workspace folders added or removed): each new root's polar.json is read, a
   * removed root's diagnostic is cleared. The caller requests the load that republishes.
   */
  setRoots(roots: readonly string[]): void {
    const kept = new Map(this.roots.map((r) => [r.uri, r]));
    this.roots = roots.map((root) => {
      const uri = projectConfigUri(root);
      const old = kept.get(uri);
      kept.delete(uri);
      return old ?? { uri, text: null, result: null };
    });
    for (const gone of kept.values()) {
      if (this.flagged.delete(gone.uri)) void this.connection.sendDiagnostics({ uri: gone.uri, diagnostics: [] });
    }
    this.refresh(false);
  }

  /** `workspace/didChangeConfiguration`: `settings.oso.polarLanguageServer.classes` (absent or null: not set). */
  onConfiguration(settings: unknown): void {
    const section = (settings as { oso?: { polarLanguageServer?: { classes?: unknown } } } | null | undefined)?.oso
      ?.polarLanguageServer;
    this.setting = this.readSetting(section?.classes);
    this.refresh(true);
  }

  /** `workspace/didChangeWatchedFiles`: re-reads the polar.json files the changes may concern. */
  onWatchedFiles(uris: readonly string[]): void {
    if (this.roots.some((r) => uris.some((uri) => isSameOrUnder(r.uri, uri)))) this.refresh(true);
  }

  /** The registered classes (built-ins excluded) with where each is listed, or null without classes. */
  registered(): ReadonlyMap<string, RegisteredClass> | null {
    if (this.environment === null) return null;
    const out = new Map<string, RegisteredClass>();
    for (const { from, classes } of this.configs()) {
      for (const [name, bases] of classes) {
        const known = out.get(name);
        out.set(name, { bases: [...new Set([...(known?.bases ?? []), ...bases])], from: known?.from ?? from });
      }
    }
    return out;
  }

  /** The classes in force, with where they come from: each root's polar.json, else the setting. */
  private configs(): { from: string; classes: ClassesConfig }[] {
    const out: { from: string; classes: ClassesConfig }[] = [];
    for (const root of this.roots) {
      const result = root.text !== null ? root.result : this.setting;
      if (result?.ok === true)
        out.push({ from: root.text !== null ? root.uri : CLASSES_SETTING, classes: result.classes });
    }
    return out;
  }

  private readSetting(value: unknown): ConfigResult | null {
    const result = parseClassesSetting(value);
    const problem = result !== null && !result.ok ? result.problems[0] : undefined;
    const message =
      problem === undefined
        ? null
        : `${CLASSES_SETTING}: ${problem.message.replace(/\.$/, "")}${result !== null && !result.ok && result.problems.length > 1 ? ` (and ${result.problems.length - 1} more)` : ""}. The setting is ignored until it is fixed.`;
    if (message !== null && message !== this.settingProblem) {
      this.log(message);
      // A notification (window/showMessage): nothing to answer, nothing to wait for.
      this.connection
        .sendNotification(ShowMessageNotification.type, { type: MessageType.Error, message })
        .catch(() => undefined);
    }
    this.settingProblem = message;
    return result;
  }

  /** Re-reads every root's polar.json, publishes its diagnostic, and applies the classes (re-analysing when they changed). */
  private refresh(load: boolean): void {
    for (const root of this.roots) {
      let text: string | null;
      try {
        text = readText(root.uri);
      } catch (e) {
        this.logger.error(formatError(`reading ${root.uri}`, e));
        text = "";
        root.text = text;
        root.result = {
          ok: false,
          problems: [
            {
              path: "",
              span: { start: 0, end: 0 },
              message: `${PROJECT_CONFIG_FILE} cannot be read: ${e instanceof Error ? e.message : String(e)}`,
            },
          ],
        };
        this.publish(root);
        continue;
      }
      if (text === root.text && root.result !== null) continue;
      root.text = text;
      root.result = text === null ? null : parseProjectConfig(text);
      if (text !== null)
        this.log(`${root.uri}: ${root.result?.ok === true ? `${root.result.classes.size} class(es)` : "invalid"}`);
      this.publish(root);
    }

    const configs = this.configs();
    const environment = configs.length === 0 ? null : environmentOf(configs.map((c) => c.classes));
    const key = JSON.stringify(environment);
    if (key === this.environmentKey) return;
    this.environmentKey = key;
    this.environment = environment;
    this.documents.setEnvironment(environment);
    this.log(
      environment === null
        ? "no application classes: Oso's editor view"
        : `application classes: ${environment.classes.join(", ") || "(none besides the built-ins)"}`,
    );
    // No telemetry for this load: it is not one of the notifications Oso's server reports.
    if (load) this.loads.request(null, []);
  }

  /** Publishes the diagnostic of a broken polar.json, or clears a previous one. */
  private publish(root: RootConfig): void {
    const result = root.result;
    if (result === null || result.ok) {
      if (this.flagged.delete(root.uri)) void this.connection.sendDiagnostics({ uri: root.uri, diagnostics: [] });
      return;
    }
    const [first, ...rest] = result.problems;
    if (first === undefined) return;
    const doc = TextDocument.create(root.uri, "json", 0, root.text ?? "");
    const diagnostic: Diagnostic = {
      range: { start: doc.positionAt(first.span.start), end: doc.positionAt(first.span.end) },
      severity: DiagnosticSeverity.Error,
      code: PROJECT_CONFIG_CODE,
      source: DIAGNOSTIC_SOURCE,
      message:
        `${first.message.replace(/\.$/, "")}${rest.length > 0 ? ` (and ${rest.length} more problem${rest.length === 1 ? "" : "s"} in this file)` : ""}.\n` +
        "Until it is fixed, the classes it lists are not used.",
    };
    this.flagged.add(root.uri);
    void this.connection.sendDiagnostics({ uri: root.uri, diagnostics: [diagnostic] });
  }
}
