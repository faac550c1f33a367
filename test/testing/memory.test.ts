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
  it('keeps the race invariants over three instances', async () => {
    await assertRaceInvariants({
      makeStore: () => ({ store: new MemoryStore<{ userId: number }>() }),
      data: () => ({ userId: 1 }),
      instances: 3,
      numRuns: 200,
    });
  }, 120_000);
});
