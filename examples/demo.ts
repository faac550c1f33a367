/**
 * The main demo, on the embedded default store. Run it with `npm run demo`.
 *
 * Two app instances share one store and one in-process bus, the way two
 * servers would share a database and a Redis channel.
 */
import { createInProcessBus, createUsernameAvailability, MemoryStore } from '../src/index.js';

const store = new MemoryStore<{ userId: number }>({ initial: ['alice', 'bob'] });
const bus = createInProcessBus();
const options = {
  store,
  bus,
  policy: { minLength: 3, maxLength: 30 },
  cache: { max: 10_000, availableTtlMs: 5_000, takenTtlMs: 300_000 },
  bloom: { expectedItems: 100_000, falsePositiveRate: 0.01 },
  suggestions: 2,
};
const serverA = createUsernameAvailability(options);
const serverB = createUsernameAvailability(options);
serverB.on('taken', ({ username, origin }) => console.log(`  [server B hook] ${username} taken (${origin})`));

const show = (label: string, value: unknown) => console.log(`${label.padEnd(44)} ${JSON.stringify(value)}`);

console.log('1. Warm the Bloom filter from the store');
show('   serverA.warm()', await serverA.warm());
show('   serverB.warm()', await serverB.warm());

console.log('\n2. Checks: the policy, then the cache / Bloom filter / store');
show("   check('Alice')        (taken, store read)", await serverA.check('Alice'));
show("   check('ALICE')        (same name, cached)", await serverA.check('ALICE'));
show("   check('Ｃａｒｏｌ')   (full-width, Bloom)", await serverA.check('Ｃａｒｏｌ'));
show("   check('admin')        (reserved)", await serverA.check('admin'));
show("   check('x')            (too short)", await serverA.check('x'));

console.log('\n3. Both servers see "carol" as available, and two users submit it at once');
show("   serverA.check('carol')", await serverA.check('carol'));
show("   serverB.check('carol')", await serverB.check('carol'));
const [first, second] = await Promise.all([
  serverA.checkThenCreate('Carol', { userId: 1 }),
  serverB.checkThenCreate('carol', { userId: 2 }),
]);
show('   serverA.checkThenCreate(Carol, user 1)', first);
show('   serverB.checkThenCreate(carol, user 2)', second);
const winners = [first, second].filter((r) => r.ok).length;
console.log(`   → exactly one winner: ${winners === 1 ? 'yes' : 'NO'}; the store holds ${store.size} names`);

console.log('\n4. After the race, both servers answer "taken" from their caches');
show("   serverA.check('carol')", await serverA.check('carol'));
show("   serverB.check('carol')", await serverB.check('carol'));

console.log('\n5. A burst of 1,000 concurrent checks of "bob" (taken, not cached yet on server B)');
const readsBefore = serverB.stats().storeReads;
const burst = await Promise.all(Array.from({ length: 1_000 }, () => serverB.check('bob')));
console.log(
  `   ${burst.filter((r) => r.status === 'taken').length} × taken, from ${serverB.stats().storeReads - readsBefore} store read (${serverB.stats().coalesced} checks joined it)`,
);
const s = serverA.stats();

console.log('\n6. Stats of server A');
console.log(
  `   ${JSON.stringify({ ...s, bloom: s.bloom && { ...s.bloom, estimatedFalsePositiveRate: Number(s.bloom.estimatedFalsePositiveRate.toExponential(2)) } }, null, 1).replace(/\n\s*/g, ' ')}`,
);

await serverA.close();
await serverB.close();
