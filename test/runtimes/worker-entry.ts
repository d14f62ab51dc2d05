// Bundled as a module web worker: the scenario on MemoryStorage, result posted back.
import * as api from "gitstore";
import { scenario } from "./scenario.mjs";

scenario(api, async () => new api.MemoryStorage(), undefined).then(
  (passed) => postMessage({ ok: true, passed }),
  (e: unknown) => postMessage({ ok: false, error: String(e) }),
);
