/** Removing packs whose objects are now stored elsewhere (after a merge of small packs, or gc). */
import type { Storage } from "../storage/storage.js";

/** A pack's files, the index first: without it neither git nor we see the pack. */
const PACK_FILES = [".idx", ".pack", ".rev", ".bitmap", ".mtimes", ".promisor"];

/** The packs dumb HTTP clients fetch, as git's gc and `update-server-info` list them. */
const PACK_LIST = "objects/info/packs";

/**
 * The pack directory as it is now: every file in it (by storage path), and
 * the packs a `.keep` file protects, which neither a merge nor gc removes
 * (as git's repack leaves them).
 */
export async function listPackDirectory(storage: Storage): Promise<{ files: ReadonlySet<string>; kept: ReadonlySet<string> }> {
  const files = new Set<string>();
  const kept = new Set<string>();
  for (const e of (await storage.list("objects/pack")) ?? []) {
    const path = `objects/pack/${e.name}`;
    files.add(path);
    if (path.endsWith(".keep")) kept.add(`${path.slice(0, -".keep".length)}.pack`);
  }
  return { files, kept };
}

/**
 * Remove the packs at `paths` (`objects/pack/pack-<checksum>.pack`): each
 * index first, then the pack and its siblings; and the multi-pack-index,
 * which would name a missing pack and make `git fsck` fail. `present`: the
 * pack directory's files, if the caller has just listed them (else listed
 * here). The pack list for dumb HTTP clients (`objects/info/packs`) is
 * rewritten if there is one, so that it names no removed pack.
 */
export async function removePackFiles(storage: Storage, paths: readonly string[], present?: ReadonlySet<string>): Promise<void> {
  present ??= (await listPackDirectory(storage)).files;
  const files = paths.flatMap((p) => PACK_FILES.map((ext) => p.slice(0, -".pack".length) + ext));
  for (const path of [...files, "objects/pack/multi-pack-index"]) {
    if (present.has(path)) await storage.remove(path).catch(() => undefined);
  }
  if (await storage.stat(PACK_LIST)) await writePackList(storage);
}

/** `objects/info/packs` as git's `update-server-info` writes it: `P <name>` per published pack, then an empty line. */
async function writePackList(storage: Storage): Promise<void> {
  const names = new Set(((await storage.list("objects/pack")) ?? []).map((e) => e.name));
  const packs = [...names].filter((n) => n.startsWith("pack-") && n.endsWith(".pack") && names.has(`${n.slice(0, -".pack".length)}.idx`)).sort();
  await storage.write(PACK_LIST, new TextEncoder().encode(packs.map((n) => `P ${n}\n`).join("") + "\n"));
}
