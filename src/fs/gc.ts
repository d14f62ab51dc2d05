/**
 * `repo.gc()`: every object reachable from any ref, HEAD or reflog (and, unless
 * pruning, every other object too) packed into one new pack with deltas; then
 * the loose objects and older packs it made redundant are removed. The new
 * pack is published (and flushed) before anything is removed, so a crash at
 * any point leaves every object readable.
 */
import { ValueError } from "../errors.js";
import { decodeCommit } from "../objects/commit.js";
import { DeltaIndex } from "../objects/delta-encode.js";
import type { ObjectType } from "../objects/object.js";
import { writing } from "../objects/lazy-writing.js";
import { decodeTag } from "../objects/tag.js";
import { decodeTree, entryKind } from "../objects/tree.js";
import { decodeReflog } from "../refs/reflog.js";
import { countOption, type Repo } from "./repo.js";

/** Options of `repo.gc()`. */
export interface GcOptions {
  /** How many preceding objects each object is tried against as a delta base (default 10). */
  readonly window?: number;
  /** Longest delta chain (default 50, at most 4095). */
  readonly depth?: number;
  /**
   * Also drop unreachable objects older than the grace period (`true`: two
   * weeks, as git; or a number of milliseconds). By default nothing is dropped.
   */
  readonly prune?: boolean | number;
  /** Called as work progresses. */
  readonly onProgress?: (progress: GcProgress) => void;
}

export interface GcProgress {
  readonly phase: "counting" | "compressing" | "cleaning";
  readonly done: number;
  readonly total: number;
}

/** What `repo.gc()` did. */
export interface GcSummary {
  /** Objects in the new pack. */
  readonly objects: number;
  /** Of those, stored as deltas. */
  readonly deltas: number;
  /** Bytes of loose objects and packs before, and after. */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** Unreachable objects dropped (only with `prune`). */
  readonly pruned: number;
}

const TWO_WEEKS = 14 * 24 * 3600 * 1000;
/**
 * What a writer leaves is removed only once this old, whatever the grace
 * period: a commit's pack has its final name before its index appears, and
 * removing it in that moment would leave an index naming a missing pack.
 */
const LEFTOVER_MIN_AGE = 3600 * 1000;
const TYPE_ORDER: Record<ObjectType, number> = { commit: 0, tag: 1, tree: 2, blob: 3 };

interface Candidate {
  id: string;
  type: ObjectType;
  nameHash: number;
  size: number;
  /** Discovery order: versions of one path found one after another stay neighbours. */
  order: number;
}

/** git's pack name hash: the last characters of the file name matter most. */
function nameHash(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) continue;
    h = ((h >>> 2) + (c << 24)) >>> 0;
  }
  return h;
}

