import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, statfsSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CorruptObjectError, NotADirectoryError } from "../../src/errors.js";
import { GitStore } from "../../src/node.js";
import { MemoryStorage } from "../../src/storage/memory.js";
import { NodeStorage } from "../../src/storage/node.js";
import type { Storage } from "../../src/storage/storage.js";
import { cleanupTemp, tempDir } from "../helpers/git.js";
import { storageChecks } from "./contract.js";

afterAll(cleanupTemp);

const backends: [string, () => Promise<Storage>][] = [
  ["MemoryStorage", async () => new MemoryStorage()],
  ["NodeStorage", async () => new NodeStorage(join(tempDir(), "repo"))],
];
for (const [name, make] of backends) {
  describe(`Storage contract: ${name}`, () => {
    for (const [check, run] of storageChecks) it(check, () => run(make));
  });
}

describe("NodeStorage confinement", () => {
  it("never reads or writes through a symbolic link leading outside the root", async () => {
    const root = join(tempDir(), "repo");
    const outside = tempDir();
    mkdirSync(join(root, "refs"), { recursive: true });
    writeFileSync(join(outside, "secret"), "secret");
    symlinkSync(outside, join(root, "refs/heads"));
    symlinkSync(join(outside, "secret"), join(root, "refs/file"));
    const s = new NodeStorage(root);
    await expect(s.read("refs/heads/secret")).rejects.toThrow(CorruptObjectError);
    await expect(s.write("refs/heads/new", new Uint8Array([1]))).rejects.toThrow(CorruptObjectError);
    await expect(s.createExclusive("refs/heads/x.lock", new Uint8Array([1]))).rejects.toThrow(CorruptObjectError);
    await expect(s.read("refs/file")).rejects.toThrow(/symbolic link/);
  });
});

describe("NodeStorage and symbolic links that lead nowhere", () => {
  it("a loop of links is CorruptObjectError; a dangling link holds nothing and is not written through", async () => {
    const root = join(tempDir(), "repo");
    mkdirSync(join(root, "refs"), { recursive: true });
    symlinkSync("loop", join(root, "refs/loop"));
    const nowhere = join(tempDir(), "nowhere");
    symlinkSync(nowhere, join(root, "refs/dangling"));
    const s = new NodeStorage(root);
    await expect(s.read("refs/loop/x")).rejects.toThrow(CorruptObjectError);
    await expect(s.list("refs/loop")).rejects.toThrow(/loop/);
    await expect(s.createExclusive("refs/loop/x.lock", new Uint8Array([1]))).rejects.toThrow(CorruptObjectError);
    expect(await s.read("refs/dangling/x")).toBeUndefined();
    expect(await s.stat("refs/dangling/x")).toBeUndefined();
    await expect(s.write("refs/dangling/x", new Uint8Array([1]))).rejects.toThrow(NotADirectoryError);
    expect(existsSync(nowhere)).toBe(false);
  });
});

describe("NodeStorage where no directory can be made", () => {
  it("a parent that exists but takes no child (/proc, a dangling symlink) or a file in the way fails typed, and does not spin", () => {
    const base = tempDir();
    writeFileSync(join(base, "afile"), "x");
    symlinkSync(join(base, "nowhere"), join(base, "dangling"));
    // In a child process: the failure this guards against blocks its process for good.
    const r = spawnSync("node", [join(import.meta.dirname, "../fixtures/unmakeable-dirs.mjs"), base], { timeout: 30_000, encoding: "utf8" });
    expect(r.signal).toBeNull();
    const lines = r.stdout.trim().split("\n");
    const expected = [
      ...(existsSync("/proc/self") ? ["open proc: FileNotFoundError ENOENT", "create proc: FileNotFoundError ENOENT", "mkdirp proc: FileNotFoundError ENOENT", "dump proc: FileNotFoundError ENOENT"] : []),
      "open file: FileNotFoundError ENOENT",
      "create file: NotADirectoryError ENOTDIR",
      "mkdirp file: NotADirectoryError ENOTDIR",
      "dump file: NotADirectoryError ENOTDIR",
      "open dangling: FileNotFoundError ENOENT",
      "create dangling: NotADirectoryError ENOTDIR",
      "mkdirp dangling: NotADirectoryError ENOTDIR",
      "dump dangling: NotADirectoryError ENOTDIR",
    ];
    expect(lines.filter((l) => existsSync("/proc/self") || !l.includes("proc"))).toEqual(expected);
  });
});

