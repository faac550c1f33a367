/**
 * `username-availability/testing`: the conformance kit for store adapters.
 *
 * - {@link describeStoreConformance} registers the shared suite in your own
 *   test runner (pass its `describe` and `it`; the kit imports no runner).
 * - {@link assertRaceInvariants} is the race property of the core, run
 *   against your store and, if you have one, your own create path, with
 *   fast-check's scheduler exploring the interleavings.
 * - {@link storeConformanceChecks} gives the same checks as plain objects.
 *
 * fast-check is an optional peer dependency: it is loaded with a dynamic
 * `import()` by the race property only, so the plain checks work without it.
 * Nothing here imports `node:` modules.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { describeStoreConformance } from 'username-availability/testing';
 *
 * describeStoreConformance('MyStore', {
 *   test: { describe, it },
 *   makeStore: () => ({ store: new MyStore() }),
 *   data: () => ({ userId: 1 }),
 * });
 * ```
 *
 * @packageDocumentation
 */
export { describeStoreConformance, storeConformanceChecks, type ConformanceCheck } from './conformance.js';
export { assertRaceInvariants } from './race-property.js';
export { ConformanceError } from './assert.js';
export type { ConformanceOutcome } from './store-checks.js';
export type {
  ConformanceCheckId,
  ConformanceOptions,
  RacePropertyOptions,
  StoreFixture,
  TestApi,
} from './types.js';
