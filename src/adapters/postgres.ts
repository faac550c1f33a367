/**
 * PostgreSQL store adapter and LISTEN/NOTIFY invalidation bus over pg:
 * `username-availability/postgres`.
 *
 * Nothing here imports pg, not even its types: the adapter is written against
 * the small structural shapes below ({@link PgQueryable}, {@link PgPoolLike}),
 * which pg's `Pool`, `Client` and `PoolClient` satisfy, and so do
 * pg-compatible pools (Neon's serverless driver, for instance).
 *
 * @module
 */
import { isPostgresUniqueViolation } from '../store/conflict.js';
import type { StoreContext, UsernameStore } from '../store/types.js';
import { abortable } from '../abortable.js';
import {
  distinct,
  PG_MAX_IDENTIFIER_BYTES,
  pickDataColumns,
  quoteDataColumns,
  quoteIdentifier,
  type SqlInsertData,
  type SqlTableOptions,
  type SqlRow,
} from './sql-shared.js';

export { postgresBus, type PostgresBus, type PostgresBusOptions, type PgPoolLike, type PgListenClient } from './postgres-bus.js';
export type { SqlInsertData, SqlRow, SqlTableOptions } from './sql-shared.js';

/**
 * What the store needs from pg: a parameterised `query`. A pg `Pool` (the usual
 * choice), a `Client` or a checked-out `PoolClient` all fit.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool: PgQueryable = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PgQueryable {
  /** Runs `text` with `$1…$n` bound to `values`. */
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

/**
 * Options of {@link postgresStore}.
 *
 * @example
 * ```ts
 * const options: PostgresStoreOptions = { pool, table: 'users', column: 'username', constraint: 'users_username_key' };
 * ```
 */
export interface PostgresStoreOptions extends SqlTableOptions {
  /** A pg `Pool` (or `Client`) the app created. The store never ends it. */
  pool: PgQueryable;
  /**
   * The table that holds the names. Quoted as an identifier: case and any `"`
   * or `.` in it are part of the name (use {@link PostgresStoreOptions.schema}
   * for a schema-qualified table).
   * @defaultValue `'usernames'`
   */
  table?: string;
  /**
   * The table's schema. Without it, the table is found through the
   * connection's `search_path`, like any unqualified name.
   * @defaultValue none (the `search_path`)
   */
  schema?: string;
  /**
   * When set, `isConflict` recognises only unique violations (SQLSTATE 23505)
   * of this named constraint, e.g. `'users_username_key'`. Set it when the
   * table has other unique columns that `insert` writes (see
   * {@link PostgresStoreOptions.columns}): a duplicate e-mail must not read as
   * a taken username.
   * @defaultValue any unique violation
   */
  constraint?: string;
  /**
   * Send one query at a time. A single connection (a pg `Client` or
   * `PoolClient`) runs one query at a time anyway: pg 8 queues concurrent
   * calls with a deprecation warning and pg 9 rejects them, while the core
   * issues checks and creates concurrently. A `Pool` spreads them over its
   * connections and needs no queue.
   * @defaultValue `true` unless `pool` looks like a pool (has `totalCount`, as pg's `Pool` does)
   */
  serializeQueries?: boolean;
}

/**
 * The store {@link postgresStore} returns: every optional method of
 * {@link UsernameStore}, plus {@link PostgresStore.ensureSchema}.
 *
 * `insert` resolves to the inserted row (`RETURNING *`), e.g.
 * `{ username: 'alice' }` for the table `ensureSchema` creates, or
 * `{ id: 7, username: 'alice', email: '…' }` on an app's `users` table.
 *
 * @example
 * ```ts
 * const store: PostgresStore = postgresStore({ pool });
 * await store.ensureSchema();
 * ```
 */
