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

/** A module (or anything) loaded on first need: `load` as {@link once}; `loaded` once it has, for synchronous callers. */
export interface Lazy<T> {
  readonly loaded: T | undefined;
  readonly load: () => Promise<T>;
  /** `undefined` once loaded, else {@link load}'s promise: the shape of the platform's `load?()` hooks. */
  readonly ready: () => Promise<T> | undefined;
}

/** {@link Lazy} over `load`. */
export function lazy<T>(load: () => Promise<T>): Lazy<T> {
  const it: { loaded: T | undefined; load: () => Promise<T>; ready: () => Promise<T> | undefined } = {
    loaded: undefined,
    load: once(() => load().then((value) => (it.loaded = value))),
    ready: () => (it.loaded === undefined ? it.load() : undefined),
  };
  return it;
}
