import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { CorruptObjectError, LockError, RefConflictError, ValueError } from "../../src/errors.js";
import { encodeCommit } from "../../src/objects/commit.js";
import { sha1 } from "../../src/objects/sha1.js";
import { ObjectDatabase } from "../../src/objects/odb.js";
import { GitStore } from "../../src/node.js";
import { nodePlatform } from "../../src/node/platform.js";
import { refNameProblem } from "../../src/refs/names.js";
import { decodePackedRefs, encodePackedRefs } from "../../src/refs/packed-refs.js";
import { readReflog, RefStore, writeSymbolicRef } from "../../src/refs/store.js";
import { NodeStorage } from "../../src/storage/node.js";
import { cleanupTemp, fsck, git, GIT_ENV, gitInit, tempDir } from "../helpers/git.js";

afterAll(cleanupTemp);

const IDENT = "C O Mitter <committer@example.com> 1700000000 +0000";
const FIXTURES = join(import.meta.dirname, "../fixtures");

async function fixture(): Promise<{ dir: string; refs: RefStore; odb: ObjectDatabase; commits: string[] }> {
  const dir = gitInit(join(tempDir(), "refs.git"));
  const storage = new NodeStorage(dir);
  const odb = new ObjectDatabase(storage, nodePlatform);
  const tree = await odb.write("tree", new Uint8Array(0));
  const commits: string[] = [];
  for (let i = 0; i < 3; i++) {
    commits.push(await odb.write("commit", encodeCommit({ tree, parents: commits.slice(-1), author: IDENT, committer: IDENT, extraHeaders: [], message: `c${i}\n` })));
  }
  return { dir, refs: new RefStore(storage, sha1, { identity: () => IDENT }), odb, commits };
}

