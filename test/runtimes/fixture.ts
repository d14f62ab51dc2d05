/** The repository made by git that every runtime reads: packed, deltified, packed refs, an annotated tag. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { git, gitInit } from "../helpers/git.js";

export function makeRuntimeFixture(dir: string): string {
  gitInit(dir);
  const lines = Array.from({ length: 300 }, (_, i) => `line ${i}`);
  const commit = (message: string, parent: string | undefined, files: Record<string, string>): string => {
    const blobs = Object.entries(files).map(([p, c]) => [p, git(dir, ["hash-object", "-w", "--stdin"], c).trim()] as const);
    const sub = git(dir, ["mktree"], blobs.filter(([p]) => p.startsWith("src/deep/")).map(([p, id]) => `100644 blob ${id}\t${p.slice(9)}\n`).join("")).trim();
    const src = git(dir, ["mktree"], `040000 tree ${sub}\tdeep\n`).trim();
    const root = git(dir, ["mktree"], blobs.filter(([p]) => !p.includes("/")).map(([p, id]) => `100644 blob ${id}\t${p}\n`).join("") + `040000 tree ${src}\tsrc\n`).trim();
    return git(dir, ["commit-tree", ...(parent ? ["-p", parent] : []), "-m", message, root]).trim();
  };
  const c1 = commit("first", undefined, { README: "made by git\n", "src/deep/data.txt": lines.join("\n") + "\n" });
  lines[10] = "changed";
  const c2 = commit("second", c1, { README: "made by git\n", "src/deep/data.txt": lines.join("\n") + "\n" });
  lines[200] = "changed again";
  const c3 = commit("third", c2, { README: "made by git\n", "src/deep/data.txt": lines.join("\n") + "\n" });
  git(dir, ["update-ref", "refs/heads/main", c3]);
  git(dir, ["tag", "-a", "-m", "release", "v1.0", c2]);
  git(dir, ["gc", "--aggressive", "--prune=now", "-q"]);
  return dir;
}

/** Every file of a directory, by relative path (for runtimes that load a repository into memory). */
export function filesOf(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix)).flatMap((name) => {
    const rel = prefix ? `${prefix}/${name}` : name;
    return statSync(join(dir, rel)).isDirectory() ? filesOf(dir, rel) : [rel];
  });
}

/** Every directory (empty ones included: git needs `refs/`), by relative path. */
export function dirsOf(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix)).flatMap((name) => {
    const rel = prefix ? `${prefix}/${name}` : name;
    return statSync(join(dir, rel)).isDirectory() ? [rel, ...dirsOf(dir, rel)] : [];
  });
}

export function readAll(dir: string): Record<string, Uint8Array> {
  return Object.fromEntries(filesOf(dir).map((f) => [f, readFileSync(join(dir, f))]));
}
