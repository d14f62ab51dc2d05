/** Hand-built packs (valid or deliberately broken) for reader tests. */
import { deflateSync } from "node:zlib";
import { crc32 } from "../../src/objects/crc32.js";
import { fromHex, toHex } from "../../src/objects/hash.js";
import { sha1 } from "../../src/objects/sha1.js";
import { encodePackIndex } from "../../src/objects/pack-index.js";
import { encodeEntryHeader, encodeOfsDistance, encodePackHeader } from "../../src/objects/pack.js";

export interface RawEntry {
  /** The id the index will list for this entry. */
  id: string;
  type: number;
  /** Payload (for deltas: the delta) before compression. */
  body: Uint8Array;
  /** Declared size (defaults to body length). */
  size?: number;
  /** OFS_DELTA: index of the base entry in this list; REF_DELTA: base id. */
  ofsBase?: number;
  refBase?: string;
  /** Offset to record in the index instead of the real one. */
  fakeOffset?: number;
}

export function buildPack(entries: RawEntry[]): { pack: Uint8Array; idx: Uint8Array; name: string } {
  const parts: Uint8Array[] = [encodePackHeader(entries.length)];
  let pos = 12;
  const offsets: number[] = [];
  const idxEntries = entries.map((e) => {
    offsets.push(pos);
    const head = [encodeEntryHeader(e.type, e.size ?? e.body.length)];
    if (e.ofsBase !== undefined) head.push(encodeOfsDistance(pos - offsets[e.ofsBase]!));
    if (e.refBase !== undefined) head.push(fromHex(e.refBase));
    head.push(new Uint8Array(deflateSync(e.body)));
    const raw = Uint8Array.from(head.flatMap((h) => [...h]));
    parts.push(raw);
    const entry = { id: e.id, offset: e.fakeOffset ?? pos, crc: crc32(raw) };
    pos += raw.length;
    return entry;
  });
  const body = Uint8Array.from(parts.flatMap((p) => [...p]));
  const trailer = sha1.create().update(body).digest();
  const pack = new Uint8Array(body.length + 20);
  pack.set(body);
  pack.set(trailer, body.length);
  return { pack, idx: encodePackIndex(idxEntries, trailer, sha1), name: `pack-${toHex(trailer)}` };
}
