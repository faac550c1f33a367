import { UsernameConflictError } from './conflict.js';
import type { StoreContext, UsernameStore } from './types.js';

/**
 * The row {@link MemoryStore} keeps for each name.
 *
 * @example
 * ```ts
 * const row: MemoryRecord<{ userId: number }> = { username: 'alice', data: { userId: 1 }, createdAt: 0 };
 * ```
 */
export interface MemoryRecord<TData> {
  username: string;
  data: TData;
  /** `Date.now()` (or the injected clock) at insert. */
  createdAt: number;
}

/**
 * Options of {@link MemoryStore}.
 *
 * @example
 * ```ts
 * const store = new MemoryStore({ now: () => 0, initial: ['admin-bot'] });
 * ```
 */
export interface MemoryStoreOptions {
  /** Clock for `createdAt`. @defaultValue `Date.now` */
  now?: () => number;
  /** Names stored from the start (their `data` is `undefined`). */
  initial?: Iterable<string>;
}

function throwIfAborted(ctx: StoreContext | undefined): void {
  ctx?.signal?.throwIfAborted();
}

/**
 * The embedded default store: one process, no persistence, and a real unique
 * constraint (a `Map` keyed by the canonical name). Good for demos, tests and
 * single-process apps; use a database adapter for anything that restarts.
 *
 * Every method is async and yields once, like a driver would, so that races
 * against it behave as they would against a server.
 *
 * @example
 * ```ts
 * const names = createUsernameAvailability({ store: new MemoryStore() });
 * await names.checkThenCreate('alice', { userId: 1 });
 * ```
 */
export class MemoryStore<TData = unknown> implements UsernameStore<TData, MemoryRecord<TData>> {
  readonly #rows = new Map<string, MemoryRecord<TData>>();
  readonly #now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    for (const name of options.initial ?? []) {
      this.#rows.set(name, { username: name, data: undefined as TData, createdAt: this.#now() });
    }
  }

  /** Number of stored names. */
  get size(): number {
    return this.#rows.size;
  }

  async exists(username: string, ctx?: StoreContext): Promise<boolean> {
    throwIfAborted(ctx);
    return this.#rows.has(username);
  }

  async existsMany(usernames: readonly string[], ctx?: StoreContext): Promise<Set<string>> {
    throwIfAborted(ctx);
    return new Set(usernames.filter((name) => this.#rows.has(name)));
  }

  async insert(username: string, data: TData, ctx?: StoreContext): Promise<MemoryRecord<TData>> {
    throwIfAborted(ctx);
    // Check and write in one synchronous step: that is what makes this a
    // unique constraint rather than a check-then-act race.
    if (this.#rows.has(username)) throw new UsernameConflictError(username);
    const record = { username, data, createdAt: this.#now() };
    this.#rows.set(username, record);
    return record;
  }

  isConflict(error: unknown): boolean {
    return error instanceof UsernameConflictError;
  }

  async remove(username: string, ctx?: StoreContext): Promise<boolean> {
    throwIfAborted(ctx);
    return this.#rows.delete(username);
  }

  async *list(ctx?: StoreContext): AsyncIterable<string> {
    // Map iteration sees rows inserted during the walk and skips deleted ones,
    // which is what a streaming cursor over a live table does too.
    for (const name of this.#rows.keys()) {
      throwIfAborted(ctx);
      yield name;
    }
  }

  async close(): Promise<void> {}
}
