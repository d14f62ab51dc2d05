// Deno and Bun (and Node): the scenario against a directory path and against
// MemoryStorage, importing the package by its name. Usage: <runtime> this.mjs <tmpdir> <git repo dir>
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import * as api from "gitstore";
import { scenario } from "./scenario.mjs";

const [tmp, gitRepo] = process.argv.slice(2);
const runtime = typeof Deno !== "undefined" ? "deno" : typeof Bun !== "undefined" ? "bun" : "node";

async function memoryCopy(dir) {
  const mem = new api.MemoryStorage();
  const walk = async (rel) => {
    for (const name of readdirSync(join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(join(dir, r)).isDirectory()) {
        await mem.mkdirp(r);
        await walk(r);
      } else await mem.write(r, new Uint8Array(readFileSync(join(dir, r))));
    }
  };
  await walk("");
  return mem;
}

const onDisk = await scenario(api, async () => join(mkdtempSync(join(tmp, `${runtime}-`)), "repo.git"), gitRepo);
const inMemory = await scenario(api, async () => new api.MemoryStorage(), await memoryCopy(gitRepo));
console.log(JSON.stringify({ runtime, onDisk, inMemory }));
