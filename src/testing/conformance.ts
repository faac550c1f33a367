import { checkConcurrentCreates } from './race.js';
import { assertRaceInvariants, loadFastCheck } from './race-property.js';
import {
  checkAbort,
  checkConflict,
  checkConflictOnly,
  checkDistinctNames,
  checkExistsInsert,
  checkExistsMany,
  checkList,
  checkRemove,
  checkSpecialNames,
  PASSED,
  skipped,
  type ConformanceOutcome,
} from './store-checks.js';
import type { ConformanceCheckId, ConformanceOptions } from './types.js';

/**
 * One check of the conformance kit, runnable on its own: `run()` builds a
 * fresh store with `makeStore`, exercises it, cleans up, and resolves the
 * outcome, or rejects with a {@link ConformanceError} saying what is wrong.
 *
 * @example
 * ```ts
 * const conflict = storeConformanceChecks(options).find((c) => c.id === 'conflict')!;
 * await conflict.run();
 * ```
 */
export interface ConformanceCheck {
  /** Stable id, as accepted by {@link ConformanceOptions.exclude}. */
  id: ConformanceCheckId;
  /** The test's title: what a passing store does. */
  title: string;
  /** Takes long enough to deserve {@link ConformanceOptions.timeoutMs} (bulk data, races). */
  heavy: boolean;
  /** Runs the check against a fresh store. */
  run(): Promise<ConformanceOutcome>;
}

/**
 * The checks of the conformance kit as plain objects, for runners the kit
 * does not know, or to run one check by hand. {@link describeStoreConformance}
 * registers exactly these.
 *
 * @example
 * ```ts
 * for (const check of storeConformanceChecks({ test: { describe, it }, makeStore, data })) {
 *   const outcome = await check.run();
 *   console.log(check.id, outcome.status);
 * }
 * ```
 */
export function storeConformanceChecks<TData>(options: ConformanceOptions<TData>): ConformanceCheck[] {
  const all: Omit<ConformanceCheck, 'heavy'>[] = [
    { id: 'exists-insert', title: 'exists() is false, then true after insert()', run: () => checkExistsInsert(options) },
    { id: 'conflict', title: 'a duplicate insert() throws an error that isConflict() recognises, also when inserts overlap', run: () => checkConflict(options) },
    { id: 'conflict-only', title: 'isConflict() recognises nothing but conflicts', run: () => checkConflictOnly(options) },
    { id: 'exists-many', title: 'existsMany() agrees with exists()', run: () => checkExistsMany(options) },
    { id: 'remove', title: 'remove() frees the name and resolves whether it removed one', run: () => checkRemove(options) },
    {
      id: 'list',
      title: `list() streams every one of ${(options.bulkRows ?? 50_000).toLocaleString('en')} names exactly once`,
      run: () => checkList(options),
    },
    { id: 'abort', title: 'an aborted signal rejects every call, and the aborted insert does not happen', run: () => checkAbort(options) },
    { id: 'special-names', title: 'quotes, backslashes, %, _, Unicode and 255-byte names round-trip byte for byte', run: () => checkSpecialNames(options) },
    { id: 'distinct-names', title: 'distinct canonical names stay distinct (no accent-insensitive collation)', run: () => checkDistinctNames(options) },
    {
      id: 'race',
      title: `${options.raceConcurrency ?? 50} concurrent checkThenCreate() of one name through two instances: exactly one ok, the rest taken`,
      run: () => checkConcurrentCreates(options),
    },
    {
      id: 'race-property',
      title: 'scheduled interleavings of check / create / release / invalidate keep the race invariants',
      run: () => checkRaceProperty(options),
    },
  ];
  const heavy = new Set<ConformanceCheckId>(['list', 'race', 'race-property']);
  const excluded = new Set(options.exclude ?? []);
  return all.map((check) => ({
    ...check,
    heavy: heavy.has(check.id),
    run: excluded.has(check.id) ? async () => skipped('excluded by options.exclude') : check.run,
  }));
}

async function checkRaceProperty<TData>(options: ConformanceOptions<TData>): Promise<ConformanceOutcome> {
  try {
    await loadFastCheck();
  } catch {
    return skipped('fast-check (an optional peer dependency) is not installed');
  }
  await assertRaceInvariants({
    makeStore: options.makeStore,
    data: options.data,
    numRuns: options.propertyRuns ?? 50,
    ...(options.availability ? { availability: options.availability } : {}),
  });
  return PASSED;
}

/**
 * Registers the conformance suite for a `UsernameStore` adapter with
 * your test runner: one `describe(name)` holding one `it` per check (see
 * {@link ConformanceCheckId}). Each check builds a fresh store with
 * `makeStore` and cleans it up afterwards.
 *
 * A check that needs an optional method the store lacks (`existsMany`,
 * `remove`, `list`) is skipped with a visible note (vitest's `ctx.skip(note)`;
 * other runners get a `console.warn` and a pass).
 *
 * The plain checks need nothing but the runner. The `race-property` check
 * loads fast-check (an optional peer dependency) with a dynamic `import()`,
 * and is skipped when it is not installed. The kit never imports vitest.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { describeStoreConformance } from 'username-availability/testing';
 * import { myStore } from '../src/my-store.js';
 *
 * describeStoreConformance('myStore', {
 *   test: { describe, it },
 *   makeStore: async () => {
 *     const store = await myStore.fresh();
 *     return { store, cleanup: () => store.drop() };
 *   },
 *   data: () => ({ userId: 1 }),
 * });
 * ```
 */
export function describeStoreConformance<TData>(name: string, options: ConformanceOptions<TData>): void {
  const { describe, it } = options.test;
  const heavyTimeout = options.timeoutMs ?? 120_000;
  describe(name, () => {
    for (const check of storeConformanceChecks(options)) {
      // No declared parameter (jest would take it for a `done` callback); the
      // runner's context, when there is one, arrives as the first argument.
      const body = async (...args: unknown[]): Promise<void> => {
        const outcome = await check.run();
        if (outcome.status === 'passed') return;
        const context = args[0] as { skip?: (note?: string) => void } | undefined;
        if (typeof context?.skip === 'function') context.skip(outcome.reason);
        else console.warn(`[username-availability/testing] ${name} › ${check.title}: skipped, ${outcome.reason}.`);
      };
      if (check.heavy) it(check.title, body, heavyTimeout);
      else it(check.title, body);
    }
  });
}
