/**
 * Reading a long delta chain is linear: the delta-base cache keeps what a
 * chain produced, so each further version costs about one inflate and one
 * delta, in whatever order the versions are read.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObjectDatabase } from "../../src/objects/odb.js";
import type { Platform } from "../../src/objects/platform.js";
import { nodePlatform } from "../../src/node/platform.js";
import { NodeStorage } from "../../src/storage/node.js";
import { cleanupTemp, git, gitInit, tempDir } from "../helpers/git.js";
import { deltaCount, rng } from "../helpers/make-repo.js";

afterAll(cleanupTemp);

const VERSIONS = 200;

/** A platform that counts the inflates (one per pack entry decoded). */
function counting(): { platform: Platform; inflates: () => number } {
  let n = 0;
  const zlib = nodePlatform.zlib;
  const platform: Platform = {
    ...nodePlatform,
    zlib: {
      deflate: (data, level) => zlib.deflate(data, level),
      inflatePrefix: (data, size) => zlib.inflatePrefix(data, size),
      load: () => zlib.load?.(),
      inflate: (data, max) => {
        n++;
        return zlib.inflate(data, max);
      },
    },
  };
  return { platform, inflates: () => n };
}

describe("a delta chain of one file's versions, packed by git with --depth=250", () => {
  let dir: string;
  const versions: { id: string; content: string }[] = [];

  beforeAll(() => {
    // One line of 200 changes per commit: each version is closest to its
    // neighbours, so git chains them (a file that only grows would not chain:
    // every version is a prefix of the newest).
    dir = gitInit(join(tempDir(), "r.git"));
    const lines = Array.from({ length: 200 }, (_, k) => `line ${k}: the quick brown fox jumps over the lazy dog`);
    const random = rng(7);
    let stream = "";
    for (let i = 1; i <= VERSIONS; i++) {
      lines[Math.floor(random() * lines.length)] = `edit ${i}: ${random().toString(36)} ${random().toString(36)}`;
      const content = lines.join("\n") + "\n";
      const bytes = Buffer.from(content);
      versions.push({ id: createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex"), content });
      stream += `commit refs/heads/main\ncommitter C O Mitter <c@example.com> ${1700000000 + i} +0000\ndata 2\nc\nM 100644 inline f.txt\ndata ${bytes.length}\n${content}\n`;
    }
    git(dir, ["fast-import", "--quiet"], stream);
    git(dir, ["repack", "-adf", "--depth=250", "--window=250", "-q"]);
  });

  async function readAll(order: readonly number[], cacheBytes?: number): Promise<number> {
    const { platform, inflates } = counting();
    const odb = new ObjectDatabase(new NodeStorage(dir), platform, cacheBytes === undefined ? {} : { cacheBytes });
    for (const i of order) {
      const obj = await odb.read(versions[i]!.id);
      expect(new TextDecoder().decode(obj.data)).toBe(versions[i]!.content);
    }
    return inflates();
  }

  it("is a long chain", () => {
    expect(deltaCount(dir).maxDepth).toBeGreaterThanOrEqual(40);
  });

  const newestFirst = Array.from({ length: VERSIONS }, (_, i) => VERSIONS - 1 - i);
  const oldestFirst = [...newestFirst].reverse();
  const shuffled = [...newestFirst];
  const random = rng(3);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }

  it.each([
    ["newest first", newestFirst],
    ["oldest first", oldestFirst],
    ["in random order", shuffled],
  ])("reads every version %s with about one inflate each", async (_, order) => {
    // Each entry is inflated once (twice when its first, bounded read cut its
    // stream short); the commits and trees are never read.
    expect(await readAll(order)).toBeLessThanOrEqual(VERSIONS * 1.1);
  });

  it("would be quadratic without the cache (so the bound above means something)", async () => {
    // 15,689 when measured: the sum of the chain depths.
    expect(await readAll(oldestFirst, 0)).toBeGreaterThan(5 * VERSIONS);
  });
});
