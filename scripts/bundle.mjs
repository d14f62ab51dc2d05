// Bundles the package entry points (after tsc has written dist/): one file per
// entry plus shared and lazily loaded chunks. Loading ~40 separate ES modules
// cost Node about 6 MB of resident memory and their resolution time; the
// per-module files stay in dist/ next to their .d.ts.
import * as esbuild from "esbuild";
import { rmSync } from "node:fs";

// Chunk names carry a content hash: without this, every rebuild leaves the old ones behind.
rmSync("dist/bundle", { recursive: true, force: true });

await esbuild.build({
  entryPoints: { index: "dist/index.js", node: "dist/node.js", indexeddb: "dist/storage/indexeddb.js" },
  outdir: "dist/bundle",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: ["pako", "node:*"],
  sourcemap: "linked",
  logLevel: "warning",
});
