import { inflateSync, deflateSync } from "node:zlib";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeTree } from "../../src/objects/tree.js";
import { adler32, encodeFixedZlib, encodeStoredZlib } from "../../src/objects/zlib-encode.js";
import { deflateObject, FAST_LEVEL, pakoZlib } from "../../src/objects/zlib.js";
import { nodeZlib } from "../../src/node/platform.js";
import { randomBytes } from "../helpers/make-repo.js";

beforeAll(() => pakoZlib.load?.());

/** The length of a tree's ids (SHA-1). */
const TREE_IDS = 20;

/** Data with repeats at every distance deflate allows and some it does not (over 32 KiB back). */
const repetitive = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.array(fc.tuple(fc.nat(70_000), fc.integer({ min: 1, max: 600 }), fc.nat(255)), { maxLength: 60 }))
  .map(([seed, edits]) => {
    const out: number[] = Array.from(seed);
    for (const [from, length, literal] of edits) {
      // Copy `length` bytes from `from` back (possibly overlapping), then one literal.
      const start = Math.max(0, out.length - 1 - (from % out.length));
      for (let k = 0; k < length; k++) out.push(out[start + k]!);
      out.push(literal);
    }
    return Uint8Array.from(out);
  });

function inflatesTo(stream: Uint8Array, data: Uint8Array): void {
  expect(Buffer.from(inflateSync(stream)).equals(Buffer.from(data))).toBe(true);
  const r = pakoZlib.inflate(stream, data.length);
  expect(Buffer.from(r.output).equals(Buffer.from(data))).toBe(true);
  expect(r.consumed).toBe(stream.length);
}

describe("zlib streams of stored blocks", () => {
  it("inflate back to the input, at every block boundary; under 64 KiB they are zlib's level 0 bytes", () => {
    for (const n of [0, 1, 1024, 65_534, 65_535, 65_536, 131_070, 131_071, 200_000]) {
      const data = randomBytes(n, n + 1);
      const stream = encodeStoredZlib(data);
      inflatesTo(stream, data);
      expect(stream.length).toBe(2 + 5 * Math.max(1, Math.ceil(n / 65_535)) + n + 4);
      if (n < 65_534) expect(Buffer.from(stream).equals(deflateSync(data, { level: 0 }))).toBe(true);
    }
  });
});

