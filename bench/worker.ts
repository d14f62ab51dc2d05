/**
 * One measurement in a fresh process: prepare (not timed), run, print JSON.
 * Usage: node build/bench/worker.js '<task json>'
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GitStore } from "../src/node.js";
import { GIT_ENV } from "../test/helpers/git.js";
import { copyRepo, diskUsage, emptyTemplate, filledTemplate, FLAT_DIR, historyRepo, hottestFile, kib, looseHistoryRepo } from "./fixtures.js";
import { gcRun, loadSystem, w1, w2, w3BothGit, w3Head, w3History, w4, type Measured, type System } from "./workloads.js";

export interface Task {
  workload: "w1" | "w2" | "w3-head" | "w3-history" | "w3-both" | "w4" | "w5" | "w6" | "gc";
  /** w5: which primitive. */
  op?: "sha1" | "deflate" | "inflate";
  system: System;
  /** gitstore variants: durability, verification of reads. */
  durability?: "full" | "none";
  noVerify?: boolean;
  n?: number;
  existing?: number;
  /** w1: the existing files are in one directory, `big`, where the commits add theirs. */
  flat?: boolean;
  where?: "disk" | "shm";
  /** w1: commits made first, in the same process, into another repository in /dev/shm (not timed). */
  warm?: number;
  /** w1, gitstore: afterwards, make the same commits again (untimed) to count the files they create. */
  count?: boolean;
  size?: "small" | "large";
  /** Flags for the worker's `node` (an application's settings, e.g. `--v8-pool-size=1`). */
  nodeFlags?: string[];
}

export interface Result extends Measured {
  rssMB: number;
  filesPerCommit?: number;
  files?: number;
  bytes?: number;
}

