/**
 * A set of taken names that may answer "maybe" but never forgets: a Bloom
 * filter. `has` returning `false` means *definitely never added*.
 *
 * Implement it to swap in another filter (a WASM one, a browser-friendly one).
 *
 * @example
 * ```ts
 * const exact = new Set<string>();
 * const filter: TakenFilter = {
 *   add: (name) => void exact.add(name),
 *   has: (name) => exact.has(name),
 *   stats: () => ({ items: exact.size, bits: 0, hashes: 0, estimatedFalsePositiveRate: 0 }),
 * };
 * ```
 */
export interface TakenFilter {
  add(username: string): void;
  /** `false`: definitely not added. `true`: added, or a false positive. */
  has(username: string): boolean;
  stats(): FilterStats;
}

/**
 * Size and quality figures of a {@link TakenFilter}.
 *
 * @example
 * ```ts
 * const bloom = names.stats().bloom;
 * if (bloom?.ready && bloom.estimatedFalsePositiveRate > 0.02) {
 *   console.warn('More taken names than bloom.expectedItems: raise it.');
 * }
 * ```
 */
export interface FilterStats {
  /** Names added so far (with repeats). */
  items: number;
  /** Size of the bit array. */
  bits: number;
  /** Number of hash functions. */
  hashes: number;
  /** The false-positive rate expected at the current fill. */
  estimatedFalsePositiveRate: number;
}

/**
 * Sizing of the Bloom filter of taken names.
 *
 * @example
 * ```ts
 * const bloom: BloomOptions = { expectedItems: 1_000_000, falsePositiveRate: 0.01 };
 * ```
 */
export interface BloomOptions {
  /** How many taken names the filter is sized for. @defaultValue 100_000 */
  expectedItems?: number;
  /** The false-positive rate at `expectedItems` names. @defaultValue 0.01 */
  falsePositiveRate?: number;
  /**
   * Builds the filter (for {@link BloomOptions.expectedItems} and
   * {@link BloomOptions.falsePositiveRate}) on each `warm()`. Defaults to
   * bloom-filters' `BloomFilter` with a fast 32-bit hash, loaded on the first
   * `warm()` only; supply your own to keep bloom-filters (CommonJS, Node
   * polyfills) out of a browser or edge bundle altogether.
   */
  create?: (sizing: { expectedItems: number; falsePositiveRate: number }) => TakenFilter;
}
