import { describe, expect, it } from "vitest";
import { lazy, once } from "../../src/objects/once.js";

describe("once", () => {
  it("runs the load once and shares its promise", async () => {
    let runs = 0;
    const load = once(async () => ++runs);
    const [a, b] = await Promise.all([load(), load()]);
    expect([a, b, await load(), runs]).toEqual([1, 1, 1, 1]);
  });

  it("runs it again after a failure, and keeps the first success", async () => {
    let runs = 0;
    const load = once(async () => {
      if (++runs === 1) throw new Error("chunk did not arrive");
      return runs;
    });
    await expect(load()).rejects.toThrow("chunk did not arrive");
    expect(await load()).toBe(2);
    expect(await load()).toBe(2);
    expect(runs).toBe(2);
  });
});

describe("lazy", () => {
  it("holds the value once loaded, and nothing after a failed load", async () => {
    let runs = 0;
    const it = lazy(async () => {
      if (++runs === 1) throw new Error("chunk did not arrive");
      return "module";
    });
    expect(it.loaded).toBeUndefined();
    await expect(it.load()).rejects.toThrow("chunk did not arrive");
    expect(it.loaded).toBeUndefined();
    expect(await it.load()).toBe("module");
    expect(it.loaded).toBe("module");
    expect(it.ready()).toBeUndefined(); // nothing left to wait for
    expect(runs).toBe(2);
  });
});
