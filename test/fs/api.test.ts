/** The public contract of API.md, row by row, on MemoryStorage and on disk. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CorruptObjectError,
  FileExistsError,
  FileNotFoundError,
  FS,
  GitStore,
  IsADirectoryError,
  KeyError,
  LockError,
  MemoryStorage,
  NodeStorage,
  NotADirectoryError,
  PermissionError,
  StaleSnapshotError,
  ValueError,
  type Storage,
} from "../../src/node.js";
import { cleanupTemp, fsck, git, GIT_ENV, tempDir } from "../helpers/git.js";
import { randomBytes } from "../helpers/make-repo.js";
import { race } from "../helpers/race.js";

afterAll(cleanupTemp);

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
/** Every file under `dir` with its size, sorted. */
async function listFiles(storage: Storage, dir = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await storage.list(dir)) ?? []) {
    const path = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...(await listFiles(storage, path)));
    else out.push(`${path} ${(await storage.stat(path))?.size}`);
  }
  return out.sort();
}

async function rejects(p: Promise<unknown>, cls: new (...a: never[]) => Error, code?: string): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(cls);
  if (code !== undefined) expect((e as { code?: string }).code).toBe(code);
  return e as Error;
}

const backends: [string, () => string | Storage][] = [
  ["MemoryStorage", () => new MemoryStorage()],
  ["disk", () => join(tempDir(), "repo.git")],
];

