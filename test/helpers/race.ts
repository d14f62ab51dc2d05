/** Start N worker processes, wait until each prints "ready <x>", release them at once, collect their last lines. */
import { spawn } from "node:child_process";

export async function race(script: string, argsFor: (i: number) => string[], n: number): Promise<{ ready: string[]; results: string[] }> {
  const children = Array.from({ length: n }, (_, i) => spawn("node", [script, ...argsFor(i)], { stdio: ["pipe", "pipe", "inherit"] }));
  const outputs = children.map(() => "");
  const ready = await Promise.all(
    children.map(
      (c, i) =>
        new Promise<string>((resolve, reject) => {
          c.stdout.on("data", (d: Buffer) => {
            outputs[i] += d.toString();
            const m = /^ready (.*)$/m.exec(outputs[i]!);
            if (m) resolve(m[1]!);
          });
          c.on("exit", (code) => reject(new Error(`worker ${i} exited (${code}) before ready: ${outputs[i]}`)));
        }),
    ),
  );
  const done = children.map((c) => new Promise((r) => c.on("exit", r)));
  for (const c of children) c.stdin.write("go\n");
  await Promise.all(done);
  return { ready, results: outputs.map((o) => o.trim().split("\n").pop()!) };
}
