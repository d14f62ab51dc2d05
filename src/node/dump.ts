/** Exporting a snapshot into a local directory without ever leaving it. */
import { constants, promises as fsp } from "node:fs";
import * as nodePath from "node:path";
import { ValueError } from "../errors.js";
import type { DumpItem, LocalExport } from "../fs/repo.js";
import { errno, makeDirectories } from "../storage/node.js";

/**
 * Make `abs` a real directory: an existing symbolic link or file there is
 * removed (never followed), a missing one created.
 */
async function ensureDir(abs: string): Promise<void> {
  const st = await fsp.lstat(abs).catch((e: unknown) => (errno(e) === "ENOENT" ? undefined : Promise.reject(e)));
  if (st?.isDirectory()) return;
  if (st) await fsp.unlink(abs);
  await fsp.mkdir(abs);
}

/** Remove whatever is at `abs` (a directory recursively, a link itself) so a fresh entry can be made. */
async function clear(abs: string): Promise<void> {
  const st = await fsp.lstat(abs).catch((e: unknown) => (errno(e) === "ENOENT" ? undefined : Promise.reject(e)));
  if (!st) return;
  if (st.isDirectory()) await fsp.rm(abs, { recursive: true });
  else await fsp.unlink(abs);
}

const NAME_MAX = 255;
const PATH_MAX = 4095;

export const nodeExport: LocalExport = {
  async dump(dir: string, items: readonly DumpItem[]): Promise<void> {
    const root = nodePath.resolve(dir);
    // Check every name and symbolic link first: refuse before anything is written.
    const encoder = new TextEncoder();
    for (const item of items) {
      // Git stores names no local file system takes (most allow 255 bytes a
      // name and 4,095 a path): typed, before anything is written, rather
      // than a bare ENAMETOOLONG halfway.
      const longName = item.path.split("/").map((name) => encoder.encode(name).length).find((bytes) => bytes > NAME_MAX);
      if (longName !== undefined || encoder.encode(nodePath.join(root, item.path)).length > PATH_MAX) {
        throw new ValueError(`refusing to dump ${item.path}: ${longName !== undefined ? `a name of ${longName} bytes` : "the path"} is longer than a local file system allows`);
      }
      if (item.kind !== "symlink") continue;
      const target = new TextDecoder().decode(item.data);
      const linkDir = nodePath.dirname(nodePath.join(root, item.path));
      const resolved = nodePath.resolve(linkDir, target);
      if (target === "" || target.includes("\0") || nodePath.isAbsolute(target) || (resolved !== root && !resolved.startsWith(root + nodePath.sep))) {
        throw new ValueError(`refusing to dump ${item.path}: symbolic link to ${JSON.stringify(target)} leads outside ${dir}`);
      }
    }
    // A file where the directory (or one of its parents) should be: refused, typed, before anything is written.
    makeDirectories(root);
    // Items come parents first, so every directory is made real before use.
    for (const item of items) {
      const abs = nodePath.join(root, item.path);
      if (item.kind === "dir") {
        await ensureDir(abs);
      } else if (item.kind === "symlink") {
        await clear(abs);
        await fsp.symlink(new TextDecoder().decode(item.data), abs);
      } else {
        const st = await fsp.lstat(abs).catch(() => undefined);
        if (st && !st.isFile()) await clear(abs);
        const fh = await fsp.open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
        try {
          await fh.writeFile(item.data);
          await fh.chmod(item.kind === "executable" ? 0o755 : 0o644);
        } finally {
          await fh.close();
        }
      }
    }
  },
};
