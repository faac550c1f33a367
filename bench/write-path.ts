/**
 * Benchmark 7: the write path on PostgreSQL. `names.checkThenCreate` against
 * a plain parameterised `INSERT … VALUES ($1)` (catching SQLSTATE 23505),
 * both with 16 concurrent callers and a 10% conflict rate, each on its own
 * table, over one shared pool, in interleaved rounds.
 * Target: the library's overhead at most 1.2x (timing, printed only).
 */
import { createUsernameAvailability } from '../src/index.js';
import type { BenchModule, Target } from './util.js';
import { interleaved, makeNames, pool, shuffle, target } from './util.js';
import { openPgPool, postgresKit } from './stores.js';

const CONCURRENCY = 16;
const CONFLICT_RATE = 0.1;

export const writePathBench: BenchModule = async (options) => {
  const rounds = options.full ? 7 : 5;
  const perRound = options.full ? 4_000 : 1_000;
  const pg = await openPgPool(CONCURRENCY);
  if ('skip' in pg) {
    return {
      rows: [{ bench: 'write-path', name: 'checkThenCreate / plain INSERT', unit: 'x', value: null, note: `SKIP: ${pg.skip}` }],
      targets: [
        target({ id: 'write-path.overhead', bench: 'write-path', description: 'checkThenCreate at most 1.2x a plain INSERT (PostgreSQL, 16 callers, 10% conflicts)', measured: null, bound: '<= 1.2x', gated: false, note: 'SKIP', test: () => false }),
        target({ id: 'write-path.outcomes', bench: 'write-path', description: 'checkThenCreate: every conflict a typed `taken`, every fresh name created', measured: null, bound: '= 0', gated: true, note: 'SKIP', test: () => false }),
      ],
    };
  }
  const libKit = await postgresKit(pg);
  const plainKit = await postgresKit(pg);
  try {
    const conflictsPerRound = Math.round(perRound * CONFLICT_RATE);
    const freshPerRound = perRound - conflictsPerRound;
    const preTaken = makeNames(conflictsPerRound * rounds * 2, 61, 'p');
    await libKit.insertMany(preTaken);
    await plainKit.insertMany(preTaken);
    // Each variant gets its own fresh names and its own conflict names per round.
    const fresh = makeNames(freshPerRound * rounds * 2, 62, 'n');
    const workload = (variant: 0 | 1, round: number): string[] => {
      const slot = round * 2 + variant;
      return shuffle(
        [
          ...fresh.slice(slot * freshPerRound, (slot + 1) * freshPerRound),
          ...preTaken.slice(slot * conflictsPerRound, (slot + 1) * conflictsPerRound),
        ],
        700 + slot,
      );
    };
    const names = createUsernameAvailability({
      store: libKit.store,
      cache: { max: 10_000, availableTtlMs: 5_000, takenTtlMs: 300_000 },
      bloom: { expectedItems: 100_000, falsePositiveRate: 0.01 },
    });
    const outcomes = { libCreated: 0, libTaken: 0, libOther: 0, plainCreated: 0, plainTaken: 0 };
    const rates = await interleaved(rounds, {
      plain: async (round) => {
        const batch = workload(1, round);
        const t0 = performance.now();
        await pool(batch, CONCURRENCY, async (name) => {
          if (await plainKit.plainInsert!(name)) outcomes.plainCreated++;
          else outcomes.plainTaken++;
        });
        return (batch.length * 1000) / (performance.now() - t0);
      },
      library: async (round) => {
        const batch = workload(0, round);
        const t0 = performance.now();
        await pool(batch, CONCURRENCY, async (name) => {
          const r = await names.checkThenCreate(name, undefined);
          if (r.ok) outcomes.libCreated++;
          else if (r.reason === 'taken') outcomes.libTaken++;
          else outcomes.libOther++;
        });
        return (batch.length * 1000) / (performance.now() - t0);
      },
    });
    // Not names.close(): it would close the store, and the pool is shared.
    const overhead = rates.plain.median / rates.library.median;
    const targets: Target[] = [
      target({ id: 'write-path.overhead', bench: 'write-path', description: 'checkThenCreate at most 1.2x a plain INSERT (PostgreSQL, 16 callers, 10% conflicts)', measured: overhead, bound: '<= 1.2x', unit: 'x', gated: false, test: (v) => v <= 1.2 }),
      target({ id: 'write-path.outcomes', bench: 'write-path', description: 'checkThenCreate: every conflict a typed `taken`, every fresh name created', measured: outcomes.libOther + Math.abs(outcomes.libTaken - conflictsPerRound * rounds), bound: '= 0', gated: true, test: (v) => v === 0 }),
    ];
    return {
      rows: [
        { bench: 'write-path', name: 'plain INSERT (ops/s)', unit: 'ops/s', value: rates.plain.median, spread: rates.plain, note: `${outcomes.plainCreated} created, ${outcomes.plainTaken} conflicts` },
        { bench: 'write-path', name: 'checkThenCreate (ops/s)', unit: 'ops/s', value: rates.library.median, spread: rates.library, note: `${outcomes.libCreated} created, ${outcomes.libTaken} taken, ${outcomes.libOther} other` },
        { bench: 'write-path', name: 'checkThenCreate time / plain INSERT time', unit: 'x', value: overhead },
      ],
      targets,
      details: { rounds, perRound, rates, outcomes },
    };
  } finally {
    await libKit.cleanup();
    await plainKit.cleanup();
    await pg.end();
  }
};
