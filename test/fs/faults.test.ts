/**
 * A storage that fails (as a full disk does) at any step of a write loses
 * nothing: the write rejects with that error, the branch stays where it was
 * (or, when only the cleanup after the ref moved failed, the write counts),
 * no lock is left behind, the next write works, and git finds nothing wrong.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GitStore, NodeStorage, type FS, type Storage, type WriteOptions } from "../../src/node.js";
import { TIERS } from "../../src/objects/odb.js";
import { cleanupTemp, fsck, git, tempDir } from "../helpers/git.js";

afterAll(cleanupTemp);

class DiskFull extends Error {
  readonly code = "ENOSPC";
}

/** Counts the calls that change storage and fails the one numbered `failAt`. */
class FailingStorage implements Storage {
  calls = 0;
  failAt = -1;
  failed: string | undefined;
  constructor(readonly inner: Storage) {}
  #step(what: string): void {
    if (this.calls++ === this.failAt) {
      this.failed = what;
      throw new DiskFull(`no space left on device (${what})`);
    }
  }
  read = (p: string) => this.inner.read(p);
  readRange = (p: string, o: number, l: number) => this.inner.readRange(p, o, l);
  list = (d: string) => this.inner.list(d);
  stat = (p: string) => this.inner.stat(p);
  write = async (p: string, d: Uint8Array, o?: WriteOptions) => (this.#step(`write ${p}`), this.inner.write(p, d, o));
  createExclusive = async (p: string, d: Uint8Array, o?: WriteOptions) => (this.#step(`create ${p}`), this.inner.createExclusive(p, d, o));
  append = async (p: string, d: Uint8Array, o?: WriteOptions) => (this.#step(`append ${p}`), this.inner.append(p, d, o));
  rename = async (a: string, b: string, o?: WriteOptions) => (this.#step(`rename ${a}`), this.inner.rename(a, b, o));
  remove = async (p: string) => (this.#step(`remove ${p}`), this.inner.remove(p));
  mkdirp = async (d: string) => (this.#step(`mkdir ${d}`), this.inner.mkdirp(d));
}

/**
 * Runs `commits` writes on a fresh repository, the last one through a
 * storage failing at its `k`-th changing call, for every `k` until that
 * write passes untouched. Checks the repository after each failure.
 */
async function everyFailure(name: string, commits: number, durability: "none" | "full"): Promise<[step: string, rejected: boolean][]> {
  const seen: [string, boolean][] = [];
  for (let k = 0; ; k++) {
    const dir = join(tempDir(), `${name}-${k}.git`);
    const storage = new FailingStorage(new NodeStorage(dir));
    const repo = await GitStore.open(storage, { create: "main", durability });
    let fs: FS = await repo.branches.get("main");
    for (let i = 1; i < commits; i++) fs = await fs.write(`d${i % 3}/f${i}.txt`, `file ${i}\n`);
    storage.calls = 0;
    storage.failAt = k;
    let outcome: FS | unknown;
    try {
      outcome = await fs.write("last.txt", "the last write\n");
    } catch (e) {
      outcome = e;
    }
    storage.failAt = -1;
    if (storage.failed === undefined) {
      expect(outcome).toHaveProperty("hash");
      await repo.close();
      return seen;
    }
    seen.push([storage.failed, outcome instanceof DiskFull]);
    const head = (await repo.branches.get("main")).hash;
    if (outcome instanceof DiskFull) {
      // The write failed: the branch did not move.
      expect(head, storage.failed).toBe(fs.hash);
    } else {
      // The write landed and only work after it failed (merging small packs): the branch moved.
      expect(outcome, storage.failed).toHaveProperty("hash");
      expect(head, storage.failed).toBe((outcome as FS).hash);
      expect(await (outcome as FS).readText("last.txt")).toBe("the last write\n");
    }
    // Everything committed before is intact, and writing goes on.
    const again = await (await repo.branches.get("main")).write("after.txt", "written after the failure\n");
    expect(await again.readText(`d${(commits - 1) % 3}/f${commits - 1}.txt`)).toBe(`file ${commits - 1}\n`);
    await repo.close();
    expect(fsck(dir), storage.failed).toEqual([]);
    expect(git(dir, ["cat-file", "-p", "main:after.txt"])).toBe("written after the failure\n");
    expect(git(dir, ["rev-list", "--count", "main"]).trim()).toBe(String(commits + (outcome instanceof DiskFull ? 1 : 2)));
  }
}

describe("a storage failure at any step of a write", () => {
  it("loses nothing: the branch stays (or the write counts), no lock is left, fsck is clean", async () => {
    const steps = await everyFailure("plain", 3, "none");
    // Every step of the commit failed once: the ref lock (taken before any
    // object is stored), the pack (created under its final name: it is
    // invisible until its index is renamed into place), its index, the reflogs.
    expect(steps.every(([, rejected]) => rejected)).toBe(true);
    expect(steps.map(([step]) => step)).toEqual([
      "create refs/heads/main.lock",
      expect.stringMatching(/^create objects\/pack\/pack-[0-9a-f]{40}\.pack$/),
      expect.stringMatching(/^create objects\/pack\/tmp_idx_/),
      expect.stringMatching(/^rename objects\/pack\/tmp_idx_/),
      "append logs/refs/heads/main",
      "append logs/HEAD",
      "rename refs/heads/main.lock",
    ]);
  });

  it("the same with full durability", async () => {
    const steps = await everyFailure("full", 3, "full");
    expect(steps.length).toBeGreaterThanOrEqual(7);
    expect(steps.every(([, rejected]) => rejected)).toBe(true);
  });

  it("the same for the write that merges the small packs", async () => {
    // The last commit's pack fills the first tier: the write merges its packs.
    const mergeAt = TIERS[0]![2];
    const steps = await everyFailure("merge", mergeAt, "none");
    // Up to the ref's move a failure fails the write; the merge after it only
    // tidies up, so its failure leaves the small packs for a later merge.
    const moved = steps.findIndex(([step]) => step === "rename refs/heads/main.lock") + 1;
    expect(moved).toBe(7);
    expect(steps.slice(0, moved).every(([, rejected]) => rejected)).toBe(true);
    expect(steps.slice(moved).every(([, rejected]) => !rejected)).toBe(true);
    // Each small pack's index and pack file.
    expect(steps.slice(moved).filter(([step]) => step.startsWith("remove objects/pack/pack-")).length).toBe(2 * mergeAt);
  });
});

/** Records, as each call resolves, what it made durable: file contents and directory entries. */
class FlushLog extends NodeStorage {
  events: string[] = [];
  override async createExclusive(p: string, d: Uint8Array, o?: WriteOptions): Promise<boolean> {
    const created = await super.createExclusive(p, d, o);
    if (created && o?.sync) this.events.push(`content ${p}`);
    return created;
  }
  override async append(p: string, d: Uint8Array, o?: WriteOptions): Promise<void> {
    await super.append(p, d, o);
    if (o?.sync) this.events.push(`content ${p}`);
  }
  override async rename(a: string, b: string, o?: WriteOptions): Promise<void> {
    await super.rename(a, b, o);
    this.events.push(`rename ${a} ${b}`);
    if (o?.sync) this.events.push(`dir ${b.slice(0, b.lastIndexOf("/"))}`);
  }
  override async sync(paths: readonly string[], o?: { readonly contentOnly?: boolean }): Promise<void> {
    await super.sync(paths, o);
    for (const p of paths) this.events.push(`content ${p}`);
    if (!o?.contentOnly) for (const d of new Set(paths.map((p) => p.slice(0, p.lastIndexOf("/"))))) this.events.push(`dir ${d}`);
  }
}

describe("a write with full durability", () => {
  it("flushes each file before its name appears, and the names before the branch moves; all before it resolves", async () => {
    const storage = new FlushLog(join(tempDir(), "flush-order.git"));
    const repo = await GitStore.open(storage, { create: "main", durability: "full" });
    const fs = await repo.branches.get("main");
    storage.events = [];
    await fs.write("a.txt", "flushed\n");
    const ev = storage.events.map((e) => e.replace(/pack-[0-9a-f]{40}/g, "pack-X").replace(/tmp_idx_[a-z0-9]+/g, "tmp_idx"));
    const at = (e: string): number => {
      expect(ev).toContain(e);
      return ev.indexOf(e);
    };
    // Directories are flushed after what they name; the last flush of each counts.
    const lastAt = (e: string): number => (at(e), ev.lastIndexOf(e));
    const idxVisible = at("rename objects/pack/tmp_idx objects/pack/pack-X.idx");
    expect(at("content objects/pack/pack-X.pack")).toBeLessThan(idxVisible);
    expect(at("content objects/pack/tmp_idx")).toBeLessThan(idxVisible);
    const moved = at("rename refs/heads/main.lock refs/heads/main");
    expect(idxVisible).toBeLessThan(lastAt("dir objects/pack"));
    expect(lastAt("dir objects/pack")).toBeLessThan(moved);
    expect(at("content refs/heads/main.lock")).toBeLessThan(moved);
    expect(at("content logs/refs/heads/main")).toBeLessThan(moved);
    expect(at("content logs/HEAD")).toBeLessThan(moved);
    expect(lastAt("dir refs/heads")).toBeGreaterThan(moved);
    await repo.close();
    expect(fsck(storage.root)).toEqual([]);
  });
});