describe("NodeStorage and named pipes", () => {
  it("a pipe where a file should be is CorruptObjectError, and nothing blocks (git itself hangs there)", async () => {
    const dir = join(tempDir(), "pipes.git");
    const repo = await GitStore.open(dir, { create: "main" });
    const fs = await (await repo.branches.get("main")).write("a.txt", "a");
    await repo.branches.set("logged", fs);
    await repo.close();
    const pipe = (path: string): void => {
      rmSync(join(dir, path), { force: true });
      execFileSync("mkfifo", [join(dir, path)]);
    };
    const pack = readdirSync(join(dir, "objects/pack")).find((f) => f.endsWith(".pack"))!;
    for (const path of ["HEAD", "refs/heads/piped", `objects/pack/${pack}`, "logs/refs/heads/logged"]) pipe(path);
    const r = spawnSync("node", [join(import.meta.dirname, "../fixtures/fifo-reader.mjs"), dir], { timeout: 30_000, encoding: "utf8" });
    expect(r.signal).toBeNull();
    expect(r.stdout.trim().split("\n")).toEqual(["HEAD: CorruptObjectError", "branch: CorruptObjectError", "pack: CorruptObjectError", "write: CorruptObjectError"]);
  });
});

describe("NodeStorage after outside changes", () => {
  it("recreates a directory removed behind its back (git gc prunes empty fan-out directories)", async () => {
    const root = join(tempDir(), "repo");
    const s = new NodeStorage(root);
    await s.createExclusive("objects/ab/one", new Uint8Array([1]));
    await s.remove("objects/ab/one");
    rmdirSync(join(root, "objects/ab"));
    expect(await s.createExclusive("objects/ab/two", new Uint8Array([2]))).toBe(true);
  });
});

describe("NodeStorage renaming over a file", () => {
  it("replaces it, and the descriptor it holds on the old file meanwhile is closed (no leak)", async () => {
    const root = join(tempDir(), "repo");
    const s = new NodeStorage(root);
    const fds = (): number => readdirSync("/proc/self/fd").length;
    await s.write("refs/heads/main", new TextEncoder().encode("0\n"));
    const before = fds();
    for (let i = 1; i <= 200; i++) {
      await s.createExclusive("refs/heads/main.lock", new TextEncoder().encode(`${i}\n`));
      await s.rename("refs/heads/main.lock", "refs/heads/main");
    }
    // The old files are closed in the thread pool: give the event loop its turns.
    for (let i = 0; i < 50 && fds() > before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(new TextDecoder().decode(await s.read("refs/heads/main"))).toBe("200\n");
    expect(fds()).toBe(before);
    expect(readdirSync(join(root, "refs/heads"))).toEqual(["main"]);
  });
});

describe.skipIf(statfsSync(tempDir()).type !== 0xef53)("NodeStorage renaming over files on ext4", () => {
  it("holds the replaced files while renames follow one another, hands them to the pool 16 at a time, and the rest at the event loop's next turn", async () => {
    const root = join(tempDir(), "repo");
    const s = new NodeStorage(root);
    const fds = (): number => readdirSync("/proc/self/fd").length;
    const update = async (i: number): Promise<void> => {
      await s.createExclusive("refs/heads/main.lock", new TextEncoder().encode(`${i}\n`));
      await s.rename("refs/heads/main.lock", "refs/heads/main");
    };
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 100 && fds() > before; i++) await new Promise((r) => setTimeout(r, 10));
    };
    await s.write("refs/heads/main", new TextEncoder().encode("0\n"));
    const before = fds();
    // Without a turn of the event loop in between (each rename resolves at once), nothing is handed over yet.
    for (let i = 1; i <= 15; i++) await update(i);
    expect(fds() - before).toBe(15);
    await update(16); // the batch goes to the pool
    await settle();
    expect(fds()).toBe(before);
    for (let i = 17; i <= 20; i++) await update(i);
    expect(fds() - before).toBe(4);
    await settle(); // the event loop turns: these go too
    expect(fds()).toBe(before);
    await update(21);
    await s.close(); // and so does whatever is held at close
    await settle();
    expect(fds()).toBe(before);
    expect(new TextDecoder().decode(await new NodeStorage(root).read("refs/heads/main"))).toBe("21\n");
  });
});

