/**
 * Pack indexes shared by the handles of one process on the same repository.
 * A pack is named after its checksum, so an index that one handle read and
 * checked serves every other handle: a handle opened after another (a
 * server opening the repository per request, a read after a write) neither
 * reads the index again nor holds a second copy of it (3 MB for a pack of
 * 100,000 objects). Indexes are held weakly: one goes once no handle uses it.
 */
import type { PackIndex } from "./pack-index.js";

type Indexes = Map<string, WeakRef<PackIndex>>;

// A repository is known by its location (a directory's path) or, for a
// storage with none, by the storage object itself.
const byPath = new Map<string, Indexes>();
const byObject = new WeakMap<object, Indexes>();

function indexesAt(location: unknown, create: boolean): Indexes | undefined {
  if (typeof location === "string") {
    let found = byPath.get(location);
    if (!found && create) byPath.set(location, (found = new Map()));
    return found;
  }
  if (typeof location !== "object" || location === null) return undefined;
  let found = byObject.get(location);
  if (!found && create) byObject.set(location, (found = new Map()));
  return found;
}

/** The index of the pack `base` (`objects/pack/pack-<checksum>`) at `location`, if a handle holds it. */
export function findSharedIndex(location: unknown, base: string): PackIndex | undefined {
  return indexesAt(location, false)?.get(base)?.deref();
}

/** Offer `index` (of the pack `base` at `location`) to the handles opened later. */
export function shareIndex(location: unknown, base: string, index: PackIndex): void {
  const indexes = indexesAt(location, true);
  if (!indexes) return;
  // Indexes are offered as a handle finds packs (when it opens, and after
  // another process wrote): a pass over them then costs nothing that matters.
  for (const [b, ref] of indexes) if (!ref.deref()) indexes.delete(b);
  indexes.set(base, new WeakRef(index));
}