describe("ref names", () => {
  it("agree with git check-ref-format", () => {
    const part = fc.stringMatching(/^[a-z.@{}\-~^:?*[\\ /\u00e9\x01]{0,6}$/);
    fc.assert(
      fc.property(part, (p) => {
        const name = `refs/heads/${p}`;
        const r = spawnSync("git", ["check-ref-format", name], { env: GIT_ENV });
        expect(refNameProblem(name) === undefined).toBe(r.status === 0);
      }),
      { seed: 5, numRuns: 250 },
    );
    for (const ok of ["refs/heads/@", "refs/heads/a@b", "refs/heads/-dash", "refs/heads/a.b", "refs/heads/é"]) expect(refNameProblem(ok)).toBeUndefined();
    for (const bad of ["refs/heads/.hidden", "refs/heads/a.lock", "refs/heads/a.lock/b", "refs/heads//a", "refs/heads/a/", "refs/heads/a.", "HEAD", "refs/heads/a..b", "refs/heads/a@{1}"]) expect(refNameProblem(bad)).toBeDefined();
  });
});

describe("packed-refs codec", () => {
  it("parses peeled lines as belonging to the ref above and round-trips", () => {
    const text = "# pack-refs with: peeled fully-peeled sorted \n" + `${"a".repeat(40)} refs/heads/main\n${"b".repeat(40)} refs/tags/v1\n^${"c".repeat(40)}\n`;
    const refs = decodePackedRefs(text, sha1);
    expect(refs).toEqual([
      { name: "refs/heads/main", id: "a".repeat(40) },
      { name: "refs/tags/v1", id: "b".repeat(40), peeled: "c".repeat(40) },
    ]);
    expect(encodePackedRefs(refs)).toBe(text);
  });

  it("rejects malformed lines", () => {
    for (const bad of ["zzz refs/heads/x\n", `^${"c".repeat(40)}\n`, `${"a".repeat(40)} refs/heads/x`, `${"a".repeat(40)}\n`, "\n"]) {
      expect(() => decodePackedRefs(bad, sha1)).toThrow(CorruptObjectError);
    }
  });
});

describe("refs against git", () => {
  it("refs we write are read by git (for-each-ref, show-ref, symbolic-ref, reflog)", async () => {
    const { dir, refs, commits } = await fixture();
    await refs.update({ name: "refs/heads/main", newId: commits[0]!, expected: { kind: "absent" }, message: "create main" });
    await refs.update({ name: "refs/heads/main", newId: commits[1]!, expected: { kind: "value", id: commits[0]! }, message: "advance\n  main   now " });
    await refs.update({ name: "refs/heads/feature/x", newId: commits[2]!, message: "feature" });
    await refs.update({ name: "refs/tags/v1", newId: commits[0]!, expected: { kind: "absent" } });
    await writeSymbolicRef(refs, "HEAD", "refs/heads/feature/x");
    expect(git(dir, ["for-each-ref", "--format=%(refname) %(objectname)"]).trim().split("\n")).toEqual([`refs/heads/feature/x ${commits[2]}`, `refs/heads/main ${commits[1]}`, `refs/tags/v1 ${commits[0]}`]);
    expect(git(dir, ["show-ref", "--verify", "refs/heads/main"]).trim()).toBe(`${commits[1]} refs/heads/main`);
    expect(git(dir, ["symbolic-ref", "HEAD"]).trim()).toBe("refs/heads/feature/x");
    expect(git(dir, ["reflog", "show", "--format=%H %gs", "refs/heads/main"]).trim().split("\n")).toEqual([`${commits[1]} advance main now`, `${commits[0]} create main`]);
    expect(readFileSync(join(dir, "logs/refs/heads/main"), "utf8")).toBe(`${"0".repeat(40)} ${commits[0]} ${IDENT}\tcreate main\n${commits[0]} ${commits[1]} ${IDENT}\tadvance main now\n`);
    expect(fsck(dir)).toEqual([]);
  });

  it("refs git writes are read by us (update-ref, pack-refs, symbolic-ref, tag -a, packed + loose)", async () => {
    const { dir, refs, commits } = await fixture();
    git(dir, ["update-ref", "refs/heads/main", commits[0]!]);
    git(dir, ["update-ref", "refs/heads/other", commits[1]!]);
    git(dir, ["tag", "-a", "-m", "annotated", "v1", commits[0]!]);
    git(dir, ["pack-refs", "--all"]);
    git(dir, ["update-ref", "refs/heads/main", commits[2]!]); // loose now differs from packed
    git(dir, ["symbolic-ref", "HEAD", "refs/heads/other"]);
    expect(await refs.resolve("refs/heads/main")).toBe(commits[2]);
    expect(await refs.resolve("HEAD")).toBe(commits[1]);
    expect(await refs.readSymbolic("HEAD")).toBe("refs/heads/other");
    const tagId = git(dir, ["rev-parse", "refs/tags/v1"]).trim();
    expect((await refs.readPacked()).find((r) => r.name === "refs/tags/v1")).toEqual({ name: "refs/tags/v1", id: tagId, peeled: commits[0] });
    expect(await refs.list("refs/heads/")).toEqual([
      { name: "refs/heads/main", id: commits[2] },
      { name: "refs/heads/other", id: commits[1] },
    ]);
    expect((await refs.list("refs/tags/")).map((r) => r.name)).toEqual(["refs/tags/v1"]);
  });

  it("files under refs/ whose names are no ref names are ignored, as git ignores them", async () => {
    const { dir, refs, commits } = await fixture();
    git(dir, ["update-ref", "refs/heads/main", commits[0]!]);
    // What a desktop, an interrupted writer or a careless hand leaves there.
    writeFileSync(join(dir, "refs/heads/.DS_Store"), "\x00\x00\x00\x01Bud1");
    writeFileSync(join(dir, "refs/heads/main.lock"), `${commits[1]}\n`);
    writeFileSync(join(dir, "refs/heads/bad..name"), `${commits[1]}\n`);
    writeFileSync(join(dir, "refs/tags/v1 copy"), `${commits[1]}\n`);
    expect(git(dir, ["for-each-ref", "--format=%(refname)"]).trim().split("\n")).toEqual(["refs/heads/main"]);
    expect(await refs.list("refs/heads/")).toEqual([{ name: "refs/heads/main", id: commits[0] }]);
    expect(await refs.list("refs/tags/")).toEqual([]);
    const repo = await GitStore.open(dir);
    expect(await repo.branches.keys()).toEqual(["main"]);
    expect(await repo.branches.size()).toBe(1);
    expect(await repo.tags.keys()).toEqual([]);
    await repo.close();
  });

  it("deleting a packed ref rewrites packed-refs and keeps every other line", async () => {
    const { dir, refs, commits } = await fixture();
    git(dir, ["update-ref", "refs/heads/a", commits[0]!]);
    git(dir, ["update-ref", "refs/heads/b", commits[1]!]);
    git(dir, ["tag", "-a", "-m", "t", "v1", commits[0]!]);
    git(dir, ["pack-refs", "--all"]);
    git(dir, ["update-ref", "refs/heads/b", commits[2]!]); // b both packed and loose
    const before = readFileSync(join(dir, "packed-refs"), "utf8");
    await refs.update({ name: "refs/heads/b", newId: null, expected: { kind: "present" } });
    expect(await refs.resolve("refs/heads/b")).toBeUndefined();
    expect(git(dir, ["for-each-ref", "--format=%(refname)"]).trim().split("\n")).toEqual(["refs/heads/a", "refs/tags/v1"]);
    const after = readFileSync(join(dir, "packed-refs"), "utf8");
    expect(after).toBe(before.split("\n").filter((l) => !l.endsWith(" refs/heads/b")).join("\n"));
    expect(existsSync(join(dir, "packed-refs.lock"))).toBe(false);
    expect(fsck(dir)).toEqual([]);
  });
});

describe("compare-and-swap and transactions", () => {
  it("a mismatch changes nothing and raises RefConflictError", async () => {
    const { refs, commits } = await fixture();
    await refs.update({ name: "refs/heads/main", newId: commits[0]!, expected: { kind: "absent" } });
    await expect(refs.update({ name: "refs/heads/main", newId: commits[2]!, expected: { kind: "value", id: commits[1]! } })).rejects.toThrow(RefConflictError);
    await expect(refs.update({ name: "refs/heads/main", newId: commits[2]!, expected: { kind: "absent" } })).rejects.toThrow(/already exists/);
    await expect(refs.update({ name: "refs/heads/none", newId: commits[2]!, expected: { kind: "present" } })).rejects.toThrow(RefConflictError);
    expect(await refs.resolve("refs/heads/main")).toBe(commits[0]);
    expect(await refs.resolve("refs/heads/none")).toBeUndefined();
  });

  it("a transaction is all-or-nothing", async () => {
    const { dir, refs, commits } = await fixture();
    await refs.update({ name: "refs/heads/a", newId: commits[0]! });
    await expect(
      refs.transaction([
        { name: "refs/heads/a", newId: commits[1]!, expected: { kind: "value", id: commits[0]! } },
        { name: "refs/heads/b", newId: commits[1]!, expected: { kind: "present" } },
      ]),
    ).rejects.toThrow(RefConflictError);
    expect(await refs.resolve("refs/heads/a")).toBe(commits[0]);
    expect(readdirSync(join(dir, "refs/heads")).filter((f) => f.endsWith(".lock"))).toEqual([]);
    await refs.transaction([
      { name: "refs/heads/a", newId: commits[1]!, expected: { kind: "value", id: commits[0]! } },
      { name: "refs/heads/b", newId: commits[2]!, expected: { kind: "absent" } },
    ]);
    expect(await refs.resolve("refs/heads/a")).toBe(commits[1]);
    expect(await refs.resolve("refs/heads/b")).toBe(commits[2]);
  });

  it("prepare holds the locks and the checks until commit or rollback; a failed check holds nothing", async () => {
    const { dir, refs, commits } = await fixture();
    const locks = (): string[] => readdirSync(join(dir, "refs/heads")).filter((f) => f.endsWith(".lock"));
    await refs.update({ name: "refs/heads/main", newId: commits[0]! });
    await expect(refs.prepare([{ name: "refs/heads/main", newId: commits[1]!, expected: { kind: "value", id: commits[2]! } }])).rejects.toThrow(RefConflictError);
    expect(locks()).toEqual([]);
    // Rolled back: nothing moves, the lock goes.
    const dropped = await refs.prepare([{ name: "refs/heads/main", newId: commits[1]!, expected: { kind: "value", id: commits[0]! } }]);
    expect(locks()).toEqual(["main.lock"]);
    await dropped.rollback();
    expect(locks()).toEqual([]);
    expect(await refs.resolve("refs/heads/main")).toBe(commits[0]);
    // While one is prepared, another writer of the ref waits for its lock, then finds the ref moved.
    const first = await refs.prepare([{ name: "refs/heads/main", newId: commits[1]!, expected: { kind: "value", id: commits[0]! } }]);
    const second = refs.update({ name: "refs/heads/main", newId: commits[2]!, expected: { kind: "value", id: commits[0]! } });
    await new Promise((r) => setTimeout(r, 20));
    expect(await refs.resolve("refs/heads/main")).toBe(commits[0]);
    await first.commit();
    await first.rollback(); // a no-op once committed
    await expect(second).rejects.toThrow(RefConflictError);
    expect(await refs.resolve("refs/heads/main")).toBe(commits[1]);
    expect(locks()).toEqual([]);
    expect((await readReflog(refs, "refs/heads/main")).map((e) => e.newId)).toEqual([commits[0], commits[1]]);
  });

  it("refuses a/b next to a", async () => {
    const { refs, commits } = await fixture();
    await refs.update({ name: "refs/heads/a", newId: commits[0]! });
    await expect(refs.update({ name: "refs/heads/a/b", newId: commits[0]! })).rejects.toThrow(ValueError);
    await refs.update({ name: "refs/heads/x/y", newId: commits[0]! });
    await expect(refs.update({ name: "refs/heads/x", newId: commits[0]! })).rejects.toThrow(ValueError);
  });

  it("a lock held by someone else is waited for, then LockError names it; never stolen", async () => {
    const { dir, refs, commits } = await fixture();
    const slow = new RefStore(new NodeStorage(dir), sha1, { identity: () => IDENT, lockTimeoutMs: 150 });
    writeFileSync(join(dir, "refs/heads/main.lock"), "someone else\n");
    const err = await slow.update({ name: "refs/heads/main", newId: commits[0]! }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as LockError).message).toContain("refs/heads/main.lock");
    expect(readFileSync(join(dir, "refs/heads/main.lock"), "utf8")).toBe("someone else\n");
    void refs;
  });

  it("8 processes racing 50 CAS updates each: no update lost, every success in the reflog", async () => {
    const { dir, refs, commits } = await fixture();
    await refs.update({ name: "refs/heads/main", newId: commits[0]!, expected: { kind: "absent" }, message: "init" });
    const run = promisify(execFile);
    const results = await Promise.all(Array.from({ length: 8 }, (_, w) => run("node", [join(FIXTURES, "cas-worker.mjs"), dir, String(w), "50"]).then((r) => JSON.parse(r.stdout) as { successes: string[]; conflicts: number; lockErrors: number })));
    const successes = results.flatMap((r) => r.successes);
    for (const r of results) {
      expect(r.lockErrors).toBe(0);
      expect(r.successes.length + r.conflicts).toBe(50);
    }
    const log = await readReflog(refs, "refs/heads/main");
    expect(log).toHaveLength(1 + successes.length);
    for (let i = 1; i < log.length; i++) expect(log[i]!.oldId).toBe(log[i - 1]!.newId); // a chain: nothing lost
    expect(new Set(log.slice(1).map((e) => e.newId))).toEqual(new Set(successes));
    expect(await refs.resolve("refs/heads/main")).toBe(log[log.length - 1]!.newId);
    expect(git(dir, ["rev-list", "--count", "refs/heads/main"]).trim()).toBe(String(1 + successes.length));
    expect(readdirSync(join(dir, "refs/heads")).filter((f) => f.endsWith(".lock"))).toEqual([]);
    expect(fsck(dir)).toEqual([]);
  });

  it("a process killed while holding a lock leaves a lock the next writer reports clearly", async () => {
    const { dir, commits } = await fixture();
    const child = spawn("node", [join(FIXTURES, "hold-lock.mjs"), dir, "refs/heads/main"]);
    await new Promise<void>((resolve) => child.stdout.on("data", () => resolve()));
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    const refs = new RefStore(new NodeStorage(dir), sha1, { identity: () => IDENT, lockTimeoutMs: 100 });
    const err = await refs.update({ name: "refs/heads/main", newId: commits[0]! }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as LockError).lockPath).toBe("refs/heads/main.lock");
    expect(existsSync(join(dir, "refs/heads/main.lock"))).toBe(true);
  });
});

