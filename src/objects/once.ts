/**
 * `load` run once, its promise shared by every caller; after a failure the
 * next caller runs it again (a lazily fetched chunk may arrive on a second
 * attempt), where a plain `??=` would hand out the rejection for good.
 */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((e: unknown) => {
      loading = undefined;
      throw e;
    }));
}
