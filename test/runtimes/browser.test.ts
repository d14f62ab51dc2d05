/**
 * A real browser (Debian's chromium, driven by playwright-core): the bundle of
 * the default entry runs the scenario on MemoryStorage, reads a packed
 * repository made by git that the page fetches, passes the storage contract on
 * IndexedDB, survives a reload, and runs in a module web worker.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { chromium, type Browser, type ConsoleMessage, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storageChecks } from "../storage/contract.js";
import { cleanupTemp, tempDir } from "../helpers/git.js";
import { expectedOutput, readmeExamples } from "../helpers/readme.js";
import { dirsOf, filesOf, makeRuntimeFixture } from "./fixture.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = join(import.meta.dirname, "../..");

describe.skipIf(!existsSync(CHROMIUM))("browser (chromium)", () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    const site = tempDir("site-");
    for (const [entry, out] of [
      ["browser-entry.ts", "bundle.js"],
      ["worker-entry.ts", "worker.js"],
    ] as const) {
      await esbuild.build({ entryPoints: [join(import.meta.dirname, entry)], bundle: true, platform: "browser", format: "esm", outfile: join(site, out), absWorkingDir: ROOT, logLevel: "error" });
    }
    writeFileSync(join(site, "index.html"), '<!doctype html><meta charset="utf-8"><title>gitstore</title><script type="module" src="/bundle.js"></script>');
    const repo = makeRuntimeFixture(join(tempDir(), "git-made.git"));
    writeFileSync(join(site, "repo-manifest.json"), JSON.stringify({ files: filesOf(repo), dirs: dirsOf(repo) }));
    server = createServer((req, res) => {
      const url = decodeURIComponent((req.url ?? "/").split("?")[0]!);
      const file = url === "/" ? join(site, "index.html") : url.startsWith("/repo/") ? join(repo, url.slice(6)) : join(site, url);
      if (url.includes("..") || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      const type = file.endsWith(".js") ? "text/javascript" : file.endsWith(".html") ? "text/html" : file.endsWith(".json") ? "application/json" : "application/octet-stream";
      res.writeHead(200, { "content-type": type }).end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const profile = tempDir("chromium-profile-");
    mkdirSync(profile, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"],
    });
    page = await browser.newPage();
    page.on("pageerror", (e) => console.error("page error:", e));
    await page.goto(`${base}/`);
    await page.waitForFunction(() => "gitstoreTests" in globalThis);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    cleanupTemp();
  });

  type Hooks = Record<string, () => Promise<unknown>>;
  const call = (name: string): Promise<unknown> => page.evaluate((n) => (globalThis as unknown as { gitstoreTests: Hooks }).gitstoreTests[n]!(), name);

  it("loads the default entry with no Node globals", async () => {
    expect(await call("nodeImports")).toBe("undefined");
  });

  it("runs the scenario on MemoryStorage and reads a packed repository made by git, fetched as files", async () => {
    expect(await call("scenarioMemory")).toHaveLength(10);
  });

  it("IndexedDBStorage passes the storage contract", async () => {
    expect(await call("contract")).toEqual(storageChecks.map(([name]) => name));
  });

  it("runs the scenario on IndexedDBStorage", async () => {
    expect(await call("scenarioIndexedDB")).toHaveLength(6);
  });

  it("an IndexedDB repository survives a page reload with nothing lost", async () => {
    const hash = await call("persistWrite");
    await page.reload();
    await page.waitForFunction(() => "gitstoreTests" in globalThis);
    expect(await call("persistRead")).toEqual({ hash, text: "survives a reload" });
  });

  it("runs the README's browser examples", async () => {
    for (const code of readmeExamples("browser")) {
      const built = await esbuild.build({ stdin: { contents: code, resolveDir: ROOT, loader: "js" }, bundle: true, platform: "browser", format: "esm", write: false, logLevel: "error" });
      const logs: string[] = [];
      const onConsole = (m: ConsoleMessage): void => void logs.push(m.text());
      page.on("console", onConsole);
      const errors: string[] = [];
      const onError = (e: Error): void => void errors.push(String(e));
      page.on("pageerror", onError);
      for (let run = 1; run <= 2; run++) {
        // Twice: the second run opens what the first created (it persists).
        await page.addScriptTag({ type: "module", content: `${built.outputFiles[0]!.text}\nglobalThis.readmeRuns = ${run};` });
        await page.waitForFunction((n) => (globalThis as { readmeRuns?: number }).readmeRuns === n, run);
      }
      page.off("console", onConsole);
      page.off("pageerror", onError);
      expect(errors).toEqual([]);
      for (const expected of expectedOutput(code)) expect(logs.filter((l) => l.includes(expected))).toHaveLength(2);
    }
  });

  it("runs the README's worker examples", async () => {
    for (const code of readmeExamples("worker")) {
      const built = await esbuild.build({ stdin: { contents: code, resolveDir: ROOT, loader: "js" }, bundle: true, platform: "browser", format: "esm", write: false, logLevel: "error" });
      const message = await page.evaluate(
        (src) =>
          new Promise<unknown>((resolve, reject) => {
            const w = new Worker(URL.createObjectURL(new Blob([src], { type: "text/javascript" })), { type: "module" });
            w.onmessage = (e) => resolve(e.data);
            w.onerror = (e) => reject(new Error(e.message));
          }),
        built.outputFiles[0]!.text,
      );
      expect(message).toBe("hello from a worker");
    }
  });

  it("runs the scenario in a module web worker", async () => {
    expect(await call("worker")).toEqual({ ok: true, passed: expect.arrayContaining(["write and read", "stale snapshot error"]) });
  });
});
