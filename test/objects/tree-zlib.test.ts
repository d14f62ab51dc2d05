import { deflateSync, inflateSync } from "node:zlib";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { sha1 } from "../../src/objects/sha1.js";
import { TreeView, type TreeEntry } from "../../src/objects/tree.js";
import { combineAdler32, deflateTree, type DeflatedTree } from "../../src/objects/tree-zlib.js";
import { adler32 } from "../../src/objects/zlib-encode.js";
import { deflateObject, FAST_LEVEL, pakoZlib } from "../../src/objects/zlib.js";
import { writing } from "../../src/objects/lazy-writing.js";
import { randomBytes } from "../helpers/make-repo.js";

beforeAll(async () => {
  await pakoZlib.load?.();
  await writing.load();
});

function inflatesTo(stream: Uint8Array, data: Uint8Array): void {
  expect(Buffer.from(inflateSync(stream)).equals(Buffer.from(data))).toBe(true);
  const r = pakoZlib.inflate(stream, data.length);
  expect(Buffer.from(r.output).equals(Buffer.from(data))).toBe(true);
  expect(r.consumed).toBe(stream.length);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const file = (name: string, seed: number): TreeEntry => ({ mode: "100644", name, id: hex(randomBytes(20, seed)) });

/** A tree of `count` entries named alike (so that matches cross entries, and pieces). */
function bigTree(count: number, seed = 1): TreeView {
  const entries = new Map<string, TreeEntry>();
  for (let i = 0; i < count; i++) entries.set(`file-${String(i * 7).padStart(6, "0")}.txt`, file(`file-${String(i * 7).padStart(6, "0")}.txt`, seed * 100_000 + i));
  return TreeView.empty(sha1).with(entries);
}

/** Compress `tree` as a commit's writer does: from its origin, keeping its pieces. */
function deflate(tree: TreeView): DeflatedTree {
  const d = deflateTree(tree.data, tree.idSize, tree.origin);
  tree.keepDeflated(d);
  return d;
}

/** Its pieces' bytes in the stream. */
function pieces(d: DeflatedTree): string[] {
  return Array.from({ length: d.adlers.length }, (_, k) => hex(d.stream.subarray(d.at[k]!, d.at[k + 1]!)));
}

describe("a tree's zlib stream in pieces", () => {
  it("inflates back to the tree, from empty to 200 KB, cut at entries into pieces of 1-2 KiB", () => {
    for (const count of [0, 1, 30, 500, 5000]) {
      const tree = bigTree(count);
      const d = deflate(tree);
      inflatesTo(d.stream, tree.data);
      expect(d.starts[0]).toBe(0);
      expect(d.starts[d.adlers.length]).toBe(tree.data.length);
      // Every piece but a tree's last starts where an entry does.
      const entryStarts = new Set([0]);
      for (let p = 0; p < tree.data.length; ) entryStarts.add((p = tree.data.indexOf(0, p) + 21));
      for (let k = 0; k < d.adlers.length; k++) {
        expect(entryStarts.has(d.starts[k]!)).toBe(true);
        const size = d.starts[k + 1]! - d.starts[k]!;
        expect(size).toBeGreaterThan(0);
        expect(size).toBeLessThanOrEqual(2048 + 60);
      }
    }
  });

  it("is within 7% of zlib's size at the fast level", () => {
    for (const count of [500, 5000]) {
      const tree = bigTree(count);
      expect(deflate(tree).stream.length).toBeLessThanOrEqual(Math.ceil(deflateSync(tree.data, { level: FAST_LEVEL }).length * 1.07));
    }
  });

  it("reuses every piece of the base that an edit leaves alone", () => {
    const base = bigTree(3000);
    const before = deflate(base);
    const edited = base.with(new Map([[`file-${String(700 * 7).padStart(6, "0")}.txt`, file("file-004900.txt", 9)]]));
    const after = deflate(edited);
    inflatesTo(after.stream, edited.data);
    const old = new Set(pieces(before));
    const fresh = pieces(after).filter((p) => !old.has(p));
    expect(before.adlers.length).toBeGreaterThan(40);
    expect(fresh.length).toBeLessThanOrEqual(2);
    // The base hands its pieces over: an older version is rarely edited again.
    expect(base.deflated).toBeUndefined();
  });

  it("inflates back to every version along random edits (entries added, removed, replaced)", () => {
    const edit = fc.array(fc.tuple(fc.nat(4000), fc.constantFrom("add", "remove", "replace"), fc.nat()), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.array(edit, { minLength: 1, maxLength: 12 }), (count, steps) => {
        let tree = bigTree(count);
        deflate(tree);
        for (const step of steps) {
          const changes = new Map<string, TreeEntry | null>();
          for (const [i, kind, seed] of step) {
            // Names between the existing ones (add), or theirs (remove, replace).
            const name = kind === "add" ? `file-${String(i * 7 + 3).padStart(6, "0")}.txt` : `file-${String((i % Math.max(1, tree.length)) * 7).padStart(6, "0")}.txt`;
            changes.set(name, kind === "remove" ? null : file(name, seed));
          }
          tree = tree.with(changes);
          inflatesTo(deflate(tree).stream, tree.data);
        }
      }),
      { seed: 23, numRuns: 60 },
    );
  });

  it("is how a commit's writer compresses trees over 16 KiB, and only those", async () => {
    const small = bigTree(300);
    const large = bigTree(600);
    expect(small.data.length).toBeLessThan(16 * 1024);
    expect(large.data.length).toBeGreaterThan(16 * 1024);
    for (const tree of [small, large]) {
      const stream = deflateObject(pakoZlib, tree.data, FAST_LEVEL, "tree", tree) as Uint8Array;
      inflatesTo(stream, tree.data);
      expect(tree.deflated?.stream).toBe(tree === large ? stream : undefined);
    }
    // gc's levels compress whole.
    const again = bigTree(600);
    inflatesTo(await deflateObject(pakoZlib, again.data, 6, "tree", again), again.data);
    expect(again.deflated).toBeUndefined();
  });

  it("puts the Adler-32 together from its parts' as zlib's adler32_combine does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 9000 }), fc.uint8Array({ maxLength: 140_000 }), (a, b) => {
        const both = new Uint8Array(a.length + b.length);
        both.set(a);
        both.set(b, a.length);
        expect(combineAdler32(adler32(a), adler32(b), b.length)).toBe(adler32(both));
      }),
      { seed: 24, numRuns: 60 },
    );
    const ones = new Uint8Array(200_000).fill(255);
    expect(combineAdler32(adler32(ones.subarray(0, 70_000)), adler32(ones.subarray(70_000)), 130_000)).toBe(adler32(ones));
    expect(adler32(ones, 5, 70_000)).toBe(adler32(ones.subarray(5, 70_000)));
  });
});
