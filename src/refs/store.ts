/**
 * The files ref backend, interoperable with git: loose refs (which win),
 * `packed-refs`, symbolic refs, reflogs, and all-or-nothing updates under git's
 * own lock files with the compare-and-swap done after the locks are held.
 */
import { CorruptObjectError, RefConflictError, ValueError } from "../errors.js";
import { isId, zeroId, type HashAlgorithm } from "../objects/hash.js";
import type { Storage } from "../storage/storage.js";
import { dirname } from "../storage/storage.js";
import { Lock, type LockOptions } from "./lock.js";
import { checkRefName, refNameProblem } from "./names.js";
import { compareRefNames, decodePackedRefsFile, encodePackedRefs, type PackedRef } from "./packed-refs.js";
import { decodeReflog, encodeReflogEntry, type ReflogEntry } from "./reflog.js";

/** What a ref file holds. */
export type RefValue = { readonly kind: "id"; readonly id: string } | { readonly kind: "symbolic"; readonly target: string };

/** The condition a ref must meet, checked under its lock. */
export type Expected = { readonly kind: "any" } | { readonly kind: "absent" } | { readonly kind: "present" } | { readonly kind: "value"; readonly id: string };

export interface RefEdit {
  /** Full ref name (`refs/heads/main`). */
  readonly name: string;
  /** New id, or `null` to delete the ref. */
  readonly newId: string | null;
  readonly expected?: Expected;
  /** Reflog message. */
  readonly message?: string;
}

/**
 * A transaction whose refs are locked and checked (see `RefStore.prepare`):
 * `commit` publishes it; `rollback` releases what is still held (nothing once
 * committed), and belongs in a `finally`.
 */
export interface PreparedRefs {
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface RefStoreOptions {
  /** How long a held lock is waited for (ms). Default 1000. */
  readonly lockTimeoutMs?: number;
  /** Flush ref files (and their directories) before an update resolves. */
  readonly sync?: boolean;
  /** Write reflogs for branches and HEAD (git's `core.logAllRefUpdates`; the caller applies git's default for the repository). Default true. */
  readonly logAllRefUpdates?: boolean;
  /** `Name <email> seconds +HHMM` for reflog lines, computed at update time. */
  readonly identity: () => string;
}

const MAX_SYMREF_DEPTH = 5;
const PACKED = "packed-refs";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class RefStore {
  /** How this store's ref locks are taken (wait, flush), its options resolved. */
  readonly lockOptions: LockOptions;
  readonly #logAll: boolean;

  constructor(
    readonly storage: Storage,
    readonly algo: HashAlgorithm,
    readonly options: RefStoreOptions,
  ) {
    this.lockOptions = { timeoutMs: options.lockTimeoutMs ?? 1000, sync: options.sync ?? false };
    this.#logAll = options.logAllRefUpdates ?? true;
  }

  #parseLoose(name: string, bytes: Uint8Array): RefValue {
    const text = decoder.decode(bytes);
    if (text.startsWith("ref:")) {
      const target = text.slice(4).trim();
      if (!target.startsWith("refs/") && target !== "HEAD") throw new CorruptObjectError(`ref ${name}: malformed symbolic ref ${JSON.stringify(text.slice(0, 80))}`);
      return { kind: "symbolic", target };
    }
    // git's reader: trailing whitespace trimmed, anything after whitespace ignored.
    const id = text.trim().split(/\s/)[0]!.toLowerCase();
    if (!isId(id, this.algo)) throw new CorruptObjectError(`ref ${name}: unparsable ref file ${JSON.stringify(text.slice(0, 80))}`);
    return { kind: "id", id };
  }