describe("bad ref data", () => {
  it("each damage gives a typed error, never a crash or a silent wrong answer", async () => {
    const { dir, refs, commits } = await fixture();
    await expect(refs.update({ name: "refs/heads/bad..name", newId: commits[0]! })).rejects.toThrow(ValueError);
    await expect(refs.update({ name: "refs/heads/../../x", newId: commits[0]! })).rejects.toThrow(ValueError);
    writeFileSync(join(dir, "refs/heads/garbage"), "not a ref at all\n");
    await expect(refs.resolve("refs/heads/garbage")).rejects.toThrow(CorruptObjectError);
    await expect(refs.resolve("refs/heads/garbage")).rejects.toThrow(/refs\/heads\/garbage/);
    writeFileSync(join(dir, "refs/heads/loop1"), "ref: refs/heads/loop2\n");
    writeFileSync(join(dir, "refs/heads/loop2"), "ref: refs/heads/loop1\n");
    await expect(refs.resolve("refs/heads/loop1")).rejects.toThrow(/loop/);
    writeFileSync(join(dir, "packed-refs"), `# pack-refs with: peeled fully-peeled sorted \n${commits[0]} refs/heads/p\nthis line is broken\n`);
    await expect(refs.resolve("refs/heads/p")).rejects.toThrow(/packed-refs/);
  });

  it("a refs directory that is a symbolic link outside the repository is never written through", async () => {
    const { dir, commits } = await fixture();
    const outside = tempDir();
    mkdirSync(join(outside, "heads"));
    spawnSync("rm", ["-rf", join(dir, "refs/heads")]);
    symlinkSync(join(outside, "heads"), join(dir, "refs/heads"));
    const refs = new RefStore(new NodeStorage(dir), sha1, { identity: () => IDENT });
    await expect(refs.update({ name: "refs/heads/main", newId: commits[0]! })).rejects.toThrow(CorruptObjectError);
    expect(readdirSync(join(outside, "heads"))).toEqual([]);
  });
});

