import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CorruptObjectError } from "../../src/errors.js";
import { applyDelta } from "../../src/objects/delta.js";
import { toHex } from "../../src/objects/hash.js";
import { sha1 } from "../../src/objects/sha1.js";
import { decodeEntryHeader, decodeOfsDistance, encodeEntryHeader, encodeOfsDistance, ofsDistanceLength } from "../../src/objects/pack.js";
import { encodePackIndex, PackIndex } from "../../src/objects/pack-index.js";

describe("pack entry headers", () => {
  it("decodes git's examples", () => {
    expect(decodeEntryHeader(Uint8Array.from([0x36]), 0, "p")).toEqual({ type: 3, size: 6, length: 1 });
    expect(decodeEntryHeader(Uint8Array.from([0x96, 0x0d]), 0, "p")).toEqual({ type: 1, size: 214, length: 2 });
    expect(decodeEntryHeader(Uint8Array.from([0xbc, 0xc8, 0x01]), 0, "p")).toEqual({ type: 3, size: 3212, length: 3 });
    expect(decodeEntryHeader(Uint8Array.from([0xe9, 0x04]), 0, "p")).toEqual({ type: 6, size: 73, length: 2 });
    expect(() => decodeEntryHeader(Uint8Array.from([0x96]), 0, "p")).toThrow(CorruptObjectError);
  });

  it("round-trips any size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.maxSafeNat(), (type, size) => {
        const b = encodeEntryHeader(type, size);
        expect(decodeEntryHeader(b, 0, "p")).toEqual({ type, size, length: b.length });
      }),
      { seed: 1 },
    );
  });

  it("encodes OFS_DELTA distances as git does", () => {
    const cases: [number, number[]][] = [
      [1, [0x01]],
      [127, [0x7f]],
      [128, [0x80, 0x00]],
      [229, [0x80, 0x65]],
      [16383, [0xfe, 0x7f]],
      [16511, [0xff, 0x7f]],
      [16512, [0x80, 0x80, 0x00]],
      [2113663, [0xff, 0xff, 0x7f]],
      [2113664, [0x80, 0x80, 0x80, 0x00]],
    ];
    for (const [d, bytes] of cases) {
      expect([...encodeOfsDistance(d)]).toEqual(bytes);
      expect(decodeOfsDistance(Uint8Array.from(bytes), 0, "p")).toBe(d);
      expect(ofsDistanceLength(Uint8Array.from(bytes), 0)).toBe(bytes.length);
    }
  });
});

describe("delta application", () => {
  const base = new TextEncoder().encode("0123456789abcdefghij");
  const d = (...b: number[]): Uint8Array => Uint8Array.from(b);

  it("copies and inserts", () => {
    // source 20, target 7: copy 3 bytes from offset 10, insert "XYZ", copy 1 from 0
    const delta = d(20, 7, 0x91, 10, 3, 3, 0x58, 0x59, 0x5a, 0x90, 1);
    expect(new TextDecoder().decode(applyDelta(base, delta, "x"))).toBe("abcXYZ0");
  });

  it("treats copy size 0 as 0x10000", () => {
    const big = new Uint8Array(0x10000).map((_, i) => i & 0xff);
    const delta = d(0x80, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80);
    expect(applyDelta(big, delta, "x")).toEqual(big);
  });

  it("rejects hostile deltas", () => {
    expect(() => applyDelta(base, d(21, 1, 1, 0x41), "x")).toThrow(/base/); // wrong source size
    expect(() => applyDelta(base, d(20, 5, 0x91, 18, 5), "x")).toThrow(/out of range/); // copy past base
    expect(() => applyDelta(base, d(20, 2, 3, 0x41, 0x42, 0x43), "x")).toThrow(/out of range/); // insert past target
    expect(() => applyDelta(base, d(20, 3, 1, 0x41), "x")).toThrow(/declared/); // short output
    expect(() => applyDelta(base, d(20, 1, 0), "x")).toThrow(/opcode 0/);
    expect(() => applyDelta(base, d(20, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 0x41), "x")).toThrow(CorruptObjectError); // absurd size, no huge allocation
    expect(() => applyDelta(base, d(20, 1, 0x91, 1), "x")).toThrow(/truncated/);
  });
});

// The fan-out table as written (entry b: how many ids start with a byte up to b), and as it should be.
const fanOut = (idx: Uint8Array): number[] => {
  const view = new DataView(idx.buffer, idx.byteOffset);
  return Array.from({ length: 256 }, (_, b) => view.getUint32(8 + 4 * b));
};
const expectedFanOut = (ids: readonly string[]): number[] => Array.from({ length: 256 }, (_, b) => ids.filter((x) => parseInt(x.slice(0, 2), 16) <= b).length);

describe("pack index lookups", () => {
  it("writes the fan-out table for ids at both ends of the byte range, and for none", () => {
    for (const ids of [[], ["00".repeat(20)], ["00".repeat(20), "0001".padEnd(40, "0"), "7f".repeat(20), "ff".repeat(20)], ["ff".repeat(20), "fe".repeat(20)]]) {
      const bytes = encodePackIndex(ids.map((x, i) => ({ id: x, offset: 12 + i, crc: i })), new Uint8Array(20), sha1);
      expect(fanOut(bytes)).toEqual(expectedFanOut(ids));
      expect(PackIndex.decode(bytes, sha1, "t.idx").count).toBe(ids.length);
    }
  });

  it("find every id and nothing else, however long the prefixes they share", () => {
    // Ids drawn from a few stems, so that many share their first bytes (up to all but the last).
    const id = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 19 }), fc.uint8Array({ minLength: 20, maxLength: 20 })).map(([stem, keep, tail]) => {
      const bytes = new Uint8Array(20).fill(0x40 + stem * 0x31);
      bytes.set(tail.subarray(keep), keep);
      return toHex(bytes);
    });
    fc.assert(
      fc.property(fc.uniqueArray(id, { minLength: 1, maxLength: 60 }), fc.array(id, { maxLength: 20 }), (ids, probes) => {
        const bytes = encodePackIndex(ids.map((x, i) => ({ id: x, offset: 12 + i, crc: i })), new Uint8Array(20), sha1);
        expect(fanOut(bytes)).toEqual(expectedFanOut(ids));
        // Read back, or taken as this process made it (no checks): the same answers.
        for (const idx of [PackIndex.decode(bytes, sha1, "t.idx"), PackIndex.ofWritten(bytes, sha1, "t.idx")]) {
          const sorted = [...ids].sort();
          expect(idx.count).toBe(ids.length);
          for (const x of ids) {
            const i = idx.find(x);
            expect(i).toBe(sorted.indexOf(x));
            expect(idx.offset(i)).toBe(12 + ids.indexOf(x));
          }
          for (const x of probes) expect(idx.find(x)).toBe(sorted.indexOf(x));
          // The raw form finds the same.
          for (const x of [...ids, ...probes]) expect(idx.findRaw(Buffer.from(x, "hex"))).toBe(sorted.indexOf(x));
        }
      }),
      { seed: 5, numRuns: 500 },
    );
  });
});
