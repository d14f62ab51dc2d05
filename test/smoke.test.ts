import { afterAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { GitStore, MemoryStorage } from "../src/node.js";
import { cleanupTemp, fsck, git, tempDir } from "./helpers/git.js";

afterAll(cleanupTemp);

describe("smoke", () => {
  it("creates, writes, reads on disk and git agrees", async () => {
    const path = join(tempDir(), "data.git");
    const repo = await GitStore.open(path, { create: "main" });
    let fs = await repo.branches.get("main");
    expect(fs.message).toBe("Initialize main");
    fs = await fs.write("a/b.txt", "hello");
    fs = await fs.write("c.txt", "world");
    expect(await fs.readText("a/b.txt")).toBe("hello");
    expect(await fs.ls()).toEqual(["a", "c.txt"]);
    expect(fsck(path)).toEqual([]);
    expect(git(path, ["cat-file", "-p", "main:a/b.txt"])).toBe("hello");
    expect(git(path, ["log", "--format=%s", "main"]).trim().split("\n")).toEqual(["Write c.txt", "Write a/b.txt", "Initialize main"]);
    await repo.close();
  });

  it("the built entries' classes carry the names they are exported by", async () => {
    // The bundle puts classes of several modules in one scope and renames
    // those whose names collide; a user printing one sees its `name`.
    for (const entry of ["node.js", "index.js", "indexeddb.js"]) {
      const mod = (await import(pathToFileURL(join(import.meta.dirname, "../dist/bundle", entry)).href)) as Record<string, unknown>;
      const classes = Object.entries(mod).filter(([name, value]) => typeof value === "function" && /^[A-Z]/.test(name));
      expect(classes.length).toBeGreaterThan(entry === "indexeddb.js" ? 0 : 10);
      for (const [name, value] of classes) expect((value as { name: string }).name, `${entry}: ${name}`).toBe(name);
    }
  });

  it("works on MemoryStorage", async () => {
    const repo = await GitStore.open(new MemoryStorage(), { create: "main" });
    const fs = await (await repo.branches.get("main")).write("x", "y");
    expect(await fs.readText("x")).toBe("y");
  });
});