describe("packed-refs rewriting", () => {
  it("keeps the file's own header: a file without 'fully-peeled' must not gain the promise", async () => {
    const { dir, refs, commits } = await fixture();
    git(dir, ["tag", "-a", "-m", "t", "v1", commits[0]!]);
    const tag = git(dir, ["rev-parse", "refs/tags/v1"]).trim();
    // An older writer: header with "peeled" only, no ^ line for the tag.
    writeFileSync(join(dir, "packed-refs"), `# pack-refs with: peeled \n${commits[1]} refs/heads/gone\n${tag} refs/tags/v1\n`);
    await refs.update({ name: "refs/heads/gone", newId: null, expected: { kind: "present" } });
    expect(readFileSync(join(dir, "packed-refs"), "utf8")).toBe(`# pack-refs with: peeled \n${tag} refs/tags/v1\n`);
    expect(git(dir, ["rev-parse", "v1^{}"]).trim()).toBe(commits[0]);
    expect(fsck(dir)).toEqual([]);
  });
});

describe("reflogs follow core.logAllRefUpdates as git does", () => {
  async function commitTwice(dir: string): Promise<void> {
    const store = await GitStore.open(dir, { create: false });
    const fs = await (await store.branches.get("main")).write("a", "1");
    await fs.write("b", "2");
    await store.close();
  }
  const seed = (dir: string): void => {
    git(dir, ["update-ref", "refs/heads/main", git(dir, ["commit-tree", "-m", "root", git(dir, ["mktree"], "").trim()]).trim()]);
  };

  it("a bare repository git created (setting unset) gets no reflog, unless one exists", async () => {
    const dir = gitInit(join(tempDir(), "bare.git"));
    seed(dir);
    expect(existsSync(join(dir, "logs/refs/heads/main"))).toBe(false);
    await commitTwice(dir);
    expect(existsSync(join(dir, "logs/refs/heads/main"))).toBe(false);
    expect(existsSync(join(dir, "logs/HEAD"))).toBe(false);
    // A reflog that exists is appended to, setting or not (git does the same).
    mkdirSync(join(dir, "logs/refs/heads"), { recursive: true });
    writeFileSync(join(dir, "logs/refs/heads/main"), "");
    await commitTwice(dir);
    expect(git(dir, ["reflog", "show", "--format=%gs", "refs/heads/main"]).trim().split("\n")).toEqual(["commit: Write b", "commit: Write a"]);
    expect(fsck(dir)).toEqual([]);
  });

  it("core.logAllRefUpdates = true (what gitstore writes when it creates a repository) logs every branch update and HEAD", async () => {
    const dir = gitInit(join(tempDir(), "logged.git"));
    git(dir, ["config", "core.logAllRefUpdates", "true"]);
    seed(dir);
    await commitTwice(dir);
    expect(git(dir, ["reflog", "show", "--format=%gs", "refs/heads/main"]).trim().split("\n").slice(0, 2)).toEqual(["commit: Write b", "commit: Write a"]);
    expect(git(dir, ["reflog", "show", "--format=%gs", "HEAD"]).trim().split("\n").slice(0, 2)).toEqual(["commit: Write b", "commit: Write a"]);
  });
});