describe("zlib streams with fixed Huffman codes", () => {
  it("inflate (node:zlib and pako) back to the input: random, repetitive, empty and short inputs", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 3000 }), repetitive, fc.string({ maxLength: 2000 }).map((s) => new TextEncoder().encode(s + s))), (data) => {
        inflatesTo(encodeFixedZlib(data), data);
      }),
      { seed: 21, numRuns: 300 },
    );
    for (const n of [0, 1, 3, 4, 5, 257, 258, 259, 70_000]) inflatesTo(encodeFixedZlib(new Uint8Array(n).fill(7)), new Uint8Array(n).fill(7));
  });

  it("inflate back to the input when coding trees (ids sent as literals): real trees, duplicate ids, and any bytes", () => {
    const entry = fc.record({ mode: fc.constantFrom("100644", "100755", "40000", "120000"), name: fc.string({ minLength: 1, maxLength: 30 }).map((s) => s.replace(/[\0/]/g, "x")), id: fc.uint8Array({ minLength: 20, maxLength: 20 }) });
    const tree = fc.array(entry, { maxLength: 80 }).map((es) => {
      const seen = new Set<string>();
      const unique = es.filter((e) => !seen.has(e.name) && seen.add(e.name));
      // Some ids twice: matches may then run into and past an id.
      return encodeTree(unique.map((e, i) => ({ mode: e.mode, name: e.name, id: Buffer.from(i % 3 === 2 ? unique[i - 1]!.id : e.id).toString("hex") })));
    });
    fc.assert(
      fc.property(fc.oneof(tree, fc.uint8Array({ maxLength: 3000 }), repetitive), (data) => {
        inflatesTo(encodeFixedZlib(data, TREE_IDS), data);
      }),
      { seed: 22, numRuns: 300 },
    );
    for (const n of [0, 1, 20, 21, 22, 300]) inflatesTo(encodeFixedZlib(new Uint8Array(n), TREE_IDS), new Uint8Array(n));
  });

  it("never refers further back than the 32 KiB window: a repeat 40,000 bytes back is coded as literals", () => {
    const block = randomBytes(1000, 5);
    const data = new Uint8Array(41_000);
    data.set(block);
    data.set(randomBytes(39_000, 6), 1000);
    data.set(block, 40_000);
    const stream = encodeFixedZlib(data);
    inflatesTo(stream, data);
    // With no usable match the block costs about 8.4 bits a byte.
    expect(stream.length).toBeGreaterThan(data.length);
  });

  it("calls in a row do not see each other's data (the hash table is never cleared between them)", () => {
    const a = randomBytes(5000, 1);
    const first = encodeFixedZlib(a);
    encodeFixedZlib(randomBytes(5000, 2));
    expect(Buffer.from(encodeFixedZlib(a)).equals(Buffer.from(first))).toBe(true);
  });

  it("has the header and checksum zlib writes", () => {
    const data = new TextEncoder().encode("tree 0123\nauthor a <a@b> 1 +0000\n\nmessage\n");
    const ours = encodeFixedZlib(data);
    const theirs = deflateSync(data, { level: 1 });
    expect([...ours.subarray(0, 2)]).toEqual([...theirs.subarray(0, 2)]);
    expect([...ours.subarray(-4)]).toEqual([...theirs.subarray(-4)]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), (d) => {
        const zlib = deflateSync(d, { level: 0 });
        expect(adler32(d)).toBe(zlib.readUInt32BE(zlib.length - 4));
      }),
      { seed: 4, numRuns: 100 },
    );
    // The largest sums between two reductions: every byte 255.
    for (const n of [2047, 2048, 2049, 100_003]) {
      const d = new Uint8Array(n).fill(255);
      const zlib = deflateSync(d, { level: 0 });
      expect(adler32(d)).toBe(zlib.readUInt32BE(zlib.length - 4));
    }
  });

  it("codes a tree as small as zlib does at the fast level, within 5%", () => {
    for (const entries of [1, 20, 50, 250]) {
      const tree = encodeTree(
        Array.from({ length: entries }, (_, i) => ({ mode: "100644", name: `f${i * 20}.bin`, id: Buffer.from(randomBytes(20, i + 1)).toString("hex") })),
      );
      const ours = encodeFixedZlib(tree, TREE_IDS).length;
      const zlib = deflateSync(tree, { level: FAST_LEVEL }).length;
      expect(ours).toBeLessThanOrEqual(Math.ceil(zlib * 1.05));
    }
  });

  it("is what the fast level uses for trees, commits and tags, and only there", async () => {
    const small = new TextEncoder().encode("100644 a\0xxxxxxxxxxxxxxxxxxxx".repeat(30));
    // (Coded as a tree, its "ids" are literals: another stream.)
    expect(encodeFixedZlib(small, TREE_IDS).length).toBeGreaterThan(encodeFixedZlib(small).length);
    for (const type of ["tree", "commit", "tag"] as const) {
      expect(Buffer.from(await deflateObject(nodeZlib, small, FAST_LEVEL, type)).equals(Buffer.from(encodeFixedZlib(small, type === "tree" ? TREE_IDS : 0)))).toBe(true);
      expect(Buffer.from(await deflateObject(nodeZlib, small, 6, type)).equals(Buffer.from(deflateSync(small, { level: 6 })))).toBe(true);
    }
    expect(Buffer.from(await deflateObject(nodeZlib, small, FAST_LEVEL, "blob")).equals(Buffer.from(deflateSync(small, { level: FAST_LEVEL })))).toBe(true);
    // A tree too big for it goes through zlib.
    const big = new Uint8Array(20_000).fill(1);
    expect(Buffer.from(await deflateObject(nodeZlib, big, FAST_LEVEL, "tree")).equals(Buffer.from(deflateSync(big, { level: FAST_LEVEL })))).toBe(true);
  });
});
