// Bundled for the browser: the page's test hooks. Imports the package by name,
// so the bundler resolves it through the `default` export condition.
import * as api from "gitstore";
import { IndexedDBStorage } from "gitstore/indexeddb";
import { storageChecks } from "../storage/contract.js";
import { scenario } from "./scenario.mjs";

async function fetchRepo(): Promise<api.MemoryStorage> {
  const { files, dirs } = (await (await fetch("/repo-manifest.json")).json()) as { files: string[]; dirs: string[] };
  const mem = new api.MemoryStorage();
  for (const d of dirs) await mem.mkdirp(d);
  for (const f of files) await mem.write(f, new Uint8Array(await (await fetch(`/repo/${f}`)).arrayBuffer()));
  return mem;
}

let dbCounter = 0;
const freshDb = (): Promise<IndexedDBStorage> => IndexedDBStorage.open(`gitstore-test-${Date.now()}-${dbCounter++}`);

const hooks = {
  nodeImports: () => typeof (globalThis as { process?: unknown }).process,
  scenarioMemory: async () => scenario(api, async () => new api.MemoryStorage(), await fetchRepo()),
  scenarioIndexedDB: async () => scenario(api, freshDb, undefined),
  contract: async () => {
    const results: string[] = [];
    for (const [name, run] of storageChecks) {
      await run(freshDb);
      results.push(name);
    }
    return results;
  },
  persistWrite: async () => {
    const repo = await api.GitStore.open(await IndexedDBStorage.open("gitstore-persist"), { create: "main" });
    const fs = await (await repo.branches.get("main")).write("kept.txt", "survives a reload");
    await repo.close();
    return fs.hash;
  },
  persistRead: async () => {
    const repo = await api.GitStore.open(await IndexedDBStorage.open("gitstore-persist"));
    const fs = await repo.branches.get("main");
    return { hash: fs.hash, text: await fs.readText("kept.txt") };
  },
  worker: () =>
    new Promise<unknown>((resolve, reject) => {
      const w = new Worker("/worker.js", { type: "module" });
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => reject(new Error(e.message));
    }),
};

(globalThis as unknown as { gitstoreTests: typeof hooks }).gitstoreTests = hooks;
