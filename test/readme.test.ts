/** Every ```js example of the README runs, against the built package (self-referenced as "gitstore"). */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const TMP = join(ROOT, "test/.readme-tmp");
const blocks = [...readFileSync(join(ROOT, "README.md"), "utf8").matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe("README examples", () => {
  it("there are examples", () => expect(blocks.length).toBeGreaterThanOrEqual(5));
  it.each(blocks.map((b, i) => [i, b] as const))("example %i runs", (i, code) => {
    mkdirSync(TMP, { recursive: true });
    const file = join(TMP, `example-${i}.mjs`);
    writeFileSync(file, code);
    const out = execFileSync("node", [file], { encoding: "utf8" });
    for (const m of code.matchAll(/console\.log\(.*?\);\s*\/\/ (.*)$/gm)) {
      const expected = m[1]!.replace(/ \(.*\)$/, "").replace(/^"(.*)"$/, "$1").split(":")[0]!.trim();
      expect(out).toContain(expected);
    }
  });
});
