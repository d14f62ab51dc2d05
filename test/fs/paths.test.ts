/**
 * Path segments that git's fsck takes for `.git`, or allows only as a file
 * (`.gitmodules`, `.gitattributes`), checked against git itself: every name we
 * refuse makes `git fsck --full --strict` fail in a tree that git builds, and
 * every name we accept passes it in the repository we write.
 */
import { afterAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { GitStore, ValueError } from "../../src/node.js";
import { isDotGit, splitWritePath } from "../../src/fs/paths.js";
import { cleanupTemp, fsck, git, gitInit, tempDir } from "../helpers/git.js";

afterAll(cleanupTemp);

const DOT_GIT = [".git", ".GIT", ".git.", ".git ", ".Git. .", ".git::$INDEX_ALLOCATION", ".git\\x", "git~1", "GIT~1", "git~1..", "\u200c.git", ".g\u200dit", ".GI\ufeffT\u200e"];
const NOT_DOT_GIT = [".gitx", "git~2", "git~1x", "git", ".gi", "x.git", ".git~1", ".g\u00eft", ".gIt\u0130"];
const FILE_ONLY = [".gitmodules", ".GitModules", ".gitmodules. ", ".gitmodules:x", "gitmod~1", "GITMOD~4", "gi7eba~1", "gi7eba~9", "gi7eb~12", ".gitmod\u200cules", ".gitattributes", "gitatt~1", "gi7d29~1", ".gitattributes.."];
const NOT_FILE_ONLY = ["gitmod~5", "gi7eba~0", ".gitmodulesx", "gitmodules", ".gitignore", ".mailmap", "gi7ebb~1", "gitatt~9"];

/** What `git fsck --full --strict` says of a tree holding a directory `name` (with one file in it). */
function fsckOfDirectoryNamed(name: string): string[] {
  const repo = gitInit(join(tempDir(), "g.git"));
  const blob = git(repo, ["hash-object", "-w", "--stdin"], "x\n").trim();
  const inner = git(repo, ["mktree"], `100644 blob ${blob}\tf\n`).trim();
  const outer = git(repo, ["mktree"], `040000 tree ${inner}\t${name}\n`).trim();
  git(repo, ["update-ref", "refs/heads/main", git(repo, ["commit-tree", outer, "-m", "m"]).trim()]);
  return fsck(repo);
}

describe("names git protects", () => {
  it("a segment git takes for .git is ValueError in every path, as git's fsck flags it (hasDotgit)", async () => {
    const repo = await GitStore.open(join(tempDir(), "r.git"), { create: "main" });
    const fs = await repo.branches.get("main");
    for (const name of DOT_GIT) {
      expect(isDotGit(name), JSON.stringify(name)).toBe(true);
      await expect(fs.write(`${name}/f`, "x"), JSON.stringify(name)).rejects.toBeInstanceOf(ValueError);
      await expect(fs.write(name, "x")).rejects.toBeInstanceOf(ValueError);
      await expect(fs.exists(`a/${name}`)).rejects.toBeInstanceOf(ValueError);
      expect(fsckOfDirectoryNamed(name).join("\n"), JSON.stringify(name)).toMatch(/hasDotgit/);
    }
    for (const name of NOT_DOT_GIT) {
      expect(isDotGit(name), JSON.stringify(name)).toBe(false);
      expect(fsckOfDirectoryNamed(name), JSON.stringify(name)).toEqual([]);
    }
  });

  it("a name git allows only as a file cannot become a directory; as a file it is fine", async () => {
    const path = join(tempDir(), "r.git");
    const repo = await GitStore.open(path, { create: "main" });
    let fs = await repo.branches.get("main");
    for (const name of FILE_ONLY) {
      expect(() => splitWritePath(`a/${name}/f`), JSON.stringify(name)).toThrow(ValueError);
      await expect(fs.write(`${name}/f`, "x")).rejects.toBeInstanceOf(ValueError);
      await expect(fs.batch((b) => b.write(`d/${name}/f`, "x"))).rejects.toBeInstanceOf(ValueError);
      await expect(fs.open(`${name}/f`, "wb")).rejects.toBeInstanceOf(ValueError);
      expect(fsckOfDirectoryNamed(name).join("\n"), JSON.stringify(name)).toMatch(/gitmodulesBlob|gitattributesBlob/);
      fs = await fs.write(`sub/${name}`, "# a file\n");
      expect(await fs.readText(`sub/${name}`)).toBe("# a file\n");
    }
    for (const name of NOT_FILE_ONLY) {
      expect(splitWritePath(`${name}/f`), JSON.stringify(name)).toEqual([name, "f"]);
      expect(fsckOfDirectoryNamed(name), JSON.stringify(name)).toEqual([]);
      fs = await fs.write(`${name}/f`, "x");
    }
    expect(fsck(path)).toEqual([]);
    await repo.close();
  });
});
