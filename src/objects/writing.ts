/**
 * The code only a writer runs, as one module loaded on the first write
 * (`writing` in lazy-writing.ts): a bundler makes it one chunk, which an
 * application that only reads never fetches, and a writer's first commit
 * loads one module where it loaded six (the pack writer, the fast zlib
 * encoders, merging and removing packs, each imported on its own, and the
 * chunks a bundler split them into). Node's first commit into 10,000 files:
 * 7.10 -> 5.91 ms (medians of 8 processes, alternated).
 */
export { PackWriter, type PublishedPack } from "./pack-writer.js";
export { encodeFixedZlib, encodeStoredZlib } from "./zlib-encode.js";
export { deflateTree } from "./tree-zlib.js";
export { mergePacks } from "./pack-merge.js";
export { listPackDirectory, removePackFiles } from "./pack-removal.js";
