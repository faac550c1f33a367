import type { BloomOptions, FilterStats } from './bloom/types.js';
import type { InvalidationBus } from './bus/types.js';
import type { PolicyOptions, InvalidReason, PolicyResult } from './policy/types.js';
import type { StoreContext, UsernameStore } from './store/types.js';

/**
 * Which layer answered a check: the Bloom filter ("definitely never taken"),
 * the cache, or a store read (also for checks that joined an in-flight read).
 *
 * @example
 * ```ts
 * const r = await names.check('alice');
 * if (r.status === 'available' && r.source !== 'store') metrics.inc('store_read_saved');
 * ```
 */
export type CheckSource = 'bloom' | 'cache' | 'store';

/**
 * The answer of `names.check()`: a discriminated union on `status`.
 *
 * @example
 * ```ts
 * const r = await names.check('Alice');
 * switch (r.status) {
 *   case 'available': return { code: 200, body: r.username };
 *   case 'taken': return { code: 409 };
 *   case 'invalid': return { code: 422, body: r.message };
 *   case 'unknown': return { code: 503 };
 * }
 * ```
 */
export type CheckResult =
  | { status: 'available'; username: string; source: CheckSource }
  | { status: 'taken'; username: string; source: CheckSource }
  | { status: 'invalid'; username: string; reason: InvalidReason; message: string }
  | { status: 'unknown'; username: string; error: unknown; retryable: true };

/**
 * Why the policy refused a name, as carried by a `checkThenCreate` result.
 *
 * @example
 * ```ts
 * const detail: InvalidDetail = { reason: 'too_short', message: 'Usernames need at least 3 characters; "al" has 2.' };
 * ```
 */
export interface InvalidDetail {
  reason: InvalidReason;
  message: string;
}

/**
 * The answer of `names.checkThenCreate()`: a discriminated union on `ok`
 * (and on `reason` when `ok` is false). None of these outcomes is thrown.
 *
 * @example
 * ```ts
 * const c = await names.checkThenCreate('Alice', { userId: 42 });
 * if (c.ok) console.log('created', c.username, c.value);
 * else if (c.reason === 'taken') console.log('try', c.suggestions);
 * else if (c.reason === 'invalid') console.log(c.detail.message);
 * else console.log('retry later', c.error);
 * ```
 */
export type CreateResult<TRecord = unknown> =
  | { ok: true; username: string; value: TRecord }
  | { ok: false; reason: 'taken'; username: string; suggestions?: string[] }
  | { ok: false; reason: 'invalid'; username: string; detail: InvalidDetail }
  | { ok: false; reason: 'unavailable'; username: string; error: unknown; retryable: true };

/**
 * The answer of `names.release()`.
 *
 * @example
 * ```ts
 * const r = await names.release('alice');
 * if (r.ok) console.log(r.username, 'is free again');
 * ```
 */
export type ReleaseResult =
  | { ok: true; username: string }
  | { ok: false; reason: 'not_found'; username: string }
  | { ok: false; reason: 'invalid'; username: string; detail: InvalidDetail }
  | { ok: false; reason: 'unavailable'; username: string; error: unknown; retryable: true };

/**
 * Where an event started: this instance, or another one (through the bus).
 *
 * @example
 * ```ts
 * names.on('taken', ({ username, origin }) => {
 *   if (origin === 'local') audit.log(`${username} registered here`);
 * });
 * ```
 */
export type EventOrigin = 'local' | 'remote';

/**
 * Payload of each hook, by event name.
 *
 * @example
 * ```ts
 * const off = names.on('conflict', ({ username }: AvailabilityEvents['conflict']) => metrics.inc(username));
 * ```
 */
export interface AvailabilityEvents {
  /** A name became taken: created here (`local`) or announced by another instance (`remote`). */
  taken: { username: string; origin: EventOrigin };
  /** A name was removed from the store. */
  released: { username: string; origin: EventOrigin };
  /** A cache entry was dropped by `invalidate()`. */
  invalidated: { username: string; origin: EventOrigin };
  /** A create lost: the store's unique constraint rejected it. */
  conflict: { username: string };
  /** A check finished (any status). */
  check: { username: string; result: CheckResult };
  /**
   * Something failed: a store call (also returned as a typed result), the bus,
   * a warm-up, or a hook that threw. With no `error` listener, background
   * failures (bus, hooks) are written to `console.error` instead of vanishing.
   */
  error: {
    error: unknown;
    operation: 'exists' | 'insert' | 'remove' | 'list' | 'bus' | 'hook';
    username?: string;
  };
}

/** The name of a hook. @example `names.on('taken' satisfies AvailabilityEventName, () => {})` */
export type AvailabilityEventName = keyof AvailabilityEvents;

/**
 * Cache settings (lru-cache underneath).
 *
 * @example
 * ```ts
 * const cache: CacheOptions = { max: 50_000, availableTtlMs: 2_000, takenTtlMs: 600_000 };
 * ```
 */
export interface CacheOptions {
  /**
   * Most entries kept; least recently used go first. Size it to the names
   * your traffic repeats: on a Zipf-like workload over 100,000 names, 50,000
   * entries keep store reads under 0.01 per check, 10,000 let them reach 0.05.
   * An entry costs about 100 bytes. @defaultValue 50_000
   */
  max?: number;
  /**
   * How long an "available" answer is served from cache. Keep it short: it is
   * the window in which another instance without a bus can take the name.
   * @defaultValue 5_000
   */
  availableTtlMs?: number;
  /** How long a "taken" answer is served from cache. Names are rarely released. @defaultValue 300_000 */
  takenTtlMs?: number;
}

