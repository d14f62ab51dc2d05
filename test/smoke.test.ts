import { afterAll, describe, expect, it } from "vitest";
import { join } from "node:path";
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

  it("works on MemoryStorage", async () => {
    const repo = await GitStore.open(new MemoryStorage(), { create: "main" });
    const fs = await (await repo.branches.get("main")).write("x", "y");
    expect(await fs.readText("x")).toBe("y");
  });
});
