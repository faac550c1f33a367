import { createTakenNames, type TakenNames } from './bloom/taken-names.js';
import { isInvalidationMessage, type InvalidationMessage } from './bus/types.js';
import { createAvailabilityCache, createNoCache, type Answer } from './cache/availability-cache.js';
import { createHooks } from './hooks.js';
import { createPolicy } from './policy/policy.js';
import type { StoreContext, UsernameStore } from './store/types.js';
import { suggestionCandidates } from './suggestions.js';
import type {
  AvailabilityEvents,
  AvailabilityOptions,
  AvailabilityStats,
  CheckResult,
  CreateOptions,
  CreateResult,
  EventOrigin,
  ReleaseResult,
  UsernameAvailability,
} from './types.js';

const EVENTS = ['taken', 'released', 'invalidated', 'conflict', 'check', 'error'] as const;

function randomId(random: () => number): string {
  let id = '';
  for (let i = 0; i < 4; i++) id += Math.floor(random() * 0x10000).toString(16).padStart(4, '0');
  return id;
}

/**
 * Creates the availability service: policy → cache → Bloom filter → store on
 * every check, and a create that only the store's unique constraint decides.
 *
 * None of `check`, `checkThenCreate` and `release` throws for an outcome
 * (invalid input, taken, store failure): each resolves a typed result. A
 * thrown error means misuse: a missing option, an unknown event name, a call
 * after `close()`, `release` on a store without `remove`.
 *
 * @example
 * ```ts
 * import { createUsernameAvailability, MemoryStore } from 'username-availability';
 *
 * const names = createUsernameAvailability({ store: new MemoryStore() });
 * await names.check('Alice');                        // { status: 'available', username: 'alice', source: 'store' }
 * await names.checkThenCreate('Alice', { id: 1 });   // { ok: true, username: 'alice', value: … }
 * await names.checkThenCreate('ALICE', { id: 2 });   // { ok: false, reason: 'taken', username: 'alice' }
 * ```
 */
