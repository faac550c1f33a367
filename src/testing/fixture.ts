import type { UsernameStore } from '../store/types.js';
import type { StoreFixture } from './types.js';

/** Builds a fixture, runs `body` with its store, and always cleans up (a cleanup failure never hides the body's). */
export async function withFixture<TData, T>(
  makeStore: () => Promise<StoreFixture<TData>> | StoreFixture<TData>,
  body: (store: UsernameStore<TData>) => Promise<T>,
): Promise<T> {
  const fixture = await makeStore();
  let result: T;
  try {
    result = await body(fixture.store);
  } catch (error) {
    try {
      await fixture.cleanup?.();
    } catch {
      // The body's failure is the one worth reporting.
    }
    throw error;
  }
  await fixture.cleanup?.();
  return result;
}

/**
 * A view of `store` without `close`, for handing one store to several
 * `createUsernameAvailability` instances: `names.close()` closes its store,
 * and the fixture's owner (its `cleanup`) must stay the one who does that.
 */
export function shareStore<TData>(store: UsernameStore<TData>): UsernameStore<TData> {
  const shared: UsernameStore<TData> = {
    exists: (username, ctx) => store.exists(username, ctx),
    insert: (username, data, ctx) => store.insert(username, data, ctx),
    isConflict: (error) => store.isConflict(error),
  };
  if (store.existsMany) shared.existsMany = (usernames, ctx) => store.existsMany!(usernames, ctx);
  if (store.remove) shared.remove = (username, ctx) => store.remove!(username, ctx);
  if (store.list) shared.list = (ctx) => store.list!(ctx);
  return shared;
}

/** Inserts `names` through `store.insert`, `concurrency` at a time. */
export async function insertAll<TData>(
  store: UsernameStore<TData>,
  names: readonly string[],
  data: () => TData,
  concurrency = 16,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next++]!;
      await store.insert(name, data(), {});
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
}
