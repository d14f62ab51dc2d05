/** Objects git writes (loose, gc'd, deeply deltified) read back byte for byte. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObjectDatabase } from "../../src/objects/odb.js";
import { portablePlatform, type Platform } from "../../src/objects/platform.js";
import { nodePlatform } from "../../src/node/platform.js";
import { MemoryStorage } from "../../src/storage/memory.js";
import { NodeStorage } from "../../src/storage/node.js";
import type { Storage } from "../../src/storage/storage.js";
import { GitStore } from "../../src/node.js";
import { cleanupTemp, git, tempDir } from "../helpers/git.js";
import { allObjects, deltaCount, explode, makeGitRepo, repack } from "../helpers/make-repo.js";

afterAll(cleanupTemp);

async function toMemory(dir: string): Promise<MemoryStorage> {
  const mem = new MemoryStorage();
  const copy = async (rel: string): Promise<void> => {
    for (const name of readdirSync(join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(join(dir, r)).isDirectory()) {
        await mem.mkdirp(r);
        await copy(r);
      } else await mem.write(r, readFileSync(join(dir, r)));
    }
  };
  await copy("");
  return mem;
}

async function readAll(storage: Storage, platform: Platform, expected: Map<string, [string, Buffer]>): Promise<number> {
  const odb = new ObjectDatabase(storage, platform);
  let n = 0;
  for (const [id, [type, bytes]] of expected) {
    const obj = await odb.read(id);
    expect(obj.type).toBe(type);
    if (!Buffer.from(obj.data).equals(bytes)) throw new Error(`object ${id} differs`);
    n++;
  }
  return n;
}

const variants = {
  loose: (dir: string) => explode(dir),
  aggressive: (dir: string) => repack(dir, "aggressive"),
  deep: (dir: string) => repack(dir, "deep"),
  "index v1": (dir: string) => repack(dir, "index-v1"),
};

describe.each(Object.keys(variants) as (keyof typeof variants)[])("reading a %s repository written by git", (variant) => {
  let dir: string;
  let expected: Map<string, [string, Buffer]>;
  beforeAll(() => {
    dir = makeGitRepo(join(tempDir(), "r.git"), { commits: 120, files: 60, editsPerCommit: 4, seed: 11 });
    variants[variant](dir);
    expected = allObjects(dir);
  });

  it("has the shape the variant promises", () => {
    const packs = readdirSync(join(dir, "objects/pack")).filter((f) => f.endsWith(".pack"));
    if (variant === "loose") expect(packs).toEqual([]);
    else {
      const { deltas, maxDepth } = deltaCount(dir);
      expect(deltas).toBeGreaterThan(100);
      if (variant === "deep") expect(maxDepth).toBeGreaterThan(30);
      // Version 1 indexes have no header: they start with the fan-out table.
      const idx = readdirSync(join(dir, "objects/pack")).filter((f) => f.endsWith(".idx"));
      const magic = readFileSync(join(dir, "objects/pack", idx[0]!)).readUInt32BE(0);
      expect(magic === 0xff744f63).toBe(variant !== "index v1");
    }
    expect(expected.size).toBeGreaterThan(500);
  });

  it.each([
    ["portable", portablePlatform],
    ["node", nodePlatform],
  ] as const)("reads every object on disk (%s platform)", async (_, platform) => {
    const storage = new NodeStorage(dir);
    expect(await readAll(storage, platform, expected)).toBe(expected.size);
    await storage.close();
  });

  it("read() hands out bytes the caller owns, from deltas and caches alike", async () => {
    const repo = await GitStore.open(dir);
    const commits = git(dir, ["rev-list", "main"]).trim().split("\n").slice(0, 40);
    for (let pass = 0; pass < 2; pass++) {
      for (const c of commits) {
        const fs = await repo.snapshot(c);
        for (const line of git(dir, ["ls-tree", "-r", c]).trim().split("\n")) {
          const [, , id, path] = line.split(/\s+/) as [string, string, string, string];
          const bytes = await fs.read(path);
          if (!Buffer.from(bytes).equals(expected.get(id)![1])) throw new Error(`${c}:${path} differs on pass ${pass}`);
          bytes.fill(0x21);
        }
      }
    }
    await repo.close();
  });

  it("reads every object from MemoryStorage", async () => {
    expect(await readAll(await toMemory(dir), portablePlatform, expected)).toBe(expected.size);
  });
});
