/**
 * The contract every Storage backend passes, written without a test framework
 * so that the same checks run under vitest and inside a real browser.
 */
import type { Storage } from "../../src/storage/storage.js";

const enc = new TextEncoder();
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

function eq(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

async function rejects(p: Promise<unknown>, what: string): Promise<void> {
  let threw = false;
  try {
    await p;
  } catch {
    threw = true;
  }
  if (!threw) throw new Error(`${what}: expected a rejection`);
}

export type StorageCheck = readonly [name: string, run: (make: () => Promise<Storage>) => Promise<void>];

export const storageChecks: readonly StorageCheck[] = [
  [
    "reads files of every size whole, each read its own copy",
    async (make) => {
      const s = await make();
      const sizes = [0, 1, 4095, 4096, 4097, 100_000];
      const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
      for (const n of sizes) await s.write(`sizes/${n}`, bytes(n));
      const got = await Promise.all(sizes.map((n) => s.read(`sizes/${n}`)));
      for (const [i, n] of sizes.entries()) eq(Array.from(got[i] ?? []), Array.from(bytes(n)), `file of ${n} bytes`);
    },
  ],
  [
    "reads what it wrote, creating parents; a missing file reads as undefined",
    async (make) => {
      const s = await make();
      eq(await s.read("a/b/c"), undefined, "missing");
      await s.write("a/b/c", enc.encode("one"));
      eq(text(await s.read("a/b/c")), "one", "first write");
      await s.write("a/b/c", enc.encode("two"));
      eq(text(await s.read("a/b/c")), "two", "overwrite");
      eq((await s.stat("a/b"))?.isDirectory, true, "parent is a directory");
      eq((await s.stat("a/b/c"))?.size, 3, "size");
      eq(await s.stat("nope"), undefined, "stat of nothing");
    },
  ],
  [
    "reads byte ranges",
    async (make) => {
      const s = await make();
      await s.write("f", enc.encode("0123456789"));
      eq(text(await s.readRange("f", 2, 3)), "234", "middle");
      eq(text(await s.readRange("f", 8, 10)), "89", "short at end");
      await rejects(s.readRange("missing", 0, 1), "range of a missing file");
    },
  ],
  [
    "creates exclusively: exactly one of several racing creators wins",
    async (make) => {
      const s = await make();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => s.createExclusive("locks/x.lock", enc.encode(String(i)))));
      eq(results.filter(Boolean).length, 1, "winners");
      eq(text(await s.read("locks/x.lock")), String(results.indexOf(true)), "winner's content");
      eq(await s.createExclusive("locks/x.lock", enc.encode("again")), false, "second create");
    },
  ],
  [
    "renames atomically over an existing file",
    async (make) => {
      const s = await make();
      await s.write("target", enc.encode("old"));
      await s.createExclusive("target.lock", enc.encode("new"));
      await s.rename("target.lock", "target");
      eq(text(await s.read("target")), "new", "renamed content");
      eq(await s.read("target.lock"), undefined, "source gone");
      await s.rename("target", "deep/er/moved");
      eq(text(await s.read("deep/er/moved")), "new", "renamed into new parents");
      await rejects(s.rename("absent", "x"), "rename of a missing file");
    },
  ],
  [
    "appends, removes and lists",
    async (make) => {
      const s = await make();
      await s.append("logs/x", enc.encode("a\n"));
      await s.append("logs/x", enc.encode("b\n"));
      eq(text(await s.read("logs/x")), "a\nb\n", "appended");
      await s.mkdirp("logs/sub/dir");
      eq((await s.list("logs"))!.map((e) => `${e.name}:${e.isDirectory}`).sort(), ["sub:true", "x:false"], "listing");
      eq(await s.list("nothing"), undefined, "listing of nothing");
      eq(await s.remove("logs/x"), true, "remove");
      eq(await s.remove("logs/x"), false, "remove again");
      eq(await s.remove("logs/sub/dir"), true, "remove empty dir");
      eq(await s.list("logs/sub"), [], "empty listing");
    },
  ],
  [
    "rejects paths that could escape the root",
    async (make) => {
      const s = await make();
      for (const bad of ["../x", "/abs", "a/../b", "a//b", "./a"]) await rejects(s.write(bad, enc.encode("x")), `path ${bad}`);
    },
  ],
  [
    "touches a file's modification time to now (if it can)",
    async (make) => {
      const s = await make();
      if (!s.touch) return;
      await s.write("objects/pack/p.pack", enc.encode("x"));
      const before = (await s.stat("objects/pack/p.pack"))!.mtimeMs;
      await new Promise((r) => setTimeout(r, 20));
      eq(await s.touch("objects/pack/p.pack"), true, "touch of a file");
      const after = (await s.stat("objects/pack/p.pack"))!.mtimeMs;
      if (!(after > before)) throw new Error(`touch: mtime ${after} not after ${before}`);
      eq(text(await s.read("objects/pack/p.pack")), "x", "content unchanged");
      eq(await s.touch("objects/pack/none"), false, "touch of nothing");
      eq(await s.touch("nowhere/at/all"), false, "touch under a missing directory");
    },
  ],
  [
    "syncs when asked (if it can)",
    async (make) => {
      const s = await make();
      await s.write("a/f", enc.encode("x"), { sync: true });
      await s.sync?.(["a/f"]);
      eq(text(await s.read("a/f")), "x", "content");
      await s.close?.();
    },
  ],
];
