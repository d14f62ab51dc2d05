/** Repositories that borrow objects through objects/info/alternates (git clone --shared / --reference, forks on a server). */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CorruptObjectError, GitStore, KeyError, NodeStorage, nodePlatform } from "../../src/node.js";
import { nodeAlternates } from "../../src/node/alternates.js";
import { ObjectDatabase } from "../../src/objects/odb.js";
import { decodeAlternates } from "../../src/objects/alternates.js";
import { cleanupTemp, fsck, git, GIT_ENV, tempDir } from "../helpers/git.js";
import { makeGitRepo } from "../helpers/make-repo.js";

afterAll(cleanupTemp);

const looseCount = (dir: string): number => Number(/count: (\d+)/.exec(git(dir, ["count-objects", "-v"]))![1]);
const inPack = (dir: string): number => Number(/in-pack: (\d+)/.exec(git(dir, ["count-objects", "-v"]))![1]);

/** Every file at main as git shows it, path -> content. */
function gitFiles(dir: string, ref = "main"): Map<string, string> {
  const out = new Map<string, string>();
  for (const path of git(dir, ["ls-tree", "-r", "--name-only", ref]).split("\n").filter(Boolean)) out.set(path, git(dir, ["cat-file", "blob", `${ref}:${path}`]));
  return out;
}

async function ourFiles(repo: GitStore, ref = "main"): Promise<Map<string, string>> {
  const fs = await repo.snapshot(ref);
  const out = new Map<string, string>();
  for await (const [dir, , files] of fs.walk()) for (const f of files) out.set(dir ? `${dir}/${f}` : f, await fs.readText(dir ? `${dir}/${f}` : f));
  return out;
}

describe("objects/info/alternates", () => {
  it("a `git clone --shared` reads through its source's objects; a commit stores only the new objects; gc packs only the clone's own; fsck stays clean", async () => {
    const src = makeGitRepo(join(tempDir(), "src.git"), { commits: 12, files: 10, editsPerCommit: 2, seed: 11 });
    git(src, ["gc", "-q"]);
    const clone = join(tempDir(), "clone.git");
    execFileSync("git", ["clone", "-q", "--bare", "--shared", src, clone], { env: GIT_ENV });
    expect(readFileSync(join(clone, "objects/info/alternates"), "utf8").trim()).toBe(join(src, "objects"));
    expect(looseCount(clone) + inPack(clone)).toBe(0);

    const repo = await GitStore.open(clone);
    expect(await ourFiles(repo)).toEqual(gitFiles(src));
    let n = 0;
    for await (const fs of (await repo.branches.get("main")).log()) n++;
    expect(n).toBe(12);
    const head = await repo.branches.get("main");
    expect((await repo.snapshot(head.hash.slice(0, 7))).hash).toBe(head.hash); // abbreviated ids too

    // A commit borrows what it does not change: blob, one or two trees and the commit are new.
    const after = await head.write("new.txt", "only in the clone");
    expect(inPack(clone) + looseCount(clone)).toBeLessThanOrEqual(4);
    expect(fsck(clone)).toEqual([]);
    expect(git(clone, ["cat-file", "-p", "main:new.txt"])).toBe("only in the clone");
    expect(() => git(src, ["cat-file", "-t", after.hash])).toThrow(); // nothing written to the source

    // gc packs the clone's own objects only, as git's gc does: the borrowed ones stay borrowed.
    expect((await repo.gc()).objects).toBeLessThanOrEqual(4);
    expect(looseCount(clone)).toBe(0);
    expect(inPack(clone)).toBeLessThanOrEqual(4);
    expect(fsck(clone)).toEqual([]);
    expect(await ourFiles(repo)).toEqual(gitFiles(clone));
    await repo.close();
  });

  it("follows relative paths, comments, quoted paths and alternates of alternates", async () => {
    const base = tempDir();
    const a = makeGitRepo(join(base, "a.git"), { commits: 4, files: 5, editsPerCommit: 1, seed: 21 });
    const b = join(base, "dir with \"quote\".git");
    execFileSync("git", ["clone", "-q", "--bare", "--shared", a, b], { env: GIT_ENV });
    // b's clone borrows from a (absolute); c borrows from b (relative, quoted), which borrows from a.
    const c = join(base, "c.git");
    execFileSync("git", ["init", "-q", "--bare", c], { env: GIT_ENV });
    mkdirSync(join(c, "objects/info"), { recursive: true });
    const rel = relative(join(c, "objects"), join(b, "objects"));
    writeFileSync(join(c, "objects/info/alternates"), `# borrowed\n\n"${rel.replace(/"/g, '\\"')}"\n`);
    git(c, ["update-ref", "refs/heads/main", git(a, ["rev-parse", "main"]).trim()]);
    git(c, ["symbolic-ref", "HEAD", "refs/heads/main"]);
    expect(fsck(c)).toEqual([]);

    const repo = await GitStore.open(c);
    expect(await ourFiles(repo)).toEqual(gitFiles(a));
    await repo.close();
  });

  it("an alternate naming the repository itself, or one that names it back, is not opened again", async () => {
    const a = makeGitRepo(join(tempDir(), "cycle-a.git"), { commits: 3, files: 4, editsPerCommit: 1, seed: 41 });
    const b = join(tempDir(), "cycle-b.git");
    execFileSync("git", ["clone", "-q", "--bare", "--shared", a, b], { env: GIT_ENV });
    writeFileSync(join(a, "objects/info/alternates"), `${join(a, "objects")}\n../../cycle-b.git/objects\n`.replace("../../cycle-b.git", relative(join(a, "objects"), b)));
    const repo = await GitStore.open(b);
    expect(await ourFiles(repo)).toEqual(gitFiles(a));
    await expect(repo.snapshot("f".repeat(40))).rejects.toThrow(KeyError);
    await repo.close();
    // b borrows from a; a's own list (itself, and b) adds nothing more.
    const fromB = (await nodeAlternates(new ObjectDatabase(new NodeStorage(b), nodePlatform)))!;
    expect(fromB.databases.length).toBe(1);
    const fromA = await nodeAlternates(fromB.databases[0] as ObjectDatabase, [join(b, "objects")]);
    expect(fromA?.databases.length).toBe(0);
    fromB.close();
  });

  it("an object in no alternate either is still missing, and names itself", async () => {
    const src = makeGitRepo(join(tempDir(), "src2.git"), { commits: 2, files: 3, editsPerCommit: 1, seed: 31 });
    const clone = join(tempDir(), "clone2.git");
    execFileSync("git", ["clone", "-q", "--bare", "--shared", src, clone], { env: GIT_ENV });
    writeFileSync(join(clone, "objects/info/alternates"), join(tempDir(), "nowhere/objects") + "\n");
    const repo = await GitStore.open(clone);
    const err = await repo.branches.get("main").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptObjectError);
    expect(String(err)).toContain(git(src, ["rev-parse", "main"]).trim());
    await repo.close();
  });

  it("decodes the file as git does", () => {
    expect(decodeAlternates("/a/objects\n# comment\n\n../b/objects\n")).toEqual(["/a/objects", "../b/objects"]);
    expect(decodeAlternates('"/with \\"quotes\\"/\\303\\251\\tx"\n')).toEqual(['/with "quotes"/é\tx']);
    expect(decodeAlternates('"/unterminated\n"/bad\\q"\n/ok\n')).toEqual(["/ok"]);
  });
});
