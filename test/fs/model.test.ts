/**
 * Random operation sequences on the store and on a plain model (path -> bytes
 * per branch); afterwards everything agrees, git included.
 */
import fc from "fast-check";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FS, GitStore } from "../../src/node.js";
import { cleanupTemp, fsck, git, gitBytes, tempDir } from "../helpers/git.js";

afterAll(cleanupTemp);

type Files = Map<string, string>;
type Op =
  | { kind: "write"; path: string; data: string }
  | { kind: "removeExisting"; pick: number }
  | { kind: "removeDir"; pick: number }
  | { kind: "batch"; ops: ({ kind: "write"; path: string; data: string } | { kind: "removeExisting"; pick: number })[] }
  | { kind: "fork"; name: string }
  | { kind: "tag"; name: string }
  | { kind: "switch"; pick: number };

// Names around "/" in git's order ("a-" and "a.b" sort before a directory "a", "a0" after) and non-ASCII ones.
const seg = fc.constantFrom("a", "b", "c", "d.txt", "a-", "a.b", "a0", "é");
const path = fc.array(seg, { minLength: 1, maxLength: 3 }).map((s) => s.join("/"));
const data = fc.string({ maxLength: 12 });
const write = fc.record({ kind: fc.constant("write" as const), path, data });
const removeExisting = fc.record({ kind: fc.constant("removeExisting" as const), pick: fc.nat() });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: write },
  { weight: 2, arbitrary: removeExisting },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("removeDir" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("batch" as const), ops: fc.array(fc.oneof(write, removeExisting), { minLength: 1, maxLength: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("fork" as const), name: fc.constantFrom("dev", "feature/x", "hotfix") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("tag" as const), name: fc.constantFrom("v1", "v2", "release/1") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("switch" as const), pick: fc.nat() }) },
);

/** The model's write: a file replaces a directory at its path and any file in the way of its parents. */
function modelWrite(files: Files, p: string, d: string): void {
  const parts = p.split("/");
  for (let i = 1; i < parts.length; i++) files.delete(parts.slice(0, i).join("/"));
  for (const k of [...files.keys()]) if (k.startsWith(p + "/")) files.delete(k);
  files.set(p, d);
}
function modelRemove(files: Files, p: string): boolean {
  if (files.delete(p)) return true;
  const under = [...files.keys()].filter((k) => k.startsWith(p + "/"));
  for (const k of under) files.delete(k);
  return under.length > 0;
}
function dirsOf(files: Files): string[] {
  const dirs = new Set<string>();
  for (const k of files.keys()) {
    const parts = k.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  return [...dirs].sort();
}

async function snapshotFiles(fs: FS): Promise<Files> {
  const out: Files = new Map();
  for await (const [dir, , names] of fs.walk()) {
    for (const n of names) {
      const p = dir === "" ? n : `${dir}/${n}`;
      out.set(p, await fs.readText(p));
    }
  }
  return out;
}

describe("model-based", () => {
  it("random operation sequences agree with a Map model, with log(), and with git", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        const dir = join(tempDir(), "model.git");
        const repo = await GitStore.open(dir, { create: "main", durability: "none" });
        const model = new Map<string, { files: Files; commits: number }>([["main", { files: new Map(), commits: 1 }]]);
        const tags = new Map<string, Files>();
        let current = "main";
        for (const o of ops) {
          const fs = await repo.branches.get(current);
          const m = model.get(current)!;
          const existing = [...m.files.keys()].sort();
          switch (o.kind) {
            case "write":
              await fs.write(o.path, o.data);
              modelWrite(m.files, o.path, o.data);
              m.commits++;
              break;
            case "removeExisting":
            case "removeDir": {
              const pool = o.kind === "removeDir" ? dirsOf(m.files) : existing;
              if (pool.length === 0) break;
              const p = pool[o.pick % pool.length]!;
              await fs.remove(p);
              modelRemove(m.files, p);
              m.commits++;
              break;
            }
            case "batch": {
              const staged = new Map(m.files);
              let changed = 0;
              await fs.batch(async (b) => {
                for (const bo of o.ops) {
                  if (bo.kind === "write") {
                    await b.write(bo.path, bo.data);
                    modelWrite(staged, bo.path, bo.data);
                    changed++;
                  } else {
                    const pool = [...staged.keys()].sort();
                    if (pool.length === 0) continue;
                    const p = pool[bo.pick % pool.length]!;
                    await b.remove(p);
                    modelRemove(staged, p);
                    changed++;
                  }
                }
              });
              if (changed > 0) {
                m.files = staged;
                m.commits++;
              }
              break;
            }
            case "fork":
              if (model.has(o.name) || [...model.keys()].some((k) => k.startsWith(o.name + "/") || o.name.startsWith(k + "/"))) break;
              await repo.branches.set(o.name, fs);
              model.set(o.name, { files: new Map(m.files), commits: m.commits });
              break;
            case "tag":
              if (tags.has(o.name) || [...tags.keys()].some((k) => k.startsWith(o.name + "/") || o.name.startsWith(k + "/"))) break;
              await repo.tags.set(o.name, fs);
              tags.set(o.name, new Map(m.files));
              break;
            case "switch": {
              const names = [...model.keys()].sort();
              current = names[o.pick % names.length]!;
              break;
            }
          }
        }
        expect(await repo.branches.keys()).toEqual([...model.keys()].sort());
        for (const [name, m] of model) {
          const fs = await repo.branches.get(name);
          expect(await snapshotFiles(fs)).toEqual(m.files);
          let n = 0;
          for await (const _ of fs.log()) n++;
          expect(n).toBe(m.commits);
          const top = [...new Set([...m.files.keys()].map((k) => k.split("/")[0]!))];
          expect((await fs.ls()).sort()).toEqual(top.sort());
          // -z: paths as they are, not quoted (git quotes any with a byte over 0x7f or a backslash).
          const listed = git(dir, ["ls-tree", "-r", "-z", `refs/heads/${name}`]);
          const fromGit = new Map<string, string>();
          for (const line of listed.split("\0").filter((l) => l !== "")) {
            const tab = line.indexOf("\t");
            const [id, p] = [line.slice(tab - 40, tab), line.slice(tab + 1)];
            fromGit.set(p, gitBytes(dir, ["cat-file", "blob", id]).toString("utf8"));
          }
          expect(fromGit).toEqual(m.files);
        }
        for (const [name, files] of tags) expect(await snapshotFiles(await repo.tags.get(name))).toEqual(files);
        expect(fsck(dir)).toEqual([]);
        await repo.close();
      }),
      { seed: 1127, numRuns: 100 },
    );
  });
});
