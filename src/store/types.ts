/**
 * Per-call context handed to every {@link UsernameStore} method.
 *
 * @example
 * ```ts
 * const ctx: StoreContext = { signal: AbortSignal.timeout(500) };
 * await store.exists('alice', ctx);
 * ```
 */
export interface StoreContext {
  /**
   * Aborts the call. Adapters pass it to their driver where the driver
   * supports it, and otherwise check `signal.aborted` before they start.
   * An aborted call rejects with `signal.reason`.
   */
  signal?: AbortSignal;
}

/**
 * The database behind `username-availability`: the only arbiter of truth.
 *
 * Three methods are required; the rest are optional and unlock features
 * (`remove` unlocks `names.release`, `list` unlocks `names.warm`).
 * Every method receives the **canonical** username (already normalised by the
 * policy), so the store's unique column holds exactly one spelling per name.
 *
 * @typeParam TData - what the app passes to `checkThenCreate` (e.g. a user id).
 * @typeParam TRecord - what `insert` resolves to (e.g. the inserted row).
 *
 * @example
 * ```ts
 * const store: UsernameStore<{ userId: string }, { username: string }> = {
 *   async exists(username) { return rows.has(username); },
 *   async insert(username, data) {
 *     if (rows.has(username)) throw Object.assign(new Error('dup'), { code: 'DUP' });
 *     rows.set(username, data.userId);
 *     return { username };
 *   },
 *   isConflict: (error) => (error as { code?: string })?.code === 'DUP',
 * };
 * ```
 */
export interface UsernameStore<TData = unknown, TRecord = unknown> {
  /** Resolves `true` when the canonical `username` is stored. */
  exists(username: string, ctx: StoreContext): Promise<boolean>;
  /**
   * Inserts the canonical `username`. Must **throw** when the unique constraint
   * rejects it, with an error that {@link UsernameStore.isConflict} recognises.
   */
  insert(username: string, data: TData, ctx: StoreContext): Promise<TRecord>;
  /** Is this error (thrown by `insert`) a unique-constraint violation? Only those. */
  isConflict(error: unknown): boolean;
  /** Batch form of `exists`: resolves the subset of `usernames` that is stored. */
  existsMany?(usernames: readonly string[], ctx: StoreContext): Promise<Set<string>>;
  /** Deletes the name; resolves `true` when a row was removed. */
  remove?(username: string, ctx: StoreContext): Promise<boolean>;
  /** Streams every stored name once. Must not load all names into memory at once. */
  list?(ctx: StoreContext): AsyncIterable<string>;
  /** Releases the store's own resources (not a pool the app passed in). */
  close?(): Promise<void>;
}
