/** Merging small packs into one, for {@link ObjectDatabase.consolidate}. */
import type { ObjectDatabase } from "./odb.js";
import type { PackFile } from "./pack-file.js";
import { PackWriter, type PublishedPack } from "./pack-writer.js";
import { FAST_LEVEL } from "./zlib.js";

/**
 * Write one pack holding every object of `group` and publish it (the caller
 * removes the old packs). Whole entries are copied as they are, without
 * inflating them; deltas (written by other tools) are resolved.
 */
export async function mergePacks(odb: ObjectDatabase, group: readonly PackFile[], options: { sync: boolean }): Promise<PublishedPack> {
  // The new index is built from these ones: they must be sound.
  for (const p of group) p.index.verify();
  const entries = new Map<string, [PackFile, number]>();
  for (const p of group) for (let i = 0; i < p.index.count; i++) entries.set(p.index.id(i), [p, i]);
  const writer = new PackWriter(odb.storage, odb.platform, entries.size, FAST_LEVEL);
  try {
    for (const [id, [pack, i]] of entries) {
      const raw = await pack.rawWholeEntry(i);
      // rawWholeEntry checked the bytes against the index's CRC, when it has one.
      if (raw) await writer.addRaw(id, raw, pack.index.crc(i));
      else {
        const obj = await odb.read(id);
        await writer.add(obj.type, obj.data, id);
      }
    }
  } catch (e) {
    await writer.abort();
    throw e;
  }
  return writer.finish({ sync: options.sync });
}