/** The W4 repository: 1,000 commits written by gitstore, then `git gc`. */
async function logRepo(): Promise<string> {
  const { CACHE } = await import("./fixtures.js");
  const dir = join(CACHE, "log-1000.git");
  const { existsSync, renameSync } = await import("node:fs");
  if (existsSync(join(dir, "HEAD"))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  copyRepo(emptyTemplate(), tmp);
  const { GitStore } = await import("../src/node.js");
  const store = await GitStore.open(tmp, { durability: "none" });
  let fs = await store.branches.get("main");
  for (let i = 0; i < 1000; i++) fs = await fs.write(`d${i % 20}/f${i}.bin`, kib(i), { message: `commit ${i}\n\nbody of commit ${i}` });
  await store.close();
  execFileSync("git", ["--git-dir", tmp, "gc", "-q"], { env: GIT_ENV });
  renameSync(tmp, dir);
  return dir;
}

async function run(task: Task): Promise<Result> {
  // Under the suite (run.ts), scratch directories are left for it to remove
  // when every row has run: see SCRATCH there.
  const shm = task.where === "shm";
  const kept = process.env[shm ? "BENCH_SCRATCH_SHM" : "BENCH_SCRATCH"];
  const base = kept ?? (shm ? "/dev/shm" : (process.env.BENCH_TMP ?? tmpdir()));
  const scratch = mkdtempSync(join(base, "gitstore-bench-"));
  if (task.workload !== "w5") await loadSystem(task.system);
  try {
    const configure = task.noVerify
      ? (s: GitStore): void => {
          s._repo.odb.verifyReads = false;
        }
      : undefined;
    switch (task.workload) {
      case "w1": {
        const template = task.existing ? filledTemplate(task.existing, task.flat) : emptyTemplate();
        if (task.warm) {
          // A long-running process: its code compiled and its heap grown by
          // earlier commits elsewhere (in memory, so that they leave the disk
          // as it was).
          const warmDir = mkdtempSync(join("/dev/shm", "gitstore-bench-warm-"));
          try {
            await w1(task.system, copyRepo(emptyTemplate(), join(warmDir, "r.git")), task.warm, { durability: task.durability ?? "none", prefix: "w", start: 0 });
          } finally {
            rmSync(warmDir, { recursive: true, force: true });
          }
        }
        const repo = copyRepo(template, join(scratch, "r.git"));
        const before = diskUsage(repo).files;
        // Copied only once the timed commits are done, so that the copy's writeback cannot slow them.
        const countIn = task.count ? () => copyRepo(template, join(scratch, "count.git")) : undefined;
        const m = await w1(task.system, repo, task.n!, { durability: task.durability ?? "none", prefix: "d", start: 0, countIn, dir: task.flat ? FLAT_DIR : undefined });
        const after = diskUsage(repo).files;
        return { ...m, rssMB: m.rssMB ?? rss(), filesPerCommit: (after - before) / task.n! };
      }
      case "w2": {
        const repo = copyRepo(emptyTemplate(), join(scratch, "r.git"));
        const m = await w2(task.system, repo, task.n!);
        const du = diskUsage(repo);
        return { ...m, rssMB: m.rssMB ?? rss(), files: du.files, bytes: du.bytes };
      }
      case "w3-head":
        return { ...(await w3Head(task.system, historyRepo(task.size!), configure)), rssMB: rss() };
      case "w3-history": {
        const repo = historyRepo(task.size!);
        return { ...(await w3History(task.system, repo, hottestFile(repo), configure)), rssMB: rss() };
      }
      case "w3-both": {
        // The workload as one: every file at HEAD, then every version
        // of the hot file, in one process (each part as in its own row).
        const repo = historyRepo(task.size!);
        if (task.system === "git") return { ...w3BothGit(repo, hottestFile(repo)), rssMB: rss() };
        const head = await w3Head(task.system, repo, configure);
        const history = await w3History(task.system, repo, hottestFile(repo), configure);
        return { ms: head.ms + history.ms, check: `${head.check}+${history.check}`, extra: { headMs: head.ms, historyMs: history.ms }, rssMB: rss() };
      }
      case "gc": {
        const repo = copyRepo(looseHistoryRepo(), join(scratch, "r.git"));
        return { ...(await gcRun(task.system, repo)), rssMB: rss() };
      }
      case "w5":
        return { ...(await raw(task)), rssMB: rss() };
      case "w4":
        return { ...(await w4(task.system, await logRepo(), configure)), rssMB: rss() };
      case "w6":
        // Issue 5's read workload: every file of a snapshot of 10,000 files, as W3's head part reads.
        return { ...(await w3Head(task.system, filledTemplate(10_000), configure)), rssMB: rss() };
      default:
        throw new Error(`unknown workload ${String(task.workload)}`);
    }
  } finally {
    if (!kept) rmSync(scratch, { recursive: true, force: true });
  }
}

/** W5: one primitive over 64 MiB, ours (pure TypeScript / pako) or Node's built-in. */
async function raw(task: Task): Promise<Measured> {
  const { nodePlatform } = await import("../src/node.js");
  const { portablePlatform } = await import("../src/objects/platform.js");
  const { toHex } = await import("../src/objects/hash.js");
  const size = 64 * 1024 * 1024;
  const data = new Uint8Array(size);
  // Compressible but not trivial: text-like runs with noise.
  for (let i = 0; i < size; i++) data[i] = (i % 97 < 60 ? 97 + (i % 23) : (i * 2654435761) >>> 27) & 0xff;
  const impl = task.system === "gitstore" ? portablePlatform : nodePlatform;
  await impl.hash.load?.();
  await impl.zlib.load?.();
  const packed = await impl.zlib.deflate(data, 6);
  const t0 = performance.now();
  let check: string;
  if (task.op === "sha1") check = toHex(impl.hash.create().update(data).digest());
  else if (task.op === "deflate") check = String((await impl.zlib.deflate(data, 6)).length);
  else check = String(impl.zlib.inflate(packed, size).output.length);
  const ms = performance.now() - t0;
  return { ms, check, extra: { mbPerS: size / 1024 / 1024 / (ms / 1000) } };
}

function rss(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Build every fixture a task list needs, once, before anything is timed. */
export async function prepare(tasks: readonly Task[]): Promise<void> {
  for (const t of tasks) {
    if (t.workload === "w1") {
      if (t.existing) filledTemplate(t.existing, t.flat);
      else emptyTemplate();
    } else if (t.workload === "w2") emptyTemplate();
    else if (t.workload === "w4") await logRepo();
    else if (t.workload === "gc") looseHistoryRepo();
    else if (t.workload !== "w5") hottestFile(historyRepo(t.size!));
  }
}

if (process.argv[2]) {
  const task = JSON.parse(process.argv[2]) as Task;
  if (task.workload === ("prepare" as string)) await prepare(JSON.parse(process.argv[3]!) as Task[]);
  else process.stdout.write(JSON.stringify(await run(task)) + "\n");
}
