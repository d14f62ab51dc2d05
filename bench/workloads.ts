/**
 * Each workload, implemented once per system doing the same work. A run
 * returns its time and a digest of what it produced or read, so that no
 * system is fast because it did less.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as nodeFs from "node:fs";
import { join } from "node:path";
import type IsoGit from "isomorphic-git";
import type * as Gitstore from "../src/node.js";
import type { FS, GitStore, NodeStorage, Storage } from "../src/node.js";
import { GIT_ENV } from "../test/helpers/git.js";
import { aroundStorage, kib } from "./fixtures.js";

export type System = "gitstore" | "isomorphic-git" | "git" | "es-git" | "pygit2";

// A measured process loads only the library under test (before the clock
// starts), so that its peak RSS is that library's and not also the others'.
// gitstore is loaded as a user gets it: the package's built entry point.
let gs: typeof Gitstore;
let git: typeof IsoGit;
const PACKAGE: string = "gitstore";

export async function loadSystem(system: System): Promise<void> {
  if (system === "gitstore") gs = (await import(PACKAGE)) as typeof Gitstore;
  else if (system === "isomorphic-git") git = (await import("isomorphic-git")).default;
}

/** Adjusts a gitstore handle before the timed work (the no-verify variant). */
export type Configure = (store: GitStore) => void;

export interface Measured {
  ms: number;
  /** Peak RSS of the process that did the work, when that was not this one (pygit2). */
  rssMB?: number;
  /** What the work produced (a tree id) or read (a digest), compared across systems. */
  check: string;
  extra?: Record<string, number>;
}

const now = (): number => performance.now();
const AUTHOR = { name: "bench", email: "bench@example.com", timestamp: 1700000000, timezoneOffset: 0 };

// ---- W1: sequential commits, one 1 KiB file each -------------------------

/**
 * `inner`, counting the files it creates (temporary, lock and final ones
 * alike) into `counter.created`. Used by an untimed pass of its own: a
 * wrapper on the timed path would add its own calls to what is measured.
 */
function countingStorage(inner: NodeStorage, counter: { created: number }): Storage {
  // Appends create a file only the first time (a reflog): one stat per path, not per append.
  const appended = new Set<string>();
  return aroundStorage(inner, async (name, args, call) => {
    const path = args[0] as string;
    if (name === "append" && !appended.has(path)) {
      appended.add(path);
      if (!(await inner.stat(path))) counter.created++;
    }
    const result = await call();
    if (name === "write" || (name === "createExclusive" && result === true)) counter.created++;
    return result;
  });
}

/**
 * W1's commits into `repo`, at `<prefix><i % 20>/f<i>.bin`, or with `dir` at
 * `<dir>/f<i>.bin`. `countIn`: makes a second copy of the same repository,
 * into which gitstore then makes the same commits untimed, through a storage
 * that counts the files it creates (`extra.createdPerCommit`).
 */