  async #readLoose(name: string): Promise<RefValue | undefined> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.storage.read(name);
    } catch (e) {
      if (e instanceof ValueError) return undefined; // a directory is in the way: not a loose ref
      throw e;
    }
    return bytes && this.#parseLoose(name, bytes);
  }

  /** All packed refs, sorted (empty when there is no `packed-refs`). */
  async readPacked(): Promise<PackedRef[]> {
    return (await this.#readPackedFile()).refs;
  }

  async #readPackedFile(): Promise<{ header: string | undefined; refs: PackedRef[] }> {
    const bytes = await this.storage.read(PACKED);
    return bytes ? decodePackedRefsFile(decoder.decode(bytes), this.algo) : { header: undefined, refs: [] };
  }

  /** The ref's own value (loose wins over packed), or `undefined`. */
  async read(name: string): Promise<RefValue | undefined> {
    const loose = await this.#readLoose(name);
    if (loose) return loose;
    const packed = (await this.readPacked()).find((r) => r.name === name);
    return packed && { kind: "id", id: packed.id };
  }

  /** Follow symbolic refs to an id; `undefined` when the chain ends at a missing ref. */
  async resolve(name: string): Promise<string | undefined> {
    const end = await this.#follow(name);
    return end.loose?.id ?? (await this.readPacked()).find((r) => r.name === end.name)?.id;
  }

  /**
   * The ref the chain of symbolic refs from `name` ends at, and its loose
   * value (`undefined` when it has no loose file; a packed ref is never
   * symbolic).
   */
  async #follow(name: string): Promise<{ name: string; loose: { kind: "id"; id: string } | undefined }> {
    let current = name;
    for (let depth = 0; depth <= MAX_SYMREF_DEPTH; depth++) {
      const v = await this.#readLoose(current);
      if (v?.kind !== "symbolic") return { name: current, loose: v };
      current = v.target;
    }
    throw new CorruptObjectError(`ref ${name}: symbolic ref chain too long or looping`);
  }

  /** Target of a symbolic ref (one level), or `undefined` when `name` is not one. */
  async readSymbolic(name: string): Promise<string | undefined> {
    const v = await this.#readLoose(name);
    return v?.kind === "symbolic" ? v.target : undefined;
  }

  /**
   * Refs under `prefix` (e.g. `refs/heads/`), loose and packed merged, symbolic
   * ones resolved, sorted. A file whose name `git check-ref-format` rejects (a
   * lock, `.DS_Store`, `a..b`) is no ref: git ignores it too.
   */
  async list(prefix: string): Promise<{ name: string; id: string }[]> {
    const found = new Map<string, string>();
    for (const r of await this.readPacked()) if (r.name.startsWith(prefix) && refNameProblem(r.name) === undefined) found.set(r.name, r.id);
    const walk = async (dir: string): Promise<void> => {
      for (const e of (await this.storage.list(dir)) ?? []) {
        const path = `${dir}/${e.name}`;
        if (e.isDirectory) await walk(path);
        else if (path.startsWith(prefix) && refNameProblem(path) === undefined) {
          const v = await this.#readLoose(path);
          if (!v) continue;
          const id = v.kind === "id" ? v.id : await this.resolve(path);
          if (id) found.set(path, id);
          else found.delete(path);
        }
      }
    };
    await walk(prefix.endsWith("/") ? prefix.slice(0, -1) : dirname(prefix));
    return [...found].map(([name, id]) => ({ name, id })).sort((a, b) => compareRefNames(a.name, b.name));
  }

  /** One compare-and-swap update (or deletion). */
  async update(edit: RefEdit): Promise<void> {
    await this.transaction([edit]);
  }

  /**
   * Apply all edits or none: lock every ref in a fixed order, check every
   * expectation under the locks, then publish. On any failure every lock is
   * released and nothing changes.
   */
  async transaction(edits: readonly RefEdit[]): Promise<void> {
    const prepared = await this.prepare(edits);
    try {
      await prepared.commit();
    } finally {
      await prepared.rollback();
    }
  }

  /**
   * The first half of {@link transaction}: every ref locked and every
   * expectation checked (else it throws, holding nothing). The caller then
   * commits or rolls back, as with a lock; a writer can store the objects
   * the new values name in between, and store nothing when a check fails.
   */
  prepare(edits: readonly RefEdit[]): Promise<PreparedRefs> {
    return this.#prepare(edits, false);
  }

  /** {@link prepare}; `derefed`: the edits name the refs their symbolic refs led to (`via`). */
  async #prepare(edits: readonly (RefEdit & { via?: string })[], derefed: boolean): Promise<PreparedRefs> {
    // Locked in one order, whoever takes them: no two writers wait for each other.
    const sorted = [...edits].sort((a, b) => compareRefNames(a.name, b.name));
    for (let i = 0; i < sorted.length; i++) {
      const e = sorted[i]!;
      checkRefName(e.name);
      if (e.newId !== null && !isId(e.newId, this.algo)) throw new ValueError(`not an object id: ${JSON.stringify(e.newId)}`);
      if (i > 0 && sorted[i - 1]!.name === e.name) throw new ValueError(`ref ${e.name} named twice in one transaction`);
    }
    const locks: Lock[] = [];
    const rollback = async (): Promise<void> => {
      for (const l of locks) await l.rollback().catch(() => undefined);
    };
    const olds: (string | undefined)[] = [];
    const deletes = sorted.filter((e) => e.newId === null);
    let packedLock: Lock | undefined;
    let packedFile: { header: string | undefined; refs: PackedRef[] } | undefined;
    try {
      // A ref that must already exist cannot collide with another's path; only creations are checked.
      const creating = (e: RefEdit): boolean => e.newId !== null && e.expected?.kind !== "value" && e.expected?.kind !== "present";
      const packedBefore = sorted.some(creating) ? await this.readPacked() : [];
      for (const e of sorted) {
        if (creating(e)) await this.#checkNameConflicts(e.name, packedBefore);
        locks.push(await Lock.acquire(this.storage, e.name, encoder.encode(e.newId === null ? "" : `${e.newId}\n`), this.lockOptions));
      }
      if (deletes.length > 0) {
        // Held across the deletion so a concurrent pack-refs cannot resurrect the ref.
        packedLock = await Lock.acquire(this.storage, PACKED, new Uint8Array(0), { ...this.lockOptions, timeoutMs: Math.max(this.lockOptions.timeoutMs, 1000) });
        locks.push(packedLock);
      }
      // packed-refs matters only for refs without a loose file, and for deletions.
      packedFile = packedLock ? await this.#readPackedFile() : undefined;
      for (const e of sorted) {
        const loose = await this.#readLoose(e.name);
        if (loose?.kind === "symbolic" && e.newId !== null) {
          // Rare (git's `refs/heads/master` pointing at `refs/heads/main`, say): start over on the refs the chains end at.
          if (derefed) throw new ValueError(`ref ${e.name} is a symbolic ref`);
          await rollback();
          return this.#prepare(await Promise.all(edits.map((x) => this.#deref(x))), true);
        }
        if (!loose) packedFile ??= await this.#readPackedFile();
        const old = loose?.kind === "symbolic" ? await this.resolve(e.name) : (loose?.id ?? packedFile?.refs.find((r) => r.name === e.name)?.id);
        checkExpected(e, old);
        olds.push(old);
      }
    } catch (e) {
      await rollback();
      throw e;
    }
    const commit = async (): Promise<void> => {
      // From here on, every step publishes.
      const headTarget = await this.readSymbolic("HEAD").catch(() => undefined);
      const moves = sorted.flatMap((e, i) => (e.newId === null ? [] : [{ e, newId: e.newId, lock: locks[i]!, old: olds[i] }]));
      // The lock files' contents and the reflog lines (with `sync`, flushed
      // at once), all before the first ref is published.
      await this.#inTurn(moves.flatMap((m) => [() => m.lock.flush(), () => this.#appendReflog(m.e, m.old, m.newId, headTarget)]));
      for (const m of moves) await m.lock.commit();
      if (packedLock && packedFile) {
        const names = new Set(deletes.map((e) => e.name));
        if (packedFile.refs.some((r) => names.has(r.name))) {
          await this.storage.write(PACKED, encoder.encode(encodePackedRefs(packedFile.refs.filter((r) => !names.has(r.name)), packedFile.header)), { sync: this.lockOptions.sync });
        }
        for (const e of deletes) {
          await this.storage.remove(e.name);
          await this.storage.remove(`logs/${e.name}`);
          if (headTarget === e.name) await this.#appendReflog(e, olds[sorted.indexOf(e)], zeroId(this.algo), headTarget, true);
          await this.#pruneEmptyDirs(e.name);
          await this.#pruneEmptyDirs(`logs/${e.name}`);
        }
      }
    };
    return { commit, rollback };
  }

  /**
   * An update of a symbolic ref (git's `refs/heads/master` pointing at
   * `refs/heads/main`, say) updates the ref at the end of its chain, as
   * `git update-ref` does, and is logged for both; a deletion removes the
   * symbolic ref itself, as `git branch -d` does.
   */
  async #deref(e: RefEdit): Promise<RefEdit & { via?: string }> {
    if (e.newId === null) return e;
    const { name } = await this.#follow(e.name);
    if (!name.startsWith("refs/")) throw new CorruptObjectError(`ref ${e.name}: symbolic ref leading outside refs/ (to ${name})`);
    return name === e.name ? e : { ...e, name, via: e.name };
  }

  /** `refs/heads/a` and `refs/heads/a/b` cannot both exist (loose or packed). */
  async #checkNameConflicts(name: string, packed: readonly PackedRef[]): Promise<void> {
    const parts = name.split("/");
    // The first two levels (`refs/heads`) are namespaces, never refs.
    for (let i = 3; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      if ((await this.#readLoose(prefix)) !== undefined || packed.some((r) => r.name === prefix)) throw new ValueError(`'${prefix}' exists; cannot create '${name}'`);
    }
    const st = await this.storage.stat(name);
    if (st?.isDirectory) {
      if (await this.#hasFiles(name)) throw new ValueError(`'${name}' exists as a directory of refs; cannot create '${name}'`);
      await this.#removeTree(name);
    }
    if (packed.some((r) => r.name.startsWith(name + "/"))) throw new ValueError(`refs exist under '${name}/'; cannot create '${name}'`);
  }

  async #hasFiles(dir: string): Promise<boolean> {
    for (const e of (await this.storage.list(dir)) ?? []) if (!e.isDirectory || (await this.#hasFiles(`${dir}/${e.name}`))) return true;
    return false;
  }

  async #removeTree(dir: string): Promise<void> {
    for (const e of (await this.storage.list(dir)) ?? []) if (e.isDirectory) await this.#removeTree(`${dir}/${e.name}`);
    await this.storage.remove(dir);
  }

  /** Remove now-empty parents of a deleted ref, never the first two levels (`refs/heads`). */
  async #pruneEmptyDirs(path: string): Promise<void> {
    const keep = path.startsWith("logs/") ? 3 : 2;
    for (let dir = dirname(path); dir.split("/").length > keep; dir = dirname(dir)) {
      const entries = await this.storage.list(dir);
      if (!entries || entries.length > 0) return;
      await this.storage.remove(dir).catch(() => undefined);
    }
  }

  async #appendReflog(e: RefEdit & { via?: string }, oldId: string | undefined, newId: string, headTarget: string | undefined, headOnly = false): Promise<void> {
    const entry: ReflogEntry = { oldId: oldId ?? zeroId(this.algo), newId, identity: this.options.identity(), message: e.message ?? "" };
    const line = encoder.encode(encodeReflogEntry(entry));
    const names = headOnly ? [] : e.via ? [e.name, e.via] : [e.name];
    const steps = names.map((name) => () => this.#appendLine(`logs/${name}`, name, line));
    if (headTarget === e.name || (headTarget !== undefined && headTarget === e.via)) steps.push(() => this.#appendLine("logs/HEAD", e.name, line));
    await this.#inTurn(steps);
  }

  /**
   * Run `steps`: with `sync` all at once (each waits for a flush), else one by
   * one (each takes microseconds: cheaper than gathering them).
   */
  async #inTurn(steps: readonly (() => Promise<void>)[]): Promise<void> {
    if (this.lockOptions.sync) await Promise.all(steps.map((step) => step()));
    else for (const step of steps) await step();
  }

  /** Append to the reflog at `path` (of ref `name`), if it is kept. */
  async #appendLine(path: string, name: string, line: Uint8Array): Promise<void> {
    if (this.#logAll && (path === "logs/HEAD" || name.startsWith("refs/heads/"))) await this.storage.append(path, line, { sync: this.lockOptions.sync });
    else if (await this.storage.stat(path)) await this.storage.append(path, line, { sync: this.lockOptions.sync });
  }
}