/**
 * Options of `createUsernameAvailability`.
 *
 * @example
 * ```ts
 * const options: AvailabilityOptions<{ userId: string }> = {
 *   store: new MemoryStore(),
 *   policy: { minLength: 3, maxLength: 30 },
 *   cache: { max: 10_000, availableTtlMs: 5_000, takenTtlMs: 300_000 },
 *   bloom: { expectedItems: 100_000, falsePositiveRate: 0.01 },
 * };
 * ```
 */
export interface AvailabilityOptions<TData = unknown, TRecord = unknown> {
  /** The truth: any {@link UsernameStore}. Required. */
  store: UsernameStore<TData, TRecord>;
  /** Normalisation and validation rules. @defaultValue `{}` (3–30 ASCII characters, built-in reserved list) */
  policy?: PolicyOptions;
  /**
   * `false` disables caching *and* coalescing: every check reads the store.
   * @defaultValue `{}` (on, with the {@link CacheOptions} defaults)
   */
  cache?: CacheOptions | false;
  /**
   * `false` disables the Bloom filter. It answers nothing until `warm()` has
   * loaded every taken name, since until then "never added" proves nothing.
   * @defaultValue `{}` (on, with the {@link BloomOptions} defaults, idle until `warm()`)
   */
  bloom?: BloomOptions | false;
  /**
   * Keeps several instances coherent. `close()` unsubscribes from it but does
   * not close it: the app owns the bus, as it may be shared.
   * @defaultValue none (a single instance needs none)
   */
  bus?: InvalidationBus;
  /**
   * How many alternatives a `taken` create result suggests (each is checked,
   * so each may cost a store read). @defaultValue 0
   */
  suggestions?: number;
  /** Clock in milliseconds for cache TTLs. Inject it in tests. @defaultValue `performance.now` */
  now?: () => number;
  /** Random source in [0, 1) for the instance id and suggestions. @defaultValue `Math.random` */
  random?: () => number;
  /** This instance's id on the bus. @defaultValue random */
  instanceId?: string;
}

/**
 * Per-call options of `checkThenCreate`.
 *
 * @example
 * ```ts
 * await names.checkThenCreate('alice', data, {
 *   signal: AbortSignal.timeout(1_000),
 *   create: (username, data) => prisma.user.create({ data: { ...data, username } }),
 *   isConflict: isUniqueViolation,
 * });
 * ```
 */
export interface CreateOptions<TData, TRecord> extends StoreContext {
  /** Inserts through the app's own code (an ORM) instead of `store.insert`. */
  create?: (username: string, data: TData, ctx: StoreContext) => Promise<TRecord>;
  /** Recognises the conflict thrown by `create`. @defaultValue `store.isConflict` */
  isConflict?: (error: unknown) => boolean;
}

/**
 * Counters since the instance was created, plus current sizes.
 *
 * @example
 * ```ts
 * const s = names.stats();
 * console.log(s.storeReads / s.checks); // store reads per check
 * ```
 */
export interface AvailabilityStats {
  checks: number;
  invalid: number;
  cacheHits: number;
  bloomNegatives: number;
  storeReads: number;
  /** Checks that joined a store read already in flight for the same name. */
  coalesced: number;
  storeErrors: number;
  creates: number;
  conflicts: number;
  releases: number;
  invalidations: number;
  busReceived: number;
  busPublished: number;
  cacheSize: number;
  /** Names loaded by the last `warm()`. */
  warmed: number;
  /** `null` when the Bloom filter is disabled. `ready` is false until `warm()` completed. */
  bloom: (FilterStats & { ready: boolean }) | null;
}

/**
 * What `createUsernameAvailability` returns.
 *
 * @example
 * ```ts
 * const names: UsernameAvailability = createUsernameAvailability({ store: new MemoryStore() });
 * ```
 */
export interface UsernameAvailability<TData = unknown, TRecord = unknown> {
  /** Is this name free? Never throws for any input; store failures give `unknown`. */
  check(username: unknown, ctx?: StoreContext): Promise<CheckResult>;
  /**
   * Validates, then inserts through the store; a conflict is a typed `taken`.
   * With a `create` override, `value` is what that function resolved to.
   */
  checkThenCreate<TValue = TRecord>(
    username: unknown,
    data: TData,
    options?: CreateOptions<TData, TValue>,
  ): Promise<CreateResult<TValue>>;
  /** Removes the name from the store (needs `store.remove`) and tells every instance. */
  release(username: unknown, ctx?: StoreContext): Promise<ReleaseResult>;
  /** Drops this name's cache entry here and, through the bus, everywhere. */
  invalidate(username: unknown): void;
  /** Subscribes to a hook; returns the function that unsubscribes. */
  on<E extends AvailabilityEventName>(
    event: E,
    listener: (payload: AvailabilityEvents[E]) => void,
  ): () => void;
  /** Loads every taken name from `store.list()` into a fresh Bloom filter. */
  warm(ctx?: StoreContext): Promise<{ loaded: number }>;
  /** Counters and sizes. */
  stats(): AvailabilityStats;
  /** Unsubscribes from the bus and closes the store. Further calls throw. */
  close(): Promise<void>;
  /** The canonical form of a name, or the policy's refusal (no store access). */
  canonicalize(username: unknown): PolicyResult;
}
