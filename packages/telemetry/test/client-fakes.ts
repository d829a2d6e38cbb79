/** Deterministic collaborators for the client tests: a fake clock, store and sender. */
import type { TrackEvent } from "../src/schema.js";
import type { Clock, HostEnvironment, SendResult, Sender, Store } from "../src/client/index.js";
import type { ServerTelemetryEvent } from "../src/client/index.js";

/** Lets every pending promise callback and I/O callback run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A clock whose time moves only when `advance` is called; timers fire in order. */
export class FakeClock implements Clock {
  private next = 1;
  readonly timers = new Map<number, { at: number; fn: () => void }>();
  constructor(public t: number = Date.UTC(2025, 10, 24, 12, 0, 0)) {}
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves time forward by `ms`, firing due timers (and letting their async work finish). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers)
        if (entry[1].at <= end && (due === undefined || entry[1].at < due[1].at)) due = entry;
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

/** An in-memory store that round-trips values through JSON, like VS Code's globalState. */
export class FakeStore implements Store {
  readonly data = new Map<string, string>();
  writes = 0;
  get(key: string): unknown {
    const v = this.data.get(key);
    return v === undefined ? undefined : JSON.parse(v);
  }
  set(key: string, value: unknown): void {
    this.writes++;
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, JSON.stringify(value));
  }
  /** Everything stored, as one string (to search for leaked values). */
  dump(): string {
    return [...this.data.values()].join("\n");
  }
}

/** A sender that records every batch and answers from a script (default: accepted). */
export class FakeSender implements Sender {
  readonly batches: TrackEvent[][] = [];
  readonly signals: (AbortSignal | undefined)[] = [];
  readonly script: (SendResult | Promise<SendResult> | (() => SendResult | Promise<SendResult>))[] = [];
  async send(events: readonly TrackEvent[], signal?: AbortSignal): Promise<SendResult> {
    this.batches.push(JSON.parse(JSON.stringify(events)) as TrackEvent[]);
    this.signals.push(signal);
    const next = this.script.shift();
    if (next === undefined) return { kind: "ok" };
    return typeof next === "function" ? next() : next;
  }
  /** Events of every batch, flattened. */
  get events(): TrackEvent[] {
    return this.batches.flat();
  }
}

export const HOST: HostEnvironment = {
  os: "linux",
  nodeArch: "x64",
  platformversion: "6.8.0-1026-azure",
  extname: "polar-ide.polar",
  extversion: "0.1.0",
  vscodeversion: "1.100.3",
  product: "desktop",
  uikind: "desktop",
  remotename: undefined,
  isnewappinstall: false,
};

export const MACHINE_ID = "5f2b1c9e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c";

/** A `telemetry/event` payload in the language server's shape. */
export function payload(opts: {
  method?: string;
  diagnostics?: { severity: number; code: unknown; message?: string }[];
  extensions?: string[];
  rules?: number;
  roles?: number;
}): ServerTelemetryEvent {
  return {
    diagnostics: (opts.diagnostics ?? []).map((d, i) => ({
      severity: d.severity,
      code: d.code,
      message: d.message ?? `message ${i}`,
      source: "Polar Language Server",
      range: { start: { line: i, character: 0 }, end: { line: i, character: 5 } },
    })),
    lsp_event: {
      lsp_method: opts.method ?? "textDocument/didChange",
      lsp_file_extensions: opts.extensions ?? ["polar"],
    },
    policy_stats: {
      inline_queries: 0,
      longhand_rules: opts.rules ?? 0,
      polar_chars: 100,
      polar_files: 1,
      rule_types: 0,
      total_rules: opts.rules ?? 0,
    },
    resource_block_stats: {
      resource_blocks: 0,
      actors: 0,
      resources: 0,
      declarations: opts.roles ?? 0,
      roles: opts.roles ?? 0,
      permissions: 0,
      relations: 0,
      shorthand_rules: 0,
      cross_resource_shorthand_rules: 0,
    },
  };
}