// Functions rather than methods: the product never calls them, and a bundler
// drops what no one imports (the browser entry counts its bytes).

/** Point symbolic ref `name` (e.g. `HEAD`) of `refs` at `target`. */
export async function writeSymbolicRef(refs: RefStore, name: string, target: string): Promise<void> {
  checkRefName(target);
  const lock = await Lock.acquire(refs.storage, name, encoder.encode(`ref: ${target}\n`), refs.lockOptions);
  try {
    await lock.commit();
  } finally {
    await lock.rollback();
  }
}

/** The reflog of `name` in `refs` (oldest first); empty when there is none. */
export async function readReflog(refs: RefStore, name: string): Promise<ReflogEntry[]> {
  const bytes = await refs.storage.read(`logs/${name}`);
  return bytes ? decodeReflog(decoder.decode(bytes)) : [];
}

function checkExpected(e: RefEdit, old: string | undefined): void {
  const exp = e.expected ?? { kind: "any" };
  switch (exp.kind) {
    case "any":
      return;
    case "absent":
      if (old !== undefined) throw new RefConflictError(e.name, `cannot lock ref '${e.name}': reference already exists`);
      return;
    case "present":
      if (old === undefined) throw new RefConflictError(e.name, `cannot lock ref '${e.name}': unable to resolve reference '${e.name}'`);
      return;
    case "value":
      if (old === undefined) throw new RefConflictError(e.name, `cannot lock ref '${e.name}': unable to resolve reference '${e.name}'`);
      if (old !== exp.id) throw new RefConflictError(e.name, `cannot lock ref '${e.name}': is at ${old} but expected ${exp.id}`);
  }
}
