/** The benchmark suite runs end to end at a tiny size (timing is never checked here). */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupTemp, tempDir } from "./helpers/git.js";

afterAll(cleanupTemp);
const ROOT = join(import.meta.dirname, "..");

describe("bench", () => {
  it("runs every workload on every system at a tiny size, and the systems agree", () => {
    execFileSync("npx", ["tsc", "-p", "tsconfig.bench.json"], { cwd: ROOT });
    const out = join(tempDir(), "tiny.json");
    execFileSync("node", ["build/bench/run.js", "--tiny"], { cwd: ROOT, env: { ...process.env, BENCH_OUT: out, BENCH_TMP: tempDir() }, stdio: "pipe" });
    const result = JSON.parse(readFileSync(out, "utf8")) as { rows: { label: string; figures: { name: string; median: number }[] }[] };
    const labels = result.rows.map((r) => r.label.split(" ")[0]);
    expect(new Set(labels)).toEqual(new Set(["W1", "W2", "W3", "W4", "gc"]));
    for (const row of result.rows) for (const f of row.figures) expect(f.median).toBeGreaterThan(0);
  });
});
