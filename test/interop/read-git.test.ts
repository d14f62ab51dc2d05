/** Objects git writes (loose, gc'd, deeply deltified) read back byte for byte. */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObjectDatabase } from "../../src/objects/odb.js";
import { portablePlatform, type Platform } from "../../src/objects/platform.js";
import { nodePlatform } from "../../src/node/platform.js";
import { MemoryStorage } from "../../src/storage/memory.js";
import { NodeStorage } from "../../src/storage/node.js";
import type { Storage } from "../../src/storage/storage.js";
import { CorruptObjectError, GitStore } from "../../src/node.js";
import { cleanupTemp, fsck, git, GIT_ENV, gitBytes, gitInit, tempDir } from "../helpers/git.js";
import { allObjects, deltaCount, explode, makeGitRepo, repack } from "../helpers/make-repo.js";

// The portable platform loads its SHA-1 on first use (GitStore.open does this).
await portablePlatform.hash.load?.();

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

describe("a tree with the modes old git versions wrote", () => {
  // `040000` (zero-padded: git's fsck says zeroPaddedFilemode) and `100664` /
  // `100775` (group-writable, from git before 2005: badFilemode). git reads them
  // as a directory, a file and an executable, and writes new trees without them.
  it("reads as git reads it, and a write below it keeps every entry and spells modes as git does", async () => {
    const path = gitInit(join(tempDir(), "legacy.git"));
    const blob = (text: string): Buffer => Buffer.from(git(path, ["hash-object", "-w", "--stdin"], text).trim(), "hex");
    const literally = (bytes: Buffer): string => git(path, ["hash-object", "-t", "tree", "-w", "--literally", "--stdin"], bytes).trim();
    const inner = literally(Buffer.concat([Buffer.from("100664 f\0"), blob("plain\n"), Buffer.from("100775 x\0"), blob("exec\n")]));
    const root = literally(Buffer.concat([Buffer.from("040000 d\0"), Buffer.from(inner, "hex")]));
    git(path, ["update-ref", "refs/heads/main", git(path, ["commit-tree", root, "-m", "old"]).trim()]);
    expect(git(path, ["ls-tree", "-r", "main"])).toMatch(/100644 blob \w+\td\/f\n100755 blob \w+\td\/x/);

    const repo = await GitStore.open(path);
    let fs = await repo.branches.get("main");
    expect(await fs.ls()).toEqual(["d"]);
    expect(await fs.ls("d")).toEqual(["f", "x"]);
    expect(await fs.readText("d/f")).toBe("plain\n");
    await expect(fs.read("d")).rejects.toThrow(/is a directory/);
    const walked = [];
    for await (const step of fs.walk()) walked.push(step);
    expect(walked).toEqual([["", ["d"], []], ["d", [], ["f", "x"]]]);

    fs = await fs.write("d/g", "new\n");
    fs = await fs.write("d/x", "exec 2\n");
    expect(await fs.ls("d")).toEqual(["f", "g", "x"]);
    expect(git(path, ["ls-tree", "-r", "main"])).toMatch(/100644 blob \w+\td\/f\n100644 blob \w+\td\/g\n100755 blob \w+\td\/x/);
    // The trees written now hold only the modes git writes: fsck of them alone is clean.
    expect(git(path, ["cat-file", "tree", "main^{tree}"]).startsWith("40000 d\0")).toBe(true);
    expect(git(path, ["cat-file", "tree", "main:d"]).split("\0")[0]).toBe("100644 f");
    const tip = gitInit(join(tempDir(), "tip.git"));
    for (const id of [git(path, ["rev-parse", "main^{tree}"]), git(path, ["rev-parse", "main:d"])].map((s) => s.trim())) {
      git(tip, ["hash-object", "-t", "tree", "-w", "--stdin"], gitBytes(path, ["cat-file", "tree", id]));
    }
    expect(fsck(tip).filter((l) => !/missing blob/.test(l))).toEqual([]);
    await repo.close();
  });
});

describe("a commit message in another encoding (git's i18n.commitEncoding)", () => {
  it("is decoded by the commit's encoding header, as git log shows it; an encoding the runtime does not know leaves it as stored", async () => {
    const path = gitInit(join(tempDir(), "enc.git"));
    const tree = git(path, ["mktree"], "").trim();
    const commit = (encoding: string, message: Buffer, parent?: string): string => {
      const head = `tree ${tree}\n${parent ? `parent ${parent}\n` : ""}author A <a@b> 1700000000 +0000\ncommitter A <a@b> 1700000000 +0000\nencoding ${encoding}\n\n`;
      return git(path, ["hash-object", "-t", "commit", "-w", "--stdin"], Buffer.concat([Buffer.from(head), message])).trim();
    };
    const unknown = commit("x-no-such-encoding", Buffer.from("plain\n"));
    const latin1 = commit("ISO-8859-1", Buffer.from("caf\xe9 cr\xe8me\n", "latin1"), unknown);
    git(path, ["update-ref", "refs/heads/main", latin1]);
    expect(git(path, ["log", "-1", "--format=%s", "main"]).trim()).toBe("café crème");
    const repo = await GitStore.open(path);
    const fs = await repo.branches.get("main");
    expect(fs.message).toBe("café crème");
    expect((await fs.parent())!.message).toBe("plain");
    await repo.close();
  });
});

describe("a shallow clone (git clone --depth)", () => {
  it("ends its history where git cut it, as git log does; gc keeps it whole and fsck-clean", async () => {
    const source = gitInit(join(tempDir(), "source.git"));
    let parent: string | undefined;
    const tree = git(source, ["mktree"], "").trim();
    for (let i = 1; i <= 5; i++) parent = git(source, ["commit-tree", tree, ...(parent ? ["-p", parent] : []), "-m", `c${i}`]).trim();
    git(source, ["update-ref", "refs/heads/main", parent!]);
    const path = join(tempDir(), "shallow.git");
    execFileSync("git", ["clone", "-q", "--bare", "--depth", "2", `file://${source}`, path], { env: GIT_ENV });
    expect(git(path, ["log", "--format=%s", "main"]).trim().split("\n")).toEqual(["c5", "c4"]);

    const repo = await GitStore.open(path);
    let fs = await repo.branches.get("main");
    fs = await fs.write("a.txt", "after the clone\n");
    const messages = [];
    for await (const snap of fs.log()) messages.push(snap.message);
    expect(messages).toEqual(["Write a.txt", "c5", "c4"]);
    expect(await (await (await fs.parent())!.parent())!.parent()).toBeNull();
    await repo.gc();
    expect(fsck(path)).toEqual([]);
    expect(git(path, ["log", "--format=%s", "main"]).trim().split("\n")).toEqual(["Write a.txt", "c5", "c4"]);
    await repo.close();

    // A damaged shallow file is corrupt data, named as such.
    writeFileSync(join(path, "shallow"), "not an id\n");
    const again = await GitStore.open(path);
    await expect((await again.branches.get("main")).parent()).rejects.toThrow(CorruptObjectError);
    await expect((await again.branches.get("main")).parent()).rejects.toThrow(/shallow/);
    await again.close();
  });
});
