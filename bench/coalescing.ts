/**
 * Benchmark 5: coalescing. Concurrent checks of a name nobody has read yet
 * must share one store read. The store takes 5 ms per read (a store over a
 * network), so every check below arrives while the first read is in flight.
 * Targets (gated): 1,000 concurrent checks of one cold name, exactly one
 * store read; 10,000 concurrent checks over 100 cold names, exactly 100.
 */
import { createUsernameAvailability, MemoryStore } from '../src/index.js';
import type { BenchModule } from './util.js';
import { makeNames, shuffle, target } from './util.js';
import { countingStore } from './stores.js';

async function scenario(checks: number, distinct: number, seed: number) {
  const pool = makeNames(distinct, seed, 'k');
  const counting = countingStore(new MemoryStore({ initial: pool.filter((_, i) => i % 2 === 0) }), 5);
  // No Bloom filter: every cold check must go to the store, so what is
  // measured is coalescing alone.
  const names = createUsernameAvailability({ store: counting.store, cache: { max: 10_000 }, bloom: false });
  const inputs = shuffle(Array.from({ length: checks }, (_, i) => pool[i % distinct]!), seed + 1);
  const t0 = performance.now();
  const results = await Promise.all(inputs.map((name) => names.check(name)));
  const elapsed = performance.now() - t0;
  const expected = new Set(pool.filter((_, i) => i % 2 === 0));
  const wrong = results.filter((r) => (r.status === 'taken') !== expected.has(r.username) || r.status === 'unknown').length;
  const stats = names.stats();
  await names.close();
  return { reads: counting.calls.exists + counting.calls.existsMany, coalesced: stats.coalesced, wrong, elapsed };
}

export const coalescingBench: BenchModule = async () => {
  const one = await scenario(1_000, 1, 51);
  const hundred = await scenario(10_000, 100, 52);
  return {
    rows: [
      { bench: 'coalescing', name: '1,000 checks of 1 cold name: store reads', unit: '', value: one.reads, note: `coalesced ${one.coalesced}, ${one.elapsed.toFixed(1)} ms` },
      { bench: 'coalescing', name: '10,000 checks of 100 cold names: store reads', unit: '', value: hundred.reads, note: `coalesced ${hundred.coalesced}, ${hundred.elapsed.toFixed(1)} ms` },
      { bench: 'coalescing', name: 'wrong answers', unit: '', value: one.wrong + hundred.wrong },
    ],
    targets: [
      target({ id: 'coalescing.one-name', bench: 'coalescing', description: '1,000 concurrent checks of one cold name: exactly 1 store read', measured: one.reads, bound: '= 1', gated: true, test: (v) => v === 1 }),
      target({ id: 'coalescing.hundred-names', bench: 'coalescing', description: '10,000 concurrent checks over 100 cold names: exactly 100 store reads', measured: hundred.reads, bound: '= 100', gated: true, test: (v) => v === 100 }),
      target({ id: 'coalescing.correct', bench: 'coalescing', description: 'every coalesced answer correct', measured: one.wrong + hundred.wrong, bound: '= 0', gated: true, test: (v) => v === 0 }),
    ],
    details: { one, hundred },
  };
};
