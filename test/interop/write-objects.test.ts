/** Objects we write are read by git exactly, and fsck finds nothing wrong. */
import fc from "fast-check";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { encodeCommit } from "../../src/objects/commit.js";
import { ObjectDatabase } from "../../src/objects/odb.js";
import { StagedObjects } from "../../src/objects/staging.js";
import { portablePlatform } from "../../src/objects/platform.js";
import { encodeTag } from "../../src/objects/tag.js";
import { encodeTree, MODE, TreeView, type TreeEntry } from "../../src/objects/tree.js";
import { NodeStorage } from "../../src/storage/node.js";
import { nodePlatform } from "../../src/node/platform.js";
import { cleanupTemp, fsck, git, gitBytes, gitInit, tempDir } from "../helpers/git.js";

// The portable platform loads its SHA-1 on first use (GitStore.open does this).
await portablePlatform.hash.load?.();

afterAll(cleanupTemp);

/** `main` set to `head`: fsck finds nothing wrong, and git reads every object in `written` as written. */
function expectGitReads(dir: string, head: string, written: ReadonlyMap<string, [string, Uint8Array]>): void {
  git(dir, ["update-ref", "refs/heads/main", head]);
  expect(fsck(dir)).toEqual([]);
  const ids = [...written.keys()];
  const check = git(dir, ["cat-file", "--batch-check"], ids.join("\n") + "\n").trim().split("\n");
  ids.forEach((id, i) => expect(check[i]).toBe(`${id} ${written.get(id)![0]} ${written.get(id)![1].length}`));
  for (const id of ids.slice(0, 200)) {
    expect(Buffer.from(gitBytes(dir, ["cat-file", written.get(id)![0], id])).equals(Buffer.from(written.get(id)![1]))).toBe(true);
  }
}

const name = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.\- ]{0,12}$/).filter((n) => n.toLowerCase() !== ".git" && !n.endsWith("."));
const blob = fc.oneof(
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 4, arbitrary: fc.string({ unit: "grapheme", maxLength: 200 }).map((s) => new TextEncoder().encode(s)) },
  { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 400_000 }).map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 7) % 251)) },
);
type Node = { kind: "file"; data: Uint8Array; mode: string } | { kind: "dir"; children: Map<string, Node> };
const tree: fc.Arbitrary<Node> = fc.letrec<{ node: Node; dir: Node }>((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, fc.record({ kind: fc.constant("file" as const), data: blob, mode: fc.constantFrom(MODE.file, MODE.executable, MODE.symlink) }), tie("dir")),
  dir: fc.uniqueArray(fc.tuple(name, tie("node")), { selector: ([n]) => n, minLength: 1, maxLength: 6 }).map((pairs) => ({ kind: "dir" as const, children: new Map(pairs) })),
})).dir;

