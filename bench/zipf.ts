/**
 * A seeded Zipf sampler: rank r in [0, n) is drawn with probability
 * proportional to 1 / (r + 1)^s. Popular usernames get checked over and over
 * (everyone tries "alex"), the long tail once: that skew is what a cache
 * exploits, and what the store-reads benchmark reproduces.
 *
 * Inverse-CDF sampling over a precomputed Float64Array (8 bytes per rank)
 * and a binary search: O(log n) per draw, exact, and deterministic per seed.
 */
import { mulberry32 } from './util.js';

/**
 * @example
 * ```ts
 * const next = zipf(100_000, 1.1, 42);
 * const rank = next(); // 0 is the most popular
 * ```
 */
export function zipf(n: number, s: number, seed: number): () => number {
  if (!(n >= 1)) throw new RangeError(`zipf needs at least one rank; got ${n}.`);
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    sum += 1 / (r + 1) ** s;
    cdf[r] = sum;
  }
  for (let r = 0; r < n; r++) cdf[r]! /= sum;
  cdf[n - 1] = 1;
  const rand = mulberry32(seed);
  return () => {
    const u = rand();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** `count` draws from {@link zipf} as an Int32Array. */
export function zipfSequence(n: number, s: number, count: number, seed: number): Int32Array {
  const next = zipf(n, s, seed);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = next();
  return out;
}
