/**
 * Redis adapter (ioredis): a {@link UsernameStore} where each taken name is a
 * key, and an {@link InvalidationBus} over Redis pub/sub.
 *
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisStore, redisBus } from 'username-availability/redis';
 * ```
 *
 * ioredis is an optional peer dependency: this module only imports its types
 * and drives the client the app created.
 *
 * @module
 */
import type { Redis } from 'ioredis';
import { isInvalidationMessage, type InvalidationBus, type InvalidationMessage } from '../bus/types.js';
import { UsernameConflictError } from '../store/conflict.js';
import type { StoreContext, UsernameStore } from '../store/types.js';

/** Names per `ZRANGEBYLEX` page, per `EXISTS` pipeline and per `SCAN` call. */
const PAGE = 1_000;

/**
 * Options of {@link redisStore}.
 *
 * @example
 * ```ts
 * const options: RedisStoreOptions = { client: new Redis(process.env.REDIS_URL!), prefix: 'myapp:username:' };
 * ```
 */
export interface RedisStoreOptions {
  /**
   * An ioredis client the app created and owns: the store never closes it.
   * It must not be in subscriber mode (give {@link redisBus} its own connection).
   * The client's own `keyPrefix` option, if any, applies on top of {@link RedisStoreOptions.prefix}.
   */
  client: Redis;
  /**
   * Prepended to the canonical username to make its key (`username:alice`).
   * The key with exactly this name (the prefix alone) is the store's index,
   * a sorted set of every stored name, so the empty string is not a valid username.
   * @defaultValue `'username:'`
   */
  prefix?: string;
}

/**
 * What {@link RedisStore.insert} resolves to: the name and the key it was stored under.
 *
 * @example
 * ```ts
 * const record: RedisRecord = { username: 'alice', key: 'username:alice' };
 * ```
 */
export interface RedisRecord {
  /** The canonical username, as given to `insert`. */
  username: string;
  /** The Redis key (without the client's `keyPrefix`, like every key ioredis takes). */
  key: string;
}

/**
 * The store {@link redisStore} returns: every optional {@link UsernameStore}
 * method, plus {@link RedisStore.ensureSchema} and {@link RedisStore.reindex}.
 *
 * `insert`'s `data` is stored as the key's value, as JSON (`'1'` when `data` is
 * `undefined`), for apps that want to look it up with `GET`; the store itself
 * never reads it back.
 *
 * @example
 * ```ts
 * const store: RedisStore = redisStore({ client });
 * await store.insert('alice', { userId: 42 }, {}); // SET username:alice '{"userId":42}' NX
 * ```
 */
export interface RedisStore<TData = unknown> extends UsernameStore<TData, RedisRecord> {
  /** The key prefix in use. */
  readonly prefix: string;
  /** The sorted set that indexes every stored name (the prefix alone). */
  readonly indexKey: string;
  /** Resolves `true` when the key `prefix + username` exists (`EXISTS`). */
  exists(username: string, ctx?: StoreContext): Promise<boolean>;
  /**
   * `SET prefix+username <JSON of data> NX` and `ZADD` to the index, in one
   * `MULTI`. Throws {@link UsernameConflictError} when the key already exists.
   */
  insert(username: string, data: TData, ctx?: StoreContext): Promise<RedisRecord>;
  /** Recognises {@link UsernameConflictError} only (Redis has no conflict error of its own). */
  isConflict(error: unknown): boolean;
  /** One `EXISTS` per name, pipelined in round trips of 1,000. */
  existsMany(usernames: readonly string[], ctx?: StoreContext): Promise<Set<string>>;
  /** `DEL` the key and `ZREM` it from the index, in one `MULTI`; `true` when the key existed. */
  remove(username: string, ctx?: StoreContext): Promise<boolean>;
  /**
   * Every stored name exactly once, in byte order, 1,000 per page:
   * `ZRANGEBYLEX` pages over the index (keyset pagination, never `SCAN`),
   * each checked against its keys with one multi-key `EXISTS`.
   */
  list(ctx?: StoreContext): AsyncIterable<string>;
  /** Does nothing: Redis needs no schema. Resolves, so that setup code can treat every store alike. */
  ensureSchema(): Promise<void>;
  /**
   * Adds to the index every `prefix*` key that is missing from it (found with
   * `SCAN MATCH`, the prefix's glob characters escaped): for keys written
   * by hand or by another tool. Idempotent; resolves how many names it added.
   */
  reindex(ctx?: StoreContext): Promise<number>;
  /** Does nothing: the client belongs to the app. */
  close(): Promise<void>;
}