export async function w1(system: System, repo: string, n: number, opts: { durability: "full" | "none"; prefix: string; start: number; countIn?: () => string; dir?: string }): Promise<Measured> {
  const path = (i: number): string => (opts.dir ? `${opts.dir}/f${i}.bin` : `${opts.prefix}${i % 20}/f${i}.bin`);
  // Every system gets its payloads made before the clock starts (pygit2 reads them from a file).
  const payloads = Array.from({ length: n }, (_, k) => kib(opts.start + k));
  const payload = (i: number): Uint8Array => payloads[i - opts.start]!;
  if (system === "gitstore") {
    const counter = { created: 0 };
    const commits = async (target: string | Storage): Promise<{ ms: number; tree: string; created: number }> => {
      const store = await gs.GitStore.open(target, { durability: opts.durability, author: "bench", email: "bench@example.com" });
      let fs = await store.branches.get("main");
      const before = counter.created;
      const t0 = now();
      for (let i = opts.start; i < opts.start + n; i++) fs = await fs.write(path(i), payload(i));
      const ms = now() - t0;
      const created = counter.created - before;
      await store.close();
      return { ms, tree: fs.tree, created };
    };
    // As a user opens it: by path, nothing between gitstore and the disk.
    const { ms, tree } = await commits(repo);
    if (!opts.countIn) return { ms, check: tree };
    const counted = await commits(countingStorage(new gs.NodeStorage(opts.countIn()), counter));
    if (counted.tree !== tree) throw new Error(`the counting pass made tree ${counted.tree}, the timed one ${tree}`);
    return { ms, check: tree, extra: { createdPerCommit: counted.created / n } };
  }
  if (system === "isomorphic-git") {
    const cache = {};
    const gitdir = repo;
    const fs = nodeFs;
    let head = await git.resolveRef({ fs, gitdir, ref: "refs/heads/main" });
    let rootTree = (await git.readCommit({ fs, gitdir, oid: head, cache })).commit.tree;
    const t0 = now();
    for (let i = opts.start; i < opts.start + n; i++) {
      const [dir, name] = path(i).split("/") as [string, string];
      const blob = await git.writeBlob({ fs, gitdir, blob: payload(i) });
      const root = (await git.readTree({ fs, gitdir, oid: rootTree, cache })).tree;
      const dirEntry = root.find((e) => e.path === dir);
      const sub = dirEntry ? (await git.readTree({ fs, gitdir, oid: dirEntry.oid, cache })).tree.filter((e) => e.path !== name) : [];
      sub.push({ mode: "100644", path: name, oid: blob, type: "blob" });
      const subOid = await git.writeTree({ fs, gitdir, tree: sub });
      const newRoot = root.filter((e) => e.path !== dir);
      newRoot.push({ mode: "040000", path: dir, oid: subOid, type: "tree" });
      rootTree = await git.writeTree({ fs, gitdir, tree: newRoot });
      head = await git.writeCommit({ fs, gitdir, commit: { message: `Write ${path(i)}\n`, tree: rootTree, parent: [head], author: AUTHOR, committer: AUTHOR } });
      await git.writeRef({ fs, gitdir, ref: "refs/heads/main", value: head, force: true });
    }
    return { ms: now() - t0, check: rootTree };
  }
  if (system === "pygit2") return pygit2("w1", repo, payloads, [String(opts.start), ...(opts.dir ? [opts.dir] : [])]);
  throw new Error(`w1 has no ${system} form`);
}

// ---- W2: one commit of n files of 1 KiB ----------------------------------

const w2Path = (i: number): string => `a${i % 100}/b${i % 10}/f${i}.bin`;

export async function w2(system: System, repo: string, n: number): Promise<Measured> {
  if (system === "gitstore") {
    const store = await gs.GitStore.open(repo, { durability: "none" });
    const fs = await store.branches.get("main");
    const t0 = now();
    // Each staged write awaited, as the README advises for large batches: data then never piles up.
    const next = await fs.batch(async (b) => {
      for (let i = 0; i < n; i++) await b.write(w2Path(i), kib(i));
    });
    const ms = now() - t0;
    await store.close();
    return { ms, check: next.tree };
  }
  if (system === "isomorphic-git") {
    const fs = nodeFs;
    const gitdir = repo;
    const head = await git.resolveRef({ fs, gitdir, ref: "refs/heads/main" });
    const t0 = now();
    const dirs = new Map<string, Map<string, { mode: string; path: string; oid: string; type: "blob" | "tree" }[]>>();
    for (let i = 0; i < n; i++) {
      const [a, b, f] = w2Path(i).split("/") as [string, string, string];
      const oid = await git.writeBlob({ fs, gitdir, blob: kib(i) });
      if (!dirs.has(a)) dirs.set(a, new Map());
      const sub = dirs.get(a)!;
      if (!sub.has(b)) sub.set(b, []);
      sub.get(b)!.push({ mode: "100644", path: f, oid, type: "blob" });
    }
    const root = [];
    for (const [a, sub] of dirs) {
      const mid = [];
      for (const [b, files] of sub) mid.push({ mode: "040000", path: b, oid: await git.writeTree({ fs, gitdir, tree: files }), type: "tree" as const });
      root.push({ mode: "040000", path: a, oid: await git.writeTree({ fs, gitdir, tree: mid }), type: "tree" as const });
    }
    const tree = await git.writeTree({ fs, gitdir, tree: root });
    const commit = await git.writeCommit({ fs, gitdir, commit: { message: "bulk\n", tree, parent: [head], author: AUTHOR, committer: AUTHOR } });
    await git.writeRef({ fs, gitdir, ref: "refs/heads/main", value: commit, force: true });
    return { ms: now() - t0, check: tree };
  }
  if (system === "git") {
    const t0 = now();
    const chunks: Buffer[] = [Buffer.from("commit refs/heads/main\ncommitter bench <bench@example.com> 1700000000 +0000\ndata 5\nbulk\nfrom refs/heads/main^0\n")];
    for (let i = 0; i < n; i++) chunks.push(Buffer.from(`M 100644 inline ${w2Path(i)}\ndata 1024\n`), Buffer.from(kib(i)), Buffer.from("\n"));
    execFileSync("git", ["--git-dir", repo, "fast-import", "--quiet"], { env: GIT_ENV, input: Buffer.concat(chunks), maxBuffer: 1 << 30 });
    const ms = now() - t0;
    return { ms, check: execFileSync("git", ["--git-dir", repo, "rev-parse", "main^{tree}"], { env: GIT_ENV }).toString().trim() };
  }
  // Its payloads made before its clock starts, as they must be handed over in a file.
  if (system === "pygit2") return pygit2("w2", repo, Array.from({ length: n }, (_, i) => kib(i)), []);
  throw new Error(`w2 has no ${system} form`);
}

