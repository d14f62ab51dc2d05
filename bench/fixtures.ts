/**
 * Repositories the workloads start from, built once per machine with git
 * itself and cached in bench/.cache (outside git's tracked files).
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { GIT_ENV, git, gitInit } from "../test/helpers/git.js";
import { explode, makeGitRepo, repack } from "../test/helpers/make-repo.js";
import type { Storage } from "../src/node.js";

export const CACHE = join(import.meta.dirname, "../../bench/.cache");
const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/**
 * `inner` with every method call passed through `around` (its name, its
 * arguments, and the call itself): a proxy, so that no member, optional one
 * or argument is dropped on the way, as a hand-written forwarder can.
 */
export function aroundStorage(inner: Storage, around: (name: string, args: unknown[], call: () => Promise<unknown>) => Promise<unknown>): Storage {
  return new Proxy(inner, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== "function" || typeof name !== "string") return value;
      return (...args: unknown[]) => around(name, args, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}

/** 1 KiB of deterministic content for file `i`. */
export function kib(i: number): Uint8Array {
  const b = new Uint8Array(1024);
  let x = (i + 1) * 2654435761;
  for (let k = 0; k < b.length; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[k] = x & 0xff;
  }
  return b;
}

function cached(name: string, build: (dir: string) => void): string {
  const dir = join(CACHE, name);
  if (existsSync(join(dir, "HEAD"))) return dir;
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  build(tmp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

/** A bare repository with branch main at one commit of the empty tree (what `create: "main"` makes). */
export function emptyTemplate(): string {
  return cached("empty.git", (dir) => {
    gitInit(dir);
    git(dir, ["config", "core.logAllRefUpdates", "true"]);
    // git does not store the empty tree for commit-tree, but fsck wants it.
    git(dir, ["hash-object", "-t", "tree", "-w", "--stdin"], "");
    const c = git(dir, ["commit-tree", "-m", "Initialize main", EMPTY_TREE]).trim();
    git(dir, ["update-ref", "refs/heads/main", c]);
  });
}

/** The one directory of {@link filledTemplate}'s `flat` repositories. */
export const FLAT_DIR = "big";

/**
 * main holding `files` files of 1 KiB in 100 directories (`p{i%100}/e{i}.bin`),
 * or with `flat` in one ({@link FLAT_DIR}), in one commit: one pack without
 * deltas, as `git fast-import` writes it.
 */
export function filledTemplate(files: number, flat = false): string {
  return cached(`${flat ? "flat" : "filled"}-${files}.git`, (dir) => {
    gitInit(dir);
    git(dir, ["config", "core.logAllRefUpdates", "true"]);
    const chunks: Buffer[] = [Buffer.from("commit refs/heads/main\ncommitter C O Mitter <c@example.com> 1700000000 +0000\ndata 4\nfill\n")];
    for (let i = 0; i < files; i++) {
      chunks.push(Buffer.from(`M 100644 inline ${flat ? FLAT_DIR : `p${i % 100}`}/e${i}.bin\ndata 1024\n`), Buffer.from(kib(1_000_000 + i)), Buffer.from("\n"));
    }
    execFileSync("git", ["--git-dir", dir, "fast-import", "--quiet"], { env: GIT_ENV, input: Buffer.concat(chunks), maxBuffer: 1 << 30 });
  });
}

/** A packed, deltified history: "small" (a few thousand objects) or "large" (100,000+ objects, chains of depth 30+). */
export function historyRepo(size: "small" | "large"): string {
  return cached(`history-${size}.git`, (dir) => {
    if (size === "small") makeGitRepo(dir, { commits: 300, files: 300, editsPerCommit: 6, seed: 3 });
    else makeGitRepo(dir, { commits: 6000, files: 400, editsPerCommit: 10, seed: 4 });
    repack(dir, "aggressive");
  });
}

/** The small history with every object loose (what gc then packs). */
export function looseHistoryRepo(): string {
  return cached("history-loose.git", (dir) => {
    makeGitRepo(dir, { commits: 300, files: 300, editsPerCommit: 6, seed: 3 });
    explode(dir);
  });
}

/** The path changed in the most commits of `dir`'s main. */
export function hottestFile(dir: string): string {
  const cacheFile = join(dir, "hottest");
  if (existsSync(cacheFile)) return execFileSync("cat", [cacheFile]).toString();
  const counts = new Map<string, number>();
  for (const line of git(dir, ["log", "--first-parent", "--format=", "--name-only", "main"]).split("\n")) if (line) counts.set(line, (counts.get(line) ?? 0) + 1);
  const hot = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  execFileSync("sh", ["-c", `printf '%s' "$1" > "$2"`, "sh", hot, cacheFile]);
  return hot;
}

/** Copy a template to a fresh directory (not timed). */
export function copyRepo(template: string, to: string): string {
  cpSync(template, to, { recursive: true });
  // Flush the copy now: its writeback would otherwise compete with the timed
  // file creations that follow (11 MB for the 10,000-file template).
  execFileSync("sync");
  return to;
}

/** Number of files and bytes under `dir`. */
export function diskUsage(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        files++;
        bytes += statSync(p).size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}
