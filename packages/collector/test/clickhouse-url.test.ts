/**
 * `--db clickhouse://…`: what the URL may say (entry point, shards, cluster, database, user),
 * what it may not (identifiers that would be spliced into DDL, unknown parameters, missing
 * ports), and that an error never repeats the URL (it may carry a password).
 */
import { describe, expect, it } from "vitest";
import { loadConfig, parseClickHouseUrl } from "../src/index.js";
import { PROJECT_TOKEN, READ_TOKEN } from "./helpers.js";

const TOKENS = ["--project-token", PROJECT_TOKEN, "--read-token", READ_TOKEN];

describe("clickhouse:// URLs", () => {
  it("reads the entry point, the shards, the cluster, the database and the credentials", () => {
    expect(parseClickHouseUrl("clickhouse://ch1:8123/telemetry")).toEqual({
      url: "http://ch1:8123",
      shards: ["http://ch1:8123"],
      database: "telemetry",
      cluster: "polar",
      username: "default",
      password: "",
    });
    expect(
      parseClickHouseUrl("clickhouse://writer:p%40ss@ch1:8123/telemetry?shards=ch1:8123,ch2:8124&cluster=events_2"),
    ).toEqual({
      url: "http://ch1:8123",
      shards: ["http://ch1:8123", "http://ch2:8124"],
      database: "telemetry",
      cluster: "events_2",
      username: "writer",
      password: "p@ss",
    });
  });

  it.each<[string, RegExp]>([
    ["clickhouse://ch1/telemetry", /needs a port/],
    ["clickhouse://ch1:8123/", /database must be an identifier/],
    ["clickhouse://ch1:8123/tele;DROP", /database must be an identifier/],
    ["clickhouse://ch1:8123/t?cluster=a)b", /cluster must be an identifier/],
    ["clickhouse://ch1:8123/t?shards=ch1:8123,ch2", /each of shards= must be host:port/],
    ["clickhouse://ch1:8123/t?shards=ch1:8123,ch1:8123", /lists a shard twice/],
    ["clickhouse://ch1:8123/t?replicas=2", /unknown ClickHouse URL parameter "replicas"/],
  ])("rejects %s", (url, message) => {
    expect(() => parseClickHouseUrl(url)).toThrow(message);
    expect(() => loadConfig(["--db", url, ...TOKENS], {})).toThrow(/--db \(POLAR_COLLECTOR_DB\): /);
  });

  it("never repeats the URL, password included, in a settings error", () => {
    const url = "clickhouse://writer:s3cret-password@ch1:8123/bad-name";
    let message = "";
    try {
      loadConfig(["--db", url, ...TOKENS], {});
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/database must be an identifier/);
    expect(message).not.toContain("s3cret-password");
  });

  it("is accepted by the settings", () => {
    const db = "clickhouse://ch1:8123/telemetry?shards=ch1:8123,ch2:8123";
    expect(loadConfig(["--db", db, ...TOKENS], {}).config.db).toBe(db);
  });
});
