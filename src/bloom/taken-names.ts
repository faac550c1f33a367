import type { BloomOptions, FilterStats, TakenFilter } from './types.js';

/**
 * The Bloom layer as the core uses it: a filter of taken names plus the one
 * fact a bare filter cannot know, whether it is *complete*.
 *
 * A negative ("never added") proves a name free only if every taken name was
 * added, so there is no filter at all until `warm()` has streamed the whole
 * store into one; until then `isSurelyFree` answers false and checks fall
 * through to the cache and the store. Names learned before the first warm-up
 * need not be kept: each of them is in the store, so the warm-up's stream
 * brings it. Names learned *during* a warm-up go into the filter being built
 * as well, since the stream may already have passed them.
 *
 * The default filter (bloom-filters, CommonJS with a global polyfill and
 * lodash among its dependencies) is loaded by a dynamic import on the first
 * warm-up, so an app or a browser bundle that never warms up, or brings its
 * own filter, never loads it.
 */
export interface TakenNames {
  add(username: string): void;
  /** True only when the filter is complete and has never seen the name. */
  isSurelyFree(username: string): boolean;
  /**
   * Builds a fresh filter from `names` and swaps it in when the stream ends.
   * Concurrent calls share one run.
   */
  rebuild(names: AsyncIterable<string>): Promise<number>;
  /** Figures of the current filter; zeros until the first warm-up. */
  stats(): FilterStats & { ready: boolean };
}

type Sizing = { expectedItems: number; falsePositiveRate: number };

async function defaultFilter(sizing: Sizing): Promise<TakenFilter> {
  const { createBloomFilter } = await import('./bloom-filter.js');
  return createBloomFilter(sizing);
}

export function createTakenNames(options: BloomOptions): TakenNames {
  const sizing: Sizing = {
    expectedItems: options.expectedItems ?? 100_000,
    falsePositiveRate: options.falsePositiveRate ?? 0.01,
  };
  if (!(sizing.expectedItems >= 1) || !(sizing.falsePositiveRate > 0 && sizing.falsePositiveRate < 1)) {
    throw new RangeError(
      `The Bloom filter needs expectedItems >= 1 and 0 < falsePositiveRate < 1; got ${sizing.expectedItems} and ${sizing.falsePositiveRate}.`,
    );
  }
  const create = options.create;
  const build = create ? async (s: Sizing) => create(s) : defaultFilter;
  let filter: TakenFilter | undefined;
  let next: TakenFilter | undefined;
  let running: Promise<number> | undefined;

  const rebuildOnce = async (names: AsyncIterable<string>): Promise<number> => {
    const fresh = await build(sizing);
    next = fresh;
    let loaded = 0;
    try {
      for await (const name of names) {
        fresh.add(name);
        loaded++;
      }
    } finally {
      next = undefined;
    }
    filter = fresh;
    return loaded;
  };

  return {
    add(username) {
      filter?.add(username);
      next?.add(username);
    },
    isSurelyFree: (username) => filter !== undefined && !filter.has(username),
    rebuild(names) {
      running ??= rebuildOnce(names).finally(() => {
        running = undefined;
      });
      return running;
    },
    stats: () =>
      filter
        ? { ...filter.stats(), ready: true }
        : { items: 0, bits: 0, hashes: 0, estimatedFalsePositiveRate: 1, ready: false },
  };
}
