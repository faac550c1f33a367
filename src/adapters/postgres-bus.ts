import { isInvalidationMessage, type InvalidationBus, type InvalidationMessage } from '../bus/types.js';
import { PG_MAX_IDENTIFIER_BYTES, quoteIdentifier } from './sql-shared.js';

/**
 * The connection {@link postgresBus} holds for `LISTEN`: what a pg
 * `PoolClient` offers (structurally, so pg itself is never imported).
 *
 * @example
 * ```ts
 * const client: PgListenClient = await pool.connect();
 * ```
 */
export interface PgListenClient {
  /** Runs `text` with `$1…$n` bound to `values`. */
  query(text: string, values?: unknown[]): Promise<unknown>;
  /** pg emits `notification` for every NOTIFY on a channel this connection LISTENs to. */
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  /** pg emits `error` when the connection fails; unhandled, it would crash the process. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Removes a listener added with `on`. */
  removeListener(event: 'notification' | 'error', listener: (...args: any[]) => void): unknown;
  /** Returns the connection to the pool (destroying it when given an error). */
  release(error?: Error | boolean): void;
}

/**
 * What {@link postgresBus} needs from pg: a `Pool` (a `Client` will not do: the
 * bus checks out a connection of its own for `LISTEN`).
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool: PgPoolLike = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PgPoolLike {
  /** Runs `text` with `$1…$n` bound to `values`. */
  query(text: string, values?: unknown[]): Promise<unknown>;
  /** Checks out a dedicated connection. */
  connect(): Promise<PgListenClient>;
}

/**
 * Options of {@link postgresBus}.
 *
 * @example
 * ```ts
 * const options: PostgresBusOptions = { pool, channel: 'myapp_usernames', onError: (e) => log.warn(e) };
 * ```
 */
export interface PostgresBusOptions {
  /** A pg `Pool` the app created. The bus borrows one connection from it and never ends the pool. */
  pool: PgPoolLike;
  /**
   * The NOTIFY channel, shared by every instance of the app (and by no other
   * kind of message). Case-sensitive; at most 63 bytes.
   * @defaultValue `'username_availability'`
   */
  channel?: string;
  /**
   * Receives what goes wrong outside a caller's `await`: the LISTEN connection
   * failing, a payload on the channel that is not an invalidation message, a
   * listener that throws. The bus is best-effort (a lost message only means a
   * stale check until the cache TTL ends), so these are reported, not thrown.
   * @defaultValue logs with `console.error`
   */
  onError?: (error: unknown) => void;
}

/**
 * The bus {@link postgresBus} returns.
 *
 * @example
 * ```ts
 * const bus: PostgresBus = postgresBus({ pool });
 * await bus.close();
 * ```
 */
export interface PostgresBus extends InvalidationBus {
  /** Sends the message with `pg_notify`; resolves once the server accepted it. */
  publish(message: InvalidationMessage): Promise<void>;
  /**
   * Adds a listener; the first one checks out the LISTEN connection, so this
   * rejects if that fails. Resolves the function that removes the listener
   * (removing the last one UNLISTENs and returns the connection to the pool).
   */
  subscribe(listener: (message: InvalidationMessage) => void): Promise<() => Promise<void>>;
  /** Drops every listener and returns the LISTEN connection to the pool. The app's pool stays open. */
  close(): Promise<void>;
}

const defaultOnError = (error: unknown): void => {
  console.error('[username-availability] postgresBus:', error);
};

/**
 * An {@link InvalidationBus} over PostgreSQL `LISTEN`/`NOTIFY`, for app
 * instances that share a PostgreSQL database anyway: no extra service.
 *
 * `publish` runs `SELECT pg_notify($1, $2)` on the pool with the message as
 * JSON. Subscribing checks out **one** dedicated connection from the pool and
 * runs `LISTEN`; every incoming payload is parsed and checked with
 * `isInvalidationMessage` before listeners see it. Messages published by this
 * instance come back too; `createUsernameAvailability` ignores its own by
 * `origin`.
 *
 * If the LISTEN connection fails, the error goes to `onError`, the connection
 * is discarded and messages stop arriving (the next `subscribe` reconnects);
 * reconnecting by itself is out of scope. NOTIFY is delivered only to
 * sessions listening at the time, and payloads are limited to 8000 bytes
 * (a message is well under 1 KB).
 *
 * @param options - see {@link PostgresBusOptions}.
 * @example
 * ```ts
 * import { postgresBus, postgresStore } from 'username-availability/postgres';
 *
 * const names = createUsernameAvailability({
 *   store: postgresStore({ pool }),
 *   bus: postgresBus({ pool }),
 * });
 * ```
 */
