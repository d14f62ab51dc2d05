/** Merging small packs into one, for {@link ObjectDatabase.consolidate}. */
import type { ObjectDatabase } from "./odb.js";
import type { PackFile } from "./pack-file.js";
import type { PackIndexEntry } from "./pack-index.js";
import { PACK_HEADER_SIZE } from "./pack.js";
import { PackWriter, type PublishedPack } from "./pack-writer.js";
import { FAST_LEVEL } from "./zlib.js";

/** Packs up to this size are copied as one block (read whole); larger ones entry by entry. */
const BLOCK_BYTES = 1024 * 1024;

/**
 * Write one pack holding every object of `group` and publish it (the caller
 * removes the old packs). A small pack whose objects are all new to the
 * merged one is copied as one block, deltas and all; otherwise whole entries
 * are copied as they are, without inflating them, and deltas are resolved.
 */
export async function mergePacks(odb: ObjectDatabase, group: readonly PackFile[], options: { sync: boolean }): Promise<PublishedPack> {
  // The new index is built from these ones: they must be sound.
  for (const p of group) p.index.verify();
  const idsOf = group.map((p) => Array.from({ length: p.index.count }, (_, i) => p.index.id(i)));
  const writer = new PackWriter(odb.storage, odb.platform, new Set(idsOf.flat()).size, FAST_LEVEL);
  try {
    for (const [g, pack] of group.entries()) {
      const { index } = pack;
      const ids = idsOf[g]!;
      const block = blockEntries(pack, ids, writer);
      if (block) {
        await writer.addEntries(await pack.entryBytes(), block);
        continue;
      }
      for (let i = 0; i < index.count; i++) {
        const id = ids[i]!;
        if (writer.has(id)) continue;
        const raw = await pack.rawWholeEntry(i);
        // rawWholeEntry checked the bytes against the index's CRC, when it has one.
        if (raw) await writer.addRaw(id, raw, index.crc(i));
        else {
          const obj = await odb.read(id);
          await writer.add(obj.type, obj.data, id);
        }
      }
    }
  } catch (e) {
    await writer.abort();
    throw e;
  }
  return writer.finish({ sync: options.sync });
}

/**
 * The index entries of `pack` (ids `ids`), offsets counted from its first
 * entry, when it can be copied as one block: small, with CRCs (index v2),
 * and no object the merged pack holds already; otherwise `undefined`.
 */
function blockEntries(pack: PackFile, ids: readonly string[], writer: PackWriter): PackIndexEntry[] | undefined {
  if (pack.packSize > BLOCK_BYTES) return undefined;
  const entries: PackIndexEntry[] = [];
  for (let i = 0; i < ids.length; i++) {
    const crc = pack.index.crc(i);
    const id = ids[i]!;
    // (A damaged index may list an id twice; the copy entry by entry skips it.)
    if (crc === undefined || writer.has(id) || id === entries.at(-1)?.id) return undefined;
    entries.push({ id, offset: pack.index.offset(i) - PACK_HEADER_SIZE, crc });
  }
  return entries;
}