// ---- W3: packed reads ----------------------------------------------------

/** Read every file at main's head; digest = sha1 over path + content in path order. */
export async function w3Head(system: System, repo: string, configure?: Configure): Promise<Measured> {
  const digest = createHash("sha1");
  let files = 0;
  const t0 = now();
  if (system === "gitstore") {
    const store = await gs.GitStore.open(repo);
    configure?.(store);
    const fs = await store.branches.get("main");
    const paths: string[] = [];
    for await (const [dir, , names] of fs.walk()) for (const name of names) paths.push(dir ? `${dir}/${name}` : name);
    paths.sort();
    for (const p of paths) {
      digest.update(p).update(await fs.read(p));
      files++;
    }
    await store.close();
  } else if (system === "isomorphic-git") {
    const fs = nodeFs;
    const cache = {};
    const head = await git.resolveRef({ fs, gitdir: repo, ref: "refs/heads/main" });
    const root = (await git.readCommit({ fs, gitdir: repo, oid: head, cache })).commit.tree;
    const blobs: [string, string][] = [];
    const walk = async (oid: string, prefix: string): Promise<void> => {
      for (const e of (await git.readTree({ fs, gitdir: repo, oid, cache })).tree) {
        if (e.type === "tree") await walk(e.oid, `${prefix}${e.path}/`);
        else if (e.type === "blob") blobs.push([`${prefix}${e.path}`, e.oid]);
      }
    };
    await walk(root, "");
    blobs.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    for (const [p, oid] of blobs) {
      digest.update(p).update((await git.readBlob({ fs, gitdir: repo, oid, cache })).blob);
      files++;
    }
  } else if (system === "git") {
    const entries = gitHeadEntries(repo);
    const batch = gitBatch(repo, entries.map((e) => e[1]));
    for (const [path] of entries) {
      digest.update(path).update(batch.next().value!);
      files++;
    }
  } else {
    const es = await loadEsGit();
    const r = await es.openRepository(repo);
    const tree = r.getCommit(r.getReference("refs/heads/main").target()!).tree();
    const blobs: [string, string][] = [];
    const walk = (t: EsTree, prefix: string): void => {
      for (const e of t.iter()) {
        const name = e.name();
        if (e.type() === "Tree") walk(r.getTree(e.id()), `${prefix}${name}/`);
        else if (e.type() === "Blob") blobs.push([`${prefix}${name}`, e.id()]);
      }
    };
    walk(tree, "");
    blobs.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    for (const [p, oid] of blobs) {
      digest.update(p).update(r.getObject(oid).peelToBlob().content());
      files++;
    }
  }
  return { ms: now() - t0, check: digest.digest("hex"), extra: { files } };
}