describe.each([
  ["portable", portablePlatform],
  ["node", nodePlatform],
] as const)("objects written by us (%s platform)", (_, platform) => {
  it("are read by git cat-file exactly and pass fsck --strict", async () => {
    const dir = gitInit(join(tempDir(), "w.git"));
    const storage = new NodeStorage(dir);
    const odb = new ObjectDatabase(storage, platform);
    const written = new Map<string, [string, Uint8Array]>();
    const write = async (type: "blob" | "tree" | "commit" | "tag", data: Uint8Array): Promise<string> => {
      const id = await odb.write(type, data);
      written.set(id, [type, data]);
      return id;
    };
    const writeNode = async (node: Node): Promise<string> => {
      if (node.kind === "file") return write("blob", node.data);
      const entries: TreeEntry[] = [];
      for (const [n, child] of node.children) entries.push({ name: n, mode: child.kind === "dir" ? MODE.tree : child.mode, id: await writeNode(child) });
      return write("tree", encodeTree(entries));
    };
    let parent: string | undefined;
    await fc.assert(
      fc.asyncProperty(tree, fc.string({ maxLength: 80 }).filter((s) => !s.includes("\0")), async (root, msg) => {
        const t = await writeNode(root);
        const ident = "A U Thor <author@example.com> 1700000000 +0530";
        const commit = await write("commit", encodeCommit({ tree: t, parents: parent ? [parent] : [], author: ident, committer: ident, extraHeaders: [], message: msg + "\n" }));
        parent = commit;
      }),
      { seed: 20261127, numRuns: 60 },
    );
    await write("tag", encodeTag({ object: parent!, type: "commit", name: "v1", tagger: "C O Mitter <c@example.com> 1700000000 -0130", extraHeaders: [], message: "tag\n" }));
    expectGitReads(dir, parent!, written);
    // A second write of the same object creates nothing new.
    const before = git(dir, ["count-objects", "-v"]);
    for (const [id, [type, data]] of [...written].slice(0, 50)) expect(await odb.write(type as "blob", data)).toBe(id);
    expect(git(dir, ["count-objects", "-v"])).toBe(before);
    await storage.close();
  });

  // A commit's way: staged into one small pack. Node's deflate answers at
  // once, the portable build's (pako, loaded on first use) through promises:
  // both paths of the writer.
  it("staged into one pack per commit are read by git exactly and pass fsck --strict", async () => {
    const dir = gitInit(join(tempDir(), "s.git"));
    const storage = new NodeStorage(dir);
    const odb = new ObjectDatabase(storage, platform);
    const written = new Map<string, [string, Uint8Array]>();
    let parent: string | undefined;
    await fc.assert(
      fc.asyncProperty(fc.array(blob, { minLength: 1, maxLength: 6 }), async (blobs) => {
        const staged = new StagedObjects(odb);
        const stage = async (type: "blob" | "tree" | "commit", data: Uint8Array): Promise<string> => {
          const id = await staged.write(type, data);
          written.set(id, [type, data]);
          return id;
        };
        const entries: TreeEntry[] = [];
        for (const [i, data] of blobs.entries()) entries.push({ name: `f${i}`, mode: MODE.file, id: await stage("blob", data) });
        // The same object twice in one pack is stored once.
        expect(await staged.write("blob", blobs[0]!)).toBe(entries[0]!.id);
        const ident = "A U Thor <author@example.com> 1700000000 +0000";
        const tree = await stage("tree", encodeTree(entries));
        parent = await stage("commit", encodeCommit({ tree, parents: parent ? [parent] : [], author: ident, committer: ident, extraHeaders: [], message: "m\n" }));
        await staged.seal({ sync: false });
        await staged.publish({ sync: false });
      }),
      { seed: 20261128, numRuns: 40 },
    );
    expectGitReads(dir, parent!, written);
    await storage.close();
  });

  // Trees over 16 KiB are compressed in pieces, most of them taken from the
  // previous version's stream (see tree-zlib.ts).
  it("large trees, each made from the last by a few edits, are read by git exactly and pass fsck --strict", async () => {
    const dir = gitInit(join(tempDir(), "t.git"));
    const storage = new NodeStorage(dir);
    const odb = new ObjectDatabase(storage, platform);
    const written = new Map<string, [string, Uint8Array]>();
    const blobId = await odb.write("blob", new TextEncoder().encode("x"));
    const subtreeId = await odb.write("tree", encodeTree([{ name: "x", mode: MODE.file, id: blobId }]));
    const entry = (i: number, tree: boolean): TreeEntry => ({ name: `entry-${String(i).padStart(5, "0")}`, mode: tree ? MODE.tree : MODE.file, id: tree ? subtreeId : blobId });
    let tree = TreeView.empty(platform.hash).with(new Map(Array.from({ length: 1500 }, (_, i) => [entry(i * 3, false).name, entry(i * 3, false)])));
    let parent: string | undefined;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(4600), fc.constantFrom("file", "dir", "remove")), { minLength: 1, maxLength: 8 }), async (edits) => {
        const changes = new Map<string, TreeEntry | null>();
        for (const [i, kind] of edits) changes.set(entry(i, false).name, kind === "remove" ? null : entry(i, kind === "dir"));
        tree = tree.with(changes);
        const staged = new StagedObjects(odb);
        const id = await staged.write("tree", tree.data, tree);
        written.set(id, ["tree", tree.data]);
        const ident = "A U Thor <author@example.com> 1700000000 +0000";
        const commit = encodeCommit({ tree: id, parents: parent ? [parent] : [], author: ident, committer: ident, extraHeaders: [], message: "m\n" });
        parent = await staged.write("commit", commit);
        written.set(parent, ["commit", commit]);
        await staged.seal({ sync: false });
        await staged.publish({ sync: false });
      }),
      { seed: 20261129, numRuns: 30 },
    );
    // Most versions were compressed from the one before.
    expect(tree.deflated?.adlers.length).toBeGreaterThan(20);
    expectGitReads(dir, parent!, written);
    await storage.close();
  });
});
