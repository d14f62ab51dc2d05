import type * as api from "gitstore";
export function scenario(gitstore: typeof api, makeLocation: () => Promise<api.Storage | string>, gitRepo: api.Storage | string | undefined): Promise<string[]>;
