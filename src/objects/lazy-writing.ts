import { lazy } from "./once.js";

/** writing.ts, loaded on the first write; `loaded` once it has been, for synchronous callers. */
export const writing = lazy(() => import("./writing.js"));
