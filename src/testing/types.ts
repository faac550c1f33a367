import type { UsernameStore } from '../store/types.js';
import type { AvailabilityOptions, CreateOptions } from '../types.js';

/**
 * The few functions of a test runner the kit registers its checks with. Pass
 * vitest's (or jest's, or node:test's through a two-line shim) own functions;
 * the kit never imports a runner itself.
 *
 * The kit asserts with its own {@link ConformanceError}, so it needs no
 * `expect`; the field is accepted (and ignored) so that `{ describe, it, expect }`
 * can be passed as it is.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * const test: TestApi = { describe, it };
 * ```
 */
export interface TestApi {
  /** Groups the checks under the adapter's name. */
  describe: (name: string, fn: () => void) => void;
  /**
   * Registers one check. The kit's test functions take no declared
   * parameter (jest would read one as a `done` callback) but read vitest's
   * test context from their first argument, to call its `skip(note)` when the
   * store lacks an optional method.
   */
  it: (name: string, fn: (...args: any[]) => Promise<void> | void, timeout?: number) => void;
  /** Accepted and ignored: the kit throws {@link ConformanceError}s instead. */
  expect?: unknown;
  /** Accepted for symmetry with keyv's suite; the kit needs no suite-wide hooks (each check builds its own store). */
  beforeAll?: (fn: () => Promise<void> | void, timeout?: number) => void;
  /** Accepted for symmetry with keyv's suite; the kit needs no suite-wide hooks (each check builds its own store). */
  afterAll?: (fn: () => Promise<void> | void, timeout?: number) => void;
}

/**
 * A fresh store and how to dispose of it, as built by a `makeStore` factory.
 *
 * @typeParam TData - what `insert` receives.
 *
 * @example
 * ```ts
 * const makeStore = async (): Promise<StoreFixture<{ userId: number }>> => {
 *   const table = `usernames_${crypto.randomUUID().slice(0, 8)}`;
 *   const store = postgresStore({ pool, table });
 *   await store.ensureSchema();
 *   return { store, cleanup: () => pool.query(`DROP TABLE ${table}`).then(() => {}) };
 * };
 * ```
 */
export interface StoreFixture<TData = unknown> {
  /** An empty store, used by one check only. */
  store: UsernameStore<TData>;
  /** Called once the check is done, passed or failed (drop the table, flush the keys). */
  cleanup?: () => Promise<void>;
}

/**
 * The checks of the conformance kit, by id: what {@link ConformanceOptions.exclude}
 * takes and what {@link ConformanceCheck.id} says.
 *
 * @example
 * ```ts
 * const heavy: ConformanceCheckId[] = ['list', 'race', 'race-property'];
 * ```
 */
export type ConformanceCheckId =
  | 'exists-insert'
  | 'conflict'
  | 'conflict-only'
  | 'exists-many'
  | 'remove'
  | 'list'
  | 'abort'
  | 'special-names'
  | 'distinct-names'
  | 'race'
  | 'race-property';

/**
 * Options of {@link describeStoreConformance} and {@link storeConformanceChecks}.
 *
 * @typeParam TData - what `insert` receives.
 *
 * @example
 * ```ts
 * const options: ConformanceOptions<{ userId: number }> = {
 *   test: { describe, it },
 *   makeStore: () => ({ store: new MemoryStore() }),
 *   data: () => ({ userId: 1 }),
 *   bulkRows: 10_000,
 * };
 * ```
 */
export interface ConformanceOptions<TData = unknown> {
  /** The runner's `describe` and `it`. */
  test: TestApi;
  /** Builds a fresh, empty store (e.g. a new table) for each test. */
  makeStore: () => Promise<StoreFixture<TData>> | StoreFixture<TData>;
  /** The data passed to insert. */
  data: () => TData;
  /** Rows for the streaming list test. @defaultValue 50_000 */
  bulkRows?: number;
  /**
   * Loads names fast for the bulk test (multi-row INSERT / pipeline).
   * @defaultValue `store.insert`, 16 at a time
   */
  bulkInsert?: (store: UsernameStore<TData>, names: readonly string[]) => Promise<void>;
  /**
   * Produces an error from this store that is NOT a conflict (e.g. call it on a
   * closed connection / bad SQL), to prove isConflict says false for it.
   * It may resolve the error or reject with it.
   */
  nonConflictError?: (store: UsernameStore<TData>) => Promise<unknown>;
  /** Rounds of the 50-way race. @defaultValue 20 */
  raceRounds?: number;
  /** Concurrent creates per race round. @defaultValue 50 */
  raceConcurrency?: number;
  /** Runs of the scheduled race property ({@link assertRaceInvariants}). @defaultValue 50 */
  propertyRuns?: number;
  /**
   * Extra options for the `createUsernameAvailability` instances of the race
   * checks (a policy your column can hold, bloom sizing…). See
   * {@link RacePropertyOptions.availability}.
   */
  availability?: Partial<Omit<AvailabilityOptions<TData>, 'store'>>;
  /** Checks not to run; each is still listed, as skipped, with the reason "excluded by options". */
  exclude?: readonly ConformanceCheckId[];
  /**
   * Timeout handed to `it` for the heavy checks (`list`, `race`,
   * `race-property`). The light checks keep the runner's own default.
   * @defaultValue 120_000
   */
  timeoutMs?: number;
}

/**
 * Options of {@link assertRaceInvariants}.
 *
 * @typeParam TData - what `insert` (and `create`) receives.
 *
 * @example
 * ```ts
 * const options: RacePropertyOptions<{ userId: number }> = {
 *   makeStore: () => ({ store: new MemoryStore() }),
 *   data: () => ({ userId: 1 }),
 *   instances: 3,
 *   numRuns: 200,
 * };
 * ```
 */
export interface RacePropertyOptions<TData> {
  /**
   * Builds the store, once per call; every run uses names no earlier run
   * used, so the runs never see each other's rows.
   */
  makeStore: () => Promise<StoreFixture<TData>> | StoreFixture<TData>;
  /** The data passed to `checkThenCreate`. */
  data: () => TData;
  /** `createUsernameAvailability` instances sharing the store. @defaultValue 2 */
  instances?: number;
  /**
   * The app's own create path, forwarded to `checkThenCreate` (its calls are
   * scheduled like the store's). @defaultValue `store.insert`
   */
  create?: CreateOptions<TData, unknown>['create'];
  /** Recognises the conflict thrown by {@link RacePropertyOptions.create}. @defaultValue `store.isConflict` */
  isConflict?: (e: unknown) => boolean;
  /** Runs, forwarded to `fc.assert`. @defaultValue 50 */
  numRuns?: number;
  /** Forwarded to `fc.assert`: replays a reported failure with its `path`. */
  seed?: number;
  /** Forwarded to `fc.assert`: the path fast-check printed with the failure. */
  path?: string;
  /** Forwarded to `fc.assert`: stop at the first failure, without shrinking. @defaultValue false */
  endOnFailure?: boolean;
  /** Forwarded to `fc.assert` (`0`, `1` or `2`). @defaultValue 0 */
  verbose?: 0 | 1 | 2;
  /** Longest a single run may take before it counts as a failure (a hang). @defaultValue 10_000 */
  runTimeoutMs?: number;
  /**
   * Extra options for each instance (cache, bloom, policy…). The kit sets
   * `store`, `instanceId`, a frozen clock (`now`), and, in half of the runs
   * unless you set one here, a shared in-process `bus`.
   */
  availability?: Partial<Omit<AvailabilityOptions<TData>, 'store'>>;
}
