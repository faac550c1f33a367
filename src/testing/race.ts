import { createUsernameAvailability } from '../availability.js';
import type { CreateResult } from '../types.js';
import { asserter, q, type Asserter } from './assert.js';
import { shareStore, withFixture } from './fixture.js';
import type { ConformanceOutcome } from './store-checks.js';
import { PASSED } from './store-checks.js';
import type { ConformanceOptions } from './types.js';

/**
 * The seed's race, for real: `concurrency` simultaneous `checkThenCreate` of
 * one fresh name through two instances over the same store, both with cache
 * and Bloom filter on (and warmed when the store can list), both having just
 * answered "available" for it. Exactly one create wins; every other one comes
 * back as a typed `taken`; nothing throws. Repeated for `raceRounds` names.
 *
 * Nothing is scheduled here: the store's own concurrency decides, which is
 * the point. {@link assertRaceInvariants} explores the orderings instead.
 */
export async function checkConcurrentCreates<TData>(options: ConformanceOptions<TData>): Promise<ConformanceOutcome> {
  const a: Asserter = asserter('race');
  const rounds = options.raceRounds ?? 20;
  const concurrency = options.raceConcurrency ?? 50;
  return withFixture(options.makeStore, async (store) => {
    const shared = shareStore(store);
    const instances = ['kit-race-a', 'kit-race-b'].map((instanceId) =>
      createUsernameAvailability<TData>({ cache: {}, bloom: {}, ...options.availability, store: shared, instanceId }),
    );
    try {
      if (typeof store.list === 'function') await Promise.all(instances.map((names) => names.warm()));
      const tag = Math.floor(Math.random() * 36 ** 5).toString(36);
      for (let round = 0; round < rounds; round++) {
        const name = `race${round}x${tag}`;
        // Prime both caches with "available": the stale answer a create must ignore.
        for (const names of instances) await names.check(name);
        const settled = await Promise.allSettled(
          Array.from({ length: concurrency }, (_, i) =>
            instances[i % 2]!.checkThenCreate(i % 3 === 0 ? name.toUpperCase() : name, options.data()),
          ),
        );
        const thrown = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
        a.ok(
          thrown.length === 0,
          () => `round ${round}: ${thrown.length} of ${concurrency} checkThenCreate(${q(name)}) calls threw (first: ${q(thrown[0]?.reason)}); outcomes must be typed results.`,
        );
        const results = settled.map((s) => (s as PromiseFulfilledResult<CreateResult>).value);
        const tally = new Map<string, number>();
        for (const r of results) {
          const key = r.ok ? 'ok' : r.reason;
          tally.set(key, (tally.get(key) ?? 0) + 1);
        }
        const won = tally.get('ok') ?? 0;
        const lost = tally.get('taken') ?? 0;
        const odd = results.find((r) => !r.ok && r.reason !== 'taken');
        a.ok(
          won === 1 && lost === concurrency - 1,
          () =>
            `round ${round}: ${concurrency} concurrent checkThenCreate(${q(name)}) gave ${q(Object.fromEntries(tally))}; ` +
            `expected exactly one ok and ${concurrency - 1} taken` +
            (odd ? ` (e.g. ${q(odd)}${'error' in odd ? `, error ${q(odd.error)}` : ''})` : '') +
            '.',
        );
        const renamed = results.find((r) => r.username !== name);
        a.ok(renamed === undefined, () => `round ${round}: a result carried username ${q(renamed?.username)}; expected the canonical ${q(name)}.`);
        const held = await store.exists(name, {});
        a.ok(held === true, `round ${round}: after one create of ${q(name)} reported ok, store.exists() says ${q(held)}.`);
        for (const [i, names] of instances.entries()) {
          const after = await names.check(name);
          a.ok(after.status === 'taken', `round ${round}: instance ${i} checks ${q(name)} after the race and gets ${q(after)}; expected taken.`);
        }
      }
    } finally {
      await Promise.all(instances.map((names) => names.close()));
    }
    return PASSED;
  });
}
