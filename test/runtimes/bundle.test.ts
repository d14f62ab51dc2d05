/**
 * The default entry bundles for the browser with no `node:` import, within the
 * size budget, and tree-shakes: an application that only reads does not ship
 * the pack writer.
 */
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");

async function bundle(contents: string, splitting: boolean): Promise<{ files: esbuild.OutputFile[]; meta: esbuild.Metafile }> {
  const r = await esbuild.build({
    stdin: { contents, resolveDir: ROOT, loader: "js" },
    bundle: true,
    platform: "browser",
    format: "esm",
    minify: true,
    write: false,
    metafile: true,
    splitting,
    outdir: join(ROOT, "build/bundle-test"),
    logLevel: "silent",
  });
  return { files: r.outputFiles, meta: r.metafile };
}

const gz = (b: Uint8Array): number => gzipSync(b, { level: 9 }).length;

describe("browser bundle", () => {
  it("the default entry imports no node: module and fits the budget", async () => {
    const { files, meta } = await bundle('export * from "gitstore";', true);
    const inputs = Object.keys(meta.inputs);
    expect(inputs.filter((i) => i.startsWith("node:") || i.includes("/node.js") || i.includes("/node/"))).toEqual([]);
    for (const f of files) expect(new TextDecoder().decode(f.contents)).not.toMatch(/from\s*["']node:|require\(["']node:/);
    // What a page loads for the entry: its chunk and every chunk it imports
    // statically; chunks behind a dynamic import (gc, pack writing, deflate)
    // load only when used.
    const outputs = Object.entries(meta.outputs);
    const file = (out: string): esbuild.OutputFile => files.find((f) => f.path.endsWith(out.replace(/^.*\//, "")))!;
    const loaded = new Set<string>();
    const todo = [outputs.find(([k]) => k.endsWith("stdin.js"))![0]];
    while (todo.length > 0) {
      const out = todo.pop()!;
      if (loaded.has(out)) continue;
      loaded.add(out);
      for (const imp of meta.outputs[out]!.imports) if (imp.kind === "import-statement") todo.push(outputs.find(([k]) => k.endsWith(imp.path.replace(/^.*\//, "")))![0]);
    }
    const bytes = [...loaded].map((o) => file(o).contents);
    const eager = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
    bytes.reduce((p, b) => (eager.set(b, p), p + b.length), 0);
    const all = files.reduce((n, f) => n + gz(f.contents), 0);
    console.log(`default entry: ${eager.length} B minified, ${gz(eager)} B gzipped in ${loaded.size} chunks (with the lazy chunks: ${all} B gzipped)`);
    // Issue 7's budget. pako's inflater and deflater are lazy chunks, loaded on the first read and write.
    expect(gz(eager)).toBeLessThanOrEqual(25 * 1024);
    const inflaterMessage = "invalid distance too far back";
    expect(new TextDecoder().decode(eager)).not.toContain(inflaterMessage);
    expect(files.some((f) => new TextDecoder().decode(f.contents).includes(inflaterMessage))).toBe(true);
  });

  it("an application that only reads does not ship the pack writer", async () => {
    const app = 'import { GitStore, MemoryStorage } from "gitstore"; const r = await GitStore.open(new MemoryStorage(), { create: "main" }); console.log(await (await r.branches.get("main")).ls());';
    const { files } = await bundle(app, true);
    const main = new TextDecoder().decode(files.find((f) => f.path.endsWith("stdin.js"))!.contents);
    expect(main).not.toContain("tmp_pack_"); // only the pack writer names its temporary files so
    const lazy = files.filter((f) => !f.path.endsWith("stdin.js")).map((f) => new TextDecoder().decode(f.contents));
    expect(lazy.some((c) => c.includes("tmp_pack_"))).toBe(true);
    console.log(`read-only app: ${gz(files.find((f) => f.path.endsWith("stdin.js"))!.contents)} B gzipped`);
  });
});
