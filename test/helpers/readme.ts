/** The README's code examples, by the runtime named after ```js (none: Node). */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export type Runtime = "node" | "deno" | "bun" | "browser" | "worker";

export function readmeExamples(runtime: Runtime): string[] {
  const text = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
  return [...text.matchAll(/```js(?: (\w+))?\n([\s\S]*?)```/g)].filter((m) => (m[1] ?? "node") === runtime).map((m) => m[2]!);
}

/** What the example says it prints: the `// ...` comments after console.log calls. */
export function expectedOutput(code: string): string[] {
  return [...code.matchAll(/console\.log\(.*?\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!.replace(/ \(.*\)$/, "").replace(/^"(.*)"$/, "$1").split(":")[0]!.trim());
}
