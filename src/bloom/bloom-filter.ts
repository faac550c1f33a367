/**
 * The default {@link TakenFilter}: bloom-filters' `BloomFilter`, sized with
 * its own `BloomFilter.create(n, p)`, with the library's slow default hashing
 * (pure-JS 64-bit xxhash, ~130k `has`/s) replaced through its own `Hashing`
 * extension point by a fast 32-bit double hash ({@link hashPair}).
 *
 * @module
 */
import * as bloomFilters from 'bloom-filters';
import type { FilterStats, TakenFilter } from './types.js';
import { hashPair } from './hash.js';

type BloomFiltersModule = typeof import('bloom-filters');

// bloom-filters is CommonJS. Under Node's ESM loader a namespace import only
// sees what cjs-module-lexer can detect (here `MinHash`, `__esModule` and
// `default`), so `BloomFilter` and `Hashing` are on `default`; esbuild's CJS
// output (tsup, tsx) and vitest give the named properties directly. Take
// whichever object actually carries them.
const lib: Pick<BloomFiltersModule, 'BloomFilter' | 'Hashing'> =
  'BloomFilter' in bloomFilters && typeof bloomFilters.BloomFilter === 'function'
    ? bloomFilters
    : (bloomFilters as unknown as { default: BloomFiltersModule }).default;

type LibBloomFilter = InstanceType<BloomFiltersModule['BloomFilter']>;

/**
 * bloom-filters' `Hashing` with `getIndexes` replaced: one pass of
 * {@link hashPair} (two independent 32-bit hashes) and Kirsch–Mitzenmacher
 * double hashing, `index_i = (h1 + i * h2) mod size`.
 *
 * `BloomFilter.add`/`has` call `this._hashing.getIndexes(...)` and only read
 * the returned array synchronously, before any other call can run, so one
 * array per instance is reused instead of allocating one per call.
 */
class FastHashing extends lib.Hashing {
  private readonly pair = new Uint32Array(2);
  private indexes: number[] = [];

  override getIndexes(
    element: string | ArrayBuffer | Uint8Array,
    size: number,
    hashCount: number,
    seed = 0,
  ): number[] {
    if (typeof element !== 'string') {
      // Only strings reach this filter (see createBloomFilter); anything else
      // keeps the library's own behaviour rather than being mis-hashed.
      return super.getIndexes(element as never, size, hashCount, seed);
    }
    const pair = this.pair;
    hashPair(element, seed, pair);
    let indexes = this.indexes;
    if (indexes.length !== hashCount) indexes = this.indexes = new Array<number>(hashCount).fill(0);
    let x = pair[0]! % size;
    // A zero step would put all k probes on one bit; 1 keeps them distinct.
    const step = pair[1]! % size || 1;
    for (let i = 0; i < hashCount; i++) {
      indexes[i] = x;
      x += step;
      if (x >= size) x -= size;
    }
    return indexes;
  }
}

/**
 * Creates the default Bloom filter of taken names: bloom-filters'
 * `BloomFilter.create(expectedItems, falsePositiveRate)` (optimal bit count
 * `-n ln p / (ln 2)^2`, `ceil(m/n ln 2)` hashes) with a fast 32-bit double
 * hash. At 1% that is about 9.6 bits and 7 hashes per name.
 *
 * @param sizing - How many names the filter is sized for, and the
 *   false-positive rate wanted once it holds that many.
 * @returns A {@link TakenFilter}; `has` returning `false` means the name was
 *   definitely never added.
 * @throws RangeError if `expectedItems` is not a positive finite number or
 *   `falsePositiveRate` is not strictly between 0 and 1.
 *
 * @example
 * ```ts
 * const filter = createBloomFilter({ expectedItems: 100_000, falsePositiveRate: 0.01 });
 * filter.add('alice');
 * filter.has('alice'); // true
 * filter.has('bob');   // false (or, 1% of the time, a false positive)
 * filter.stats();      // { items: 1, bits: 958506, hashes: 7, estimatedFalsePositiveRate: ~0 }
 * ```
 */
export function createBloomFilter(sizing: {
  expectedItems: number;
  falsePositiveRate: number;
}): TakenFilter {
  const { expectedItems, falsePositiveRate } = sizing;
  if (!(Number.isFinite(expectedItems) && expectedItems > 0)) {
    throw new RangeError(
      `A Bloom filter needs a positive finite expectedItems; got ${String(expectedItems)}.`,
    );
  }
  if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) {
    throw new RangeError(
      `A Bloom filter needs a falsePositiveRate strictly between 0 and 1; got ${String(falsePositiveRate)}.`,
    );
  }
  const filter: LibBloomFilter = lib.BloomFilter.create(Math.ceil(expectedItems), falsePositiveRate);
  // `_hashing` is the library's documented-by-code extension point (every
  // filter calls `this._hashing.getIndexes`), but its underscore marks it as
  // internal; this is the one place we touch it.
  filter._hashing = new FastHashing();
  const bits = filter.size;
  // `_nbHashes`, `_filter` and `seed` are the library's own (public, if
  // underscored) fields; the filter never changes them after `create`.
  const hashes = filter._nbHashes;
  const bitSet = filter._filter;
  const seed = filter.seed;
  const pair = new Uint32Array(2);
  let items = 0;

  return {
    add(username: string): void {
      filter.add(username);
      items++;
    },
    has(username: string): boolean {
      // The same probes as FastHashing.getIndexes (and so as `filter.add`),
      // tested as they are generated: most checks that reach the filter are
      // of free names, and a free name usually fails on the first or second
      // probe, so stopping there beats computing all k indexes up front
      // (which is what the library's own `has` does).
      hashPair(username, seed, pair);
      let x = pair[0]! % bits;
      const step = pair[1]! % bits || 1;
      for (let i = 0; i < hashes; i++) {
        if (!bitSet.has(x)) return false;
        x += step;
        if (x >= bits) x -= bits;
      }
      return true;
    },
    stats(): FilterStats {
      // (1 - e^(-k n / m))^k from the count of adds: O(1), unlike the
      // library's rate(), which counts every set bit. Repeated adds make it
      // an overestimate, the safe side.
      return {
        items,
        bits,
        hashes,
        estimatedFalsePositiveRate: (1 - Math.exp((-hashes * items) / bits)) ** hashes,
      };
    },
  };
}
