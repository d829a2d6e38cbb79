/**
 * The existence check on its own, with a fake disk: only documents seen on disk and missing twice
 * in a row are removed; unsaved buffers, non-file URIs and documents edited during a check stay.
 */
import { describe, expect, it } from "vitest";
import { Documents } from "../src/documents.js";
import { ExistenceCheck } from "../src/existence-check.js";

const A = "file:///p/a.polar";
const B = "file:///p/b.polar";

function setup(onDisk: Set<string>): {
  documents: Documents;
  check: ExistenceCheck;
  removed: string[][];
  asked: string[];
  errors: string[];
} {
  const documents = new Documents();
  const removed: string[][] = [];
  const asked: string[] = [];
  const errors: string[] = [];
  const check = new ExistenceCheck(
    documents,
    async (uri) => {
      asked.push(uri);
      if (uri.includes("broken")) throw new Error("EACCES");
      return onDisk.has(uri);
    },
    (uris) => removed.push(uris),
    { error: (m) => errors.push(m) },
  );
  return { documents, check, removed, asked, errors };
}

describe("ExistenceCheck", () => {
  it("removes a document seen on disk once it is missing in two consecutive checks", async () => {
    const disk = new Set([A, B]);
    const { documents, check, removed } = setup(disk);
    documents.upsert(A, 1, "f(1);");
    documents.upsert(B, 1, "g(1);");
    await check.noteOnDisk(A);
    await check.noteOnDisk(B);
    disk.delete(A);
    await check.check();
    expect(removed).toEqual([]);
    expect(documents.has(A)).toBe(true);
    await check.check();
    expect(removed).toEqual([[A]]);
    expect(documents.has(A)).toBe(false);
    expect(documents.has(B)).toBe(true);
  });

  it("starts counting again when the file comes back (a save by rename)", async () => {
    const disk = new Set([A]);
    const { documents, check, removed } = setup(disk);
    documents.upsert(A, 1, "f(1);");
    await check.check();
    disk.delete(A);
    await check.check();
    disk.add(A);
    await check.check();
    disk.delete(A);
    await check.check();
    expect(removed).toEqual([]);
    expect(documents.has(A)).toBe(true);
  });

  it("keeps documents never seen on disk, and never asks about non-file URIs", async () => {
    const { documents, check, removed, asked } = setup(new Set());
    documents.upsert(A, 1, "f(1);");
    documents.upsert("untitled:Untitled-1", 1, "g(1);");
    await check.noteOnDisk("untitled:Untitled-1");
    for (let i = 0; i < 3; i++) await check.check();
    expect(removed).toEqual([]);
    expect(documents.has(A)).toBe(true);
    expect(asked.every((u) => u.startsWith("file:"))).toBe(true);
  });

  it("leaves a document edited while the check ran alone", async () => {
    const disk = new Set([A]);
    const { documents, check, removed } = setup(disk);
    documents.upsert(A, 1, "f(1);");
    await check.check();
    disk.delete(A);
    await check.check();
    const second = check.check();
    documents.upsert(A, 2, "f(2);"); // arrives while the file system is asked
    await second;
    expect(removed).toEqual([]);
    expect(documents.has(A)).toBe(true);
  });

  it("counts a file whose check fails as existing, and logs a failed first check", async () => {
    const broken = "file:///p/broken.polar";
    const { documents, check, removed, errors } = setup(new Set());
    documents.upsert(broken, 1, "f(1);");
    await check.noteOnDisk(broken);
    expect(errors.join("\n")).toContain("EACCES");
    for (let i = 0; i < 3; i++) await check.check();
    expect(removed).toEqual([]);
    expect(documents.has(broken)).toBe(true);
  });
});