/** Read the version of `hot` at every first-parent commit of main (missing at some: skipped). */
export async function w3History(system: System, repo: string, hot: string, configure?: Configure): Promise<Measured> {
  const digest = createHash("sha1");
  let versions = 0;
  const t0 = now();
  if (system === "gitstore") {
    const store = await gs.GitStore.open(repo);
    configure?.(store);
    for await (const fs of (await store.branches.get("main")).log()) {
      if (!(await fs.exists(hot))) continue;
      digest.update(await fs.read(hot));
      versions++;
    }
    await store.close();
  } else if (system === "isomorphic-git") {
    const fs = nodeFs;
    const cache = {};
    let oid: string | undefined = await git.resolveRef({ fs, gitdir: repo, ref: "refs/heads/main" });
    while (oid) {
      try {
        digest.update((await git.readBlob({ fs, gitdir: repo, oid, filepath: hot, cache })).blob);
        versions++;
      } catch (e) {
        if ((e as { code?: string }).code !== "NotFoundError") throw e;
      }
      oid = (await git.readCommit({ fs, gitdir: repo, oid, cache })).commit.parent[0];
    }
  } else if (system === "git") {
    const commits = gitFirstParents(repo);
    for (const blob of gitBatch(repo, commits.map((c) => `${c}:${hot}`))) {
      if (!blob) continue;
      digest.update(blob);
      versions++;
    }
  } else {
    const es = await loadEsGit();
    const r = await es.openRepository(repo);
    for (const id of firstParents(r)) {
      const entry = r.getCommit(id).tree().getPath(hot);
      if (entry) {
        digest.update(r.getObject(entry.id()).peelToBlob().content());
        versions++;
      }
    }
  }
  return { ms: now() - t0, check: digest.digest("hex"), extra: { versions } };
}

