/**
 * The official `mixpanel` npm client, configured only with host, port and protocol, sends to a
 * listening collector (SQLite, PostgreSQL and a two-shard ClickHouse cluster); it stores exactly what was sent, and the read API
 * publishes it wherever k-suppression lets a figure through.
 */
import { describe, expect, it } from "vitest";
import Mixpanel from "mixpanel";
import { DIAGNOSTIC_CODES, codeProperty } from "@polar-ide/telemetry";
import { startCollector, type RunningCollector, type Summary } from "../src/index.js";
import { testConfig } from "./harness.js";
import { PROJECT_TOKEN, READ_TOKEN, freePort, makeEvent, withDatabases } from "./helpers.js";

const databases = withDatabases({ clickhouse: true });

describe.each(databases.backends)("mixpanel client → collector on %s", (_name, makeDb) => {
  it("sends batches (form body) and single events (GET) that the read API reports", async () => {
    const port = await freePort();
    const collector: RunningCollector = await startCollector({ ...testConfig(await makeDb(), 3), port });
    try {
      const codes = [
        "ParseError::UnrecognizedToken",
        "ValidationError::UndefinedRuleCall",
        "ValidationWarning::AmbiguousPrecedence",
      ] as const;
      const events = [];
      for (let i = 0; i < 120; i++) {
        const code = codes[i % 3]!;
        events.push(makeEvent({ user: i % 7, workspace: i % 11, codes: { [code]: 1 + (i % 4) } }));
      }
      // `port` is a supported option the package's typings omit.
      const mixpanel = Mixpanel.init(PROJECT_TOKEN, {
        host: "127.0.0.1",
        port,
        protocol: "http",
        verbose: true,
      } as Partial<Mixpanel.InitConfig>);
      // track_batch splits into requests of 50 and adds the token to each event.
      const batch = events.map((e) => {
        const { token: _t, ...properties } = e.properties;
        return { event: e.event, properties };
      });
      await new Promise<void>((resolve, reject) =>
        mixpanel.track_batch(batch as Mixpanel.Event[], (errors) =>
          errors && errors.length > 0 ? reject(errors[0]) : resolve(),
        ),
      );
      // track() sends one event by GET and adds mp_lib and $lib_version.
      const single = makeEvent({ user: 100, codes: { "ParseError::UnrecognizedToken": 5 } });
      const { token: _t, ...singleProps } = single.properties;
      await new Promise<void>((resolve, reject) =>
        mixpanel.track("diagnostic_load", singleProps, (e) => (e ? reject(e) : resolve())),
      );
      // A rejected event surfaces as an error in the client.
      const bad = makeEvent({ user: 1 });
      const err = await new Promise<Error | undefined>((resolve) =>
        mixpanel.track("diagnostic_load", { ...bad.properties, token: undefined, $insert_id: "zz" }, (e) => resolve(e)),
      );
      expect(String(err)).toMatch(/\$insert_id/);

      const all = [...events, single];
      const expectedCodes = DIAGNOSTIC_CODES.map((code) => {
        const prop = codeProperty(code);
        const withCode = all.filter((e) => ((e.properties[prop] as number | undefined) ?? 0) > 0);
        return {
          code,
          occurrences: withCode.reduce((s, e) => s + (e.properties[prop] as number), 0),
          events: withCode.length,
          distinct_users: new Set(withCode.map((e) => e.properties.distinct_id)).size,
        };
      })
        .filter((c) => c.events > 0)
        .sort((a, b) => b.occurrences - a.occurrences || a.code.localeCompare(b.code));

      // Stored exactly as sent…
      await collector.store.refresh();
      const stored = (await collector.store.live().codes()).map((c) => ({
        code: c.key,
        occurrences: c.total,
        events: c.events,
        distinct_users: c.users,
      }));
      expect(stored).toEqual(expectedCodes);
      // …and published as stored wherever k-suppression lets a figure through.
      const res = await fetch(`${collector.url}/api/summary`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
      expect(res.status).toBe(200);
      const summary = (await res.json()) as Summary;
      expect(summary).toMatchObject({
        events: 121,
        distinct_users: new Set(all.map((e) => e.properties.distinct_id)).size,
        distinct_workspaces: new Set(all.map((e) => e.properties.workspace_folder)).size,
      });
      const published = summary.codes.filter((c) => c.occurrences !== null);
      expect(published.length).toBeGreaterThan(0);
      for (const c of published) expect(c).toEqual(expectedCodes.find((e) => e.code === c.code));
    } finally {
      await collector.close();
    }
  });
});
