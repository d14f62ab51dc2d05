/** The README's examples run, against the built package (self-referenced as "gitstore"): Node, Deno and Bun here; browser and worker ones in browser.test.ts. */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectedOutput, readmeExamples, type Runtime } from "./helpers/readme.js";

const ROOT = join(import.meta.dirname, "..");
const TMP = join(ROOT, "test/.readme-tmp");
const bin = (name: string): string => join(ROOT, "node_modules/.bin", name);
const commands: Record<string, string[]> = {
  node: ["node"],
  deno: [bin("deno"), "run", "--allow-read", "--allow-write", "--allow-env", "--allow-sys"],
  bun: [bin("bun")],
};

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe("README examples", () => {
  it("there are examples for every runtime", () => {
    expect(readmeExamples("node").length).toBeGreaterThanOrEqual(6);
    for (const r of ["deno", "bun", "browser", "worker"] as Runtime[]) expect(readmeExamples(r).length).toBeGreaterThanOrEqual(1);
  });
  for (const runtime of ["node", "deno", "bun"] as const) {
    it.each(readmeExamples(runtime).map((b, i) => [i, b] as const))(`${runtime} example %i runs`, (i, code) => {
      mkdirSync(TMP, { recursive: true });
      const file = join(TMP, `${runtime}-${i}.mjs`);
      writeFileSync(file, code);
      const [cmd, ...args] = commands[runtime]!;
      const out = execFileSync(cmd!, [...args, file], { encoding: "utf8", cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } });
      for (const expected of expectedOutput(code)) expect(out).toContain(expected);
    });
  }
});
