/** Running the real git CLI deterministically, and temporary directories. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  HOME: tmpdir(),
  LC_ALL: "C",
  TZ: "UTC",
  GIT_AUTHOR_NAME: "A U Thor",
  GIT_AUTHOR_EMAIL: "author@example.com",
  GIT_COMMITTER_NAME: "C O Mitter",
  GIT_COMMITTER_EMAIL: "committer@example.com",
  GIT_AUTHOR_DATE: "1700000000 +0000",
  GIT_COMMITTER_DATE: "1700000000 +0000",
};

/** Run git in `repo` (a git dir); returns stdout as a string. Throws with stderr on failure. */
export function git(repo: string, args: string[], input?: string | Uint8Array): string {
  return gitBytes(repo, args, input).toString("utf8");
}

export function gitBytes(repo: string, args: string[], input?: string | Uint8Array): Buffer {
  const r = spawnSync("git", ["--git-dir", repo, "-c", "gc.auto=0", ...args], { env: GIT_ENV, input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed (${r.status}): ${r.stderr.toString()}`);
  return r.stdout;
}

/** `git fsck --full --strict`: returns stderr lines that are errors or warnings (empty = clean). */
export function fsck(repo: string): string[] {
  const r = spawnSync("git", ["--git-dir", repo, "fsck", "--full", "--strict", "--no-dangling"], { env: GIT_ENV });
  const lines = (r.stderr.toString() + r.stdout.toString()).split("\n").filter((l) => l.trim() !== "" && !l.startsWith("notice:") && !l.startsWith("Checking"));
  if (r.status !== 0 && lines.length === 0) lines.push(`fsck exited ${r.status}`);
  return lines;
}

export function gitInit(dir: string, branch = "main"): string {
  execFileSync("git", ["init", "-q", "--bare", "-b", branch, dir], { env: GIT_ENV });
  return dir;
}

const made: string[] = [];

/** A fresh temporary directory, removed by {@link cleanupTemp}. */
export function tempDir(prefix = "gitstore-"): string {
  const d = mkdtempSync(join(process.env.GITSTORE_TMP ?? tmpdir(), prefix));
  made.push(d);
  return d;
}

export function cleanupTemp(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}