/**
 * Escapes Redis glob metacharacters (`*`, `?`, `[`, `]`, `\`) so that the
 * string matches only itself in `SCAN MATCH` / `KEYS` / `PSUBSCRIBE`.
 *
 * @example
 * ```ts
 * escapeRedisGlob('app[1]:*'); // → 'app\\[1\\]:\\*'
 * ```
 */
export function escapeRedisGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function throwIfAborted(ctx: StoreContext | undefined): void {
  ctx?.signal?.throwIfAborted();
}

function checkName(username: string): void {
  if (typeof username !== 'string' || username.length === 0) {
    throw new TypeError(
      `A username must be a non-empty string (the bare prefix key is the store's index); got ${JSON.stringify(username)}.`,
    );
  }
}

type ExecResult = [error: Error | null, result: unknown][] | null;

/** Unwraps a MULTI/pipeline reply: the first command error is thrown as is. */
function results(reply: ExecResult, what: string): unknown[] {
  if (reply === null) throw new Error(`Redis discarded the ${what} transaction (EXEC returned null).`);
  return reply.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}

/**
 * A {@link UsernameStore} on Redis, through an ioredis client.
 *
 * Each name is the key `prefix + username`; `insert` is `SET … NX`, the
 * atomic "create if absent" that makes the key a unique constraint. Redis has
 * no duplicate-key error, so a `SET NX` that returns null throws
 * {@link UsernameConflictError}, and `isConflict` recognises exactly that.
 * Case-insensitive uniqueness comes from the core storing only the canonical
 * (case-folded) form; Redis compares keys byte for byte.
 *
 * `list` must yield each name exactly once without holding them all in memory,
 * which `SCAN` cannot promise (it may return a key twice while the keyspace is
 * rehashing). So the store also keeps an index, a sorted set at the key
 * `prefix` (all members with score 0, hence in byte order), updated in the
 * same `MULTI` as the key, and `list` walks it by keyset pagination. Use a
 * `noeviction` Redis: an evicted key is a lost username.
 *
 * Redis commands cannot be cancelled once sent: an AbortSignal is checked
 * before each command (and before each page of `list`).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createUsernameAvailability } from 'username-availability';
 * import { redisStore } from 'username-availability/redis';
 *
 * const client = new Redis('redis://127.0.0.1:6379');
 * const names = createUsernameAvailability({ store: redisStore({ client, prefix: 'myapp:username:' }) });
 * ```
 */
