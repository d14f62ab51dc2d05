// One scenario every runtime runs against the public API: create, write, batch,
// branch, tag, read, log, the stale-snapshot error, and reading a repository
// made by git. Plain JavaScript so that Deno, Bun, browsers and workers load it
// as it is. Throws on the first failed check; returns the checks that passed.

/**
 * @param {typeof import("../../src/index.js")} api  the gitstore module
 * @param {() => Promise<import("../../src/index.js").Storage | string>} makeLocation  a fresh location
 * @param {import("../../src/index.js").Storage | string | undefined} gitRepo  a repository made by git (see makeRuntimeFixture)
 */
export async function scenario(api, makeLocation, gitRepo) {
  const passed = [];
  const check = (ok, what) => {
    if (!ok) throw new Error(`scenario failed: ${what}`);
    passed.push(what);
  };
  const repo = await api.GitStore.open(await makeLocation(), { create: "main", author: "runtime", email: "runtime@example.com" });
  let fs = await repo.branches.get("main");
  fs = await fs.write("hello.txt", "hello");
  check((await fs.readText("hello.txt")) === "hello", "write and read");
  fs = await fs.batch(async (b) => {
    await b.write("dir/a.txt", "a");
    await b.write("dir/b.bin", new Uint8Array([1, 2, 3]));
    await b.remove("hello.txt");
  });
  check(JSON.stringify(await fs.ls()) === '["dir"]' && (await fs.read("dir/b.bin")).join() === "1,2,3", "batch");
  await repo.branches.set("dev", fs);
  const dev = await (await repo.branches.get("dev")).write("dev.txt", "dev");
  check((await repo.branches.keys()).join() === "dev,main", "branch");
  await repo.tags.set("v1", fs);
  const tag = await repo.tags.get("v1");
  check(tag.branch === null && tag.hash === fs.hash, "tag");
  const messages = [];
  for await (const s of dev.log()) messages.push(s.message);
  check(messages.join("|") === "Write dev.txt|Batch: Write dir/a.txt; Write dir/b.bin; Remove hello.txt|Write hello.txt|Initialize main", "log");
  await fs.write("x", "y");
  let stale;
  try {
    await fs.write("z", "w");
  } catch (e) {
    stale = e;
  }
  check(stale instanceof api.StaleSnapshotError, "stale snapshot error");
  await repo.close();
  if (gitRepo !== undefined) {
    const g = await api.GitStore.open(gitRepo);
    const main = await g.branches.get("main");
    check((await main.readText("README")) === "made by git\n", "read a file of a repository made by git");
    check((await main.readText("src/deep/data.txt")).startsWith("line 0\n"), "read a deltified file");
    const v = await g.tags.get("v1.0");
    check(v.message === "second", "annotated tag made by git, peeled");
    let n = 0;
    for await (const _ of main.log()) n++;
    check(n === 3, "history of a repository made by git");
    await g.close();
  }
  return passed;
}
