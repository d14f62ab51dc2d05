// npm run demo: create a repository on disk, write, read, branch, tag, show history.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GitStore } from "gitstore";

const dir = mkdtempSync(join(tmpdir(), "gitstore-demo-"));
const path = join(dir, "data.git");
try {
  const repo = await GitStore.open(path, { create: "main", author: "demo", email: "demo@example.com" });
  console.log(`created ${path}`);

  let main = await repo.branches.get("main");
  main = await main.write("hello.txt", "Hello, gitstore!\n");
  main = await main.batch(async (b) => {
    await b.write("config/app.json", JSON.stringify({ debug: false }));
    await b.write("config/db.json", JSON.stringify({ host: "localhost" }));
  });
  console.log(`main is at ${main.hash.slice(0, 12)}: ${await main.ls()} | ${await main.ls("config")}`);
  console.log(`hello.txt says: ${(await main.readText("hello.txt")).trim()}`);

  await repo.branches.set("experiment", main);
  let exp = await repo.branches.get("experiment");
  exp = await exp.write("config/app.json", JSON.stringify({ debug: true }), { message: "Turn on debug" });
  await repo.tags.set("v1.0", main);
  console.log(`branches: ${await repo.branches.keys()}; tags: ${await repo.tags.keys()}`);
  console.log(`main   app.json: ${await main.readText("config/app.json")}`);
  console.log(`experiment app.json: ${await exp.readText("config/app.json")}`);

  console.log("history of experiment:");
  for await (const snap of exp.log()) console.log(`  ${snap.hash.slice(0, 12)} ${snap.message}`);

  try {
    await main.parent().then((old) => old.write("late.txt", "too late"));
  } catch (e) {
    console.log(`writing from an old snapshot: ${e.name}`);
  }
  const tagged = await repo.tags.get("v1.0");
  console.log(`tag v1.0 is read-only (branch ${tagged.branch}) and holds ${await tagged.ls()}`);
  await repo.close();
  if (process.env.KEEP) console.log(`kept: git --git-dir ${path} log --oneline --all`);
} finally {
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
}
