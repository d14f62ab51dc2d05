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
  it("the default entry imports no node: module and fits the budget (25 KB gzipped with pako)", async () => {
    const { files, meta } = await bundle('export * from "gitstore";', true);
    const inputs = Object.keys(meta.inputs);
    expect(inputs.filter((i) => i.startsWith("node:") || i.includes("/node.js") || i.includes("/node/"))).toEqual([]);
    for (const f of files) expect(new TextDecoder().decode(f.contents)).not.toMatch(/from\s*["']node:|require\(["']node:/);
    const main = files.find((f) => f.path.endsWith("stdin.js"))!;
    const all = files.reduce((n, f) => n + gz(f.contents), 0);
    console.log(`default entry: ${main.contents.length} B minified, ${gz(main.contents)} B gzipped (everything, lazy chunks included: ${all} B gzipped)`);
    expect(gz(main.contents)).toBeLessThanOrEqual(25 * 1024);
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
