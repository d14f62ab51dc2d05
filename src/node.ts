/**
 * The Node (and Deno, Bun) entry: everything of the portable entry, plus
 * {@link NodeStorage} as the storage of a directory path, `node:crypto` and
 * `node:zlib` for hashing and compression, and `FS.dump`.
 */
import { GitStore as CoreGitStore, type OpenOptions } from "./fs/gitstore.js";
import { nodeAlternates } from "./node/alternates.js";
import { nodeExport } from "./node/dump.js";
import { nodePlatform } from "./node/platform.js";
import { NodeStorage } from "./storage/node.js";
import type { Storage } from "./storage/storage.js";

export * from "./index.js";
export { NodeStorage } from "./storage/node.js";
export { nodePlatform } from "./node/platform.js";

/** {@link CoreGitStore} with the Node runtime plugged in. */
export class GitStore extends CoreGitStore {
  // The package bundle holds this class and its base in one scope, where the
  // bundler names this one `GitStore2`: what a console prints keeps the public name.
  static {
    Object.defineProperty(this, "name", { value: "GitStore" });
  }

  /**
   * Open (or create) the repository at `location`: a directory path (stored
   * through {@link NodeStorage}) or any {@link Storage}.
   */
  static override async open(location: string | Storage, options: OpenOptions = {}): Promise<GitStore> {
    return this._open(location, options, {
      platform: nodePlatform,
      storageFor: (path) => new NodeStorage(path),
      localExport: nodeExport,
      locationOf: (s) => (s instanceof NodeStorage ? s.root : s),
      alternates: nodeAlternates,
    }) as Promise<GitStore>;
  }
}