export async function gc(repo: Repo, given: GcOptions | null = {}): Promise<GcSummary> {
  const options: GcOptions = given ?? {};
  const window = countOption("gc option window", options.window, 10);
  const maxDepth = Math.min(countOption("gc option depth", options.depth, 50), 4095);
  const prune = options.prune;
  const graceMs = prune === true ? TWO_WEEKS : prune === false || prune === undefined ? undefined : countOption("gc option prune (true, false or milliseconds)", prune, 0);
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") throw new TypeError("gc option onProgress must be a function");
  const progress = options.onProgress ?? (() => undefined);
  const { odb, storage } = repo;
  if (repo.options.keepPacks) throw new ValueError(`gc would remove packs, which git forbids in ${repo.options.keepPacks}`);

  // The pack writer and pack listing: with a writer's other code, in one chunk of their own.
  const { listPackDirectory, PackWriter } = await writing.load();
  // What exists now: only these may be removed at the end.
  await odb.rescan();
  const oldPacks = [...odb.packs];
  // They are removed at the end: a damaged index must stop gc before that.
  for (const p of oldPacks) p.index.verify();
  const keep = (await listPackDirectory(storage)).kept;
  const loose = await odb.loose.list();
  const bytesBefore = (await sizeOf(repo, loose.map((l) => l.path))) + (await sizeOf(repo, oldPacks.flatMap((p) => [p.path, p.path.replace(/\.pack$/, ".idx")])));

  // Reachability from refs, HEAD and every reflog entry.
  const roots = new Set<string>();
  for (const r of await repo.refs.list("refs/")) roots.add(r.id);
  const head = await repo.refs.resolve("HEAD").catch(() => undefined);
  if (head) roots.add(head);
  const zero = "0".repeat(repo.platform.hash.size * 2);
  for (const log of await listFiles(repo, "logs")) {
    const bytes = await storage.read(log);
    for (const e of decodeReflog(new TextDecoder().decode(bytes ?? new Uint8Array(0)))) {
      for (const id of [e.oldId, e.newId]) if (id !== zero && (await odb.has(id))) roots.add(id);
    }
  }
  // A shallow clone's cut commits keep no parents: git has none of them.
  const shallow = await repo.shallowCommits();
  const found = new Map<string, Candidate>();
  const queue: [string, string][] = [...roots].map((id) => [id, ""]);
  while (queue.length > 0) {
    const [id, name] = queue.pop()!;
    if (found.has(id)) continue;
    const obj = await odb.read(id);
    found.set(id, { id, type: obj.type, nameHash: nameHash(name), size: obj.data.length, order: found.size });
    if (found.size % 1000 === 0) progress({ phase: "counting", done: found.size, total: 0 });
    if (obj.type === "commit") {
      const c = decodeCommit(obj.data, repo.platform.hash, id);
      queue.push([c.tree, ""], ...(shallow.has(id) ? [] : c.parents.map((p): [string, string] => [p, ""])));
    } else if (obj.type === "tree") {
      for (const e of decodeTree(obj.data, repo.platform.hash, id)) if (entryKind(e.mode) !== "gitlink") queue.push([e.id, e.name]);
    } else if (obj.type === "tag") {
      queue.push([decodeTag(obj.data, repo.platform.hash, id).object, ""]);
    }
  }

  // Unreachable objects stay unless pruning, and then unless recent.
  let pruned = 0;
  const now = Date.now();
  const consider = async (id: string, mtimeMs: number): Promise<void> => {
    if (found.has(id)) return;
    if (graceMs !== undefined && now - mtimeMs > graceMs) {
      pruned++;
      found.set(id, { id, type: "blob", nameHash: 0, size: -1, order: found.size }); // marked: dropped
      return;
    }
    const obj = await odb.find(id);
    if (obj) found.set(id, { id, type: obj.type, nameHash: 0, size: obj.data.length, order: found.size });
  };
  for (const l of loose) await consider(l.id, l.mtimeMs);
  for (const p of oldPacks) {
    const mtime = (await storage.stat(p.path))?.mtimeMs ?? now;
    for (let i = 0; i < p.index.count; i++) await consider(p.index.id(i), mtime);
  }
  let kept = [...found.values()].filter((c) => c.size >= 0);
  // Objects this repository only borrows (objects/info/alternates) stay where
  // they are, as git's gc leaves them (repack -l).
  if (await storage.stat("objects/info/alternates")) {
    const looseIds = new Set(loose.map((l) => l.id));
    kept = kept.filter((c) => looseIds.has(c.id) || oldPacks.some((p) => p.index.find(c.id) >= 0));
  }
  // As git: by type, then path name hash, then size (largest first), then discovery order.
  kept.sort((a, b) => TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || a.nameHash - b.nameHash || b.size - a.size || a.order - b.order);

  // Write the pack: each object tried against the previous `window` of its type.
  const writer = new PackWriter(storage, repo.platform, kept.length);
  const recent: { id: string; type: ObjectType; index: DeltaIndex; depth: number }[] = [];
  let deltas = 0;
  try {
    for (let n = 0; n < kept.length; n++) {
      const c = kept[n]!;
      const data = (await odb.read(c.id)).data;
      let best: { base: string; delta: Uint8Array; depth: number } | undefined;
      for (const r of recent) {
        if (r.type !== c.type || r.depth >= maxDepth) continue;
        const limit = Math.min(best ? best.delta.length - 1 : Infinity, (data.length >> 1) - 20);
        if (limit <= 0) break;
        const delta = r.index.deltaTo(data, limit);
        if (delta) best = { base: r.id, delta, depth: r.depth + 1 };
      }
      if (best) {
        await writer.addDelta(c.id, best.base, best.delta);
        deltas++;
      } else {
        await writer.add(c.type, data, c.id);
      }
      recent.unshift({ id: c.id, type: c.type, index: new DeltaIndex(data), depth: best?.depth ?? 0 });
      if (recent.length > window) recent.pop();
      if (n % 500 === 0) progress({ phase: "compressing", done: n, total: kept.length });
    }
    progress({ phase: "compressing", done: kept.length, total: kept.length });
  } catch (e) {
    await writer.abort();
    throw e;
  }
  const published = await writer.finish({ sync: true });
  await odb.addPack(published);
  if (pruned > 0) await removeCommitGraph(repo);

  // Now everything is in the new pack: remove what became redundant.
  let cleaned = 0;
  const total = loose.length;
  for (const l of loose) {
    if (!found.has(l.id)) continue; // written meanwhile: not ours to remove
    await storage.remove(l.path).catch(() => undefined);
    if (++cleaned % 500 === 0) progress({ phase: "cleaning", done: cleaned, total });
  }
  await odb.removePacks(oldPacks.filter((p) => p.path !== `${published.base}.pack` && !keep.has(p.path)));
  await removeLeftovers(repo, now - Math.max(graceMs ?? TWO_WEEKS, LEFTOVER_MIN_AGE));
  await odb.rescan();
  progress({ phase: "cleaning", done: total, total });
  const remaining = await odb.loose.list();
  const bytesAfter = published.bytes + ((await storage.stat(`${published.base}.idx`))?.size ?? 0) + (await sizeOf(repo, remaining.map((l) => l.path)));
  return { objects: kept.length, deltas, bytesBefore, bytesAfter, pruned };
}

