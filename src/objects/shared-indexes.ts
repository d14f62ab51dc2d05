/**
 * Pack indexes shared by the handles of one process on the same repository.
 * A pack is named after its checksum, so an index that one handle read and
 * checked serves every other handle: a handle opened after another (a
 * server opening the repository per request, a read after a write) neither
 * reads the index again nor holds a second copy of it (3 MB for a pack of
 * 100,000 objects). Indexes are held weakly: one goes once no handle uses it.
 */
import type { PackIndex } from "./pack-index.js";

// By a repository's location (its directory's path), then by pack. A
// storage without a path (in memory, in a browser) shares nothing.
const byPath = new Map<string, Map<string, WeakRef<PackIndex>>>();

/** The index of the pack `base` (`objects/pack/pack-<checksum>`) at `location`, if a handle holds it. */
export function findSharedIndex(location: unknown, base: string): PackIndex | undefined {
  return typeof location === "string" ? byPath.get(location)?.get(base)?.deref() : undefined;
}

/** Offer `index` (of the pack `base` at `location`) to the handles opened later. */
export function shareIndex(location: unknown, base: string, index: PackIndex): void {
  if (typeof location !== "string") return;
  let indexes = byPath.get(location);
  if (!indexes) byPath.set(location, (indexes = new Map()));
  // Indexes are offered as a handle finds packs (when it opens, and after
  // another process wrote): a pass over them then costs nothing that matters.
  for (const [b, ref] of indexes) if (!ref.deref()) indexes.delete(b);
  indexes.set(base, new WeakRef(index));
}
