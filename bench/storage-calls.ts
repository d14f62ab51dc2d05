/**
 * Where a commit's storage time goes: W1's commits (one 1 KiB file each,
 * durability "none") through a storage that times every call, on disk and in
 * /dev/shm. Not part of the comparative run: it explains the W1 row.
 * Usage: npm run bench:calls [-- <commits>]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as Gitstore from "../src/node.js";
import type { NodeStorage, Storage } from "../src/node.js";
import { aroundStorage, copyRepo, emptyTemplate, kib } from "./fixtures.js";

// The package's Node entry, as a user (and the comparative run) loads it.
const PACKAGE: string = "gitstore";
const { GitStore, NodeStorage: DiskStorage } = (await import(PACKAGE)) as typeof Gitstore;

type Call = { count: number; ms: number };

/** Every Storage method of `inner`, timed into `calls`. */
function timed(inner: NodeStorage, calls: Map<string, Call>): Storage {
  return aroundStorage(inner, async (name, _args, call) => {
    const t0 = performance.now();
    try {
      return await call();
    } finally {
      const c = calls.get(name) ?? { count: 0, ms: 0 };
      c.count++;
      c.ms += performance.now() - t0;
      calls.set(name, c);
    }
  });
}

async function measure(where: string, n: number): Promise<void> {
  const dir = mkdtempSync(join(where, "gitstore-calls-"));
  try {
    const calls = new Map<string, Call>();
    const store = await GitStore.open(timed(new DiskStorage(copyRepo(emptyTemplate(), join(dir, "r.git"))), calls), { durability: "none" });
    let fs = await store.branches.get("main");
    calls.clear();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fs = await fs.write(`d${i % 20}/f${i}.bin`, kib(i));
    const total = performance.now() - t0;
    await store.close();
    let storage = 0;
    console.log(`\n${where}: ${((total / n) * 1000).toFixed(0)} us per commit`);
    for (const [name, c] of [...calls].sort((a, b) => b[1].ms - a[1].ms)) {
      storage += c.ms;
      console.log(`  ${name.padEnd(16)} ${(c.count / n).toFixed(2).padStart(5)} per commit ${((c.ms / n) * 1000).toFixed(0).padStart(5)} us per commit ${((c.ms / c.count) * 1000).toFixed(1).padStart(7)} us per call`);
    }
    console.log(`  storage calls: ${((storage / n) * 1000).toFixed(0)} us per commit`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const n = Number(process.argv[2] ?? 1000);
await measure(process.env.BENCH_TMP ?? tmpdir(), n);
await measure("/dev/shm", n);
