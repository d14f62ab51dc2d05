/** Packs we write (gc, bulk import) are standard: git verifies, indexes and reads them. */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GitStore, MemoryStorage, NodeStorage, nodePlatform, ValueError, type FileStat, type WriteOptions } from "../../src/node.js";
import { ObjectDatabase, TIERS } from "../../src/objects/odb.js";
import { PackWriter } from "../../src/objects/pack-writer.js";
import { looksIncompressible } from "../../src/objects/zlib.js";
import { cleanupTemp, fsck, git, gitBytes, GIT_ENV, tempDir } from "../helpers/git.js";
import { allObjects, makeGitRepo, randomBytes, rng } from "../helpers/make-repo.js";

/** How many small packs (a commit's, under 64 objects) make a merge. */
const MERGE_AT = TIERS[0]![2];
/** The most packs the tiers of small packs may hold at once. */
const MAX_TIERED = TIERS.reduce((n, [, , at]) => n + at - 1, 0);
/** Every tier with how many of `odb`'s packs it holds. */
const tiersOf = (odb: ObjectDatabase): { held: number; mergeAt: number }[] =>
  TIERS.map(([from, below, mergeAt]) => ({ held: odb.packs.filter((p) => p.index.count >= from && p.index.count < below).length, mergeAt }));

afterAll(cleanupTemp);

const packsOf = (dir: string): string[] => readdirSync(join(dir, "objects/pack")).filter((f) => f.endsWith(".pack"));
const looseCount = (dir: string): number => Number(/count: (\d+)/.exec(git(dir, ["count-objects", "-v"]))![1]);

function checkPacks(dir: string): void {
  for (const p of packsOf(dir)) {
    const pack = join(dir, "objects/pack", p);
    git(dir, ["verify-pack", pack.replace(/\.pack$/, ".idx")]);
    const out = join(tempDir(), "check.idx");
    execFileSync("git", ["index-pack", "-o", out, pack], { env: GIT_ENV });
    expect(execFileSync("cmp", [out, pack.replace(/\.pack$/, ".idx")]).length).toBe(0);
  }
}

