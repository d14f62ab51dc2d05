/** Pack indexes are read once per repository and process, whatever the number of handles. */
import { cpSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GitStore, MemoryStorage, NodeStorage } from "../../src/node.js";
import { PackIndex } from "../../src/objects/pack-index.js";
import { findSharedIndex, shareIndex } from "../../src/objects/shared-indexes.js";
import { nodeSha1 } from "../../src/node/platform.js";
import { encodePackIndex } from "../../src/objects/pack-index.js";
import { cleanupTemp, git, tempDir } from "../helpers/git.js";
import { makeGitRepo } from "../helpers/make-repo.js";

afterAll(cleanupTemp);

/** A storage that counts the reads of pack indexes. */
class CountingStorage extends NodeStorage {
  indexReads = 0;
  override async read(path: string): Promise<Uint8Array | undefined> {
    if (path.endsWith(".idx")) this.indexReads++;
    return super.read(path);
  }
}

function someIndex(): PackIndex {
  const trailer = new Uint8Array(20).fill(7);
  return PackIndex.decode(encodePackIndex([{ id: "ab".repeat(20), offset: 12, crc: 1 }], trailer, nodeSha1), nodeSha1, "test.idx", true);
}

describe("shared pack indexes", () => {
  it("are found by the location and pack they were offered for, and no other; a storage without a path shares nothing", () => {
    const index = someIndex();
    shareIndex("/repos/a.git", "objects/pack/pack-1", index);
    expect(findSharedIndex("/repos/a.git", "objects/pack/pack-1")).toBe(index);
    expect(findSharedIndex("/repos/b.git", "objects/pack/pack-1")).toBeUndefined();
    expect(findSharedIndex("/repos/a.git", "objects/pack/pack-2")).toBeUndefined();
    const storage = new MemoryStorage();
    shareIndex(storage, "objects/pack/pack-1", index);
    expect(findSharedIndex(storage, "objects/pack/pack-1")).toBeUndefined();
    shareIndex(undefined, "objects/pack/pack-1", index);
    expect(findSharedIndex(undefined, "objects/pack/pack-1")).toBeUndefined();
  });

  it("a second handle on the same directory reads no index the first one holds; another directory reads its own", async () => {
    const storage = new CountingStorage(join(tempDir(), "counted.git"));
    const writer = await GitStore.open(storage, { create: "main" });
    let fs = await writer.branches.get("main");
    for (let i = 0; i < 20; i++) fs = await fs.write(`f${i}`, `v${i}`); // small packs, merged at 16
    await writer.close();
    const readAll = async (repo: GitStore): Promise<void> => {
      const seen = await repo.branches.get("main");
      for (let i = 0; i < 20; i++) expect(await seen.readText(`f${i}`)).toBe(`v${i}`);
    };
    const first = await GitStore.open(storage);
    await readAll(first);
    expect(storage.indexReads).toBeGreaterThan(0);
    storage.indexReads = 0;
    const second = await GitStore.open(storage);
    await readAll(second);
    expect(storage.indexReads).toBe(0);

    const copy = new CountingStorage(join(tempDir(), "copy.git"));
    cpSync(storage.root, copy.root, { recursive: true });
    const third = await GitStore.open(copy);
    expect(await (await third.branches.get("main")).readText("f19")).toBe("v19");
    expect(copy.indexReads).toBeGreaterThan(0);
    await Promise.all([first.close(), second.close(), third.close()]);
  });

  it("a handle opened on the same directory reads through the index the first one checked, even if the file was damaged since", async () => {
    const dir = makeGitRepo(join(tempDir(), "shared.git"), { commits: 10, files: 8, editsPerCommit: 2, seed: 3 });
    git(dir, ["gc", "-q"]);
    const expected = git(dir, ["cat-file", "-p", "main:" + git(dir, ["ls-tree", "-r", "--name-only", "main"]).split("\n")[0]!]);
    const first = await GitStore.open(dir);
    const path = git(dir, ["ls-tree", "-r", "--name-only", "main"]).split("\n")[0]!;
    expect(await (await first.branches.get("main")).readText(path)).toBe(expected);
    // The index on disk is damaged now; a fresh process would refuse it.
    const pack = join(dir, "objects/pack");
    const idx = readdirSync(pack).find((f) => f.endsWith(".idx"))!;
    const backup = join(tempDir(), "backup.idx");
    cpSync(join(pack, idx), backup);
    writeFileSync(join(pack, idx), new Uint8Array(64));
    const second = await GitStore.open(dir);
    expect(await (await second.branches.get("main")).readText(path)).toBe(expected);
    cpSync(backup, join(pack, idx));
    await Promise.all([first.close(), second.close()]);
  });
});