export interface PostgresStore extends UsernameStore<SqlInsertData, SqlRow> {
  /**
   * Creates the table if it is missing, as
   * `CREATE TABLE IF NOT EXISTS "usernames" ("username" text COLLATE "C" NOT NULL PRIMARY KEY)`,
   * then verifies that the column has a UNIQUE or PRIMARY KEY constraint (or
   * unique index) of its own; an existing table without one is rejected with
   * an error that says how to add it. Idempotent, and safe to run from several
   * processes at once.
   *
   * **Case-insensitivity.** The unique constraint compares bytes, on purpose:
   * the policy stores the *canonical* (case-folded, normalised) form, so equal
   * canonical forms are exactly "the same username". `COLLATE "C"` keeps the
   * index independent of the OS's locale library (a glibc upgrade cannot
   * reorder it) and makes `list`'s keyset walk cheap. If other writers put raw
   * spellings into a shared table, enforce it in the database instead: a
   * `citext` column, or `CREATE UNIQUE INDEX … ON users (lower(username))`
   * (then pass that index's name as `constraint`).
   *
   * Throws a `TypeError` when the `columns` option is set: a table with
   * columns of the app's own is the app's schema to create.
   */
  ensureSchema(): Promise<void>;
  existsMany(usernames: readonly string[], ctx?: StoreContext): Promise<Set<string>>;
  remove(username: string, ctx?: StoreContext): Promise<boolean>;
  list(ctx?: StoreContext): AsyncIterable<string>;
  /** Does nothing to the app's pool; present so that `names.close()` may call it. */
  close(): Promise<void>;
}

