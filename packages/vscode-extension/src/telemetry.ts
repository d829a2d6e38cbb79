/**
 * Telemetry in the extension: VS Code decides, the telemetry client (packages/telemetry) does
 * the rest. The language servers' `telemetry/event` payloads go to the client, which aggregates,
 * hashes, caps and persists them (in `globalState`); each batch it sends passes through
 * `vscode.env.createTelemetryLogger` — so VS Code's consent (`telemetry.telemetryLevel`) and
 * scrubbing apply to every byte — and our `TelemetrySender` posts what comes out of the logger.
 *
 * Batches are sent only when VS Code allows usage data, `oso.polarLanguageServer.metrics.enabled`
 * is `default` and an endpoint is configured (`consent.ts`); `local` aggregates and shows, never
 * sends. Turning it off stops collection at once and deletes what was pending. "Polar: Show
 * Pending Telemetry" opens a read-only view of all of it (`telemetry-view.ts`).
 */
import * as os from "node:os";
import * as vscode from "vscode";
import { EVENT_NAME, type TrackEvent } from "@polar-ide/telemetry";
import { MixpanelSender, TelemetryClient, type SendResult, type Sender, type Store } from "@polar-ide/telemetry/client";
import { config, TELEMETRY_SETTINGS } from "./config.js";
import { collectionState, type CollectionState } from "./consent.js";
import {
  renderTelemetryView,
  TELEMETRY_VIEW_PATH,
  TELEMETRY_VIEW_SCHEME,
  type TelemetryViewModel,
} from "./telemetry-view.js";

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
  private readonly viewChanged = new vscode.EventEmitter<vscode.Uri>();
  /** The read-only document of "Polar: Show Pending Telemetry". */
  readonly viewUri = vscode.Uri.from({ scheme: TELEMETRY_VIEW_SCHEME, path: TELEMETRY_VIEW_PATH });

  constructor(
    context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
  ) {
    this.logger = vscode.env.createTelemetryLogger(this.sender, {
      ignoreBuiltInCommonProperties: true,
      ignoreUnhandledErrors: true,
    });
    this.sender.logger = this.logger;
    const packageJson = context.extension.packageJSON as { version?: string };
    const store: Store = {
      get: (key) => context.globalState.get<unknown>(key),
      set: (key, value) => context.globalState.update(key, value),
    };
    this.client = new TelemetryClient({
      store,
      sender: this.sender,
      token: config.telemetryToken(),
      mode: this.collection().mode,
      flushIntervalMs: config.flushIntervalMs(),
      log: (message) => output.appendLine(message),
      environment: {
        os: os.platform(),
        nodeArch: os.arch(),
        platformversion: os.release(),
        // `publisher.name` as VS Code knows it (the packaged name, not the workspace's scoped one).
        extname: context.extension.id,
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
      this.viewChanged,
      vscode.workspace.registerTextDocumentContentProvider(TELEMETRY_VIEW_SCHEME, {
        onDidChange: this.viewChanged.event,
        provideTextDocumentContent: () => renderTelemetryView(this.viewModel()),
      }),
      this.logger,
      this.logger.onDidChangeEnableStates(() => this.update()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (TELEMETRY_SETTINGS.some((s) => e.affectsConfiguration(s))) this.update();
      }),
    );
    this.client.start();
    this.output.appendLine(`[telemetry] collection: ${this.client.mode}`);
  }

  /** The current mode: `send`, `local` or `off`. */
  get mode(): TelemetryClient["mode"] {
    return this.client.mode;
  }

  /** One `telemetry/event` of the server of `root`, counted under the workspace folder `folder`. */
  record(folder: vscode.WorkspaceFolder, root: vscode.Uri, event: unknown): void {
    this.client.record(root.toString(), event, folder.uri.toString());
  }

  /** Everything "Polar: Show Pending Telemetry" shows, as of now. */
  viewModel(): TelemetryViewModel {
    return {
      mode: this.client.mode,
      reasons: this.collection().reasons,
      endpoint: config.telemetryEndpoint(),
      flushIntervalSeconds: Math.round(config.flushIntervalMs() / 1000),
      pending: this.client.pendingEvents(),
      lastSent: this.client.lastSent(),
    };
  }

  /** Opens (or refreshes) the read-only telemetry view. */
  async showView(): Promise<void> {
    this.viewChanged.fire(this.viewUri);
    const doc = await vscode.workspace.openTextDocument(this.viewUri);
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  async dispose(): Promise<void> {
    // The last batch goes out through the logger: shut the client down before disposing it.
    await this.client.shutdown();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private collection(): CollectionState {
    return collectionState(this.logger.isUsageEnabled, config.metricsEnabled(), config.telemetryEndpoint());
  }

  private update(): void {
    const { mode } = this.collection();
    if (mode !== this.client.mode) {
      // Off deletes pending data at once (the client's setMode contract).
      this.client.setMode(mode);
      this.output.appendLine(`[telemetry] collection: ${mode}${mode === "off" ? " (pending data deleted)" : ""}`);
    }
    this.viewChanged.fire(this.viewUri);
  }
}
