/**
 * Fast, dependency-free 32-bit string hashing for the Bloom filter.
 *
 * Everything here works on UTF-16 code units (`charCodeAt`), so any string,
 * lone surrogates included, hashes without an encoding step, and the module
 * runs unchanged in Node, browsers, Deno and edge runtimes (no `Buffer`, no
 * `node:` imports). `Math.imul` keeps every multiplication in 32 bits.
 *
 * @module
 */

/**
 * MurmurHash3's 32-bit finaliser ("fmix32"): avalanches every input bit over
 * every output bit, so the low bits used by `% size` are well mixed.
 *
 * @param h - Any 32-bit integer.
 * @returns The mixed value as an unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * fmix32(1); // 1364076727
 * ```
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * FNV-1a over the string's UTF-16 code units, seeded, with the
 * {@link fmix32} finaliser. One 32-bit hash; see {@link hashPair} for two.
 *
 * @param input - The string to hash (any UTF-16, lone surrogates included).
 * @param seed - Mixed into the initial state. @defaultValue 0
 * @returns An unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * hash32('alice') === hash32('alice'); // true
 * hash32('alice', 1) !== hash32('alice', 2); // true (almost surely)
 * ```
 */
export function hash32(input: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) | 0;
  for (let i = 0; i < input.length; i++) {
    h = Math.imul(h ^ input.charCodeAt(i), 0x01000193);
  }
  return fmix32(h ^ input.length);
}

/**
 * Two independent 32-bit hashes of one string in a single pass, for
 * Kirsch–Mitzenmacher double hashing (`index_i = (h1 + i * h2) mod m`).
 *
 * `h1` is seeded FNV-1a, `h2` is MurmurHash3's per-block mix applied to each
 * code unit; both end with {@link fmix32}. Two unrelated hash functions (not
 * one hash split in two) make the pair behave like a 64-bit hash, so two
 * different names almost never share all their Bloom filter bits.
 *
 * The results are written into `out` (index 0 and 1) rather than returned in
 * a fresh object: the filter calls this on every `has`, and not allocating
 * keeps the hot path free of garbage.
 *
 * @param input - The string to hash.
 * @param seed - Mixed into both initial states.
 * @param out - Receives `[h1, h2]` as unsigned 32-bit integers.
 *
 * @example
 * ```ts
 * const out = new Uint32Array(2);
 * hashPair('alice', 0, out);
 * const [h1, h2] = out; // two unsigned 32-bit integers
 * ```
 */
export function hashPair(input: string, seed: number, out: Uint32Array | number[]): void {
  let h1 = (0x811c9dc5 ^ seed) | 0;
  let h2 = (0x9747b28c ^ Math.imul(seed, 0x9e3779b1)) | 0;
  const length = input.length;
  for (let i = 0; i < length; i++) {
    const c = input.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    let k = Math.imul(c, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h2 ^= Math.imul(k, 0x1b873593);
    h2 = (h2 << 13) | (h2 >>> 19);
    h2 = (Math.imul(h2, 5) + 0xe6546b64) | 0;
  }
  out[0] = fmix32(h1 ^ length);
  out[1] = fmix32(h2 ^ length);
}
