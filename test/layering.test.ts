/** The core is runtime-agnostic: only Node-only modules import `node:` (or Node built-ins). */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "../src");
/** Node-only modules: named `node` or under `node/`, reached only through the `node` export condition. */
const isNodeOnly = (f: string): boolean => /(^|\/)node(\/|\.ts$)/.test(f);
const BUILTINS = /from\s+["'](node:[^"']+|fs|path|crypto|zlib|os|child_process|buffer|stream|url|util)["']/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : []));
}

describe("layering", () => {
  const all = files(SRC).map((f) => relative(SRC, f));

  it("no core module imports a Node built-in", () => {
    const offenders = all.filter((f) => !isNodeOnly(f) && BUILTINS.test(readFileSync(join(SRC, f), "utf8")));
    expect(offenders).toEqual([]);
  });

  it("no core module imports a Node-only module", () => {
    const offenders = all.filter((f) => !isNodeOnly(f) && /from\s+["'][^"']*\/node(\/[^"']*)?\.js["']/.test(readFileSync(join(SRC, f), "utf8")));
    expect(offenders).toEqual([]);
  });

  it("layers import downward only (objects and refs never import fs/)", () => {
    const up = all.filter((f) => /^(objects|refs|storage)\//.test(f) && /from\s+["']\.\.\/fs\//.test(readFileSync(join(SRC, f), "utf8")));
    expect(up).toEqual([]);
    const objectsToRefs = all.filter((f) => f.startsWith("objects/") && /from\s+["']\.\.\/refs\//.test(readFileSync(join(SRC, f), "utf8")));
    expect(objectsToRefs).toEqual([]);
  });
});
