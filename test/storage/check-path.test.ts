import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValueError } from "../../src/errors.js";
import { checkPath } from "../../src/storage/storage.js";

/** The rule, spelled out: no empty segment (so no leading, trailing or double "/"), no "." or "..". */
const valid = (path: string): boolean => path.split("/").every((s) => s !== "" && s !== "." && s !== "..");

describe("checkPath", () => {
  it("accepts what the rule accepts and refuses the rest with ValueError", () => {
    for (const p of ["a", "objects/pack/pack-1.pack", "a/.b", "a/b..", "...", "a/...", ".x/..y"]) expect(() => checkPath(p)).not.toThrow();
    for (const p of ["", "/", "/a", "a/", "a//b", ".", "..", "a/./b", "a/../b", "./a", "a/.."]) expect(() => checkPath(p)).toThrow(ValueError);
  });

  it("agrees with the rule on paths made of a, '.' and '/'", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", ".", "/"), maxLength: 12 }), (p) => {
        let ok = true;
        try {
          checkPath(p);
        } catch (e) {
          expect(e).toBeInstanceOf(ValueError);
          ok = false;
        }
        expect(ok).toBe(valid(p));
      }),
      { seed: 20261128, numRuns: 2000 },
    );
  });
});
