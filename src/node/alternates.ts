/**
 * Following `objects/info/alternates` on a local disk: each path (absolute,
 * or relative to the borrowing repository's `objects/`) is opened as a
 * read-only object database, and its own alternates in turn, five deep as
 * git follows them.
 */
import * as nodePath from "node:path";
import { openAlternates, type Alternates } from "../objects/alternates.js";
import { ObjectDatabase } from "../objects/odb.js";
import { decodeText } from "../objects/text.js";
import { NodeStorage } from "../storage/node.js";
import { ObjectsDirectory } from "../storage/objects-dir.js";

const MAX_DEPTH = 5;

/** What each borrowed database may cache: a quarter of a handle's default. */
const CACHE_BYTES = 13 * 1024 * 1024;

/**
 * The databases `db` borrows from, or `undefined` when it borrows nothing (or
 * is not on a local disk). `seen`: the object directories of the chain so
 * far, which are not opened again (a directory listing itself, or a cycle).
 */
export async function nodeAlternates(db: ObjectDatabase, seen: readonly string[] = []): Promise<Alternates | undefined> {
  const { storage } = db;
  const objects = storage instanceof NodeStorage ? nodePath.join(storage.root, "objects") : storage instanceof ObjectsDirectory && storage.inner instanceof NodeStorage ? storage.inner.root : undefined;
  if (objects === undefined || seen.length >= MAX_DEPTH) return undefined;
  const text = await storage.read("objects/info/alternates");
  if (!text) return undefined;
  const chain = [...seen, objects];
  return openAlternates(decodeText(text), (path) => {
    const dir = nodePath.resolve(objects, path);
    if (chain.includes(dir)) return undefined;
    return new ObjectDatabase(new ObjectsDirectory(new NodeStorage(dir)), db.platform, { cacheBytes: CACHE_BYTES, alternates: (d) => nodeAlternates(d, chain) });
  });
}