export function redisStore<TData = unknown>(options: RedisStoreOptions): RedisStore<TData> {
  const { client, prefix = 'username:' } = options;
  if (typeof prefix !== 'string') {
    throw new TypeError(`The prefix option must be a string; got ${JSON.stringify(prefix)}.`);
  }
  const indexKey = prefix;
  const keyOf = (username: string) => prefix + username;

  async function existsMany(usernames: readonly string[], ctx?: StoreContext): Promise<Set<string>> {
    const found = new Set<string>();
    const unique = [...new Set(usernames)];
    for (let i = 0; i < unique.length; i += PAGE) {
      throwIfAborted(ctx);
      const chunk = unique.slice(i, i + PAGE);
      chunk.forEach(checkName);
      const pipeline = client.pipeline();
      for (const name of chunk) pipeline.exists(keyOf(name));
      const counts = results(await pipeline.exec(), 'EXISTS');
      chunk.forEach((name, j) => {
        if (counts[j] === 1) found.add(name);
      });
    }
    return found;
  }

  return {
    prefix,
    indexKey,

    async exists(username, ctx) {
      checkName(username);
      throwIfAborted(ctx);
      return (await client.exists(keyOf(username))) === 1;
    },

    async insert(username, data, ctx) {
      checkName(username);
      throwIfAborted(ctx);
      const value = data === undefined ? '1' : (JSON.stringify(data) ?? '1');
      // SET NX decides; the ZADD runs whether or not it succeeded. That is
      // harmless (the name is in the index whenever its key exists, and ZADD of
      // a member that is already there changes nothing) and keeps the pair in
      // one MULTI, so no other client ever sees the key without its index entry.
      const [set] = results(
        await client.multi().set(keyOf(username), value, 'NX').zadd(indexKey, 0, username).exec(),
        'SET NX + ZADD',
      );
      if (set === null) throw new UsernameConflictError(username);
      return { username, key: keyOf(username) };
    },

    isConflict(error) {
      return error instanceof UsernameConflictError;
    },

    existsMany,

    async remove(username, ctx) {
      checkName(username);
      throwIfAborted(ctx);
      const [deleted] = results(await client.multi().del(keyOf(username)).zrem(indexKey, username).exec(), 'DEL + ZREM');
      return deleted === 1;
    },

    async *list(ctx) {
      // Keyset pagination over the index: each page starts strictly after the
      // last member of the previous one, and a sorted set holds each member
      // once, so a name present for the whole walk is yielded exactly once, and
      // a name added or removed during the walk at most once. Nothing but the
      // current page is held in memory.
      let start = '-';
      for (;;) {
        throwIfAborted(ctx);
        const page = await client.zrangebylex(indexKey, start, '+', 'LIMIT', 0, PAGE);
        if (page.length === 0) return;
        // The index can only be stale if keys were deleted or expired behind
        // the store's back; filtering through EXISTS keeps list() in agreement
        // with exists() even then. One multi-key EXISTS counts the page's keys
        // (one command, not a thousand); only when some are missing does the
        // page go through the per-key existsMany.
        throwIfAborted(ctx);
        const count = await client.exists(...page.map(keyOf));
        const present = count === page.length ? undefined : await existsMany(page, ctx);
        for (const name of page) {
          if (present && !present.has(name)) continue;
          throwIfAborted(ctx);
          yield name;
        }
        if (page.length < PAGE) return;
        start = `(${page[page.length - 1]!}`;
      }
    },

    async ensureSchema() {},

    async reindex(ctx) {
      // SCAN does not apply ioredis's keyPrefix to MATCH, and returns full key
      // names: add the client's keyPrefix to the pattern and strip it again.
      const clientPrefix = client.options.keyPrefix ?? '';
      const fullPrefix = clientPrefix + prefix;
      const match = `${escapeRedisGlob(fullPrefix)}*`;
      let cursor = '0';
      let added = 0;
      do {
        throwIfAborted(ctx);
        const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', PAGE);
        cursor = next;
        // SCAN may return a key twice; ZADD of a member that is there is a no-op.
        const names = keys.map((key) => key.slice(fullPrefix.length)).filter((name) => name.length > 0);
        if (names.length > 0) {
          added += await client.zadd(indexKey, ...names.flatMap((name) => [0, name] as const));
        }
      } while (cursor !== '0');
      return added;
    },

    async close() {},
  };
}

/**
 * Options of {@link redisBus}.
 *
 * @example
 * ```ts
 * const options: RedisBusOptions = { publisher: client, channel: 'myapp:usernames' };
 * ```
 */
export interface RedisBusOptions {
  /** The connection `PUBLISH` goes through; the app's, never closed by the bus. */
  publisher: Redis;
  /**
   * A connection for `SUBSCRIBE` (a subscribed Redis connection can do nothing
   * else). If given, it is the app's: `close()` unsubscribes from the channel
   * but leaves the connection open.
   * @defaultValue `publisher.duplicate()`, opened at the first `subscribe` and quit by `close()`
   */
  subscriber?: Redis;
  /**
   * The pub/sub channel. Every instance that shares a store must use the same one.
   * @defaultValue `'username-availability'`
   */
  channel?: string;
  /**
   * Called with a payload on the channel that is not a valid
   * {@link InvalidationMessage} (another app publishing there?), or with an
   * error a listener threw. The message is dropped either way.
   * @defaultValue `console.warn`
   */
  onError?: (error: unknown) => void;
}

