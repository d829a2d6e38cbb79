/**
 * Telemetry in the extension: VS Code decides, the telemetry client (packages/telemetry) does
 * the rest. The language servers' `telemetry/event` payloads go to the client, which aggregates,
 * hashes, caps and persists them (in `globalState`); each batch it sends passes through
 * `vscode.env.createTelemetryLogger` — so VS Code's consent (`telemetry.telemetryLevel`) and
 * scrubbing apply to every byte — and our `TelemetrySender` posts what comes out of the logger.
 *
 * Collection is on only when VS Code allows usage data, `oso.polarLanguageServer.metrics.enabled`
 * is not `off` and an endpoint is configured. Turning it off stops collection at once and deletes
 * what was pending.
 */
import * as os from "node:os";
import * as vscode from "vscode";
import { EVENT_NAME, type TrackEvent } from "@polar-ide/telemetry";
import { MixpanelSender, TelemetryClient, type SendResult, type Sender, type Store } from "@polar-ide/telemetry/client";
import { config, TELEMETRY_SETTINGS } from "./config.js";
import { telemetryAllowed } from "./consent.js";

/**
 * Hands batches to VS Code's telemetry logger and sends what the logger passes on. The logger
 * calls `sendEventData` synchronously from `logUsage`, and only when usage telemetry is allowed,
 * after VS Code's scrubber has cleaned the values (the identifiers are hex so that it leaves
 * them intact).
 */
class LoggerSender implements Sender, vscode.TelemetrySender {
  /** Events passed on by the logger during one `send`. */
  private captured: Record<string, unknown>[] | null = null;
  logger: vscode.TelemetryLogger | undefined;

  sendEventData(_eventName: string, data?: Record<string, unknown>): void {
    this.captured?.push({ ...(data ?? {}) });
  }

  sendErrorData(): void {
    // Errors are never collected.
  }

  async send(events: readonly TrackEvent[], signal?: AbortSignal): Promise<SendResult> {
    const endpoint = config.telemetryEndpoint();
    if (endpoint === undefined || this.logger === undefined)
      return { kind: "drop", reason: "no telemetry endpoint configured" };
    const captured: Record<string, unknown>[] = [];
    this.captured = captured;
    try {
      for (const e of events) this.logger.logUsage(EVENT_NAME, { ...e.properties });
    } finally {
      this.captured = null;
    }
    if (captured.length !== events.length)
      return { kind: "drop", reason: "VS Code's telemetry setting does not allow usage data" };
    const scrubbed: TrackEvent[] = captured.map((properties, i) => ({
      event: EVENT_NAME,
      properties: {
        ...(properties as TrackEvent["properties"]),
        // The project token is configuration, not collected data; VS Code's secret scrubber
        // would redact values such as "polar-token-1".
        token: events[i]?.properties.token ?? "",
      },
    }));
    return new MixpanelSender({ endpoint }).send(scrubbed, signal);
  }
}

/** Owns the telemetry logger and client; follows consent and settings. */
export class TelemetryController implements vscode.Disposable {
  private readonly sender = new LoggerSender();
  private readonly logger: vscode.TelemetryLogger;
  private readonly client: TelemetryClient;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
  ) {
    this.logger = vscode.env.createTelemetryLogger(this.sender, {
      ignoreBuiltInCommonProperties: true,
      ignoreUnhandledErrors: true,
    });
    this.sender.logger = this.logger;
    const packageJson = context.extension.packageJSON as { name?: string; publisher?: string; version?: string };
    const store: Store = {
      get: (key) => context.globalState.get<unknown>(key),
      set: (key, value) => context.globalState.update(key, value),
    };
    this.client = new TelemetryClient({
      store,
      sender: this.sender,
      token: config.telemetryToken(),
      mode: this.allowed() ? "send" : "off",
      flushIntervalMs: config.flushIntervalMs(),
      log: (message) => output.appendLine(message),
      environment: {
        os: os.platform(),
        nodeArch: os.arch(),
        platformversion: os.release(),
        extname: `${packageJson.publisher ?? "unknown"}.${packageJson.name ?? "unknown"}`,
        extversion: packageJson.version ?? "0.0.0",
        vscodeversion: vscode.version,
        product: vscode.env.appHost,
        uikind:
          vscode.env.uiKind === vscode.UIKind.Web
            ? "web"
            : vscode.env.uiKind === vscode.UIKind.Desktop
              ? "desktop"
              : "unknown",
        remotename: vscode.env.remoteName,
        isnewappinstall: vscode.env.isNewAppInstall,
      },
    });
    this.disposables.push(
      this.logger,
      this.logger.onDidChangeEnableStates(() => this.update()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (TELEMETRY_SETTINGS.some((s) => e.affectsConfiguration(s))) this.update();
      }),
    );
    this.client.start();
    this.output.appendLine(`[telemetry] collection is ${this.client.mode}`);
  }

  /** Whether collection is on now. */
  get enabled(): boolean {
    return this.client.mode !== "off";
  }

  /** One `telemetry/event` of the server of `root`, counted under the workspace folder `folder`. */
  record(folder: vscode.WorkspaceFolder, root: vscode.Uri, event: unknown): void {
    this.client.record(root.toString(), event, folder.uri.toString());
  }

  /** The exact JSON array that would be sent now. */
  pendingPayload(): string {
    return this.client.pendingPayload();
  }

  /** Why collection is off, for the user; undefined when it is on. */
  offReason(): string | undefined {
    if (!this.logger.isUsageEnabled)
      return "VS Code's telemetry setting (telemetry.telemetryLevel) does not allow usage data";
    if (config.metricsEnabled() === "off") return "oso.polarLanguageServer.metrics.enabled is off";
    if (config.telemetryEndpoint() === undefined) return "no oso.polarLanguageServer.telemetry.endpoint is configured";
    return undefined;
  }

  async dispose(): Promise<void> {
    // The last batch goes out through the logger: shut the client down before disposing it.
    await this.client.shutdown();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private allowed(): boolean {
    return (
      telemetryAllowed(this.logger.isUsageEnabled, config.metricsEnabled()) && config.telemetryEndpoint() !== undefined
    );
  }

  private update(): void {
    const on = this.allowed();
    if (on === (this.client.mode !== "off")) return;
    // Off deletes pending data at once (the client's setMode contract).
    this.client.setMode(on ? "send" : "off");
    this.output.appendLine(`[telemetry] collection turned ${on ? "on" : "off"}${on ? "" : ": pending data deleted"}`);
  }
}
