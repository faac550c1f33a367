import { createBloomFilter } from './bloom-filter.js';
import type { BloomOptions, FilterStats, TakenFilter } from './types.js';

/**
 * The Bloom layer as the core uses it: a filter of taken names plus the one
 * fact a bare filter cannot know, whether it is *complete*.
 *
 * A negative ("never added") proves a name free only if every taken name was
 * added, so until a `warm()` has streamed the whole store in, `isSurelyFree`
 * answers false and checks fall through to the cache and the store. Names
 * learned before that (creates, conflicts, reads) are still added, so nothing
 * is lost when it becomes ready.
 */
export interface TakenNames {
  add(username: string): void;
  /** True only when the filter is complete and has never seen the name. */
  isSurelyFree(username: string): boolean;
  /**
   * Builds a fresh filter from `names` and swaps it in when the stream ends.
   * Names added meanwhile go into both filters, so a create that lands during
   * a rebuild is never missing from the result. Concurrent calls share one run.
   */
  rebuild(names: AsyncIterable<string>): Promise<number>;
  stats(): FilterStats & { ready: boolean };
}

export function createTakenNames(options: BloomOptions): TakenNames {
  const sizing = {
    expectedItems: options.expectedItems ?? 100_000,
    falsePositiveRate: options.falsePositiveRate ?? 0.01,
  };
  if (!(sizing.expectedItems >= 1) || !(sizing.falsePositiveRate > 0 && sizing.falsePositiveRate < 1)) {
    throw new RangeError(
      `The Bloom filter needs expectedItems >= 1 and 0 < falsePositiveRate < 1; got ${sizing.expectedItems} and ${sizing.falsePositiveRate}.`,
    );
  }
  const build = options.create ?? createBloomFilter;
  let filter: TakenFilter = build(sizing);
  let next: TakenFilter | undefined;
  let ready = false;
  let running: Promise<number> | undefined;

  const rebuildOnce = async (names: AsyncIterable<string>): Promise<number> => {
    const fresh = build(sizing);
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
    ready = true;
    return loaded;
  };

  return {
    add(username) {
      filter.add(username);
      next?.add(username);
    },
    isSurelyFree: (username) => ready && !filter.has(username),
    rebuild(names) {
      running ??= rebuildOnce(names).finally(() => {
        running = undefined;
      });
      return running;
    },
    stats: () => ({ ...filter.stats(), ready }),
  };
}
