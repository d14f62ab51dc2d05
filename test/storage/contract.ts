/** The contract every Storage backend passes. */
import { describe, expect, it } from "vitest";
import type { Storage } from "../../src/storage/storage.js";

const enc = new TextEncoder();
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

export function storageContract(name: string, make: () => Promise<Storage>): void {
  describe(`Storage contract: ${name}`, () => {
    it("reads what it wrote, creating parents; a missing file reads as undefined", async () => {
      const s = await make();
      expect(await s.read("a/b/c")).toBeUndefined();
      await s.write("a/b/c", enc.encode("one"));
      expect(text(await s.read("a/b/c"))).toBe("one");
      await s.write("a/b/c", enc.encode("two"));
      expect(text(await s.read("a/b/c"))).toBe("two");
      expect((await s.stat("a/b"))?.isDirectory).toBe(true);
      expect((await s.stat("a/b/c"))?.size).toBe(3);
      expect(await s.stat("nope")).toBeUndefined();
    });

    it("reads byte ranges", async () => {
      const s = await make();
      await s.write("f", enc.encode("0123456789"));
      expect(text(await s.readRange("f", 2, 3))).toBe("234");
      expect(text(await s.readRange("f", 8, 10))).toBe("89");
      await expect(s.readRange("missing", 0, 1)).rejects.toThrow();
    });

    it("creates exclusively: exactly one of several racing creators wins", async () => {
      const s = await make();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => s.createExclusive("locks/x.lock", enc.encode(String(i)))));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(text(await s.read("locks/x.lock"))).toBe(String(winner));
      expect(await s.createExclusive("locks/x.lock", enc.encode("again"))).toBe(false);
    });

    it("renames atomically over an existing file", async () => {
      const s = await make();
      await s.write("target", enc.encode("old"));
      await s.createExclusive("target.lock", enc.encode("new"));
      await s.rename("target.lock", "target");
      expect(text(await s.read("target"))).toBe("new");
      expect(await s.read("target.lock")).toBeUndefined();
      await s.rename("target", "deep/er/moved");
      expect(text(await s.read("deep/er/moved"))).toBe("new");
      await expect(s.rename("absent", "x")).rejects.toThrow();
    });

    it("appends, removes and lists", async () => {
      const s = await make();
      await s.append("logs/x", enc.encode("a\n"));
      await s.append("logs/x", enc.encode("b\n"));
      expect(text(await s.read("logs/x"))).toBe("a\nb\n");
      await s.mkdirp("logs/sub/dir");
      const names = (await s.list("logs"))!.map((e) => `${e.name}:${e.isDirectory}`).sort();
      expect(names).toEqual(["sub:true", "x:false"]);
      expect(await s.list("nothing")).toBeUndefined();
      expect(await s.remove("logs/x")).toBe(true);
      expect(await s.remove("logs/x")).toBe(false);
      expect(await s.remove("logs/sub/dir")).toBe(true);
      expect((await s.list("logs/sub"))!).toEqual([]);
    });

    it("rejects paths that could escape the root", async () => {
      const s = await make();
      for (const bad of ["../x", "/abs", "a/../b", "a//b", "./a"]) await expect(s.write(bad, enc.encode("x"))).rejects.toThrow();
    });

    it("syncs when asked (if it can)", async () => {
      const s = await make();
      await s.write("a/f", enc.encode("x"), { sync: true });
      await s.sync?.(["a/f"]);
      expect(text(await s.read("a/f"))).toBe("x");
      await s.close?.();
    });
  });
}
