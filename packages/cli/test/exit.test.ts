/** src/exit.ts: the process exits at once only when all its output has been handed to the system. */
import { afterEach, describe, expect, it } from "vitest";
import { exitWhenWritten } from "../src/exit.js";

describe("exitWhenWritten", () => {
  const before = process.exitCode;
  afterEach(() => {
    process.exitCode = before;
  });

  it("exits with the status when nothing waits to be written", () => {
    const exits: number[] = [];
    exitWhenWritten(1, [{ writableLength: 0 }, { writableLength: 0 }], (s) => exits.push(s));
    expect(exits).toEqual([1]);
    expect(process.exitCode).toBe(1);
  });

  it("does not exit while a stream still holds output, but sets the status", () => {
    const exits: number[] = [];
    exitWhenWritten(2, [{ writableLength: 0 }, { writableLength: 17 }], (s) => exits.push(s));
    expect(exits).toEqual([]);
    expect(process.exitCode).toBe(2);
  });
});