describe.each(backends)("GitStore on %s", (_, location) => {
  const fresh = async (): Promise<{ repo: GitStore; fs: FS }> => {
    const repo = await GitStore.open(location(), { create: "main", author: "alice", email: "alice@example.com" });
    return { repo, fs: await repo.branches.get("main") };
  };

  describe("open", () => {
    it("create: branch name bootstraps one empty commit", async () => {
      const { repo, fs } = await fresh();
      expect(fs.message).toBe("Initialize main");
      expect(fs.branch).toBe("main");
      expect(fs.hash).toMatch(/^[0-9a-f]{40}$/);
      expect(await fs.ls()).toEqual([]);
      expect(await fs.parent()).toBeNull();
      expect(await repo.branches.keys()).toEqual(["main"]);
    });

    it("create: true makes an empty repository with no branches", async () => {
      const repo = await GitStore.open(location(), { create: true });
      expect(await repo.branches.keys()).toEqual([]);
      expect(await repo.branches.size()).toBe(0);
    });

    it("opening a missing repository is FileNotFoundError; creating over one is FileExistsError", async () => {
      await rejects(GitStore.open(location()), FileNotFoundError, "ENOENT");
      const loc = location();
      await GitStore.open(loc, { create: "main" });
      await rejects(GitStore.open(loc, { create: true }), FileExistsError, "EEXIST");
      await rejects(GitStore.open(loc, { create: "other" }), FileExistsError, "EEXIST");
      const again = await GitStore.open(loc);
      expect(await again.branches.keys()).toEqual(["main"]);
    });

    it("identity that would forge headers is ValueError", async () => {
      for (const bad of [{ author: "a<b" }, { author: "a>b" }, { email: "x\ny" }, { author: "nul\0" }]) {
        await rejects(GitStore.open(location(), { create: "main", ...bad }), ValueError, "EINVAL");
      }
    });

    it("create of another type is ValueError; null options mean the defaults", async () => {
      for (const bad of [5, {}, ""]) {
        await rejects(GitStore.open(location(), { create: bad as unknown as string }), ValueError, "EINVAL");
      }
      await rejects(GitStore.open(location(), null as unknown as undefined), FileNotFoundError, "ENOENT");
    });

    it("cacheBytes: a whole number of bytes; 0 keeps nothing and reads the same", async () => {
      for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "1" as unknown as number]) {
        await rejects(GitStore.open(location(), { create: "main", cacheBytes: bad }), ValueError, "EINVAL");
      }
      const loc = location();
      const repo = await GitStore.open(loc, { create: "main", cacheBytes: 0 });
      let fs = await repo.branches.get("main");
      for (let i = 0; i < 12; i++) fs = await fs.write(`d${i % 3}/f${i % 5}.txt`, `version ${i}\n`.repeat(50));
      const lean = await collect(fs.log());
      const roomy = await GitStore.open(loc, { cacheBytes: 1 << 20 });
      const full = await collect((await roomy.branches.get("main")).log());
      expect(lean.map((s) => s.hash)).toEqual(full.map((s) => s.hash));
      for (let k = 0; k < lean.length; k++) {
        for (const [dir, , files] of await collect(lean[k]!.walk())) {
          for (const f of files) {
            const path = dir ? `${dir}/${f}` : f;
            expect(text(await lean[k]!.read(path))).toBe(text(await full[k]!.read(path)));
          }
        }
      }
    });

    it("default identity is gitstore <gitstore@localhost>", async () => {
      const loc = location();
      const repo = await GitStore.open(loc, { create: "main" });
      const fs = await (await repo.branches.get("main")).write("a", "b");
      const raw = text((await repo._repo.odb.read(fs.hash)).data);
      expect(raw).toMatch(/\nauthor gitstore <gitstore@localhost> \d+ [+-]\d{4}\ncommitter gitstore <gitstore@localhost> /);
    });
  });

  describe("reading", () => {
    it("read, readText, ls, exists, walk", async () => {
      let { fs } = await fresh();
      fs = await fs.batch(async (b) => {
        b.write("a/b/c.txt", "deep");
        b.write("a/x.bin", new Uint8Array([0, 1, 2, 255]));
        b.write("top.txt", "top");
      });
      expect(text(await fs.read("a/b/c.txt"))).toBe("deep");
      expect([...(await fs.read("a/x.bin"))]).toEqual([0, 1, 2, 255]);
      expect(await fs.readText("/top.txt/")).toBe("top");
      expect(await fs.ls()).toEqual(["a", "top.txt"]);
      expect(await fs.ls("a")).toEqual(["b", "x.bin"]);
      expect(await fs.ls("")).toEqual(["a", "top.txt"]);
      expect(await fs.exists("a")).toBe(true);
      expect(await fs.exists("a/b/c.txt")).toBe(true);
      expect(await fs.exists("a/nope")).toBe(false);
      expect(await fs.exists("top.txt/below")).toBe(false);
      expect(await collect(fs.walk())).toEqual([
        ["", ["a"], ["top.txt"]],
        ["a", ["b"], ["x.bin"]],
        ["a/b", [], ["c.txt"]],
      ]);
      expect(await collect(fs.walk("a/b"))).toEqual([["a/b", [], ["c.txt"]]]);
    });

    it("read hands out bytes the caller owns: changing them changes no later read", async () => {
      let { fs } = await fresh();
      fs = await fs.write("f.txt", "original");
      for (let i = 0; i < 4; i++) {
        const bytes = await fs.read("f.txt"); // read fresh, then again (now cached), then from the cache
        expect(text(bytes)).toBe("original");
        bytes.fill(0x21);
      }
    });

    it("read errors: FileNotFoundError, IsADirectoryError, NotADirectoryError", async () => {
      const { fs: f0 } = await fresh();
      const fs = await f0.write("dir/file", "x");
      await rejects(fs.read("missing"), FileNotFoundError, "ENOENT");
      await rejects(fs.read("dir"), IsADirectoryError, "EISDIR");
      await rejects(fs.read("dir/file/more"), NotADirectoryError, "ENOTDIR");
      await rejects(fs.ls("dir/file"), NotADirectoryError, "ENOTDIR");
      await rejects(fs.ls("nothing"), FileNotFoundError, "ENOENT");
      await rejects(collect(fs.walk("dir/file")), NotADirectoryError, "ENOTDIR");
    });

    it("open rb: read, seek, tell, close", async () => {
      const { fs: f0 } = await fresh();
      const fs = await f0.write("f", "0123456789");
      const f = await fs.open("f", "rb");
      expect(text(await f.read(3))).toBe("012");
      expect(f.tell()).toBe(3);
      expect(f.seek(-2, 2)).toBe(8);
      expect(text(await f.read())).toBe("89");
      expect(f.seek(1, 0)).toBe(1);
      expect(f.seek(2, 1)).toBe(3);
      expect(text(await f.read(100))).toBe("3456789");
      // As Python's files: a negative or null size reads the rest; past the end reads nothing.
      f.seek(7);
      expect(text(await f.read(-1))).toBe("789");
      f.seek(8);
      expect(text(await f.read(null))).toBe("89");
      expect(f.seek(100)).toBe(100);
      expect(await f.read()).toEqual(new Uint8Array(0));
      // A size or offset that is no whole number changes nothing.
      f.seek(2);
      await expect(f.read(1.5)).rejects.toThrow(ValueError);
      await expect(f.read(Number.NaN)).rejects.toThrow(ValueError);
      expect(() => f.seek(1.5)).toThrow(ValueError);
      expect(() => f.seek("2" as unknown as number)).toThrow(TypeError);
      expect(() => f.seek(-3)).toThrow(ValueError);
      expect(f.tell()).toBe(2);
      await f.close();
      await rejects(fs.open("missing", "rb"), FileNotFoundError);
      await rejects(fs.open("f", "r" as "rb"), ValueError, "EINVAL");
    });

    it("returned bytes are the caller's own", async () => {
      const { fs: f0 } = await fresh();
      const fs = await f0.write("f", "abc");
      const a = await fs.read("f");
      a[0] = 0x7a;
      expect(await fs.readText("f")).toBe("abc");
    });
  });

  describe("paths", () => {
    it("invalid paths are ValueError everywhere (exists too)", async () => {
      const { fs } = await fresh();
      for (const bad of ["", "/", "a//b", "./a", "a/..", "../x", "a/./b", "nul\0", ".git", "a/.GIT/b", ".Git"]) {
        await rejects(fs.read(bad), ValueError, "EINVAL");
        await rejects(fs.exists(bad), ValueError, "EINVAL");
        await rejects(fs.write(bad, "x"), ValueError, "EINVAL");
      }
    });
  });

  describe("writing", () => {
    it("each write is one commit on the branch; the old snapshot never changes", async () => {
      const { repo, fs: f0 } = await fresh();
      const f1 = await f0.write("a.txt", "one");
      expect(f1.message).toBe("Write a.txt");
      expect((await f1.parent())!.hash).toBe(f0.hash);
      expect(await f0.exists("a.txt")).toBe(false);
      expect((await repo.branches.get("main")).hash).toBe(f1.hash);
      const f2 = await f1.write("a.txt", "one", { message: "same again" });
      expect(f2.hash).not.toBe(f1.hash);
      expect(f2.message).toBe("same again");
      const f3 = await f2.remove("a.txt");
      expect(f3.message).toBe("Remove a.txt");
      expect((await collect(f3.log())).map((s) => s.message)).toEqual(["Remove a.txt", "same again", "Write a.txt", "Initialize main"]);
    });

    it("write replaces a directory, and a file in the way of a parent", async () => {
      const { fs: f0 } = await fresh();
      let fs = await f0.write("d/x", "1");
      fs = await fs.write("d", "now a file");
      expect(await fs.readText("d")).toBe("now a file");
      fs = await fs.write("d/y/z", "below");
      expect(await fs.ls("d")).toEqual(["y"]);
      expect(await fs.readText("d/y/z")).toBe("below");
    });

    it("remove deletes files and directories; empty directories disappear", async () => {
      const { fs: f0 } = await fresh();
      let fs = await f0.batch((b) => {
        b.write("a/b/c", "1");
        b.write("a/d", "2");
      });
      fs = await fs.remove("a/b/c");
      expect(await fs.ls("a")).toEqual(["d"]);
      fs = await fs.remove("a");
      expect(await fs.ls()).toEqual([]);
      await rejects(fs.remove("a"), FileNotFoundError, "ENOENT");
    });

    it("remove below a file is NotADirectoryError, as read is, and commits nothing", async () => {
      const { fs: f0 } = await fresh();
      const fs = await f0.write("f", "a file");
      await rejects(fs.remove("f/x"), NotADirectoryError, "ENOTDIR");
      await rejects(fs.remove("f/x/y"), NotADirectoryError, "ENOTDIR");
      await rejects(
        fs.batch((b) => {
          b.remove("f/x");
        }),
        NotADirectoryError,
        "ENOTDIR",
      );
      // A missing parent is still a missing path.
      await rejects(fs.remove("nope/x"), FileNotFoundError, "ENOENT");
      expect((await fs.remove("f")).message).toBe("Remove f");
    });

    it("identical content is stored once and untouched subtrees are shared", async () => {
      const { repo, fs: f0 } = await fresh();
      const fs = await f0.batch((b) => {
        b.write("x/1", "same");
        b.write("y/2", "same");
        b.write("z/3", "other");
      });
      const next = await fs.write("x/1", "changed");
      const rootOld = await repo._repo.getTree(fs.tree);
      const rootNew = await repo._repo.getTree(next.tree);
      expect(rootNew.find("y")!.id).toBe(rootOld.find("y")!.id);
      expect(rootNew.find("x")!.id).not.toBe(rootOld.find("x")!.id);
      const y = await repo._repo.getTree(rootOld.find("y")!.id);
      const x = await repo._repo.getTree(rootOld.find("x")!.id);
      expect(y.entry(0).id).toBe(x.entry(0).id);
    });

    it("open wb commits on close and sets fs", async () => {
      const { repo, fs } = await fresh();
      const f = await fs.open("w.txt", "wb");
      // API.md: write "buffers and returns the byte count": a number, not a promise (awaiting it works too).
      expect(f.write("hello ")).toBe(6);
      expect(await f.write(new Uint8Array([0x21]))).toBe(1);
      const next = await f.close();
      expect(f.fs).toBe(next);
      expect(() => f.write("late")).toThrow(ValueError);
      // Closing again commits nothing more: the same snapshot, the branch where the first close left it.
      expect(await f.close()).toBe(next);
      expect((await repo.branches.get("main")).hash).toBe(next.hash);
      // A close that failed fails again, the same way, and commits nothing.
      const stale = await fs.open("s.txt", "wb");
      stale.write("s");
      await rejects(stale.close(), StaleSnapshotError);
      await rejects(stale.close(), StaleSnapshotError);
      expect(stale.fs).toBeNull();
      expect(await next.readText("w.txt")).toBe("hello !");
      expect(next.message).toBe("Write w.txt");
      const g = await next.open("never.txt", "wb");
      await g.write("x");
      expect((await next.parent())!.hash).toBe(fs.hash);
    });

    it("data, messages and batch callbacks of the wrong type are TypeError, nothing committed", async () => {
      const repo = await GitStore.open(location(), { create: "main" });
      const fs = await repo.branches.get("main");
      // The class, and a message that says what was expected (not an internal "x is not a function").
      const expected = (what: RegExp) => (e: unknown) => e instanceof TypeError && what.test(e.message);
      expect(await fs.write("a", 5 as unknown as string).catch(expected(/Uint8Array or a string/))).toBe(true);
      expect(await fs.write("a", "x", { message: 5 as unknown as string }).catch(expected(/message must be a string/))).toBe(true);
      expect(await fs.batch(5 as unknown as () => void).catch(expected(/batch takes a function/))).toBe(true);
      expect(await fs.batch((b) => b.write("a", new ArrayBuffer(1) as unknown as Uint8Array)).catch(expected(/Uint8Array or a string/))).toBe(true);
      const w = await fs.open("a", "wb");
      expect(() => w.write(5 as unknown as string)).toThrow(/Uint8Array or a string/);
      expect((await repo.branches.get("main")).hash).toBe(fs.hash);
      await repo.close();
    });

    it("a commit message with NUL is ValueError", async () => {
      const { fs } = await fresh();
      await rejects(fs.write("a", "b", { message: "bad\0" }), ValueError);
    });
  });

  describe("batch", () => {
    it("lands as one commit with the default message; b.fs is the result", async () => {
      const { fs } = await fresh();
      const start = await fs.write("old.txt", "x");
      let staged: { fs: FS | null } | undefined;
      const next = await start.batch(async (b) => {
        staged = b;
        await b.write("a.txt", "1");
        b.write("b.txt", "2");
        b.remove("old.txt");
        const f = await b.open("c.txt", "wb");
        expect(f.write("3")).toBe(1);
        await f.close();
      });
      expect(next.message).toBe("Batch: Write a.txt; Write b.txt; Remove old.txt; Write c.txt");
      expect(staged!.fs).toBe(next);
      expect(await next.ls()).toEqual(["a.txt", "b.txt", "c.txt"]);
      expect((await next.parent())!.hash).toBe(start.hash);
    });

    it("later operations override earlier ones", async () => {
      const { fs } = await fresh();
      const next = await fs.batch((b) => {
        b.write("a", "1");
        b.write("a", "2");
        b.write("d/x", "3");
        b.remove("d");
        b.write("d/y", "4");
      });
      expect(await next.readText("a")).toBe("2");
      expect(await next.ls("d")).toEqual(["y"]);
    });

    it("a failing batch commits nothing and propagates; an empty batch returns this snapshot", async () => {
      const { repo, fs } = await fresh();
      let staged: { fs: FS | null } | undefined;
      const boom = new Error("boom");
      await expect(
        fs.batch(async (b) => {
          staged = b;
          await b.write("a", "1");
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(staged!.fs).toBeNull();
      expect((await repo.branches.get("main")).hash).toBe(fs.hash);
      expect(await fs.batch(() => undefined)).toBe(fs);
    });

    it("b.remove of a path neither present nor staged is FileNotFoundError", async () => {
      const { fs } = await fresh();
      await rejects(
        fs.batch(async (b) => {
          await b.remove("ghost");
        }),
        FileNotFoundError,
        "ENOENT",
      );
      await rejects(
        fs.batch((b) => {
          b.remove("ghost");
        }),
        FileNotFoundError,
      );
      const ok = await fs.batch(async (b) => {
        b.write("staged", "x");
        await b.remove("staged");
        b.write("keep", "y");
      });
      expect(await ok.ls()).toEqual(["keep"]);
    });
  });

  describe("branches and tags", () => {
    it("fork, tag, list, delete", async () => {
      const { repo, fs } = await fresh();
      const f1 = await fs.write("a", "1");
      await repo.branches.set("dev", f1);
      const dev = await repo.branches.get("dev");
      expect(dev.branch).toBe("dev");
      expect(dev.hash).toBe(f1.hash);
      await repo.tags.set("v1", f1);
      const tag = await repo.tags.get("v1");
      expect(tag.branch).toBeNull();
      expect(tag.hash).toBe(f1.hash);
      expect(await repo.branches.keys()).toEqual(["dev", "main"]);
      expect(await collect(repo.branches)).toEqual(["dev", "main"]);
      expect(await repo.tags.has("v1")).toBe(true);
      expect(await repo.tags.size()).toBe(1);
      await repo.branches.delete("dev");
      expect(await repo.branches.has("dev")).toBe(false);
      await rejects(repo.branches.delete("dev"), KeyError);
      await rejects(repo.branches.get("dev"), KeyError);
      // find: what get gives, or undefined where get raises KeyError (and for an invalid name).
      expect((await repo.tags.find("v1"))?.hash).toBe(f1.hash);
      expect((await repo.branches.find("main"))?.branch).toBe("main");
      expect(await repo.branches.find("dev")).toBeUndefined();
      expect(await repo.branches.find("a..b")).toBeUndefined();
    });

    it("tags are immutable and read-only", async () => {
      const { repo, fs } = await fresh();
      await repo.tags.set("v1", fs);
      await rejects(repo.tags.set("v1", fs), KeyError);
      const tag = await repo.tags.get("v1");
      await rejects(tag.write("a", "b"), PermissionError, "EPERM");
      await rejects(tag.remove("a"), PermissionError, "EPERM");
      await rejects(tag.batch(() => undefined), PermissionError, "EPERM");
      await rejects(tag.open("a", "wb"), PermissionError, "EPERM");
    });

    it("set validates its arguments", async () => {
      const { repo, fs } = await fresh();
      await expect(repo.branches.set("x", { hash: fs.hash, branch: "main" } as unknown as FS)).rejects.toThrow(TypeError);
      await rejects(repo.branches.set("bad..name", fs), ValueError, "EINVAL");
      await rejects(repo.tags.set("a.lock", fs), ValueError);
      const other = await GitStore.open(new MemoryStorage(), { create: "main" });
      await rejects(repo.branches.set("foreign", await other.branches.get("main")), ValueError);
    });

    it("refuses the branch names git's branch commands refuse, and leaves nothing behind", async () => {
      const { repo, fs } = await fresh();
      // Valid for `git check-ref-format` as refs/heads/..., refused by `git branch`.
      for (const bad of ["HEAD", "-x"]) {
        await rejects(repo.branches.set(bad, fs), ValueError, "EINVAL");
        await rejects(GitStore.open(location(), { create: bad }), ValueError, "EINVAL");
      }
      expect(await repo.branches.keys()).toEqual(["main"]);
      // A tag may be called HEAD, as with `git tag HEAD`.
      await repo.tags.set("HEAD", fs);
      expect((await repo.tags.get("HEAD")).hash).toBe(fs.hash);
    });

    it("snapshot by branch, tag, full and abbreviated id", async () => {
      const { repo, fs } = await fresh();
      const f1 = await fs.write("a", "1");
      await repo.tags.set("v1", fs);
      expect((await repo.snapshot("main")).branch).toBe("main");
      expect((await repo.snapshot("v1")).hash).toBe(fs.hash);
      const byId = await repo.snapshot(f1.hash);
      expect(byId.branch).toBeNull();
      expect(byId.hash).toBe(f1.hash);
      expect((await repo.snapshot(f1.hash.slice(0, 7))).hash).toBe(f1.hash);
      await rejects(repo.snapshot("nothing"), KeyError);
      await rejects(repo.snapshot("0000000"), KeyError);
      // A branch before a tag of the same name, both before the commit id a name spells.
      await repo.tags.set("main", fs);
      expect((await repo.snapshot("main")).hash).toBe(f1.hash);
      await repo.branches.set(f1.hash.slice(0, 6), fs);
      expect((await repo.snapshot(f1.hash.slice(0, 6))).hash).toBe(fs.hash);
    });

    it("snapshot HEAD as git reads it: its branch, a detached commit, or KeyError when unborn", async () => {
      const { repo, fs } = await fresh();
      await repo.tags.set("HEAD", fs);
      const f1 = await fs.write("a", "1");
      const head = await repo.snapshot("HEAD");
      expect(head.branch).toBe("main");
      expect(head.hash).toBe(f1.hash);
      expect((await head.write("b", "2")).branch).toBe("main");
      const storage = new MemoryStorage();
      const detached = await GitStore.open(storage, { create: "main" });
      const first = (await detached.branches.get("main")).hash;
      await (await detached.branches.get("main")).write("x", "y");
      await storage.write("HEAD", new TextEncoder().encode(`${first}\n`));
      const snap = await detached.snapshot("HEAD");
      expect(snap.branch).toBeNull();
      expect(snap.hash).toBe(first);
      await rejects((await GitStore.open(new MemoryStorage(), { create: true })).snapshot("HEAD"), KeyError);
    });

    it("an ambiguous prefix is ValueError", async () => {
      const { repo, fs } = await fresh();
      let f = fs;
      const seen = new Map<string, string>();
      for (let i = 0; i < 3000; i++) {
        f = await f.write("n", String(i));
        const p = f.hash.slice(0, 4);
        if (seen.has(p)) {
          await rejects(repo.snapshot(p), ValueError);
          return;
        }
        seen.set(p, f.hash);
      }
      throw new Error("no 4-digit collision in 3000 commits");
    });
  });

  describe("stale snapshots", () => {
    it("a write from a snapshot whose branch moved raises StaleSnapshotError and changes nothing", async () => {
      const loc = location();
      const storage = typeof loc === "string" ? new NodeStorage(loc) : loc;
      const repo = await GitStore.open(storage, { create: "main" });
      const fs = await repo.branches.get("main");
      const moved = await fs.write("a", "1");
      const before = await listFiles(storage);
      await rejects(fs.write("b", "2"), StaleSnapshotError);
      await rejects(fs.batch((b) => b.write("c", "3")), StaleSnapshotError);
      // A batch large enough that its pack streams into files while it is staged.
      await rejects(fs.batch((b) => b.write("big", randomBytes(5 * 1024 * 1024, 7))), StaleSnapshotError);
      // Not one file written or changed: the branch is checked before any object is published.
      expect(await listFiles(storage)).toEqual(before);
      expect((await repo.branches.get("main")).hash).toBe(moved.hash);
      const racers = await Promise.allSettled([moved.write("x", "1"), moved.write("y", "2"), moved.write("z", "3")]);
      expect(racers.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of racers) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(StaleSnapshotError);
    });

    it("a snapshot of a deleted branch is stale", async () => {
      const { repo, fs } = await fresh();
      await repo.branches.set("dev", fs);
      const dev = await repo.branches.get("dev");
      await repo.branches.delete("dev");
      await rejects(dev.write("a", "b"), StaleSnapshotError);
      expect(await repo.branches.has("dev")).toBe(false);
    });
  });
});

describe("on disk, with git", () => {
  it("creates a standard bare repository git accepts, and reads what git writes", async () => {
    const path = join(tempDir(), "std.git");
    const repo = await GitStore.open(path, { create: "main" });
    for (const p of ["HEAD", "config", "objects", "refs/heads", "refs/tags"]) expect(existsSync(join(path, p))).toBe(true);
    let fs = await repo.branches.get("main");
    fs = await fs.write("dir/file.txt", "from gitstore");
    await repo.tags.set("v1", fs);
    expect(fsck(path)).toEqual([]);
    expect(git(path, ["symbolic-ref", "HEAD"]).trim()).toBe("refs/heads/main");
    expect(git(path, ["cat-file", "-p", "v1:dir/file.txt"])).toBe("from gitstore");
    // git writes: a commit on main, an annotated tag, packs everything.
    const blob = git(path, ["hash-object", "-w", "--stdin"], "from git\n").trim();
    const tree = git(path, ["mktree"], `100644 blob ${blob}\tgit.txt\n`).trim();
    const commit = git(path, ["commit-tree", "-p", "main", "-m", "by git", tree]).trim();
    git(path, ["update-ref", "refs/heads/main", commit]);
    git(path, ["tag", "-a", "-m", "annotated", "v2", commit]);
    git(path, ["gc", "--aggressive", "--prune=now", "-q"]);
    const main = await repo.branches.get("main");
    expect(main.message).toBe("by git");
    expect(await main.readText("git.txt")).toBe("from git\n");
    const v2 = await repo.tags.get("v2");
    expect(v2.hash).toBe(commit);
    const next = await main.write("after-gc.txt", "still writable");
    expect(fsck(path)).toEqual([]);
    expect(git(path, ["log", "--format=%s", "-2", "main"]).trim().split("\n")).toEqual(["Write after-gc.txt", "by git"]);
    await repo.close();
    void next;
  });

  it("refuses repositories with extensions it does not honour, and opens those it does", async () => {
    const path = join(tempDir(), "ext.git");
    await GitStore.open(path, { create: "main" });
    const withExtensions = (lines: string): void => writeFileSync(join(path, "config"), `[core]\n\trepositoryformatversion = 1\n\tbare = true\n[extensions]\n${lines}`);
    for (const refused of ["\trefstorage = reftable\n", "\tobjectformat = sha256\n", "\tunheardof = true\n", "\tobjectformat = sha1\n\tunheardof = 1\n"]) {
      withExtensions(refused);
      await rejects(GitStore.open(path), ValueError);
    }
    // Spelled out as git writes them: the defaults, config per worktree.
    withExtensions("\tobjectFormat = SHA1\n\trefStorage = files\n\tworktreeConfig = true\n\tnoop = x\n");
    const repo = await GitStore.open(path);
    expect(await (await (await repo.branches.get("main")).write("a", "1")).readText("a")).toBe("1");
    await repo.close();
    // Version 0 ignores extensions, as git does.
    writeFileSync(join(path, "config"), "[core]\n\trepositoryformatversion = 0\n\tbare = true\n[extensions]\n\tunheardof = true\n");
    await (await GitStore.open(path)).close();
    expect(fsck(path)).toEqual([]);
  });

  it("with extensions.preciousObjects, no pack is ever removed: gc refuses, small packs stay unmerged", async () => {
    const path = join(tempDir(), "precious.git");
    const repo = await GitStore.open(path, { create: "main" });
    git(path, ["config", "core.repositoryformatversion", "1"]);
    git(path, ["config", "extensions.preciousObjects", "true"]);
    const precious = await GitStore.open(path, { durability: "none" });
    let fs = await precious.branches.get("main");
    for (let i = 0; i < 40; i++) fs = await fs.write(`f${i}`, String(i));
    const packs = (): number => readdirSync(join(path, "objects/pack")).filter((n) => n.endsWith(".pack")).length;
    // A commit's objects go in a pack of their own; 16 such are merged elsewhere.
    expect(packs()).toBeGreaterThanOrEqual(40);
    const e = await rejects(precious.gc(), ValueError, "EINVAL");
    expect(e.message).toContain("preciousObjects");
    expect(packs()).toBeGreaterThanOrEqual(40);
    expect(await fs.readText("f39")).toBe("39");
    expect(fsck(path)).toEqual([]);
    await precious.close();
    await repo.close();
  });

  it("a partial clone (git clone --filter=blob:none) opens and reads; gc refuses", async () => {
    const source = join(tempDir(), "source.git");
    const origin = await GitStore.open(source, { create: "main" });
    let fs = await origin.branches.get("main");
    for (let i = 0; i < 3; i++) fs = await fs.write(`dir/f${i}.txt`, `version ${i}`);
    await origin.close();
    git(source, ["config", "uploadpack.allowFilter", "true"]);
    const clone = join(tempDir(), "partial.git");
    execFileSync("git", ["clone", "-q", "--bare", "--filter=blob:none", `file://${source}`, clone], { env: GIT_ENV });
    // A bare clone fetched no blob; git fetches one when asked for it, gitstore cannot.
    git(clone, ["cat-file", "blob", "main:dir/f2.txt"]);
    const repo = await GitStore.open(clone);
    const main = await repo.branches.get("main");
    expect(await main.readText("dir/f2.txt")).toBe("version 2");
    expect(await main.ls("dir")).toEqual(["f0.txt", "f1.txt", "f2.txt"]);
    expect(await main.exists("dir/f0.txt")).toBe(true);
    expect((await rejects(main.read("dir/f0.txt"), CorruptObjectError, "EBADOBJ")).message).toContain("missing");
    const next = await main.write("new.txt", "written in a partial clone");
    expect(await next.readText("new.txt")).toBe("written in a partial clone");
    await rejects(repo.gc(), ValueError, "EINVAL");
    expect(git(clone, ["cat-file", "-p", "main:new.txt"])).toBe("written in a partial clone");
    await repo.close();
  });

  it("a branch pointing at a missing object is CorruptObjectError naming the ref, not KeyError", async () => {
    const path = join(tempDir(), "bad.git");
    const repo = await GitStore.open(path, { create: "main" });
    writeFileSync(join(path, "refs/heads/broken"), "1234567890123456789012345678901234567890\n");
    writeFileSync(join(path, "refs/heads/garbage"), "garbage\n");
    const e = await rejects(repo.branches.get("broken"), CorruptObjectError, "EBADOBJ");
    expect(e.message).toContain("refs/heads/broken");
    await rejects(repo.branches.get("garbage"), CorruptObjectError);
    mkdirSync(join(path, "refs/heads/sub"));
    expect(await repo.branches.has("sub")).toBe(false);
  });

  it("a lock left held raises LockError naming it, and nothing is written while it is held", async () => {
    const path = join(tempDir(), "held.git");
    const repo = await GitStore.open(path, { create: "main" });
    const fs = await (await repo.branches.get("main")).write("a", "1");
    // As a killed process (or a git command at work) would leave it.
    writeFileSync(join(path, "refs/heads/main.lock"), "held\n");
    const storage = new NodeStorage(path);
    const before = await listFiles(storage);
    const e = await rejects(fs.write("b", "2"), LockError, "ELOCKED");
    expect(e.message).toContain("refs/heads/main.lock");
    await rejects(fs.batch((b) => b.write("c", "3")), LockError, "ELOCKED");
    await rejects(fs.batch((b) => b.write("big", randomBytes(5 * 1024 * 1024, 8))), LockError, "ELOCKED");
    expect(await listFiles(storage)).toEqual(before);
    expect(readFileSync(join(path, "refs/heads/main.lock"), "utf8")).toBe("held\n");
    rmSync(join(path, "refs/heads/main.lock"));
    expect(await (await fs.write("b", "2")).readText("b")).toBe("2");
    expect(fsck(path)).toEqual([]);
  });

  it("a branch that is a symbolic ref (git symbolic-ref) is written through to the branch it names, as git does; deleting it removes the alias", async () => {
    const path = join(tempDir(), "alias.git");
    const repo = await GitStore.open(path, { create: "main" });
    const first = await (await repo.branches.get("main")).write("a", "1");
    git(path, ["symbolic-ref", "refs/heads/master", "refs/heads/main"]);
    const alias = await repo.branches.get("master");
    expect(alias.branch).toBe("master");
    const next = await alias.write("b", "2");
    expect(next.branch).toBe("master");
    expect((await repo.branches.get("main")).hash).toBe(next.hash);
    expect(git(path, ["symbolic-ref", "refs/heads/master"]).trim()).toBe("refs/heads/main");
    // Logged for both, as git logs an update through a symbolic ref.
    for (const log of ["logs/refs/heads/main", "logs/refs/heads/master"]) expect(readFileSync(join(path, log), "utf8")).toContain(`${first.hash} ${next.hash} `);
    // The compare-and-swap is the target's: a stale snapshot of either name fails.
    await rejects(alias.write("c", "3"), StaleSnapshotError);
    await rejects(first.write("c", "3"), StaleSnapshotError);
    await repo.branches.set("master", first);
    expect((await repo.branches.get("main")).hash).toBe(first.hash);
    await repo.branches.delete("master");
    expect(await repo.branches.keys()).toEqual(["main"]);
    expect((await repo.branches.get("main")).hash).toBe(first.hash);
    expect(fsck(path)).toEqual([]);
    await repo.close();
  });

  it("a path 4,096 directories deep is written and read back (git's limit); one deeper is ValueError", async () => {
    const path = join(tempDir(), "deep.git");
    const repo = await GitStore.open(path, { create: "main" });
    const fs = await repo.branches.get("main");
    // Each tree level is written without recursion: 3,000 levels used to exhaust the stack.
    const deepest = `${Array.from({ length: 4096 }, (_, i) => `d${i % 10}`).join("/")}/f.txt`;
    const deep = await fs.batch((b) => {
      b.write(deepest, "deep");
      b.write("top.txt", "top");
    });
    expect(await deep.readText(deepest)).toBe("deep");
    expect((await collect(deep.walk())).length).toBe(4097);
    expect(git(path, ["cat-file", "-p", `main:${deepest}`])).toBe("deep");
    expect(fsck(path)).toEqual([]);
    await rejects(deep.write(`d/${deepest}`, "deeper"), ValueError, "EINVAL");
    await rejects(deep.batch((b) => b.write(`d/${deepest}`, "deeper")), ValueError, "EINVAL");
    expect((await repo.branches.get("main")).hash).toBe(deep.hash);
    await repo.close();
  });

  it("concurrent writers in separate processes from one snapshot: exactly one wins", async () => {
    const path = join(tempDir(), "race.git");
    const repo = await GitStore.open(path, { create: "main" });
    const base = await repo.branches.get("main");
    const { ready, results } = await race(join(import.meta.dirname, "../fixtures/stale-writer.mjs"), (i) => [path, String(i)], 6);
    expect(new Set(ready)).toEqual(new Set([base.hash]));
    expect(results.filter((r) => r === "won")).toHaveLength(1);
    expect(results.filter((r) => r === "stale")).toHaveLength(5);
    const main = await repo.branches.get("main");
    expect((await main.parent())!.hash).toBe(base.hash);
    expect(fsck(path)).toEqual([]);
    // The five that lost stored nothing: no object is left unreachable.
    expect(git(path, ["fsck", "--full", "--strict", "--dangling", "--no-progress"])).not.toContain("dangling");
  });
});

describe("repositories git creates", () => {
  it("a commit of the empty tree that git never stored (git treats it as always present)", async () => {
    const { gitInit } = await import("../helpers/git.js");
    const path = gitInit(join(tempDir(), "empty-tree.git"));
    const c = git(path, ["commit-tree", "-m", "empty", "4b825dc642cb6eb9a060e54bf8d69288fbee4904"]).trim();
    git(path, ["update-ref", "refs/heads/main", c]);
    expect(existsSync(join(path, "objects/4b"))).toBe(false);
    const before = fsck(path); // git's own fsck reports the tree git did not store
    const repo = await GitStore.open(path);
    const fs = await repo.branches.get("main");
    expect(await fs.ls()).toEqual([]);
    const next = await fs.write("a/b", "c");
    expect(await next.readText("a/b")).toBe("c");
    expect(fsck(path)).toEqual(before);
  });
});

describe("a small cache on a deeply deltified repository", () => {
  it("reads what git reads, with cacheBytes 0 and 64 KiB", async () => {
    const { allObjects, makeGitRepo, repack } = await import("../helpers/make-repo.js");
    const path = makeGitRepo(join(tempDir(), "deep.git"), { commits: 60, files: 30, editsPerCommit: 3, seed: 5 });
    repack(path, "deep");
    const objects = allObjects(path);
    const commits = git(path, ["rev-list", "--first-parent", "main"]).trim().split("\n");
    for (const cacheBytes of [0, 64 * 1024]) {
      const repo = await GitStore.open(path, { cacheBytes });
      let k = 0;
      for await (const fs of (await repo.branches.get("main")).log()) {
        expect(fs.hash).toBe(commits[k]);
        // Every fifth commit in full: each file's version sits somewhere down its chain.
        if (k++ % 5 !== 0) continue;
        for (const line of git(path, ["ls-tree", "-r", fs.hash]).trim().split("\n")) {
          const [meta, file] = line.split("\t");
          const id = meta!.split(" ")[2]!;
          expect(Buffer.from(await fs.read(file!)).equals(objects.get(id)![1])).toBe(true);
        }
      }
      expect(k).toBe(commits.length);
      await repo.close();
    }
  });
});

describe("batch staging", () => {
  it("copies the data when b.write is called, not when the staged write runs", async () => {
    const repo = await GitStore.open(new MemoryStorage(), { create: "main" });
    const buf = new Uint8Array([1, 2, 3]);
    const fs = await (await repo.branches.get("main")).batch((b) => {
      b.write("a", new Uint8Array(300)); // queued ahead of the next one
      b.write("b", buf);
      buf[0] = 9;
    });
    expect([...(await fs.read("b"))]).toEqual([1, 2, 3]);
  });

  it("non-byte data is a TypeError", async () => {
    const repo = await GitStore.open(new MemoryStorage(), { create: "main" });
    const fs = await repo.branches.get("main");
    await expect(fs.write("a", 42 as unknown as string)).rejects.toThrow(TypeError);
    await expect(fs.batch((b) => b.write("a", {} as unknown as string))).rejects.toThrow(TypeError);
  });
});

describe("HEAD", () => {
  it("a new repository's HEAD names the bootstrap branch; deleting that branch is allowed, as git allows it in a bare repository", async () => {
    const path = join(tempDir(), "head.git");
    const repo = await GitStore.open(path, { create: "trunk" });
    expect(git(path, ["symbolic-ref", "HEAD"]).trim()).toBe("refs/heads/trunk");
    await repo.branches.set("other", await repo.branches.get("trunk"));
    await repo.branches.delete("trunk");
    expect(await repo.branches.keys()).toEqual(["other"]);
    expect(git(path, ["symbolic-ref", "HEAD"]).trim()).toBe("refs/heads/trunk"); // unborn, as after git branch -D
    expect(fsck(path)).toEqual([]);
    const empty = join(tempDir(), "empty.git");
    await GitStore.open(empty, { create: true });
    expect(git(empty, ["symbolic-ref", "HEAD"]).trim()).toBe("refs/heads/main");
  });
});
