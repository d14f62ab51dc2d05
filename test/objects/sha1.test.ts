import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { digestHex, hashBytes, portableHex, toHex } from "../../src/objects/hash.js";
import { sha1 } from "../../src/objects/sha1.js";
import { nodeSha1 } from "../../src/node/platform.js";
import { hashObject } from "../../src/objects/object.js";
import { randomBytes } from "../helpers/make-repo.js";

const ref = (b: Uint8Array): string => createHash("sha1").update(b).digest("hex");

describe("SHA-1 (pure TypeScript)", () => {
  it("matches known vectors", () => {
    const enc = new TextEncoder();
    expect(toHex(sha1.create().update(enc.encode("")).digest())).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect(toHex(sha1.create().update(enc.encode("abc")).digest())).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect(toHex(sha1.create().update(enc.encode("blob 6\0hello\n")).digest())).toBe("ce013625030ba8dba906f756967f9e9ca394464a");
  });

  it("agrees with node:crypto at every length around the block boundaries", () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff);
    for (let n = 0; n <= 300; n++) {
      const b = data.subarray(0, n);
      expect(toHex(sha1.create().update(b).digest())).toBe(ref(b));
    }
  });

  it("agrees with node:crypto on random inputs split into random chunks", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.array(fc.nat(200), { maxLength: 10 }), (bytes, cuts) => {
        const h = sha1.create();
        let p = 0;
        for (const c of cuts) {
          h.update(bytes.subarray(p, Math.min(bytes.length, p + c)));
          p = Math.min(bytes.length, p + c);
        }
        h.update(bytes.subarray(p));
        expect(toHex(h.digest())).toBe(ref(bytes));
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it("agrees with node:crypto on several MB", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000_000, max: 4_000_000 }), fc.integer(), (n, seed) => {
        const b = randomBytes(n, seed);
        expect(toHex(sha1.create().update(b).digest())).toBe(ref(b));
        expect(toHex(nodeSha1.create().update(b).digest())).toBe(ref(b));
        expect(digestHex(nodeSha1.create().update(b))).toBe(ref(b));
        expect(digestHex(sha1.create().update(b))).toBe(ref(b));
        expect(nodeSha1.hashRaw).toBeDefined();
        expect(toHex(hashBytes(nodeSha1, b))).toBe(ref(b));
        expect(toHex(hashBytes(sha1, b))).toBe(ref(b));
      }),
      { seed: 7, numRuns: 3 },
    );
  });
});

describe("object ids", () => {
  it("are the same through the streaming and the one-call hashes, below, at and above the one-call size", () => {
    expect(nodeSha1.hashHex).toBeDefined(); // Node 20.12+: the one-call path is what runs
    const enc = new TextEncoder();
    expect(hashObject(nodeSha1, "blob", enc.encode("hello\n"))).toBe("ce013625030ba8dba906f756967f9e9ca394464a");
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 100, 65_535, 65_536, 65_537, 200_000), fc.constantFrom("blob", "tree", "commit", "tag") as fc.Arbitrary<"blob">, fc.integer(), (size, type, seed) => {
        const data = Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
        const expected = ref(Uint8Array.from([...enc.encode(`${type} ${size}\0`), ...data]));
        expect(hashObject(nodeSha1, type, data)).toBe(expected);
        expect(hashObject(sha1, type, data)).toBe(expected);
      }),
      { seed: 7, numRuns: 30 },
    );
  });
});

describe("hex ids", () => {
  it("toHex (Node's encoder once the Node platform is loaded) and the portable one agree with Buffer's hex for any length and range", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), fc.nat(), fc.nat(), (b, x, y) => {
        const start = b.length ? x % b.length : 0;
        const end = start + (b.length - start ? y % (b.length - start + 1) : 0);
        const expected = Buffer.from(b.subarray(start, end)).toString("hex");
        expect(toHex(b, start, end)).toBe(expected);
        expect(portableHex(b, start, end)).toBe(expected);
        expect(toHex(b)).toBe(Buffer.from(b).toString("hex"));
      }),
      { seed: 4, numRuns: 300 },
    );
  });
});
