import { describe, it } from 'vitest';
import { MemoryStore } from '../../src/index.js';
import { assertRaceInvariants, describeStoreConformance } from '../../src/testing/index.js';

// What an adapter author writes: the runner's functions, a fresh store per
// check, the data to insert.
describeStoreConformance('MemoryStore', {
  test: { describe, it },
  makeStore: () => ({ store: new MemoryStore<{ userId: number }>() }),
  data: () => ({ userId: 1 }),
});

describe('MemoryStore race property', () => {
  // The core's own race property: many runs, since a subtle bug (an instance
  // that forgets its own create) shows up about once in a hundred runs.
  it('keeps the race invariants over two instances, 1,000 scheduled runs', async () => {
    await assertRaceInvariants({
      makeStore: () => ({ store: new MemoryStore<{ userId: number }>() }),
      data: () => ({ userId: 1 }),
      instances: 2,
      numRuns: 1_000,
    });
  }, 120_000);

  it('keeps the race invariants over three instances', async () => {
    await assertRaceInvariants({
      makeStore: () => ({ store: new MemoryStore<{ userId: number }>() }),
      data: () => ({ userId: 1 }),
      instances: 3,
      numRuns: 200,
    });
  }, 120_000);
});
