/** Damaged or hostile object data: always CorruptObjectError naming the object or file. */
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CorruptObjectError } from "../../src/errors.js";
import { ObjectDatabase } from "../../src/objects/odb.js";
import { hashObject } from "../../src/objects/object.js";
import { sha1 } from "../../src/objects/sha1.js";
import { portablePlatform } from "../../src/objects/platform.js";
import { nodePlatform } from "../../src/node/platform.js";
import { MemoryStorage } from "../../src/storage/memory.js";
import { buildPack } from "../helpers/pack-builder.js";

// The portable platform loads its SHA-1 on first use (GitStore.open does this).
await portablePlatform.hash.load?.();

const enc = new TextEncoder();
const blobId = (s: string): string => hashObject(sha1, "blob", enc.encode(s));
const loosePath = (id: string): string => `objects/${id.slice(0, 2)}/${id.slice(2)}`;

describe.each([
  ["portable", portablePlatform],
  ["node", nodePlatform],
] as const)("corrupt data (%s platform)", (_, platform) => {
  const setup = async (files: Record<string, Uint8Array>): Promise<ObjectDatabase> => {
    const s = new MemoryStorage();
    for (const [p, b] of Object.entries(files)) await s.write(p, b);
    await s.mkdirp("objects/pack");
    return new ObjectDatabase(s, platform);
  };
  const expectCorrupt = async (odb: ObjectDatabase, id: string, pattern: RegExp): Promise<void> => {
    const err = await odb.read(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptObjectError);
    expect((err as Error).message).toMatch(pattern);
  };

  it("a truncated loose object", async () => {
    const id = blobId("hello world, hello world");
    const full = deflateSync(Buffer.from("blob 24\0hello world, hello world"));
    const odb = await setup({ [loosePath(id)]: full.subarray(0, full.length - 6) });
    await expectCorrupt(odb, id, new RegExp(id));
  });

  it("a loose object that is not zlib at all", async () => {
    const id = blobId("x");
    await expectCorrupt(await setup({ [loosePath(id)]: enc.encode("this is not zlib") }), id, new RegExp(id));
  });

  it("a loose object with garbage after the stream", async () => {
    const id = blobId("x");
    const z = deflateSync(Buffer.from("blob 1\0x"));
    await expectCorrupt(await setup({ [loosePath(id)]: Buffer.concat([z, Buffer.from("junk")]) }), id, /garbage/);
  });

  it("an object whose content does not match its name", async () => {
    const id = blobId("expected");
    await expectCorrupt(await setup({ [loosePath(id)]: deflateSync(Buffer.from("blob 5\0other")) }), id, /hashes to/);
  });

  it("a loose header declaring an absurd size allocates nothing", async () => {
    const id = blobId("x");
    await expectCorrupt(await setup({ [loosePath(id)]: deflateSync(Buffer.from("blob 999999999999\0x")) }), id, /header says|bytes/);
  });

  it("a loose object whose header is shorter than its content", async () => {
    const id = blobId("xyz");
    await expectCorrupt(await setup({ [loosePath(id)]: deflateSync(Buffer.from("blob 1\0xyz")) }), id, new RegExp(id));
  });

  const packed = async (entries: Parameters<typeof buildPack>[0], mutate?: (p: Uint8Array, i: Uint8Array) => void): Promise<ObjectDatabase> => {
    const { pack, idx, name } = buildPack(entries);
    mutate?.(pack, idx);
    return setup({ [`objects/pack/${name}.pack`]: pack, [`objects/pack/${name}.idx`]: idx });
  };
  const body = enc.encode("some base content that is long enough");
  const baseId = hashObject(sha1, "blob", body);

  it("reads a valid hand-built pack (control)", async () => {
    const odb = await packed([{ id: baseId, type: 3, body }]);
    expect(new TextDecoder().decode((await odb.read(baseId)).data)).toBe("some base content that is long enough");
  });

  it("reads a large entry whose zlib data runs past the first read window (control)", async () => {
    let x = 1;
    const big = Uint8Array.from({ length: 3_000_000 }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 24));
    const id = hashObject(sha1, "blob", big);
    const odb = await packed([{ id: baseId, type: 3, body }, { id, type: 3, body: big }]);
    expect(Buffer.from((await odb.read(id)).data).equals(Buffer.from(big))).toBe(true);
  });

  it("an index pointing outside its pack", async () => {
    await expectCorrupt(await packed([{ id: baseId, type: 3, body, fakeOffset: 5000 }]), baseId, /pack/);
  });

  it("a pack whose trailer checksum is wrong", async () => {
    await expectCorrupt(await packed([{ id: baseId, type: 3, body }], (p) => (p[p.length - 1]! ^= 1)), baseId, /checksum/);
  });

  it("an index whose own checksum is wrong", async () => {
    await expectCorrupt(await packed([{ id: baseId, type: 3, body }], (_, i) => (i[100]! ^= 1)), baseId, /\.idx/);
  });

  describe("an index too large to hash at open (checked for structure, hashed when relied on)", () => {
    const other = enc.encode("another blob, also long enough to matter");
    const otherId = hashObject(sha1, "blob", other);
    const lazy = async (mutate: (i: Uint8Array, pos: (id: string) => number) => void): Promise<ObjectDatabase> => {
      const { pack, idx, name } = buildPack([
        { id: baseId, type: 3, body },
        { id: otherId, type: 3, body: other },
      ]);
      // v2 layout: 8-byte header, 1 KiB fan-out, then the sorted ids.
      const sorted = [baseId, otherId].sort();
      mutate(idx, (id) => 8 + 1024 + 20 * sorted.indexOf(id));
      const s = new MemoryStorage();
      await s.write(`objects/pack/${name}.pack`, pack);
      await s.write(`objects/pack/${name}.idx`, idx);
      return new ObjectDatabase(s, platform, { indexCheckBytes: 0 });
    };

    it("an intact object still reads, checked against its id", async () => {
      const odb = await lazy((i) => (i[i.length - 1]! ^= 1));
      expect(new TextDecoder().decode((await odb.read(baseId)).data)).toBe("some base content that is long enough");
    });

    it("an object hidden by a damaged id is reported as damage, not as missing", async () => {
      const odb = await lazy((i, pos) => (i[pos(otherId) + 19]! ^= 1));
      await expectCorrupt(odb, otherId, /\.idx: pack index checksum mismatch/);
      const err = await odb.find(blobId("never stored")).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptObjectError);
    });

    it("a damaged offset never yields wrong bytes", async () => {
      const odb = await lazy((i) => {
        // Point both ids at the first entry: one of them now names the other's bytes.
        const offsets = 8 + 1024 + 2 * 20 + 2 * 4;
        i.set(i.subarray(offsets, offsets + 4), offsets + 4);
      });
      const results = await Promise.all([baseId, otherId].map((id) => odb.read(id).then(() => "ok", (e: unknown) => e)));
      expect(results.filter((r) => r instanceof CorruptObjectError)).toHaveLength(1);
    });

    it("an intact lazily checked index passes", async () => {
      const odb = await lazy(() => undefined);
      expect(await odb.find(blobId("never stored"))).toBeUndefined();
    });
  });

  it("a pack entry whose content was damaged", async () => {
    await expectCorrupt(await packed([{ id: baseId, type: 3, body, size: body.length + 3 }]), baseId, /header says/);
  });

  const delta = (...b: number[]): Uint8Array => Uint8Array.from(b);
  const targetId = blobId("target");

  it("a delta that copies out of range", async () => {
    const d = delta(body.length, 10, 0x91, 30, 10);
    await expectCorrupt(await packed([{ id: baseId, type: 3, body }, { id: targetId, type: 6, body: d, ofsBase: 0 }]), targetId, /out of range/);
  });

  it("a delta that declares wrong sizes", async () => {
    const d = delta(body.length + 1, 4, 0x90, 4);
    await expectCorrupt(await packed([{ id: baseId, type: 3, body }, { id: targetId, type: 6, body: d, ofsBase: 0 }]), targetId, /base/);
    const d2 = delta(body.length, 9, 0x90, 4);
    await expectCorrupt(await packed([{ id: baseId, type: 3, body }, { id: targetId, type: 6, body: d2, ofsBase: 0 }]), targetId, /declared/);
  });

  it("a delta chain that refers to itself", async () => {
    const d = delta(4, 4, 0x90, 4);
    await expectCorrupt(await packed([{ id: targetId, type: 7, body: d, refBase: targetId }]), targetId, /loops/);
    const other = blobId("other");
    await expectCorrupt(await packed([{ id: targetId, type: 7, body: d, refBase: other }, { id: other, type: 7, body: d, refBase: targetId }]), targetId, /loops/);
  });

  it("a REF_DELTA whose base is not in the pack", async () => {
    await expectCorrupt(await packed([{ id: targetId, type: 7, body: delta(4, 4, 0x90, 4), refBase: blobId("absent") }]), targetId, /not in the pack/);
  });

  it("a pack entry declaring an absurd size", async () => {
    await expectCorrupt(await packed([{ id: baseId, type: 3, body, size: 2 ** 45 }]), baseId, new RegExp(baseId));
  });

  it("an invalid entry type", async () => {
    await expectCorrupt(await packed([{ id: baseId, type: 5, body }]), baseId, /type/);
  });

  it("a missing object that something references", async () => {
    await expectCorrupt(await setup({}), baseId, /missing/);
    expect(await (await setup({})).find(baseId)).toBeUndefined();
  });
});
