/** dump(dir): writes the tree, never outside dir. */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CorruptObjectError, GitStore, NotADirectoryError, ValueError, MemoryStorage } from "../../src/node.js";
import { cleanupTemp, git, tempDir } from "../helpers/git.js";

afterAll(cleanupTemp);

/** A branch `name` whose tree git builds from `entries` (mode, type, id-or-content, path) lines. */
function gitTree(repoDir: string, lines: [mode: string, content: string, name: string][]): string {
  const rows = lines.map(([mode, content, name]) => {
    if (mode === "160000") return `${mode} commit ${content}\t${name}`;
    if (mode === "040000") return `${mode} tree ${content}\t${name}`;
    return `${mode} blob ${git(repoDir, ["hash-object", "-w", "--stdin"], content).trim()}\t${name}`;
  });
  return git(repoDir, ["mktree"], rows.join("\n") + "\n").trim();
}

function commitBranch(repoDir: string, branch: string, tree: string): void {
  git(repoDir, ["update-ref", `refs/heads/${branch}`, git(repoDir, ["commit-tree", "-m", branch, tree]).trim()]);
}

describe("dump", () => {
  it("writes files, directories, executable bits and inner symlinks; skips submodules", async () => {
    const path = join(tempDir(), "d.git");
    const repo = await GitStore.open(path, { create: "main" });
    const sub = gitTree(path, [["100644", "inner\n", "x.txt"]]);
    const tree = gitTree(path, [
      ["100644", "plain\n", "a.txt"],
      ["100755", "#!/bin/sh\n", "run.sh"],
      ["120000", "a.txt", "link"],
      ["040000", sub, "sub"],
      ["160000", "0123456789abcdef0123456789abcdef01234567", "module"],
    ]);
    commitBranch(path, "t", tree);
    const out = join(tempDir(), "out", "nested");
    await (await repo.branches.get("t")).dump(out);
    expect(readdirSync(out).sort()).toEqual(["a.txt", "link", "run.sh", "sub"]);
    expect(readFileSync(join(out, "sub/x.txt"), "utf8")).toBe("inner\n");
    expect(statSync(join(out, "run.sh")).mode & 0o111).not.toBe(0);
    expect(statSync(join(out, "a.txt")).mode & 0o111).toBe(0);
    expect(readlinkSync(join(out, "link"))).toBe("a.txt");
  });

  it("replaces files already there and follows no symbolic link already in dir", async () => {
    const repo = await GitStore.open(new MemoryStorage(), { create: "main" });
    const fs = await (await repo.branches.get("main")).batch((b) => {
      b.write("a.txt", "new");
      b.write("d/f.txt", "inside");
    });
    const out = tempDir();
    const outside = tempDir();
    writeFileSync(join(out, "a.txt"), "old");
    symlinkSync(outside, join(out, "d"));
    await fs.dump(out);
    expect(readFileSync(join(out, "a.txt"), "utf8")).toBe("new");
    expect(lstatSync(join(out, "d")).isDirectory()).toBe(true);
    expect(readFileSync(join(out, "d/f.txt"), "utf8")).toBe("inside");
    expect(readdirSync(outside)).toEqual([]);
  });

  it("a file that is a symlink in dir is replaced, not written through", async () => {
    const repo = await GitStore.open(new MemoryStorage(), { create: "main" });
    const fs = await (await repo.branches.get("main")).write("f", "mine");
    const out = tempDir();
    const victim = join(tempDir(), "victim");
    writeFileSync(victim, "untouched");
    symlinkSync(victim, join(out, "f"));
    await fs.dump(out);
    expect(readFileSync(victim, "utf8")).toBe("untouched");
    expect(lstatSync(join(out, "f")).isFile()).toBe(true);
  });

  it("a file where dir (or a parent of it) should be is NotADirectoryError; no path or an empty one is refused", async () => {
    const repo = await GitStore.open(new MemoryStorage(), { create: "main" });
    const fs = await (await repo.branches.get("main")).write("a.txt", "x");
    const base = tempDir();
    writeFileSync(join(base, "file"), "in the way");
    await expect(fs.dump(join(base, "file"))).rejects.toBeInstanceOf(NotADirectoryError);
    await expect(fs.dump(join(base, "file", "below"))).rejects.toBeInstanceOf(NotADirectoryError);
    expect(readFileSync(join(base, "file"), "utf8")).toBe("in the way");
    await expect(fs.dump("")).rejects.toBeInstanceOf(ValueError);
    await expect(fs.dump(5 as unknown as string)).rejects.toBeInstanceOf(TypeError);
    await repo.close();
  });

  it("refuses a symlink entry leading outside dir, before writing anything", async () => {
    const path = join(tempDir(), "e.git");
    const repo = await GitStore.open(path, { create: "main" });
    for (const [i, target] of ["../../etc", "/etc/passwd", "sub/../../x"].entries()) {
      commitBranch(path, `evil${i}`, gitTree(path, [["100644", "x", "a.txt"], ["120000", target, "zlink"]]));
      const out = join(tempDir(), "out");
      await expect((await repo.branches.get(`evil${i}`)).dump(out)).rejects.toThrow(ValueError);
      expect(existsSync(join(out, "a.txt"))).toBe(false);
    }
  });

  it("refuses a name or path longer than a local file system takes (git takes it), before writing anything", async () => {
    const path = join(tempDir(), "long.git");
    const repo = await GitStore.open(path, { create: "main" });
    const fs = await repo.branches.get("main");
    const long = "é".repeat(130); // 260 bytes: over the 255 a name may have
    const named = await fs.batch((b) => {
      b.write("a.txt", "first");
      b.write(`dir/${long}`, "x");
    });
    expect(git(path, ["ls-tree", "-r", "-z", "--name-only", "main"]).split("\0")).toContain(`dir/${long}`);
    const out = join(tempDir(), "out-long");
    await expect(named.dump(out)).rejects.toThrow(ValueError);
    expect(existsSync(out)).toBe(false);
    const deep = await named.write(Array.from({ length: 20 }, () => "d".repeat(250)).join("/"), "deep");
    await expect(deep.dump(out)).rejects.toThrow(/longer than a local file system allows/);
    expect(existsSync(out)).toBe(false);
    await (await deep.remove("d".repeat(250)).then((f) => f.remove("dir")).then((f) => f.write("dir/" + "é".repeat(127), "254 bytes"))).dump(out); // within the limits
    expect(readFileSync(join(out, "dir", "é".repeat(127)), "utf8")).toBe("254 bytes");
    await repo.close();
  });

  it("refuses a tree holding an entry git forbids, before writing anything", async () => {
    const path = join(tempDir(), "f.git");
    const repo = await GitStore.open(path, { create: "main" });
    const blob = git(path, ["hash-object", "-w", "--stdin"], "x").trim();
    const bad = Buffer.concat([Buffer.from("100644 .git\0"), Buffer.from(blob, "hex")]);
    const badTree = git(path, ["hash-object", "-t", "tree", "-w", "--literally", "--stdin"], bad).trim();
    commitBranch(path, "bad", gitTree(path, [["100644", "x", "a.txt"], ["040000", badTree, "zdir"]]));
    const out = join(tempDir(), "out");
    mkdirSync(out);
    await expect((await repo.branches.get("bad")).dump(out)).rejects.toThrow(CorruptObjectError);
    expect(readdirSync(out)).toEqual([]);
    await expect((await repo.branches.get("bad")).ls("zdir")).rejects.toThrow(CorruptObjectError);
  });
});
