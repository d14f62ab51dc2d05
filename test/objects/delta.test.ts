import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyDelta } from "../../src/objects/delta.js";
import { createDelta } from "../../src/objects/delta-encode.js";

const enc = new TextEncoder();

function edited(base: string, edits: [number, number, string][]): string {
  let s = base;
  for (const [at, del, ins] of edits) {
    const p = at % (s.length + 1);
    s = s.slice(0, p) + ins + s.slice(p + del);
  }
  return s;
}

describe("delta encoder", () => {
  it("apply(base, createDelta(base, target)) == target on random pairs", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 3000 }), (base, target) => {
        expect(applyDelta(base, createDelta(base, target), "t")).toEqual(target);
      }),
      { seed: 17, numRuns: 300 },
    );
  });

  it("round-trips and compresses realistic edited text", () => {
    const text = fc.array(fc.string({ minLength: 10, maxLength: 60 }), { minLength: 20, maxLength: 200 }).map((ls) => ls.join("\n"));
    fc.assert(
      fc.property(text, fc.array(fc.tuple(fc.nat(), fc.nat(40), fc.string({ maxLength: 30 })), { maxLength: 6 }), (base, edits) => {
        const b = enc.encode(base);
        const t = enc.encode(edited(base, edits));
        const d = createDelta(b, t);
        expect(applyDelta(b, d, "t")).toEqual(t);
        if (b.length > 2000 && edits.length <= 2) expect(d.length).toBeLessThan(t.length / 4);
      }),
      { seed: 18, numRuns: 200 },
    );
  });

  it("handles shifted binary and copies longer than 64 KiB", () => {
    const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24);
    const shifted = new Uint8Array(big.length + 7);
    shifted.set([1, 2, 3, 4, 5, 6, 7]);
    shifted.set(big, 7);
    const d = createDelta(big, shifted);
    expect(applyDelta(big, d, "t")).toEqual(shifted);
    expect(d.length).toBeLessThan(100);
    expect(applyDelta(big, createDelta(big, big), "t")).toEqual(big);
    expect(applyDelta(new Uint8Array(0), createDelta(new Uint8Array(0), big.subarray(0, 1000)), "t")).toEqual(big.subarray(0, 1000));
  });
});
