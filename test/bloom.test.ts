import { describe, expect, it } from 'vitest';
import { createBloomFilter } from '../src/bloom/bloom-filter.js';
import { fmix32, hash32, hashPair } from '../src/bloom/hash.js';

/** Deterministic PRNG (mulberry32) so every run measures the same names. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789_';

/** `count` distinct random usernames of 4-16 characters, prefixed to keep sets disjoint. */
function randomNames(count: number, seed: number, prefix: string): string[] {
  const rand = mulberry32(seed);
  const names = new Set<string>();
  while (names.size < count) {
    const length = 4 + Math.floor(rand() * 13);
    let name = prefix;
    for (let i = 0; i < length; i++) name += ALPHABET[Math.floor(rand() * ALPHABET.length)];
    names.add(name);
  }
  return [...names];
}

describe('hash', () => {
  it('is deterministic, seeded, and unsigned 32-bit', () => {
    expect(hash32('alice')).toBe(hash32('alice'));
    expect(hash32('alice', 1)).not.toBe(hash32('alice', 2));
    expect(hash32('alice')).not.toBe(hash32('alicf'));
    for (const s of ['', 'a', 'ß', '\ud800', '🦄'.repeat(40)]) {
      const h = hash32(s);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
    expect(fmix32(0)).toBe(0);
  });

  it('gives two different hashes per string', () => {
    const out = new Uint32Array(2);
    hashPair('alice', 0, out);
    expect(out[0]).not.toBe(out[1]);
    const again = [0, 0];
    hashPair('alice', 0, again);
    expect(again).toEqual([out[0], out[1]]);
  });
});

describe('createBloomFilter', () => {
  const n = 100_000;
  const p = 0.01;
  const added = randomNames(n, 1, 'in_');
  const heldOut = randomNames(n, 2, 'out_');
  const filter = createBloomFilter({ expectedItems: n, falsePositiveRate: p });
  for (const name of added) filter.add(name);

  it('never gives a false negative', () => {
    let missing = 0;
    for (const name of added) if (!filter.has(name)) missing++;
    expect(missing).toBe(0);
  });

  it('measures a false-positive rate near the configured one', () => {
    let positives = 0;
    for (const name of heldOut) if (filter.has(name)) positives++;
    const rate = positives / heldOut.length;
    // Binomial sd at p=0.01, n=1e5 is ~0.0003; ±25% is > 8 sd: deterministic
    // names make this exact per run anyway, the bound only guards the hashing.
    expect(rate).toBeGreaterThan(p * 0.75);
    expect(rate).toBeLessThan(p * 1.25);
  });

  it('reports items, bits, hashes and the estimated rate', () => {
    const s = filter.stats();
    expect(s.items).toBe(n);
    // The optimum -ln p / (ln 2)^2 = 9.585 bits per item, 7 hashes (ceil of 6.64).
    expect(s.bits).toBe(Math.ceil((-n * Math.log(p)) / Math.log(2) ** 2));
    expect(s.bits / n).toBeCloseTo(9.585, 2);
    expect(s.hashes).toBe(7);
    expect(s.estimatedFalsePositiveRate).toBeGreaterThan(p * 0.9);
    expect(s.estimatedFalsePositiveRate).toBeLessThan(p * 1.1);

    const empty = createBloomFilter({ expectedItems: n, falsePositiveRate: p }).stats();
    expect(empty.items).toBe(0);
    expect(empty.estimatedFalsePositiveRate).toBe(0);
  });

  it('hashes any string, lone surrogates included', () => {
    const f = createBloomFilter({ expectedItems: 1_000, falsePositiveRate: 0.01 });
    const odd = ['', '\ud800', '\udfff', 'a\ud800b', '🦄', 'ÅngströM', 'ｆｕｌｌ', '\u0000', 'x'.repeat(10_000)];
    for (const name of odd) f.add(name);
    for (const name of odd) expect(f.has(name)).toBe(true);
    expect(f.stats().items).toBe(odd.length);
  });

  it('keeps filters independent and tiny filters working', () => {
    const a = createBloomFilter({ expectedItems: 1, falsePositiveRate: 0.5 });
    const b = createBloomFilter({ expectedItems: 1, falsePositiveRate: 0.5 });
    a.add('alice');
    expect(a.has('alice')).toBe(true);
    expect(b.stats().items).toBe(0);
  });

  it('refuses nonsense sizing with a RangeError that quotes the value', () => {
    expect(() => createBloomFilter({ expectedItems: 0, falsePositiveRate: 0.01 })).toThrow(/got 0/);
    expect(() => createBloomFilter({ expectedItems: NaN, falsePositiveRate: 0.01 })).toThrow(RangeError);
    expect(() => createBloomFilter({ expectedItems: 10, falsePositiveRate: 1 })).toThrow(/got 1/);
    expect(() => createBloomFilter({ expectedItems: 10, falsePositiveRate: 0 })).toThrow(RangeError);
  });
});