export function postgresBus(options: PostgresBusOptions): PostgresBus {
  const { pool, channel = 'username_availability', onError = defaultOnError } = options;
  if (!pool || typeof pool.query !== 'function' || typeof pool.connect !== 'function') {
    throw new TypeError('postgresBus needs `pool`: a pg Pool (it checks out one connection for LISTEN).');
  }
  // LISTEN takes an identifier; pg_notify takes the same name as a string.
  const quotedChannel = quoteIdentifier(channel, { maxBytes: PG_MAX_IDENTIFIER_BYTES, what: 'channel' });

  const listeners = new Set<(message: InvalidationMessage) => void>();
  let client: PgListenClient | undefined;
  let closed = false;

  function report(error: unknown): void {
    try {
      onError(error);
    } catch {
      // An onError that throws must not break delivery to the other listeners.
    }
  }

  function onNotification(notification: { channel: string; payload?: string }): void {
    if (notification.channel !== channel) return;
    let message: unknown;
    try {
      message = JSON.parse(notification.payload ?? '');
    } catch {
      message = undefined;
    }
    if (!isInvalidationMessage(message)) {
      report(
        new Error(
          `postgresBus received a payload on channel ${JSON.stringify(channel)} that is not an invalidation message: ${JSON.stringify(notification.payload)}.`,
        ),
      );
      return;
    }
    const { type, username, origin } = message;
    for (const listener of [...listeners]) {
      try {
        listener({ type, username, origin });
      } catch (error) {
        report(error);
      }
    }
  }

  function onClientError(error: Error): void {
    const failed = client;
    if (!failed) return;
    client = undefined;
    detach(failed);
    failed.release(error); // destroys the broken connection instead of pooling it
    report(new Error(`postgresBus lost its LISTEN connection on channel ${JSON.stringify(channel)}; messages stop until the next subscribe().`, { cause: error }));
  }

  function detach(c: PgListenClient): void {
    c.removeListener('notification', onNotification);
    c.removeListener('error', onClientError);
  }

  // Connecting and disconnecting are serialised through one promise chain, so
  // that a subscribe racing an unsubscribe (or close) can never leave two
  // LISTEN connections, or a connection nobody listens on. Each step looks at
  // the state when it runs, not when it was queued: "should a connection be
  // open now?" is `listeners.size > 0 && !closed`.
  let queue: Promise<void> = Promise.resolve();
  function sync(): Promise<void> {
    const step = queue.then(async () => {
      const wanted = listeners.size > 0 && !closed;
      if (wanted && !client) {
        const c = await pool.connect();
        c.on('error', onClientError);
        c.on('notification', onNotification);
        try {
          await c.query(`LISTEN ${quotedChannel}`);
        } catch (error) {
          detach(c);
          c.release(error instanceof Error ? error : true);
          throw error;
        }
        client = c;
      } else if (!wanted && client) {
        const c = client;
        client = undefined;
        let failure: Error | undefined;
        try {
          await c.query(`UNLISTEN ${quotedChannel}`);
        } catch (error) {
          failure = error instanceof Error ? error : new Error(String(error));
        }
        detach(c);
        c.release(failure);
      }
    });
    queue = step.catch(() => {});
    return step;
  }

  return {
    async publish(message) {
      if (closed) throw new Error('postgresBus.publish() was called after close().');
      const { type, username, origin } = message;
      await pool.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify({ type, username, origin })]);
    },

    async subscribe(listener) {
      if (closed) throw new Error('postgresBus.subscribe() was called after close().');
      // A wrapper per subscription, so the same function subscribed twice is
      // two subscriptions and each unsubscribe removes exactly one.
      const entry = (message: InvalidationMessage) => listener(message);
      listeners.add(entry);
      try {
        await sync();
      } catch (error) {
        listeners.delete(entry);
        throw error;
      }
      let removed = false;
      return async () => {
        if (removed) return;
        removed = true;
        listeners.delete(entry);
        await sync();
      };
    },

    async close() {
      closed = true;
      listeners.clear();
      await sync();
    },
  };
}
