/**
 * `username-availability`: is this username free? Answered in microseconds by
 * a Bloom filter and a TTL/LRU cache in front of your database, and created
 * race-free through the database's unique constraint.
 *
 * The check flows through, in order: `policy/` (normalise, validate) →
 * `cache/` (remembered answers, coalesced reads) → `bloom/` (names surely
 * never taken) → `store/` (the truth); `bus/` keeps several instances coherent.
 *
 * @packageDocumentation
 */
export { createUsernameAvailability } from './availability.js';
export type {
  AvailabilityEventName,
  AvailabilityEvents,
  AvailabilityOptions,
  AvailabilityStats,
  CacheOptions,
  CheckResult,
  CheckSource,
  CreateOptions,
  CreateResult,
  EventOrigin,
  InvalidDetail,
  ReleaseResult,
  UsernameAvailability,
} from './types.js';

export { createPolicy, type Policy } from './policy/policy.js';
export { DEFAULT_RESERVED } from './policy/reserved.js';
export type { InvalidReason, PolicyOptions, PolicyResult } from './policy/types.js';

export type { BloomOptions, FilterStats, TakenFilter } from './bloom/types.js';

export { MemoryStore, type MemoryRecord, type MemoryStoreOptions } from './store/memory-store.js';
export type { StoreContext, UsernameStore } from './store/types.js';
export {
  UsernameConflictError,
  causeChain,
  isUniqueViolation,
  isPostgresUniqueViolation,
  isSqliteUniqueViolation,
  isMysqlUniqueViolation,
  isPrismaUniqueViolation,
  isMongoUniqueViolation,
} from './store/conflict.js';

export { createInProcessBus } from './bus/in-process.js';
export { broadcastChannelBus, type BroadcastChannelBusOptions } from './bus/broadcast-channel.js';
export { isInvalidationMessage, type InvalidationBus, type InvalidationMessage } from './bus/types.js';
