/**
 * Deterministic repositories written by git itself (through `git fast-import`),
 * for reading tests and benchmarks: text files edited over many commits,
 * renames, deletions, binary edits, merges, annotated tags and a signed-style
 * commit with multi-line headers.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, renameSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { GIT_ENV, git, gitInit } from "./git.js";

export interface RepoSpec {
  commits: number;
  files: number;
  /** Files touched per commit. */
  editsPerCommit: number;
  seed: number;
}

/** xorshift32 from `seed`: the same 32-bit numbers on every run. */
function xorshift32(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Numbers in [0, 1), the same on every run. */
export function rng(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 0x100000000;
}

/** `n` uniformly random bytes (the low byte of each xorshift32 number), as random or already compressed files hold. */
export function randomBytes(n: number, seed: number): Uint8Array {
  const next = xorshift32(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = next() & 0xff;
  return out;
}

/** Build the repository into `dir` (a new bare repo) and return it. */
export function makeGitRepo(dir: string, spec: RepoSpec): string {
  gitInit(dir);
  const rand = rng(spec.seed);
  const pick = (n: number): number => Math.floor(rand() * n);
  const files = new Map<string, string[] | Uint8Array>();
  for (let i = 0; i < spec.files; i++) {
    if (i % 17 === 16) files.set(`bin/b${i}.dat`, Uint8Array.from({ length: 2000 + pick(3000) }, () => pick(256)));
    else files.set(`src/d${i % 7}/f${i}.txt`, Array.from({ length: 40 + pick(80) }, (_, k) => `line ${k} of file ${i}: ${pick(1e9)}`));
  }
  const chunks: Buffer[] = [];
  const emit = (s: string | Uint8Array): void => {
    chunks.push(typeof s === "string" ? Buffer.from(s) : Buffer.from(s));
  };
  const data = (content: string | Uint8Array): void => {
    const b = typeof content === "string" ? Buffer.from(content) : Buffer.from(content);
    emit(`data ${b.length}\n`);
    emit(b);
    emit("\n");
  };
  const body = (v: string[] | Uint8Array): string | Uint8Array => (v instanceof Uint8Array ? v : v.join("\n") + "\n");
  let mark = 0;
  for (let c = 0; c < spec.commits; c++) {
    const t = 1700000000 + c * 60;
    emit(`commit refs/heads/main\nmark :${++mark}\nauthor A U Thor <author@example.com> ${t} +0000\ncommitter C O Mitter <committer@example.com> ${t} -0130\n`);
    data(`commit ${c}\n\nedits ${spec.editsPerCommit} files\n`);
    // Every 25th commit is a merge (its second parent an older commit).
    if (c >= 25 && c % 25 === 0) emit(`merge :${mark - 3}\n`);
    for (let e = 0; e < spec.editsPerCommit || c === 0; e++) {
      if (c === 0) {
        for (const [name, v] of files) {
          emit(`M 100644 inline ${name}\n`);
          data(body(v));
        }
        break;
      }
      const names = [...files.keys()];
      const name = names[pick(names.length)]!;
      const v = files.get(name)!;
      const roll = rand();
      if (roll < 0.03 && files.size > 3) {
        const to = name.replace(/(\.\w+)$/, `-r${c}$1`);
        files.delete(name);
        files.set(to, v);
        emit(`R ${name} ${to}\n`);
        continue;
      }
      // Deletions stop once a fifth of the files are gone: the rest would absorb
      // every edit and grow without bound.
      if (roll < 0.05 && files.size > Math.max(3, spec.files * 0.8)) {
        files.delete(name);
        emit(`D ${name}\n`);
        continue;
      }
      if (v instanceof Uint8Array) {
        const next = v.slice();
        for (let k = 0; k < 5; k++) next[pick(next.length)] = pick(256);
        files.set(name, next);
      } else {
        const at = pick(v.length + 1);
        if (rand() < 0.5 && v.length > 5) v.splice(at, 1);
        v.splice(at, 0, `changed in commit ${c}: ${pick(1e9)}`);
      }
      emit(`M ${name.endsWith(".txt") && c % 13 === 0 ? "100755" : "100644"} inline ${name}\n`);
      data(body(files.get(name)!));
    }
    emit("\n");
  }
  emit(`tag v1.0\nfrom refs/heads/main\ntagger C O Mitter <committer@example.com> 1700000000 +0000\n`);
  data("Release 1.0\n");
  execFileSync("git", ["--git-dir", dir, "fast-import", "--quiet"], { env: GIT_ENV, input: Buffer.concat(chunks) });
  // A tag of a tag, a lightweight tag, and a commit with gpgsig-style and encoding headers.
  const head = git(dir, ["rev-parse", "refs/heads/main"]).trim();
  const tree = git(dir, ["rev-parse", "refs/heads/main^{tree}"]).trim();
  const signed = `tree ${tree}\nparent ${head}\nauthor A U Thor <author@example.com> 1700000000 +0000\ncommitter C O Mitter <committer@example.com> 1700000000 +0000\nencoding ISO-8859-1\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n iIwEABYIADQWIQRuw2+Kw/6bILOUYvK7S1eG8MKKNAUCawmEQhYcY29tbWl0dGVy\n -----END PGP SIGNATURE-----\n\nsigned commit\n`;
  const signedId = git(dir, ["hash-object", "-t", "commit", "-w", "--stdin"], signed).trim();
  git(dir, ["update-ref", "refs/heads/signed", signedId]);
  const v1 = git(dir, ["rev-parse", "refs/tags/v1.0"]).trim();
  const outer = git(dir, ["mktag"], `object ${v1}\ntype tag\ntag outer\ntagger C O Mitter <committer@example.com> 1700000000 +0000\n\nouter tag\n`).trim();
  git(dir, ["update-ref", "refs/tags/outer", outer]);
  git(dir, ["update-ref", "refs/tags/light", head]);
  return dir;
}

/** Repack the way `git gc --aggressive` does, with deep chains, or into one pack with a version 1 index. */
export function repack(dir: string, how: "aggressive" | "deep" | "index-v1"): void {
  if (how === "aggressive") git(dir, ["gc", "--aggressive", "--prune=now", "--quiet"]);
  else if (how === "deep") git(dir, ["repack", "-adf", "--depth=250", "--window=250", "-q"]);
  else git(dir, ["-c", "pack.indexVersion=1", "repack", "-adf", "-q"]);
}

/** Turn every pack into loose objects. */
export function explode(dir: string): void {
  const packDir = join(dir, "objects/pack");
  const aside = join(dir, "packs-aside");
  mkdirSync(aside);
  for (const f of readdirSync(packDir)) renameSync(join(packDir, f), join(aside, f));
  for (const f of readdirSync(aside).filter((f) => f.endsWith(".pack"))) {
    execFileSync("git", ["--git-dir", dir, "unpack-objects", "-q"], { env: GIT_ENV, input: readFileSync(join(aside, f)) });
  }
}

/** Every object of the repository as git reads it: id -> [type, bytes]. */
export function allObjects(dir: string): Map<string, [string, Buffer]> {
  const out = new Map<string, [string, Buffer]>();
  const buf = execFileSync("git", ["--git-dir", dir, "cat-file", "--batch-all-objects", "--batch"], { env: GIT_ENV, maxBuffer: 1 << 30 });
  let p = 0;
  while (p < buf.length) {
    const lf = buf.indexOf(0x0a, p);
    const [id, type, size] = buf.subarray(p, lf).toString().split(" ");
    const n = Number(size);
    out.set(id!, [type!, buf.subarray(lf + 1, lf + 1 + n)]);
    p = lf + 1 + n + 1;
  }
  return out;
}

/** Deltified entries in the repository's packs (from `git verify-pack`). */
export function deltaCount(dir: string): { deltas: number; maxDepth: number } {
  let deltas = 0;
  let maxDepth = 0;
  const packDir = join(dir, "objects/pack");
  for (const f of readdirSync(packDir).filter((f) => f.endsWith(".idx"))) {
    const out = execFileSync("git", ["verify-pack", "-v", join(packDir, f)], { env: GIT_ENV, maxBuffer: 1 << 30 }).toString();
    for (const line of out.split("\n")) {
      const cols = line.split(/\s+/);
      if (cols.length === 7 && /^[0-9a-f]{40}$/.test(cols[0]!)) {
        deltas++;
        maxDepth = Math.max(maxDepth, Number(cols[5]));
      }
    }
  }
  return { deltas, maxDepth };
}
