import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { deflateObject, FAST_LEVEL, looksIncompressible, pakoZlib, ZlibError } from "../../src/objects/zlib.js";

beforeAll(() => pakoZlib.load?.());
import { nodePlatform, nodeZlib } from "../../src/node/platform.js";
import { portablePlatform } from "../../src/objects/platform.js";
import { randomBytes } from "../helpers/make-repo.js";

const impls = [
  ["pako", pakoZlib],
  ["node:zlib", nodeZlib],
] as const;

describe("zlib", () => {
  it("pako and node:zlib deflate to the same bytes and inflate each other's output", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 20000 }), fc.string({ maxLength: 5000 }).map((s) => new TextEncoder().encode(s.repeat(3)))), fc.constantFrom(0, 1, 6, 9), async (data, level) => {
        const a = await pakoZlib.deflate(data, level);
        const b = await nodeZlib.deflate(data, level);
        expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
        for (const [, z] of impls) {
          const r = z.inflate(a, data.length);
          expect(Buffer.from(r.output).equals(Buffer.from(data))).toBe(true);
          expect(r.consumed).toBe(a.length);
        }
      }),
      { seed: 3, numRuns: 100 },
    );
  });

  for (const [name, z] of impls) {
    describe(name, () => {
      const data = new TextEncoder().encode("hello world ".repeat(1000));
      let packed: Uint8Array;
      beforeAll(async () => {
        packed = await pakoZlib.deflate(data, 6);
      });

      it("refuses to inflate past the bound", () => {
        expect(() => z.inflate(packed, data.length - 1)).toThrow(ZlibError);
      });

      it("reports a truncated or damaged stream", () => {
        expect(() => z.inflate(packed.subarray(0, packed.length - 10), data.length)).toThrow(ZlibError);
        const bad = packed.slice();
        bad[5]! ^= 0xff;
        bad[6]! ^= 0xff;
        expect(() => z.inflate(bad, data.length)).toThrow(ZlibError);
        expect(() => z.inflate(new Uint8Array([1, 2, 3]), 10)).toThrow(ZlibError);
      });

      it("says where the stream ended when more bytes follow", () => {
        const withTail = new Uint8Array(packed.length + 5);
        withTail.set(packed);
        const r = z.inflate(withTail, data.length);
        expect(r.consumed).toBe(packed.length);
        expect(r.output.length).toBe(data.length);
      });

      it("inflates correctly after a damaged stream, small objects and large alike", async () => {
        const bad = packed.slice();
        bad[7]! ^= 0xff;
        for (const size of [0, 1, 200, 64 * 1024, 64 * 1024 + 1, 300_000]) {
          expect(() => z.inflate(bad, data.length)).toThrow(ZlibError);
          const content = new Uint8Array(size).map((_, i) => (i * 7919) % 251);
          const r = z.inflate(await nodeZlib.deflate(content, 6), size);
          expect(Buffer.from(r.output).equals(Buffer.from(content))).toBe(true);
          expect(() => z.inflate(packed, data.length - 1)).toThrow(ZlibError);
        }
      });

      it("inflates a prefix only", () => {
        expect(Buffer.from(z.inflatePrefix(packed, 11)).toString()).toBe("hello world");
      });
    });
  }
});

describe("crc32", () => {
  it("the portable and the Node platform agree, whole and continued", () => {
    expect(portablePlatform.crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        const whole = portablePlatform.crc32(Uint8Array.from([...a, ...b]));
        expect(nodePlatform.crc32(Uint8Array.from([...a, ...b]))).toBe(whole);
        expect(nodePlatform.crc32(b, nodePlatform.crc32(a))).toBe(whole);
        expect(portablePlatform.crc32(b, portablePlatform.crc32(a))).toBe(whole);
      }),
      { seed: 11, numRuns: 100 },
    );
  });
});

describe("incompressible data", () => {
  const text = (n: number): Uint8Array => new TextEncoder().encode(Array.from({ length: n }, (_, i) => `line ${i}: {"name": "value ${i * 7}", "ok": true}\n`).join("")).subarray(0, n);

  it("random data is stored at the fast level; anything deflate can shrink is compressed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 256, max: 50_000 }), fc.integer(), (n, seed) => {
        expect(looksIncompressible(randomBytes(n, seed))).toBe(true);
        expect(looksIncompressible(text(n))).toBe(false);
      }),
      { seed: 11, numRuns: 100 },
    );
    // Too small to be worth the test, all one byte, or random but repeating itself.
    expect(looksIncompressible(randomBytes(255, 1))).toBe(false);
    expect(looksIncompressible(new Uint8Array(5000))).toBe(false);
    const twice = new Uint8Array(2048);
    twice.set(randomBytes(1024, 2));
    twice.set(randomBytes(1024, 2), 1024);
    expect(looksIncompressible(twice)).toBe(false);
  });

  it("counts the repeats of 4-byte strings against its limit (1 KiB: more than one)", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 500, max: 992 }), (seed, from, to) => {
        const data = randomBytes(1024, seed);
        expect(looksIncompressible(data)).toBe(true);
        // One 4-byte string seen again: one repeat, within the limit.
        const once = data.slice();
        once.set(data.subarray(from, from + 4), to);
        expect(looksIncompressible(once)).toBe(true);
        // 32 bytes seen again: 29 overlapping repeats, enough to be found
        // through a hash table that keeps one position a bucket.
        const more = data.slice();
        more.set(data.subarray(from, from + 32), to);
        expect(looksIncompressible(more)).toBe(false);
      }),
      { seed: 12, numRuns: 200 },
    );
  });

  it("only the fast level stores: gc's level compresses everything, so a misjudgment lasts until then", async () => {
    const random = randomBytes(1024, 3);
    for (const [level, expected] of [
      [FAST_LEVEL, 0],
      [6, 6],
    ] as const) {
      expect(Buffer.from(await deflateObject(nodeZlib, random, level, "blob")).equals(Buffer.from(await nodeZlib.deflate(random, expected)))).toBe(true);
    }
    expect(Buffer.from(await deflateObject(nodeZlib, text(1024), FAST_LEVEL, "blob")).equals(Buffer.from(await nodeZlib.deflate(text(1024), FAST_LEVEL)))).toBe(true);
  });

  it("what stored data costs in size is what deflate would have made of it anyway", async () => {
    for (const n of [256, 1024, 70_000]) {
      const data = randomBytes(n, n);
      const stored = await deflateObject(nodeZlib, data, FAST_LEVEL, "blob");
      const deflated = await nodeZlib.deflate(data, FAST_LEVEL);
      expect(stored.length).toBeLessThanOrEqual(deflated.length);
      expect(Buffer.from(nodeZlib.inflate(stored, n).output).equals(Buffer.from(data))).toBe(true);
    }
  });
});