/** A repository with history written by gitstore: edits, removals, a branch, a tag, an unreachable commit. */
async function history(dir: string): Promise<{ repo: GitStore; unreachable: string }> {
  const repo = await GitStore.open(dir, { create: "main" });
  let fs = await repo.branches.get("main");
  const rand = rng(99);
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i} ${rand()}`);
  for (let i = 0; i < 60; i++) {
    lines[Math.floor(rand() * lines.length)] = `edited in ${i}`;
    fs = await fs.batch((b) => {
      b.write("doc/text.txt", lines.join("\n"));
      b.write(`data/f${i % 7}.bin`, Uint8Array.from({ length: 500 }, () => Math.floor(rand() * 256)));
    });
    if (i === 30) await repo.tags.set("v1", fs);
  }
  await repo.branches.set("side", fs);
  const side = await (await repo.branches.get("side")).write("side.txt", "only on a deleted branch");
  await repo.branches.delete("side"); // its commit stays reachable only from... nothing (reflog deleted with it)
  return { repo, unreachable: side.hash };
}

describe("gc", () => {
  it("packs everything into one pack git verifies and indexes identically; nothing is lost", async () => {
    const dir = join(tempDir(), "gc.git");
    const { repo, unreachable } = await history(dir);
    const before = allObjects(dir);
    const progress: string[] = [];
    const summary = await repo.gc({ onProgress: (p) => progress.push(p.phase) });
    expect(summary.objects).toBe(before.size);
    expect(summary.deltas).toBeGreaterThan(50);
    expect(summary.bytesAfter).toBeLessThan(summary.bytesBefore);
    expect(new Set(progress)).toEqual(new Set(["compressing", "cleaning"]));
    expect(packsOf(dir)).toHaveLength(1);
    expect(looseCount(dir)).toBe(0);
    checkPacks(dir);
    expect(fsck(dir)).toEqual([]);
    const after = allObjects(dir);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [id, [, bytes]] of before) expect(after.get(id)![1].equals(bytes)).toBe(true);
    expect(git(dir, ["cat-file", "-t", unreachable]).trim()).toBe("commit"); // kept without prune
    const fs = await repo.branches.get("main");
    expect(await fs.readText("doc/text.txt")).toContain("edited in 59");
    // Still writable, and readable by git, after gc.
    const next = await fs.write("after.txt", "after gc");
    expect(git(dir, ["cat-file", "-p", "main:after.txt"])).toBe("after gc");
    void next;
  });

  it("options outside their values are refused before anything is touched", async () => {
    const repo = await GitStore.open(new MemoryStorage(), { create: "main" });
    await (await repo.branches.get("main")).write("a", "1");
    const bad = [{ window: -1 }, { depth: 1.5 }, { window: "10" }, { prune: "yes" }, { prune: -5 }];
    for (const options of bad) await expect(repo.gc(options as never)).rejects.toBeInstanceOf(ValueError);
    await expect(repo.gc({ onProgress: 5 as never })).rejects.toBeInstanceOf(TypeError);
    expect((await repo.gc(null as never)).objects).toBe(5);
    await repo.close();
  });

  it("prune drops only unreachable objects older than the grace period", async () => {
    const dir = join(tempDir(), "prune.git");
    const { repo, unreachable } = await history(dir);
    expect((await repo.gc({ prune: 60_000 })).pruned).toBe(0); // everything is recent
    expect(git(dir, ["cat-file", "-t", unreachable]).trim()).toBe("commit");
    const summary = await repo.gc({ prune: 0 });
    expect(summary.pruned).toBeGreaterThan(0);
    expect(() => git(dir, ["cat-file", "-t", unreachable])).toThrow();
    expect(fsck(dir)).toEqual([]);
    expect(await (await repo.tags.get("v1")).readText("doc/text.txt")).toContain("edited in 30");
  });

  it("pruning drops git's commit-graph, which would name the pruned commits; the pack list for dumb HTTP stays true", async () => {
    const dir = join(tempDir(), "graph.git");
    const { repo, unreachable } = await history(dir);
    git(dir, ["gc", "-q"]); // writes objects/info/packs
    /** A commit on main that only git's commit-graph (as `write`ed) still names once main is moved back. */
    const graphOnly = async (write: string[]): Promise<string> => {
      const main = await repo.branches.get("main");
      const gone = await main.write("graph-only.txt", `in the graph ${write.join(" ")}`);
      git(dir, ["commit-graph", "write", "--reachable", ...write]);
      await repo.branches.delete("main");
      await repo.branches.set("main", main);
      git(dir, ["reflog", "expire", "--expire=now", "--all"]);
      return gone.hash;
    };
    for (const [write, file] of [
      [[], "objects/info/commit-graph"],
      [["--split"], "objects/info/commit-graphs/commit-graph-chain"],
    ] as const) {
      const gone = await graphOnly([...write]);
      expect(existsSync(join(dir, file))).toBe(true);
      expect((await repo.gc({ prune: 0 })).pruned).toBeGreaterThan(0);
      expect(() => git(dir, ["cat-file", "-t", gone])).toThrow();
      expect(existsSync(join(dir, "objects/info/commit-graph"))).toBe(false);
      expect(existsSync(join(dir, "objects/info/commit-graphs"))).toBe(false);
      expect(fsck(dir)).toEqual([]);
      expect(readFileSync(join(dir, "objects/info/packs"), "utf8")).toBe(packsOf(dir).map((p) => `P ${p}\n`).join("") + "\n");
    }
    expect(() => git(dir, ["cat-file", "-t", unreachable])).toThrow();
    // Without pruning nothing goes, so the graph stays.
    git(dir, ["commit-graph", "write", "--reachable"]);
    await repo.gc();
    expect(existsSync(join(dir, "objects/info/commit-graph"))).toBe(true);
    git(dir, ["commit-graph", "verify"]);
    expect(fsck(dir)).toEqual([]);
    await repo.close();
  });

  it("keeps objects reachable only from reflogs, and packs git wrote", async () => {
    const dir = makeGitRepo(join(tempDir(), "gitmade.git"), { commits: 40, files: 20, editsPerCommit: 3, seed: 5 });
    git(dir, ["config", "core.logAllRefUpdates", "true"]);
    const repo = await GitStore.open(dir);
    const fs = await repo.branches.get("main");
    const moved = await fs.write("x", "y");
    await repo.branches.set("main", (await moved.parent())!); // moved's commit now only in the reflog
    const before = allObjects(dir);
    await repo.gc();
    expect(allObjects(dir).size).toBe(before.size);
    expect(git(dir, ["cat-file", "-t", moved.hash]).trim()).toBe("commit");
    expect(fsck(dir)).toEqual([]);
    checkPacks(dir);
    // git can gc our pack again, and we read what git then wrote.
    git(dir, ["gc", "--aggressive", "--prune=now", "-q"]);
    expect(await (await repo.branches.get("main")).ls()).toEqual(await fs.ls());
  });

  it("another handle keeps reading while gc replaces the packs under it", async () => {
    const dir = join(tempDir(), "two.git");
    const { repo } = await history(dir);
    await repo.gc();
    const reader = await GitStore.open(dir);
    const fs = await reader.branches.get("main");
    expect(await fs.ls()).toEqual(["data", "doc"]);
    await (await repo.branches.get("main")).write("more.txt", "more");
    await repo.gc(); // the pack the reader knows is gone now
    const paths: string[] = [];
    for await (const [d, , files] of fs.walk()) for (const f of files) paths.push(d ? `${d}/${f}` : f);
    for (const p of paths) expect((await fs.read(p)).length).toBeGreaterThan(0);
    expect(await (await reader.branches.get("main")).readText("more.txt")).toBe("more");
    await reader.close();
  });

  it("a large pack index (not hashed at open) still serves reads when its checksum is damaged, but stops gc before anything is removed", async () => {
    const dir = join(tempDir(), "bigidx.git");
    execFileSync("git", ["init", "-q", "--bare", dir], { env: GIT_ENV });
    // 40,000 blobs make an index of 1.1 MB, over the 1 MiB hashed at open.
    const blobs = Array.from({ length: 40_000 }, (_, i) => `blob\ndata ${String(i).length}\n${i}\n`).join("");
    const commit = "commit refs/heads/main\ncommitter t <t@t> 1700000000 +0000\ndata 2\nc\nM 100644 inline one.txt\ndata 3\none\n";
    git(dir, ["fast-import", "--quiet"], blobs + commit);
    const [pack] = packsOf(dir);
    const idx = join(dir, "objects/pack", pack!.replace(/\.pack$/, ".idx"));
    const bytes = readFileSync(idx);
    expect(bytes.length).toBeGreaterThan(1024 * 1024);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(idx, bytes);
    const repo = await GitStore.open(dir);
    expect(await (await repo.branches.get("main")).readText("one.txt")).toBe("one");
    await expect(repo.gc()).rejects.toThrow(/\.idx: pack index checksum mismatch/);
    expect(packsOf(dir)).toEqual([pack]);
    expect(readFileSync(idx).equals(bytes)).toBe(true);
  });

  it("a writer reusing an old unreachable object freshens it, so a pruning gc meanwhile keeps it", async () => {
    const outcome = async (freshens: boolean): Promise<string[]> => {
      const dir = join(tempDir(), `freshen-${freshens}.git`);
      const repo = await GitStore.open(dir, { create: "main", durability: "none" });
      // Content that only a deleted branch held: unreachable, and (once aged) prunable.
      await repo.branches.set("side", await repo.branches.get("main"));
      await (await repo.branches.get("side")).write("old.txt", "content that comes back");
      await repo.branches.delete("side");
      await repo.gc();
      await repo.close();
      const threeWeeksAgo = new Date(Date.now() - 21 * 24 * 3600 * 1000);
      for (const f of readdirSync(join(dir, "objects/pack"))) utimesSync(join(dir, "objects/pack", f), threeWeeksAgo, threeWeeksAgo);
      const writer = await GitStore.open(new GcAtLockStorage(dir, freshens), { durability: "none" });
      await (await writer.branches.get("main")).write("new.txt", "content that comes back");
      await writer.close();
      return fsck(dir);
    };
    // Freshened: the gc kept the blob (with the rest of its pack, as git keeps a freshened pack).
    expect(await outcome(true)).toEqual([]);
    // Without freshening the same race loses it: the branch names a blob gc removed.
    expect((await outcome(false)).join("\n")).toMatch(/missing blob/);
  });

  it("respects .keep packs", async () => {
    const dir = join(tempDir(), "keep.git");
    const { repo } = await history(dir);
    await repo.gc();
    const [kept] = packsOf(dir);
    writeFileSync(join(dir, "objects/pack", kept!.replace(/\.pack$/, ".keep")), "");
    await (await repo.branches.get("main")).write("new.txt", "new");
    await repo.gc();
    expect(packsOf(dir)).toContain(kept);
    expect(fsck(dir)).toEqual([]);
  });

  it("removes what interrupted writers left once older than the grace period: temporary files and packs without an index", async () => {
    const dir = join(tempDir(), "leftovers.git");
    const { repo } = await history(dir);
    const old = (Date.now() - 15 * 24 * 3600 * 1000) / 1000;
    const leftovers = ["objects/pack/tmp_pack_x1", "objects/pack/tmp_idx_x1", `objects/pack/pack-${"ab".repeat(20)}.pack`, "objects/4b/tmp_obj_x1"];
    const fresh = ["objects/pack/tmp_pack_y1", `objects/pack/pack-${"cd".repeat(20)}.pack`, "objects/4b/tmp_obj_y1"];
    for (const f of [...leftovers, ...fresh]) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), "partial");
    }
    for (const f of leftovers) utimesSync(join(dir, f), old, old);
    await repo.gc();
    expect(leftovers.filter((f) => existsSync(join(dir, f)))).toEqual([]);
    expect(fresh.filter((f) => existsSync(join(dir, f)))).toEqual(fresh);
    // A shorter grace period (prune) takes them once an hour old, never younger:
    // a commit's pack has its final name a moment before its index appears.
    await repo.gc({ prune: 0 });
    expect(fresh.filter((f) => existsSync(join(dir, f)))).toEqual(fresh);
    const hourAgo = (Date.now() - 3601 * 1000) / 1000;
    for (const f of fresh) utimesSync(join(dir, f), hourAgo, hourAgo);
    await repo.gc({ prune: 0 });
    expect(fresh.filter((f) => existsSync(join(dir, f)))).toEqual([]);
    expect(fsck(dir)).toEqual([]);
  });

  it("a gc killed at any point leaves a repository where every ref resolves and fsck is clean", async () => {
    const template = join(tempDir(), "template.git");
    await history(template);
    const expected = git(template, ["for-each-ref", "--format=%(refname) %(objectname)"]);
    // Kill points spread over the time a whole gc takes here.
    const timed = join(tempDir(), "timed.git");
    cpSync(template, timed, { recursive: true });
    const t0 = performance.now();
    await (await GitStore.open(timed)).gc();
    const duration = performance.now() - t0;
    const rand = rng(2026);
    let interrupted = 0;
    for (let round = 0; round < 6; round++) {
      const dir = join(tempDir(), `kill${round}.git`);
      cpSync(template, dir, { recursive: true });
      const child = spawn("node", [join(import.meta.dirname, "../fixtures/gc-worker.mjs"), dir]);
      const exited = new Promise((r) => child.on("exit", r));
      let out = "";
      await new Promise<void>((resolve) => child.stdout.on("data", (d: Buffer) => ((out += d.toString()), resolve())));
      await new Promise((r) => setTimeout(r, rand() * duration * 0.8));
      child.kill("SIGKILL");
      await exited;
      if (!out.includes("done")) interrupted++;
      expect(git(dir, ["for-each-ref", "--format=%(refname) %(objectname)"])).toBe(expected);
      expect(fsck(dir)).toEqual([]);
      const repo = await GitStore.open(dir);
      expect(await (await repo.branches.get("main")).readText("doc/text.txt")).toContain("edited in 59");
      await repo.gc(); // and gc finishes the job afterwards
      expect(fsck(dir)).toEqual([]);
      await repo.close();
    }
    expect(interrupted).toBeGreaterThanOrEqual(2);
  });
});

/**
 * A directory that runs a pruning gc from another handle when a writer takes
 * main's lock (after the writer found what it reuses, before the branch
 * references it); `freshens: false` leaves modification times alone.
 */
class GcAtLockStorage extends NodeStorage {
  #ran = false;
  constructor(
    root: string,
    readonly freshens: boolean,
  ) {
    super(root);
  }
  override async touch(path: string): Promise<boolean> {
    return this.freshens ? super.touch(path) : true;
  }
  override async createExclusive(path: string, data: Uint8Array, options?: WriteOptions): Promise<boolean> {
    if (path === "refs/heads/main.lock" && !this.#ran) {
      this.#ran = true;
      const other = await GitStore.open(this.root);
      await other.gc({ prune: true });
      await other.close();
    }
    return super.createExclusive(path, data, options);
  }
}

describe("bulk import", () => {
  it("a large batch lands as one pack, not one file per object", async () => {
    const dir = join(tempDir(), "bulk.git");
    const repo = await GitStore.open(dir, { create: "main" });
    const before = readdirSync(join(dir, "objects")).length;
    const fs = await (await repo.branches.get("main")).batch((b) => {
      for (let i = 0; i < 2000; i++) b.write(`a${i % 10}/b${i % 3}/f${i}.txt`, `file ${i}\n`);
    });
    expect(packsOf(dir)).toHaveLength(1);
    expect(readdirSync(join(dir, "objects")).length - before).toBeLessThanOrEqual(1);
    checkPacks(dir);
    expect(fsck(dir)).toEqual([]);
    expect(git(dir, ["cat-file", "-p", "main:a7/b1/f1507.txt"])).toBe("file 1507\n");
    expect(await fs.readText("a3/b0/f3.txt")).toBe("file 3\n");
    // Reads stay correct over a mix of loose objects and packs.
    const next = await fs.write("a3/b0/f3.txt", "changed");
    expect(await next.readText("a3/b0/f3.txt")).toBe("changed");
    expect(await next.readText("a4/b1/f4.txt")).toBe("file 4\n");
  });

  it("a batch larger than the writer's buffer streams through a side file and still lands as one valid pack", async () => {
    const dir = join(tempDir(), "spill.git");
    const repo = await GitStore.open(dir, { create: "main" });
    const rand = rng(7);
    const fs = await (await repo.branches.get("main")).batch(async (b) => {
      for (let i = 0; i < 700; i++) await b.write(`big/f${i}.bin`, Uint8Array.from({ length: 10_000 }, () => Math.floor(rand() * 256)));
    });
    expect(packsOf(dir)).toHaveLength(1);
    expect(readdirSync(join(dir, "objects/pack")).filter((f) => f.startsWith("tmp_"))).toEqual([]);
    checkPacks(dir);
    expect(fsck(dir)).toEqual([]);
    expect((await fs.read("big/f699.bin")).length).toBe(10_000);
  });

  it("a failing bulk batch publishes nothing", async () => {
    const dir = join(tempDir(), "bulkfail.git");
    const repo = await GitStore.open(dir, { create: "main" });
    const fs = await repo.branches.get("main");
    await expect(
      fs.batch(async (b) => {
        for (let i = 0; i < 500; i++) b.write(`f${i}`, `x${i}`);
        await b.write("last", "y");
        throw new Error("abandon");
      }),
    ).rejects.toThrow("abandon");
    expect(packsOf(dir)).toEqual([]);
    expect(readdirSync(join(dir, "objects/pack"))).toEqual([]);
    expect((await repo.branches.get("main")).hash).toBe(fs.hash);
  });
});

describe("commits as small packs", () => {
  it("each commit adds one pack (two files); small packs are merged as they accumulate; git reads all of it", async () => {
    const dir = join(tempDir(), "small.git");
    const repo = await GitStore.open(dir, { create: "main", durability: "none" });
    let fs = await repo.branches.get("main");
    const before = readdirSync(join(dir, "objects/pack")).length;
    fs = await fs.write("a/first.txt", "first");
    expect(readdirSync(join(dir, "objects/pack")).length - before).toBe(2);
    const hashes: string[] = [fs.hash];
    for (let i = 0; i < 300; i++) {
      fs = await fs.write(`d${i % 7}/f${i}.txt`, `file ${i}\n`);
      hashes.push(fs.hash);
      expect(packsOf(dir).length).toBeLessThanOrEqual(MAX_TIERED);
    }
    expect(packsOf(dir).length).toBeLessThan(20);
    checkPacks(dir);
    expect(fsck(dir)).toEqual([]);
    expect(git(dir, ["rev-list", "--count", "main"]).trim()).toBe(String(302));
    expect(git(dir, ["cat-file", "-p", "main:d3/f290.txt"])).toBe("file 290\n");
    // A fresh handle (no caches) reads every snapshot.
    const fresh = await GitStore.open(dir);
    for (const [i, h] of hashes.entries()) {
      const snap = await fresh.snapshot(h);
      if (i > 0) expect(await snap.readText(`d${(i - 1) % 7}/f${i - 1}.txt`)).toBe(`file ${i - 1}\n`);
    }
  });
});

describe("the tiers of small packs", () => {
  it("hold at most 45 packs however long a history is written commit by commit, and each object is kept once", async () => {
    expect(MAX_TIERED).toBe(45);
    const storage = new MemoryStorage();
    const repo = await GitStore.open(storage, { create: "main", durability: "none" });
    let fs = await repo.branches.get("main");
    const packs = async (): Promise<number> => ((await storage.list("objects/pack")) ?? []).filter((e) => e.name.endsWith(".pack")).length;
    let most = 0;
    // Enough commits (four objects each) to fill every tier once: 31 + 7 * 32 + 7 * 256.
    for (let i = 0; i < 2100; i++) {
      fs = await fs.write(`d${i % 20}/f${i}.txt`, `file ${i}\n`);
      most = Math.max(most, await packs());
    }
    expect(most).toBe(MAX_TIERED);
    const odb = repo._repo.odb;
    await odb.rescan();
    for (const { held, mergeAt } of tiersOf(odb)) expect(held).toBeLessThan(mergeAt);
    // Past the tiers: the 8,192 objects of the first 2,048 commits, merged once more.
    expect(odb.packs.filter((p) => p.index.count >= TIERS.at(-1)![1]).length).toBe(1);
    const ids = odb.packs.flatMap((p) => Array.from({ length: p.index.count }, (_, i) => p.index.id(i)));
    expect(new Set(ids).size).toBe(ids.length);
    expect(await fs.readText("d7/f2087.txt")).toBe("file 2087\n");
  });
});

describe("a commit's pack", () => {
  it("is created under its final name; one of that name left by a crashed writer is replaced", async () => {
    const dir = join(tempDir(), "direct.git");
    const repo = await GitStore.open(dir, { create: "main", durability: "none" });
    await repo.close();
    const storage = new NodeStorage(dir);
    const calls: string[] = [];
    const spy = Object.assign(Object.create(storage) as NodeStorage, {
      createExclusive: (p: string, d: Uint8Array, o?: WriteOptions) => (calls.push(`create ${p}`), storage.createExclusive(p, d, o)),
      rename: (a: string, b: string, o?: WriteOptions) => (calls.push(`rename ${a}`), storage.rename(a, b, o)),
    });
    const write = async (): Promise<string> => {
      const writer = new PackWriter(spy, nodePlatform, undefined, 1);
      await writer.add("blob", new TextEncoder().encode("the same blob"));
      return (await writer.finish()).base;
    };
    const base = await write();
    expect(calls).toEqual([`create ${base}.pack`, expect.stringMatching(/^create objects\/pack\/tmp_idx_/), expect.stringMatching(/^rename objects\/pack\/tmp_idx_/)]);
    // A crash while writing the same pack left part of it, and no index.
    const whole = readFileSync(join(dir, `${base}.pack`));
    writeFileSync(join(dir, `${base}.pack`), whole.subarray(0, 20));
    rmSync(join(dir, `${base}.idx`));
    calls.length = 0;
    expect(await write()).toBe(base);
    const seen = calls.map((c) => c.replace(/_[a-z0-9]+$/, ""));
    // The index is written alongside the pack; the pack goes aside once its name is found taken, and the index is renamed last.
    expect(seen.slice(0, 3).sort()).toEqual([`create ${base}.pack`, "create objects/pack/tmp_idx", "create objects/pack/tmp_pack"]);
    expect(seen.indexOf(`create ${base}.pack`)).toBeLessThan(seen.indexOf("create objects/pack/tmp_pack"));
    expect(seen.slice(3)).toEqual(["rename objects/pack/tmp_pack", "rename objects/pack/tmp_idx"]);
    expect(readFileSync(join(dir, `${base}.pack`)).equals(whole)).toBe(true);
    checkPacks(dir);
    expect(fsck(dir)).toEqual([]);
  });
});

describe("incompressible data in commits", () => {
  it("is stored uncompressed, read back by git, and gc compresses what only looked incompressible", async () => {
    const dir = join(tempDir(), "stored.git");
    const repo = await GitStore.open(dir, { create: "main", durability: "none" });
    const rand = rng(5);
    const random = Uint8Array.from({ length: 4099 }, () => Math.floor(rand() * 256));
    // Random, but one block 16 times over: deflate's matches shrink it, which the sample does not show.
    const repeated = new Uint8Array(16 * random.length);
    for (let i = 0; i < 16; i++) repeated.set(random, i * random.length);
    expect(looksIncompressible(repeated)).toBe(true);
    const text = new TextEncoder().encode("a line of text that deflate shrinks well\n".repeat(1500));
    let fs = await repo.branches.get("main");
    fs = await fs.batch((b) => {
      b.write("random.bin", random);
      b.write("repeated.bin", repeated);
      b.write("text.txt", text);
    });
    const pack = readFileSync(join(dir, "objects/pack", packsOf(dir).at(-1)!));
    // Both random-looking files stored (about their own size), the text compressed to a sliver.
    expect(pack.length).toBeGreaterThan(random.length + repeated.length);
    expect(pack.length).toBeLessThan(random.length + repeated.length + 4096);
    checkPacks(dir);
    expect(fsck(dir)).toEqual([]);
    expect(gitBytes(dir, ["cat-file", "blob", "main:repeated.bin"]).equals(repeated)).toBe(true);
    expect(gitBytes(dir, ["cat-file", "blob", "main:random.bin"]).equals(random)).toBe(true);
    const summary = await repo.gc();
    expect(summary.bytesAfter).toBeLessThan(random.length + 12_000);
    expect(Buffer.from(await (await repo.branches.get("main")).read("repeated.bin")).equals(repeated)).toBe(true);
    expect(fsck(dir)).toEqual([]);
  });
});

describe("commits and loose objects", () => {
  it("a commit stores no object git already has loose; one git wrote loose after the last scan is stored again, harmlessly", async () => {
    const dir = join(tempDir(), "loose-dedup.git");
    const repo = await GitStore.open(dir, { create: "main", durability: "none" });
    const hashObject = (text: string): string => git(dir, ["hash-object", "-w", "--stdin"], text).trim();
    const blobIdOf = (text: string): string => createHash("sha1").update(`blob ${Buffer.byteLength(text)}\0${text}`).digest("hex");
    const packedIds = (): Set<string> =>
      new Set(packsOf(dir).flatMap((p) => git(dir, ["show-index"], readFileSync(join(dir, "objects/pack", p.replace(/\.pack$/, ".idx")))).split("\n").filter(Boolean).map((l) => l.split(" ")[1]!)));
    const early = hashObject("written by git before gitstore looked\n");
    const fresh = await GitStore.open(dir);
    let fs = await fresh.branches.get("main");
    fs = await fs.write("a.txt", "written by git before gitstore looked\n");
    expect(packedIds().has(early)).toBe(false);
    // The fan-out directory of this one did not exist when the handle scanned.
    const texts = Array.from({ length: 300 }, (_, i) => `late ${i}\n`);
    const late = texts.find((t) => !existsSync(join(dir, "objects", blobIdOf(t).slice(0, 2))))!;
    expect(hashObject(late)).toBe(blobIdOf(late));
    fs = await fs.write("b.txt", late);
    expect(packedIds().has(blobIdOf(late))).toBe(true);
    expect(fsck(dir)).toEqual([]);
    expect(git(dir, ["cat-file", "-p", "main:b.txt"])).toBe(late);
    expect(git(dir, ["cat-file", "-p", "main:a.txt"])).toBe("written by git before gitstore looked\n");
    await repo.close();
  });
});

describe("merging small packs", () => {
  // A small pack is copied whole, checked by its trailing checksum; a larger
  // one entry by entry, each checked by its index's CRC. Either way a damaged
  // byte stops the merge and every pack stays.
  it.each([
    ["a small pack, copied whole", "content 0 ".repeat(20), /pack checksum mismatch/],
    ["a pack over 1 MiB, copied entry by entry", randomBytes(1200 * 1024, 2463534242), /CRC mismatch/],
  ])("a damaged byte in %s stops the merge and every pack stays", async (_, first: string | Uint8Array, error: RegExp) => {
    const dir = join(tempDir(), "damaged.git");
    const repo = await GitStore.open(dir, { create: "main", durability: "none" });
    let fs = await repo.branches.get("main");
    fs = await fs.write("f0.bin", first);
    // The first commit's pack: nothing below reads its objects again.
    const [firstPack] = packsOf(dir);
    for (let i = 1; i < MERGE_AT - 1; i++) fs = await fs.write(`f${i}.txt`, `content ${i} `.repeat(20));
    expect(packsOf(dir).length).toBe(MERGE_AT - 1);
    // Flip a byte inside the first object's zlib data (past the 12-byte pack header and the entry header).
    const victim = join(dir, "objects/pack", firstPack!);
    const bytes = readFileSync(victim);
    bytes[12 + 6]! ^= 0x55;
    writeFileSync(victim, bytes);
    // A handle that reads the packs from disk (the writer kept its small packs in memory).
    const other = await GitStore.open(dir, { durability: "none" });
    fs = await (await other.branches.get("main")).write("last.txt", "the pack that fills the tier");
    // The merge ran after that commit and failed quietly (the commit itself landed): nothing was removed.
    expect(packsOf(dir).length).toBe(MERGE_AT);
    await expect(other._repo.odb.consolidate({ sync: false })).rejects.toThrow(error);
    expect(packsOf(dir).length).toBe(MERGE_AT);
    expect(await fs.readText("last.txt")).toBe("the pack that fills the tier");
    expect(await fs.readText(`f${MERGE_AT - 2}.txt`)).toBe(`content ${MERGE_AT - 2} `.repeat(20));
  });

  it("small packs git wrote with deltas are copied whole: the deltas stay, git indexes the merged pack identically, every object reads", async () => {
    const dir = join(tempDir(), "git-deltas.git");
    execFileSync("git", ["init", "-q", "--bare", "-b", "main", dir], { env: GIT_ENV });
    const text = Array.from({ length: 300 }, (_, i) => `line ${i} of a file that changes a little each time\n`).join("");
    let parent: string | undefined;
    for (let k = 0; k < MERGE_AT; k++) {
      // Two similar files per round, packed on their own: each pack holds a delta.
      const a = git(dir, ["hash-object", "-w", "--stdin"], `${text}round ${k}\n`).trim();
      const b = git(dir, ["hash-object", "-w", "--stdin"], `${text}round ${k}, second file\n`).trim();
      const tree = git(dir, ["mktree"], `100644 blob ${a}\ta.txt\n100644 blob ${b}\tb.txt\n`).trim();
      parent = git(dir, ["commit-tree", tree, "-m", `round ${k}`, ...(parent ? ["-p", parent] : [])]).trim();
      git(dir, ["update-ref", "refs/heads/main", parent]);
      git(dir, ["repack", "-q", "-d"]);
    }
    const deltas = (idx: string): number => git(dir, ["verify-pack", "-v", idx]).split("\n").filter((l) => / blob .* 1 [0-9a-f]{40}$/.test(l)).length;
    expect(packsOf(dir)).toHaveLength(MERGE_AT);
    const before = packsOf(dir).reduce((n, p) => n + deltas(join(dir, "objects/pack", p.replace(/\.pack$/, ".idx"))), 0);
    expect(before).toBe(MERGE_AT);
    const repo = await GitStore.open(dir, { durability: "none" });
    const fs = await (await repo.branches.get("main")).write("c.txt", "the commit that merges");
    // git's packs and the commit's own became one.
    expect(packsOf(dir)).toHaveLength(1);
    expect(deltas(join(dir, "objects/pack", packsOf(dir)[0]!.replace(/\.pack$/, ".idx")))).toBe(MERGE_AT);
    checkPacks(dir);
    expect(fsck(dir)).toEqual([]);
    const fresh = await GitStore.open(dir);
    let snap: Awaited<ReturnType<typeof fresh.snapshot>> | null = await fresh.snapshot(fs.hash);
    let k = MERGE_AT;
    while ((snap = await snap.parent())) {
      k--;
      expect(await snap.readText("a.txt")).toBe(`${text}round ${k}\n`);
      expect(await snap.readText("b.txt")).toBe(`${text}round ${k}, second file\n`);
    }
    expect(k).toBe(0);
  });

  it("an index not hashed at open is verified before a merge builds on it", async () => {
    const dir = join(tempDir(), "damaged-idx.git");
    const repo = await GitStore.open(dir, { create: "main", durability: "none" });
    let fs = await repo.branches.get("main");
    for (let i = 0; i < MERGE_AT - 1; i++) fs = await fs.write(`f${i}.txt`, `content ${i}`);
    await repo.close();
    const victim = join(dir, "objects/pack", packsOf(dir)[0]!.replace(/\.pack$/, ".idx"));
    const bytes = readFileSync(victim);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(victim, bytes);
    const odb = new ObjectDatabase(new NodeStorage(dir), nodePlatform, { indexCheckBytes: 0 });
    await odb.rescan();
    // The small pack that fills the tier, as the next commit would add.
    const writer = new PackWriter(odb.storage, nodePlatform, 1, 1);
    await writer.add("blob", new TextEncoder().encode("the last one"));
    await odb.addPack(await writer.finish({ sync: false }));
    expect(odb.packs.length).toBe(MERGE_AT);
    await expect(odb.consolidate({ sync: false })).rejects.toThrow(/\.idx: pack index checksum mismatch/);
    expect(packsOf(dir).length).toBe(MERGE_AT);
  });
});

describe("small packs across processes", () => {
  it("4 processes committing at once, merging each other's small packs: nothing lost, fsck clean", async () => {
    const dir = join(tempDir(), "multi.git");
    await (await GitStore.open(dir, { create: "main" })).close();
    const { execFile } = await import("node:child_process");
    const run = (name: string): Promise<string> =>
      new Promise((resolve, reject) => execFile("node", [join(import.meta.dirname, "../fixtures/branch-writer.mjs"), dir, name, "60"], (e, out) => (e ? reject(e) : resolve(out.trim()))));
    expect(await Promise.all(["w1", "w2", "w3", "w4"].map(run))).toEqual(["done", "done", "done", "done"]);
    expect(fsck(dir)).toEqual([]);
    const repo = await GitStore.open(dir);
    for (const name of ["w1", "w2", "w3", "w4"]) {
      expect(git(dir, ["rev-list", "--count", name]).trim()).toBe("61");
      const fs = await repo.branches.get(name);
      for (let i = 0; i < 60; i++) expect(await fs.readText(`${name}/f${i}.txt`)).toBe(`${name} ${i}\n`);
    }
    // Each writer merges the small packs it knows of; the next handle sees them all
    // and leaves fewer than each tier merges at.
    await (await repo.branches.get("main")).write("final.txt", "x");
    const odb = repo._repo.odb;
    await odb.rescan();
    for (const { held, mergeAt } of tiersOf(odb)) expect(held).toBeLessThan(mergeAt);
    expect(packsOf(dir).length).toBe(odb.packs.length);
    expect(fsck(dir)).toEqual([]);
  });
});

/** Storage that runs `onPackStat` right after answering the first stat of a `.pack` once armed. */
class RacingStorage extends MemoryStorage {
  onPackStat: (() => Promise<void>) | undefined;
  override async stat(path: string): Promise<FileStat | undefined> {
    const answer = await super.stat(path);
    const hook = path.endsWith(".pack") ? this.onPackStat : undefined;
    this.onPackStat = undefined;
    if (hook) await hook();
    return answer;
  }
}

describe("pack removal", () => {
  it("a reader opening packs while another handle merges them away reads everything", async () => {
    const storage = new RacingStorage();
    const writer = await GitStore.open(storage, { create: "main" });
    let fs = await writer.branches.get("main");
    const packs = async (): Promise<number> => ((await storage.list("objects/pack")) ?? []).filter((e) => e.name.endsWith(".pack")).length;
    let n = 0;
    while ((await packs()) < MERGE_AT - 1) fs = await fs.write(`f${n}`, `${n++}`);
    const reader = await GitStore.open(storage);
    // The reader lists the packs, stats the first: then the commit that fills the tier merges all of them into one.
    storage.onPackStat = async () => {
      fs = await fs.write(`f${n}`, `${n++}`);
      expect(await packs()).toBe(1);
    };
    const snap = await reader.branches.get("main");
    expect(storage.onPackStat).toBeUndefined();
    for (let i = 0; i < n - 1; i++) expect(await snap.readText(`f${i}`)).toBe(`${i}`);
    expect((await (await reader.branches.get("main")).readText(`f${n - 1}`))).toBe(`${n - 1}`);
  });

  it("merging small packs drops a multi-pack-index that would name them (git fsck stays clean)", async () => {
    const dir = join(tempDir(), "midx.git");
    const repo = await GitStore.open(dir, { create: "main", durability: "none" });
    let fs = await repo.branches.get("main");
    for (let i = 0; i < 5; i++) fs = await fs.write(`f${i}`, `${i}`);
    git(dir, ["multi-pack-index", "write"]);
    expect(readdirSync(join(dir, "objects/pack"))).toContain("multi-pack-index");
    for (let i = 5; i < 40; i++) fs = await fs.write(`f${i}`, `${i}`);
    expect(readdirSync(join(dir, "objects/pack"))).not.toContain("multi-pack-index");
    expect(fsck(dir)).toEqual([]);
  });
});