/**
 * A {@link UsernameStore} over PostgreSQL: the table's unique constraint
 * decides every create, and a duplicate surfaces as SQLSTATE 23505, which
 * `isConflict` recognises (also through wrapping errors' `cause`; only for
 * {@link PostgresStoreOptions.constraint} when that is set).
 *
 * Table and column names are quoted as identifiers; values are always bound
 * parameters (`$1`), so quotes, backslashes, `%` and `_` in names are data.
 *
 * **Abort.** pg cannot cancel one query of a pooled connection, so every
 * call checks its `signal` first and rejects with `signal.reason` if it is
 * aborted. A *read* (`exists`, `existsMany`, each page of `list`) that is
 * aborted while in flight rejects at once and its result is dropped when it
 * arrives. A *write* (`insert`, `remove`) that was sent waits for the
 * server's answer: reporting "aborted" for an insert that then commits would
 * hide a taken name from the caller. Bound the server side with pg's
 * `statement_timeout` / `query_timeout`.
 *
 * **Streaming.** `list` pages through the table by key
 * (`WHERE username > $1 ORDER BY username LIMIT 1000`), each page an ordinary
 * `pool.query`. It needs no dedicated connection, no transaction and no
 * pg-cursor, holds no connection while the consumer awaits, works over a
 * `Client` as well as a `Pool`, and each page is an index range scan.
 *
 * @param options - see {@link PostgresStoreOptions}.
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createUsernameAvailability } from 'username-availability';
 * import { postgresStore } from 'username-availability/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const store = postgresStore({ pool });
 * await store.ensureSchema();
 * const names = createUsernameAvailability({ store });
 * ```
 */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  const {
    pool,
    table = 'usernames',
    schema,
    column = 'username',
    constraint,
    columns = [],
    pageSize = 1000,
  } = options;
  if (!pool || typeof pool.query !== 'function') {
    throw new TypeError('postgresStore needs `pool`: a pg Pool or Client (anything with query(text, values)).');
  }
  const serializeQueries = options.serializeQueries ?? !('totalCount' in pool);
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new TypeError(`postgresStore's pageSize must be a positive integer; got ${String(pageSize)}.`);
  }
  const limit = { maxBytes: PG_MAX_IDENTIFIER_BYTES };
  const t =
    (schema === undefined ? '' : `${quoteIdentifier(schema, { ...limit, what: 'schema' })}.`) +
    quoteIdentifier(table, { ...limit, what: 'table' });
  const c = quoteIdentifier(column, { ...limit, what: 'column' });
  const dataColumns = quoteDataColumns(columns, column, limit);

  // One promise chain when the connection is single: each query starts when
  // the previous one settled (either way), so callers see their own results
  // and errors while the driver never has two queries in flight.
  let tail: Promise<unknown> = Promise.resolve();
  function query(text: string, values: unknown[] = []): ReturnType<PgQueryable['query']> {
    if (!serializeQueries) return pool.query(text, values);
    const result = tail.then(() => pool.query(text, values));
    tail = result.catch(() => {});
    return result;
  }

  const sql = {
    exists: `SELECT EXISTS (SELECT 1 FROM ${t} WHERE ${c} = $1) AS found`,
    // `= ANY($1)` lets PostgreSQL type the array after the column (text[],
    // varchar[], citext[]…): one round trip and one parameter for any count.
    existsMany: `SELECT ${c} AS name FROM ${t} WHERE ${c} = ANY($1)`,
    remove: `DELETE FROM ${t} WHERE ${c} = $1`,
    firstPage: `SELECT ${c} AS name FROM ${t} ORDER BY ${c} LIMIT $1`,
    nextPage: `SELECT ${c} AS name FROM ${t} WHERE ${c} > $1 ORDER BY ${c} LIMIT $2`,
  };

  async function hasOwnUniqueIndex(): Promise<boolean> {
    // A unique index (constraint-backed or not, partial or not) whose only key
    // column is ours. `to_regclass` resolves the quoted name exactly as our
    // queries do, search_path included.
    const { rows } = await query(
      `SELECT EXISTS (
         SELECT 1 FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indnkeyatts = 1 AND a.attname = $2
       ) AS ok`,
      [t, column],
    );
    return rows[0]?.ok === true;
  }

  return {
    async ensureSchema() {
      if (dataColumns.size > 0) {
        throw new TypeError(
          `ensureSchema() creates only the ${JSON.stringify(column)} column; with the columns option set, create table ${JSON.stringify(table)} yourself.`,
        );
      }
      try {
        await query(`CREATE TABLE IF NOT EXISTS ${t} (${c} text COLLATE "C" NOT NULL PRIMARY KEY)`);
      } catch (error) {
        // Two sessions running CREATE TABLE IF NOT EXISTS at once can both pass
        // the "not exists" test; the loser fails with 42P07 (duplicate_table)
        // or 23505 on the catalog's pg_type index. The table exists either way.
        const code = (error as { code?: unknown } | null)?.code;
        if (code !== '42P07' && code !== '23505') throw error;
      }
      if (!(await hasOwnUniqueIndex())) {
        throw new Error(
          `Table ${JSON.stringify(table)} exists but has no UNIQUE or PRIMARY KEY constraint on ${JSON.stringify(column)} alone, ` +
            `so two concurrent creates could both succeed. Add one: ALTER TABLE ${t} ADD UNIQUE (${c}).`,
        );
      }
    },

    async exists(username, ctx) {
      ctx?.signal?.throwIfAborted();
      const { rows } = await abortable(query(sql.exists, [username]), ctx?.signal);
      return rows[0]?.found === true;
    },

    async existsMany(usernames, ctx) {
      ctx?.signal?.throwIfAborted();
      const names = distinct(usernames);
      if (names.length === 0) return new Set();
      const { rows } = await abortable(query(sql.existsMany, [names]), ctx?.signal);
      return new Set(rows.map((row: { name: string }) => row.name));
    },

    async insert(username, data, ctx) {
      ctx?.signal?.throwIfAborted();
      const extra = pickDataColumns(data, dataColumns);
      const names = [c, ...extra.names.map((name) => dataColumns.get(name) as string)];
      const text = `INSERT INTO ${t} (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`;
      // Deliberately not `abortable`: see "Abort" above.
      const { rows } = await query(text, [username, ...extra.values]);
      return rows[0] as SqlRow;
    },

    isConflict(error) {
      return isPostgresUniqueViolation(error, constraint);
    },

    async remove(username, ctx) {
      ctx?.signal?.throwIfAborted();
      const { rowCount } = await query(sql.remove, [username]);
      return (rowCount ?? 0) > 0;
    },

    async *list(ctx) {
      // Keyset pagination rather than a server-side cursor: see "Streaming" in
      // the TSDoc above. A cursor (DECLARE … CURSOR in a transaction, FETCH
      // 1000) would give a snapshot, but it pins one pooled connection and an
      // open transaction for as long as the consumer takes between names, and
      // an abandoned iterator would leak both until garbage collection. Keyset
      // pages are independent: abandoning the loop leaves nothing open. Each
      // stored name is still yielded exactly once (keys strictly increase);
      // names inserted behind the cursor during the walk are not seen, which
      // invalidation covers.
      let after: string | undefined;
      for (;;) {
        ctx?.signal?.throwIfAborted();
        const { rows } = await abortable(
          after === undefined
            ? query(sql.firstPage, [pageSize])
            : query(sql.nextPage, [after, pageSize]),
          ctx?.signal,
        );
        for (const row of rows as { name: string }[]) {
          ctx?.signal?.throwIfAborted();
          yield row.name;
        }
        if (rows.length < pageSize) return;
        after = (rows[rows.length - 1] as { name: string }).name;
      }
    },

    async close() {
      // The pool belongs to the app.
    },
  };
}