describe("NodeStorage renaming while the thread pool is stuck", () => {
  // How many replaced files a loop of 400 renames over a ref leaves open when
  // the only pool thread is held by an open of a pipe that has no writer yet.
  const heldAfterRenames = (root: string): number => {
    mkdirSync(root, { recursive: true });
    const fifo = join(tempDir(), "fifo");
    execFileSync("mkfifo", [fifo]);
    const storage = new URL("../../dist/storage/node.js", import.meta.url).pathname;
    const script = `
      import { openSync, readdirSync, open, closeSync, constants } from "node:fs";
      const { NodeStorage } = await import(${JSON.stringify(storage)});
      const fds = () => readdirSync("/proc/self/fd").length;
      open(${JSON.stringify(fifo)}, "r", (e, fd) => { if (!e) closeSync(fd); });
      const s = new NodeStorage(${JSON.stringify(root)});
      await s.write("refs/heads/main", new TextEncoder().encode("0\\n"));
      const before = fds();
      for (let i = 1; i <= 400; i++) {
        await s.createExclusive("refs/heads/main.lock", new TextEncoder().encode(i + "\\n"));
        await s.rename("refs/heads/main.lock", "refs/heads/main");
      }
      console.log(fds() - before);
      closeSync(openSync(${JSON.stringify(fifo)}, constants.O_WRONLY | constants.O_NONBLOCK));
      process.exit(0);`;
    const out = execFileSync("node", ["--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, UV_THREADPOOL_SIZE: "1" }, timeout: 30_000 });
    return Number(out.trim());
  };
  const EXT4 = 0xef53;
  const TMPFS = 0x01021994;

  it.skipIf(statfsSync(tempDir()).type !== EXT4)("on ext4, holds at most 256 replaced files open, then closes them itself", () => {
    const held = heldAfterRenames(join(tempDir(), "repo"));
    expect(held).toBeGreaterThan(200); // the pool was stuck: the closes waited for it
    expect(held).toBeLessThanOrEqual(256);
  });

  it.skipIf(!existsSync("/dev/shm") || statfsSync("/dev/shm").type !== TMPFS)("on tmpfs, holds none (freeing costs nothing there)", () => {
    const root = join(mkdtempSync("/dev/shm/gitstore-test-"), "repo");
    try {
      expect(heldAfterRenames(root)).toBe(0);
    } finally {
      rmSync(dirname(root), { recursive: true, force: true });
    }
  });
});

describe("NodeStorage on a failing write", () => {
  it("an exclusive create that cannot write everything (file size limit) leaves no file", () => {
    const root = join(tempDir(), "repo");
    mkdirSync(root, { recursive: true });
    // The built module (npm test builds first): the child runs plain node.
    const storage = new URL("../../dist/storage/node.js", import.meta.url).pathname;
    // Writes past `ulimit -f` fail with EFBIG once SIGXFSZ is ignored.
    const script = `
      const { NodeStorage } = await import(${JSON.stringify(storage)});
      const s = new NodeStorage(${JSON.stringify(root)});
      try { await s.createExclusive("objects/pack/big.pack", new Uint8Array(64 * 1024)); console.log("written"); }
      catch (e) { console.log(e.code); }
      console.log(await s.stat("objects/pack/big.pack") === undefined ? "gone" : "left");`;
    const out = execFileSync("bash", ["-c", `trap '' XFSZ; ulimit -f 16; exec node --input-type=module -e "$0"`, script], { encoding: "utf8" });
    expect(out.trim().split("\n")).toEqual(["EFBIG", "gone"]);
  });
});