export function createUsernameAvailability<TData = unknown, TRecord = unknown>(
  options: AvailabilityOptions<TData, TRecord>,
): UsernameAvailability<TData, TRecord> {
  const candidate = options?.store;
  if (
    !candidate ||
    typeof candidate.exists !== 'function' ||
    typeof candidate.insert !== 'function' ||
    typeof candidate.isConflict !== 'function'
  ) {
    throw new TypeError('createUsernameAvailability needs options.store with exists(), insert() and isConflict().');
  }
  const store: UsernameStore<TData, TRecord> = candidate;
  const random = options.random ?? Math.random;
  const instanceId = options.instanceId ?? randomId(random);
  const suggestions = options.suggestions ?? 0;
  const policy = createPolicy(options.policy);
  const bus = options.bus;
  let closed = false;

  const counters = {
    checks: 0,
    invalid: 0,
    cacheHits: 0,
    bloomNegatives: 0,
    storeReads: 0,
    coalesced: 0,
    storeErrors: 0,
    creates: 0,
    conflicts: 0,
    releases: 0,
    invalidations: 0,
    busReceived: 0,
    busPublished: 0,
    warmed: 0,
  };

  const hooks = createHooks<AvailabilityEvents>(EVENTS, (error, event) => {
    if (event === 'error') reportUnheard(error);
    else reportError({ error, operation: 'hook' });
  });

  // Background failures (bus, hooks) have no caller to return them to; with
  // nobody listening for `error` they are printed rather than lost.
  function reportUnheard(error: unknown): void {
    console.error('[username-availability]', error);
  }

  function reportError(payload: AvailabilityEvents['error']): void {
    if (hooks.has('error')) hooks.emit('error', payload);
    else if (payload.operation === 'bus' || payload.operation === 'hook') reportUnheard(payload.error);
  }

  const taken: TakenNames | null = options.bloom === false ? null : createTakenNames(options.bloom ?? {});

  async function readStore(username: string, signal: AbortSignal | undefined): Promise<boolean> {
    counters.storeReads++;
    try {
      const exists = await store.exists(username, { signal });
      // Every taken name we learn of goes into the filter, so that it stays a
      // superset of what this instance has seen taken.
      if (exists) taken?.add(username);
      return exists;
    } catch (error) {
      if (!signal?.aborted) {
        counters.storeErrors++;
        reportError({ error, operation: 'exists', username });
      }
      throw error;
    }
  }

  const cache =
    options.cache === false ? createNoCache(readStore) : createAvailabilityCache(options.cache ?? {}, readStore, options.now);

  // ---- invalidation: what a local or a remote event does to this instance ----

  function publish(type: InvalidationMessage['type'], username: string): void {
    if (!bus) return;
    counters.busPublished++;
    try {
      const sent = bus.publish({ type, username, origin: instanceId });
      if (sent && typeof (sent as Promise<void>).then === 'function') {
        (sent as Promise<void>).then(undefined, (error: unknown) => reportError({ error, operation: 'bus', username }));
      }
    } catch (error) {
      reportError({ error, operation: 'bus', username });
    }
  }

  /** Somebody holds the name: every local layer must say so from now on. */
  function rememberTaken(username: string): void {
    cache.markTaken(username);
    taken?.add(username);
  }

  function learnTaken(username: string, origin: EventOrigin): void {
    rememberTaken(username);
    hooks.emit('taken', { username, origin });
  }

  function learnReleased(username: string, origin: EventOrigin): void {
    // The filter cannot forget: it keeps answering "maybe", and the check
    // falls through to the store, which now says available. Only the cache
    // entry must go.
    cache.forget(username);
    hooks.emit('released', { username, origin });
  }

  function learnInvalidated(username: string, origin: EventOrigin): void {
    cache.forget(username);
    hooks.emit('invalidated', { username, origin });
  }

  function onBusMessage(message: InvalidationMessage): void {
    if (closed || !isInvalidationMessage(message) || message.origin === instanceId) return;
    counters.busReceived++;
    if (message.type === 'taken') learnTaken(message.username, 'remote');
    else if (message.type === 'released') learnReleased(message.username, 'remote');
    else learnInvalidated(message.username, 'remote');
  }

  let unsubscribe: Promise<(() => void | Promise<void>) | undefined> = Promise.resolve(undefined);
  if (bus) {
    unsubscribe = Promise.resolve()
      .then(() => bus.subscribe(onBusMessage))
      .catch((error: unknown) => {
        reportError({ error, operation: 'bus' });
        return undefined;
      });
  }

  // ---- the public operations ----

  function assertOpen(operation: string): void {
    if (closed) throw new Error(`names.${operation}() was called after names.close().`);
  }

  function finish(result: CheckResult): CheckResult {
    if (hooks.has('check')) hooks.emit('check', { username: result.username, result });
    return result;
  }

  function answered(status: Answer, username: string, source: 'bloom' | 'cache' | 'store'): CheckResult {
    return finish({ status, username, source });
  }

  async function check(input: unknown, ctx?: StoreContext): Promise<CheckResult> {
    assertOpen('check');
    counters.checks++;
    const verdict = policy(input);
    if (!verdict.ok) {
      counters.invalid++;
      const { username, reason, message } = verdict;
      return finish({ status: 'invalid', username, reason, message });
    }
    const username = verdict.username;
    const cached = cache.get(username);
    if (cached !== undefined) {
      counters.cacheHits++;
      return answered(cached, username, 'cache');
    }
    if (taken?.isSurelyFree(username)) {
      counters.bloomNegatives++;
      return answered('available', username, 'bloom');
    }
    try {
      const { answer, joined } = await cache.read(username, ctx?.signal);
      if (joined) counters.coalesced++;
      return answered(answer, username, 'store');
    } catch (error) {
      return finish({ status: 'unknown', username, error, retryable: true });
    }
  }

  async function suggest(username: string): Promise<string[]> {
    const found: string[] = [];
    for (const candidate of suggestionCandidates(username, suggestions, random)) {
      if (found.length >= suggestions) break;
      const r = await check(candidate);
      if (r.status === 'available') found.push(r.username);
    }
    return found;
  }

  async function checkThenCreate<TValue = TRecord>(
    input: unknown,
    data: TData,
    createOptions: CreateOptions<TData, TValue> = {},
  ): Promise<CreateResult<TValue>> {
    assertOpen('checkThenCreate');
    const verdict = policy(input);
    if (!verdict.ok) {
      return { ok: false, reason: 'invalid', username: verdict.username, detail: { reason: verdict.reason, message: verdict.message } };
    }
    const username = verdict.username;
    const ctx: StoreContext = { signal: createOptions.signal };
    // No cached or filtered answer is consulted here: "available" may be
    // stale, and only the unique constraint can say who won. The insert *is*
    // the check.
    try {
      const value = createOptions.create
        ? await createOptions.create(username, data, ctx)
        : ((await store.insert(username, data, ctx)) as unknown as TValue); // TValue defaults to TRecord
      counters.creates++;
      learnTaken(username, 'local');
      publish('taken', username);
      return { ok: true, username, value };
    } catch (error) {
      let conflict: boolean;
      try {
        conflict = (createOptions.isConflict ?? ((e: unknown) => store.isConflict(e)))(error);
      } catch (classifierError) {
        reportError({ error: classifierError, operation: 'insert', username });
        conflict = false;
      }
      if (conflict) {
        counters.conflicts++;
        // Somebody holds the name, whoever it is: remember it, and tell the
        // other instances in case the winner was not one of us.
        rememberTaken(username);
        hooks.emit('conflict', { username });
        publish('taken', username);
        const result: CreateResult<TValue> = { ok: false, reason: 'taken', username };
        if (suggestions > 0) result.suggestions = await suggest(username);
        return result;
      }
      if (!createOptions.signal?.aborted) {
        counters.storeErrors++;
        reportError({ error, operation: 'insert', username });
      }
      return { ok: false, reason: 'unavailable', username, error, retryable: true };
    }
  }

  async function release(input: unknown, ctx?: StoreContext): Promise<ReleaseResult> {
    assertOpen('release');
    if (typeof store.remove !== 'function') {
      throw new TypeError('names.release() needs a store with remove(); this store has none.');
    }
    const verdict = policy(input);
    if (!verdict.ok) {
      return { ok: false, reason: 'invalid', username: verdict.username, detail: { reason: verdict.reason, message: verdict.message } };
    }
    const username = verdict.username;
    let removed: boolean;
    try {
      removed = await store.remove(username, ctx ?? {});
    } catch (error) {
      counters.storeErrors++;
      reportError({ error, operation: 'remove', username });
      return { ok: false, reason: 'unavailable', username, error, retryable: true };
    }
    if (!removed) {
      // Not in the store: whatever the cache says about it is wrong.
      cache.forget(username);
      return { ok: false, reason: 'not_found', username };
    }
    counters.releases++;
    learnReleased(username, 'local');
    publish('released', username);
    return { ok: true, username };
  }

  function invalidate(input: unknown): void {
    assertOpen('invalidate');
    const verdict = policy(input);
    if (!verdict.ok) return;
    counters.invalidations++;
    learnInvalidated(verdict.username, 'local');
    publish('invalidated', verdict.username);
  }

  async function warm(ctx: StoreContext = {}): Promise<{ loaded: number }> {
    assertOpen('warm');
    if (!taken) return { loaded: 0 };
    if (typeof store.list !== 'function') {
      throw new TypeError('names.warm() needs a store with list(); this store has none (or pass bloom: false).');
    }
    try {
      counters.warmed = await taken.rebuild(store.list(ctx));
    } catch (error) {
      reportError({ error, operation: 'list' });
      throw error;
    }
    return { loaded: counters.warmed };
  }

  function stats(): AvailabilityStats {
    return { ...counters, cacheSize: cache.size, bloom: taken ? taken.stats() : null };
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    const off = await unsubscribe;
    await off?.();
    await store.close?.();
  }

  return {
    check,
    checkThenCreate,
    release,
    invalidate,
    on: (event, listener) => hooks.on(event, listener),
    warm,
    stats,
    close,
    canonicalize: (input) => policy(input),
  };
}