/** `[path, blob id]` of every file at main's head, in path order (`git ls-tree -r`). */
function gitHeadEntries(repo: string): [string, string][] {
  const listing = execFileSync("git", ["--git-dir", repo, "ls-tree", "-r", "--format=%(objectname) %(path)", "main"], { env: GIT_ENV, maxBuffer: 1 << 30 }).toString().trim().split("\n");
  return listing.map((l) => [l.slice(41), l.slice(0, 40)] as [string, string]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

function gitFirstParents(repo: string): string[] {
  return execFileSync("git", ["--git-dir", repo, "log", "--first-parent", "--format=%H", "main"], { env: GIT_ENV, maxBuffer: 1 << 30 }).toString().trim().split("\n");
}

/** The contents `git cat-file --batch` gives for each name, in order (`undefined` where missing). */
function* gitBatch(repo: string, names: readonly string[]): Generator<Uint8Array | undefined> {
  const out = execFileSync("git", ["--git-dir", repo, "cat-file", "--batch"], { env: GIT_ENV, input: names.join("\n") + "\n", maxBuffer: 1 << 30 });
  let p = 0;
  while (p < out.length) {
    const lf = out.indexOf(0x0a, p);
    const head = out.subarray(p, lf).toString();
    if (head.endsWith(" missing")) {
      yield undefined;
      p = lf + 1;
      continue;
    }
    const size = Number(head.split(" ")[2]);
    yield out.subarray(lf + 1, lf + 1 + size);
    p = lf + 1 + size + 1;
  }
}

/**
 * W3 as one workload for the git CLI: its best way, three processes (the
 * listing, the log, and one `cat-file --batch` for both parts) instead of the
 * four that running the two parts apart takes. Same digests as the parts.
 */
export function w3BothGit(repo: string, hot: string): Measured {
  const t0 = now();
  const entries = gitHeadEntries(repo);
  const commits = gitFirstParents(repo);
  const batch = gitBatch(repo, [...entries.map((e) => e[1]), ...commits.map((c) => `${c}:${hot}`)]);
  const head = createHash("sha1");
  for (const [path] of entries) head.update(path).update(batch.next().value!);
  const history = createHash("sha1");
  for (const blob of batch) if (blob) history.update(blob);
  return { ms: now() - t0, check: `${head.digest("hex")}+${history.digest("hex")}` };
}

// ---- W4: first-parent log reading each message --------------------------

export async function w4(system: System, repo: string, configure?: Configure): Promise<Measured> {
  const digest = createHash("sha1");
  let commits = 0;
  const t0 = now();
  if (system === "gitstore") {
    const store = await gs.GitStore.open(repo);
    configure?.(store);
    for await (const fs of (await store.branches.get("main")).log()) {
      digest.update(fs.message);
      commits++;
    }
    await store.close();
  } else if (system === "isomorphic-git") {
    for (const e of await git.log({ fs: nodeFs, gitdir: repo, ref: "refs/heads/main", cache: {} })) {
      digest.update(e.commit.message.replace(/\n+$/, ""));
      commits++;
    }
  } else if (system === "git") {
    const out = execFileSync("git", ["--git-dir", repo, "log", "--first-parent", "-z", "--format=%B", "main"], { env: GIT_ENV, maxBuffer: 1 << 30 }).toString();
    for (const m of out.split("\0")) {
      if (m === "") continue;
      digest.update(m.replace(/\n+$/, ""));
      commits++;
    }
  } else {
    const es = await loadEsGit();
    const r = await es.openRepository(repo);
    for (const id of firstParents(r)) {
      digest.update(r.getCommit(id).message().replace(/\n+$/, ""));
      commits++;
    }
  }
  return { ms: now() - t0, check: digest.digest("hex"), extra: { commits } };
}

// ---- gc: pack a loose repository -----------------------------------------

export async function gcRun(system: System, repo: string): Promise<Measured> {
  const t0 = now();
  if (system === "gitstore") {
    const store = await gs.GitStore.open(repo);
    await store.gc();
    await store.close();
  } else if (system === "git") {
    execFileSync("git", ["--git-dir", repo, "gc", "-q"], { env: GIT_ENV });
  } else throw new Error(`gc has no ${system} form`);
  const ms = now() - t0;
  // Same objects afterwards, whatever the packing.
  const list = execFileSync("git", ["--git-dir", repo, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)"], { env: GIT_ENV, maxBuffer: 1 << 30 }).toString();
  let packBytes = 0;
  for (const f of nodeFs.readdirSync(join(repo, "objects/pack"))) if (f.endsWith(".pack")) packBytes += nodeFs.statSync(join(repo, "objects/pack", f)).size;
  return { ms, check: createHash("sha1").update(list).digest("hex"), extra: { packBytes } };
}

// ---- es-git (libgit2), optional ------------------------------------------

interface EsTreeEntry {
  name(): string;
  id(): string;
  type(): string;
}
interface EsTree {
  iter(): Iterable<EsTreeEntry>;
  getPath(p: string): EsTreeEntry | null;
}
interface EsCommit {
  tree(): EsTree;
  message(): string;
}
interface EsRepo {
  getReference(name: string): { target(): string | null };
  getCommit(oid: string): EsCommit;
  getTree(oid: string): EsTree;
  getObject(oid: string): { peelToBlob(): { content(): Uint8Array } };
  revwalk(): { pushRef(name: string): EsWalk };
}
interface EsWalk {
  simplifyFirstParent(): EsWalk;
  next(): string | null;
}

function* firstParents(r: EsRepo): Generator<string> {
  const walk = r.revwalk().pushRef("refs/heads/main").simplifyFirstParent();
  for (let id = walk.next(); id !== null; id = walk.next()) yield id;
}
interface EsGit {
  openRepository(path: string): Promise<EsRepo>;
}

export async function loadEsGit(): Promise<EsGit> {
  const name = "es-git"; // optional: installed by the bench on demand, not a declared dependency
  return (await import(name)) as EsGit;
}

/** Debian's python3-pygit2 (libgit2 1.5) is installed for the system Python. */
const PYGIT2_PYTHON = "/usr/bin/python3";

export function pygit2Available(): boolean {
  return spawnSync(PYGIT2_PYTHON, ["-c", "import pygit2"]).status === 0;
}

/**
 * A commit workload run by bench/pygit2-commits.py in its own process. The payloads
 * are handed over in a file, so that libgit2 commits the same bytes; flushed
 * first, as `copyRepo` flushes a template's copy, so that its writeback (100 MB
 * for W2's largest row) does not slow the timed commits.
 */
function pygit2(workload: "w1" | "w2", repo: string, payloads: Uint8Array[], args: string[]): Measured {
  const all = new Uint8Array(payloads.length * 1024);
  payloads.forEach((p, k) => all.set(p, k * 1024));
  const file = join(repo, "..", "payloads.bin");
  nodeFs.writeFileSync(file, all);
  execFileSync("sync");
  const r = spawnSync(PYGIT2_PYTHON, [join(import.meta.dirname, "../../bench/pygit2-commits.py"), workload, repo, file, String(payloads.length), ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`pygit2 failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { ms: number; check: string; rssMB: number };
  return { ms: out.ms, check: out.check, rssMB: out.rssMB };
}

/** Whether es-git loads here (it is a native binding). */
export function esGitAvailable(): boolean {
  const r = spawnSync("node", ["-e", "import('es-git').then(()=>process.exit(0),()=>process.exit(1))"]);
  return r.status === 0;
}

export { join };
export type { FS };