/**
 * Remove what interrupted writers left behind, when last modified before
 * `before` (so that no running writer's file goes; see {@link LEFTOVER_MIN_AGE}): temporary files
 * (`tmp_*`, as `git prune` removes them) in the object and pack directories,
 * and packs without an index (a commit creates its pack under the final name
 * before the index that publishes it). Then the loose object directories
 * left empty.
 */
async function removeLeftovers(repo: Repo, before: number): Promise<void> {
  const { storage } = repo;
  const removeIfOld = async (path: string): Promise<boolean> => {
    const st = await storage.stat(path);
    if (!st || st.isDirectory || st.mtimeMs >= before) return false;
    return storage.remove(path).then(
      () => true,
      () => false,
    );
  };
  const pack = (await storage.list("objects/pack")) ?? [];
  const indexed = new Set(pack.filter((e) => e.name.endsWith(".idx")).map((e) => e.name.slice(0, -".idx".length)));
  for (const e of pack) {
    const orphan = e.name.startsWith("pack-") && e.name.endsWith(".pack") && !indexed.has(e.name.slice(0, -".pack".length));
    if (orphan || e.name.startsWith("tmp_")) await removeIfOld(`objects/pack/${e.name}`);
  }
  for (const dir of await repo.odb.loose.fanOutDirs()) {
    const entries = (await storage.list(`objects/${dir}`)) ?? [];
    let left = entries.length;
    for (const e of entries) if (e.name.startsWith("tmp_") && (await removeIfOld(`objects/${dir}/${e.name}`))) left--;
    if (left === 0) await storage.remove(`objects/${dir}`).catch(() => undefined);
  }
}

/**
 * Remove git's commit-graph (one file, or a chain of them): it lists commits
 * by id, and one naming a commit that was pruned makes `git fsck` fail. It is
 * a cache only, which git's next gc writes again.
 */
async function removeCommitGraph(repo: Repo): Promise<void> {
  const { storage } = repo;
  const chain = "objects/info/commit-graphs";
  await storage.remove(`${chain}/commit-graph-chain`);
  for (const e of (await storage.list(chain)) ?? []) if (!e.isDirectory) await storage.remove(`${chain}/${e.name}`);
  await storage.remove(chain).catch(() => undefined);
  await storage.remove("objects/info/commit-graph");
}

async function sizeOf(repo: Repo, paths: readonly string[]): Promise<number> {
  let n = 0;
  for (const p of paths) n += (await repo.storage.stat(p))?.size ?? 0;
  return n;
}

async function listFiles(repo: Repo, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await repo.storage.list(dir)) ?? []) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...(await listFiles(repo, p)));
    else if (!e.name.endsWith(".lock")) out.push(p);
  }
  return out;
}