/**
 * The bus {@link redisBus} returns.
 *
 * @example
 * ```ts
 * const bus: RedisBus = redisBus({ publisher: client });
 * console.log(bus.channel); // 'username-availability'
 * ```
 */
export interface RedisBus extends InvalidationBus {
  /** The pub/sub channel in use. */
  readonly channel: string;
  /** `PUBLISH`es the message as JSON; resolves once Redis has accepted it. */
  publish(message: InvalidationMessage): Promise<void>;
  /** Resolves (with the function that removes `listener`) once Redis confirmed the `SUBSCRIBE`. */
  subscribe(listener: (message: InvalidationMessage) => void): Promise<() => void>;
  /** Unsubscribes, and quits the subscriber connection if the bus created it. */
  close(): Promise<void>;
}

/**
 * An {@link InvalidationBus} over Redis pub/sub: each instance publishes its
 * invalidations as JSON on one channel and receives the others'.
 *
 * Pub/sub is fire-and-forget, which is what a bus may be: a message lost while
 * a connection is down only leaves a stale *check* until the cache TTL runs
 * out (ioredis resubscribes after reconnecting). Payloads are validated with
 * `isInvalidationMessage` before any listener sees them.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisBus } from 'username-availability/redis';
 *
 * const publisher = new Redis('redis://127.0.0.1:6379');
 * const names = createUsernameAvailability({ store, bus: redisBus({ publisher }) });
 * // on shutdown: await names.close(); await publisher.quit();
 * ```
 */
export function redisBus(options: RedisBusOptions): RedisBus {
  const { publisher, channel = 'username-availability' } = options;
  const onError = options.onError ?? ((error: unknown) => console.warn('[username-availability] redisBus:', error));
  const listeners = new Set<(message: InvalidationMessage) => void>();
  const ownsSubscriber = options.subscriber === undefined;
  let subscriber: Redis | undefined;
  let subscribed: Promise<unknown> | undefined;
  let closed = false;

  const onMessage = (from: string, payload: string): void => {
    if (from !== channel) return; // an app-provided subscriber may serve other channels too
    let message: unknown;
    try {
      message = JSON.parse(payload);
    } catch (error) {
      onError(new Error(`redisBus received a payload on "${channel}" that is not JSON: ${JSON.stringify(payload)}.`, { cause: error }));
      return;
    }
    if (!isInvalidationMessage(message)) {
      onError(new Error(`redisBus received a payload on "${channel}" that is not an invalidation message: ${payload}.`));
      return;
    }
    for (const listener of [...listeners]) {
      try {
        listener(message);
      } catch (error) {
        onError(error);
      }
    }
  };

  return {
    channel,

    async publish(message) {
      await publisher.publish(channel, JSON.stringify(message));
    },

    async subscribe(listener) {
      if (closed) throw new Error('redisBus.subscribe() was called after close().');
      listeners.add(listener);
      if (subscriber === undefined) {
        subscriber = options.subscriber ?? publisher.duplicate();
        subscriber.on('message', onMessage);
      }
      if (subscribed === undefined) {
        const attempt = subscriber.subscribe(channel);
        subscribed = attempt;
        // A failed SUBSCRIBE is not remembered, so that the next call retries.
        attempt.catch(() => {
          if (subscribed === attempt) subscribed = undefined;
        });
      }
      try {
        await subscribed;
      } catch (error) {
        listeners.delete(listener);
        throw error;
      }
      return () => {
        listeners.delete(listener);
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      const connection = subscriber;
      if (connection === undefined) return;
      connection.off('message', onMessage);
      try {
        await subscribed;
        await connection.unsubscribe(channel);
      } catch {
        // The connection is already gone: there is nothing left to unsubscribe.
      }
      if (ownsSubscriber) await connection.quit().catch(() => connection.disconnect());
    },
  };
}
