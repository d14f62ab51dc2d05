/** Deno and Bun (from their npm packages) run the scenario on a directory path and on MemoryStorage. */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupTemp, tempDir } from "../helpers/git.js";
import { makeRuntimeFixture } from "./fixture.js";

afterAll(cleanupTemp);

const ROOT = join(import.meta.dirname, "../..");
const SCRIPT = join(import.meta.dirname, "run-server-runtime.mjs");
const bin = (name: string): string => join(ROOT, "node_modules/.bin", name);

describe.each([
  ["node", ["node", SCRIPT]],
  ["deno", [bin("deno"), "run", "--allow-read", "--allow-write", "--allow-env", "--allow-sys", SCRIPT]],
  ["bun", [bin("bun"), SCRIPT]],
] as const)("%s", (runtime, command) => {
  it("runs the scenario on a directory path and on MemoryStorage, and reads a repository made by git", () => {
    const gitRepo = makeRuntimeFixture(join(tempDir(), "git-made.git"));
    const out = execFileSync(command[0], [...command.slice(1), tempDir(), gitRepo], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" } });
    const result = JSON.parse(out.trim().split("\n").pop()!) as { runtime: string; onDisk: string[]; inMemory: string[] };
    expect(result.runtime).toBe(runtime);
    expect(result.onDisk).toHaveLength(10);
    expect(result.inMemory).toEqual(result.onDisk);
  });
});
