import { LRUCache } from 'lru-cache';
import { abortable } from '../abortable.js';
import type { CacheOptions } from '../types.js';

/** What the cache remembers about a canonical name. */
export type Answer = 'available' | 'taken';

/** Reads the store: resolves whether the name exists. */
export type StoreRead = (username: string, signal: AbortSignal | undefined) => Promise<boolean>;

/**
 * The cache layer: remembered answers with separate TTLs, and concurrent
 * store reads of one name coalesced into one.
 */
export interface AvailabilityCache {
  /** The remembered answer, if any and not expired. Synchronous: the hot path. */
  get(username: string): Answer | undefined;
  /**
   * Reads the store through the cache. `joined` is true when this call shared
   * a read that another call had already started.
   */
  read(username: string, signal?: AbortSignal): Promise<{ answer: Answer; joined: boolean }>;
  /** Remember that the name is taken (created, conflicted, or said so by the bus). */
  markTaken(username: string): void;
  /** Forget the name (released or invalidated): the next check reads the store. */
  forget(username: string): void;
  readonly size: number;
}

/** Marks a rejection that came from the store itself, not from the cache. */
class StoreReadFailure {
  constructor(readonly error: unknown) {}
}

/**
 * How many times a read that lost its slot to a newer local fact is retried
 * before the check gives up with `unknown`. One retry is almost always enough;
 * the bound only guards against a name being invalidated in a tight loop.
 */
const MAX_READ_ATTEMPTS = 3;

/**
 * Builds the cache layer on lru-cache.
 *
 * ## Why lru-cache's `fetch` is the whole coalescing story
 *
 * `fetch(name)` on a miss starts `fetchMethod` and puts its *promise* in the
 * name's slot; every `fetch(name)` that arrives before it settles finds that
 * promise and waits on it (status `inflight`). So N concurrent checks of a cold
 * name cost one store read, and a failed read rejects every waiter and leaves
 * nothing behind (a failure is never cached).
 *
 * ## Why a newer local fact beats an older read
 *
 * The dangerous interleaving: a read of "alice" is in flight (it will say
 * *available*), then this instance creates "alice" (or hears on the bus that
 * another one did) and calls `markTaken`. lru-cache handles the slot for us:
 * `set` while a fetch is pending replaces the promise and aborts that fetch
 * with reason `replaced` (`delete` aborts with `deleted`), and a fetch whose
 * promise is no longer in the slot never writes its late answer back. What is
 * left for us is the *waiters* of the superseded read: they reject with that
 * abort reason. Such a rejection is not a store failure, so `read` looks again:
 * a `markTaken` left "taken" in the slot, which is the newer truth; a `forget`
 * left nothing, so the read starts afresh (bounded by MAX_READ_ATTEMPTS).
 * Store failures are wrapped in StoreReadFailure on the way out of
 * `fetchMethod`, which is how the two kinds of rejection are told apart.
 *
 * The caller's AbortSignal is deliberately *not* handed to `fetch`: with
 * coalescing, the first caller's options own the shared read, and its abort
 * would fail everybody who joined it. A caller that aborts just stops waiting.
 */
export function createAvailabilityCache(
  options: CacheOptions,
  readStore: StoreRead,
  now?: () => number,
): AvailabilityCache {
  const availableTtl = options.availableTtlMs ?? 5_000;
  const takenTtl = options.takenTtlMs ?? 300_000;
  const lru = new LRUCache<string, Answer>({
    max: options.max ?? 50_000,
    ttl: takenTtl,
    // An injected clock may jump at any moment; lru-cache's default of
    // re-reading the clock at most once per millisecond of *real* time would
    // hide those jumps from it.
    ...(now ? { perf: { now }, ttlResolution: 0 } : {}),
    fetchMethod: async (username, _stale, { signal, options: fetchOptions }) => {
      let exists: boolean;
      try {
        exists = await readStore(username, signal);
      } catch (error) {
        throw new StoreReadFailure(error);
      }
      fetchOptions.ttl = exists ? takenTtl : availableTtl;
      return exists ? 'taken' : 'available';
    },
  });

  return {
    get: (username) => lru.get(username),
    async read(username, signal) {
      for (let attempt = 1; ; attempt++) {
        const status: LRUCache.Status<string, Answer> = {};
        try {
          const answer = await abortable(lru.fetch(username, { status }), signal);
          // fetch resolves undefined only when the fetch was aborted and a
          // stale value was allowed, which we never allow; read it as a loss.
          if (answer !== undefined) return { answer, joined: status.fetch === 'inflight' };
        } catch (error) {
          if (error instanceof StoreReadFailure) throw error.error;
          if (signal?.aborted) throw error;
        }
        const newer = lru.get(username);
        if (newer !== undefined) return { answer: newer, joined: true };
        if (attempt >= MAX_READ_ATTEMPTS) {
          throw new Error(`The store read of "${username}" was superseded ${attempt} times in a row; giving up.`);
        }
      }
    },
    markTaken: (username) => void lru.set(username, 'taken', { ttl: takenTtl }),
    forget: (username) => void lru.delete(username),
    get size() {
      return lru.size;
    },
  };
}

/**
 * The layer with caching switched off (`cache: false`): every check reads the
 * store, nothing is shared or remembered. This is the naive baseline the
 * benchmarks compare against.
 */
export function createNoCache(readStore: StoreRead): AvailabilityCache {
  return {
    get: () => undefined,
    async read(username, signal) {
      // Nothing is shared, so the caller's signal can cancel the read itself.
      const exists = await readStore(username, signal);
      return { answer: exists ? 'taken' : 'available', joined: false };
    },
    markTaken: () => {},
    forget: () => {},
    size: 0,
  };
}
