/**
 * MySQL and MariaDB store adapter over mysql2: `username-availability/mysql`.
 *
 * Nothing here loads mysql2: the adapter is written against the small
 * structural shape {@link MysqlQueryable}, which mysql2/promise's `Pool`,
 * `Connection` and `PoolConnection` satisfy.
 *
 * @module
 */
import { causeChain, isMysqlUniqueViolation } from '../store/conflict.js';
import type { StoreContext, UsernameStore } from '../store/types.js';
import { abortable } from '../abortable.js';
import {
  distinct,
  pickDataColumns,
  quoteDataColumns,
  quoteIdentifier,
  type SqlInsertData,
  type SqlTableOptions,
  type SqlRow,
} from './sql-shared.js';

export type { SqlInsertData, SqlRow, SqlTableOptions } from './sql-shared.js';

/**
 * What the store needs from mysql2/promise: `execute` (a server-side prepared
 * statement with `?` placeholders) and `query` (for DDL). A `Pool` (the usual
 * choice), a `Connection` or a checked-out `PoolConnection` all fit.
 *
 * @example
 * ```ts
 * import mysql from 'mysql2/promise';
 * const pool: MysqlQueryable = mysql.createPool({ uri: process.env.DATABASE_URL });
 * ```
 */
export interface MysqlQueryable {
  /** Prepares `sql` (once per connection) and executes it with `values` bound to its `?`s. */
  execute(sql: string, values?: any): Promise<[any, any]>;
  /** Runs `sql` over the text protocol. */
  query(sql: string, values?: any): Promise<[any, any]>;
}

/**
 * Options of {@link mysqlStore}.
 *
 * @example
 * ```ts
 * const options: MysqlStoreOptions = { pool, table: 'users', column: 'username', columns: ['email'] };
 * ```
 */
export interface MysqlStoreOptions extends SqlTableOptions {
  /**
   * A mysql2/promise `Pool` (or `Connection`) the app created, with a utf8mb4
   * connection charset (mysql2's default). The store never ends it.
   */
  pool: MysqlQueryable;
  /**
   * The table that holds the names. Quoted as an identifier: any `` ` `` or
   * `.` in it is part of the name (use {@link MysqlStoreOptions.database} for
   * a table in another database).
   * @defaultValue `'usernames'`
   */
  table?: string;
  /**
   * The database (schema) of the table.
   * @defaultValue none (the connection's current database)
   */
  database?: string;
  /**
   * When set, `isConflict` recognises only duplicates of this unique index,
   * by name: `'PRIMARY'`, or e.g. `'username'` for `UNIQUE (username)`. Set it
   * when the table has other unique columns that `insert` writes (see
   * {@link MysqlStoreOptions.columns}): a duplicate e-mail must not read as a
   * taken username. MySQL names the key only in the error *message*
   * (`Duplicate entry '…' for key 'users.username'`), so this needs the
   * server's English messages (`lc_messages`, English by default).
   * @defaultValue any duplicate entry (errno 1062)
   */
  key?: string;
}

/**
 * The store {@link mysqlStore} returns: every optional method of
 * {@link UsernameStore}, plus {@link MysqlStore.ensureSchema}.
 *
 * `insert` resolves to the row it wrote, keyed by column name:
 * `{ username: 'alice' }`, or `{ username: 'alice', email: '…' }` with
 * `columns: ['email']`. MySQL has no `RETURNING`, so column defaults and
 * `AUTO_INCREMENT` ids are not in it.
 *
 * @example
 * ```ts
 * const store: MysqlStore = mysqlStore({ pool });
 * await store.ensureSchema();
 * ```
 */
export interface MysqlStore extends UsernameStore<SqlInsertData, SqlRow> {
  /**
   * Creates the table if it is missing, as
   * ``CREATE TABLE IF NOT EXISTS `usernames` (`username` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NOT NULL PRIMARY KEY)``,
   * then verifies that the column has a UNIQUE or PRIMARY KEY index of its
   * own (over the whole column, not a prefix); an existing table without one
   * is rejected with an error that says how to add it. Idempotent.
   *
   * **Collation.** The unique index compares bytes, on purpose: the policy
   * stores the *canonical* (case-folded, normalised) form, so equal canonical
   * forms are exactly "the same username". MySQL's and MariaDB's default
   * collations (`utf8mb4_general_ci`, `utf8mb4_0900_ai_ci`…) are case- *and
   * accent*-insensitive, so `'resume'` and `'résumé'`, two distinct canonical
   * names, would collide; and even `utf8mb4_bin` is PAD SPACE on MariaDB and
   * MySQL 5.7, where `'a'` equals `'a '`. So the column gets the binary
   * NO PAD collation: `utf8mb4_0900_bin` on MySQL 8.0.17+, `utf8mb4_nopad_bin`
   * on MariaDB (`utf8mb4_bin` only where neither exists). A table the app
   * created keeps its own collation; a case-insensitive one is stricter than
   * needed (more names collide), never less safe.
   *
   * **Size.** `VARCHAR(255)` counts characters, so any name of up to 255
   * characters fits (255 bytes of UTF-8 always do). The key is then up to
   * 1,020 bytes: fine for InnoDB's DYNAMIC row format (the default since
   * MySQL 5.7.9 and MariaDB 10.2.2; its limit is 3,072 bytes).
   *
   * Throws a `TypeError` when the `columns` option is set: a table with
   * columns of the app's own is the app's schema to create.
   */
  ensureSchema(): Promise<void>;
  /** Resolves `true` when a row holds `username` (compared with the column's collation). */
  exists(username: string, ctx?: StoreContext): Promise<boolean>;
  /** `INSERT`; throws mysql2's `ER_DUP_ENTRY` (errno 1062) when the name is taken. */
  insert(username: string, data: SqlInsertData, ctx?: StoreContext): Promise<SqlRow>;
  /** Recognises errno 1062 / `ER_DUP_ENTRY`, also through wrapping errors' `cause`. */
  isConflict(error: unknown): boolean;
  /** Which of `usernames` are stored (as `exists` would say), in one round trip per 256 distinct names. */
  existsMany(usernames: readonly string[], ctx?: StoreContext): Promise<Set<string>>;
  /** `DELETE`; `true` when a row was removed. */
  remove(username: string, ctx?: StoreContext): Promise<boolean>;
  /** Every stored name once, in the column's order, {@link MysqlStoreOptions.pageSize} per query. */
  list(ctx?: StoreContext): AsyncIterable<string>;
  /** Does nothing to the app's pool; present so that `names.close()` may call it. */
  close(): Promise<void>;
}

/** Names per `existsMany` statement. */
const MANY_CHUNK = 256;

/**
 * Collations for the column `ensureSchema` creates, best first: binary
 * (case-, accent- and width-sensitive) and NO PAD (trailing spaces count).
 */
const BINARY_COLLATIONS = ['utf8mb4_0900_bin', 'utf8mb4_nopad_bin'] as const;

/** mysql2 returns `VARCHAR` as a string, `VARBINARY` as a Buffer. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return String(value);
}

/**
 * The index a duplicate-entry error names at the end of its message: MariaDB
 * and MySQL 5.7 say `for key 'username'`, MySQL 8.0.19+ `for key 'users.username'`.
 */
function duplicateKeyName(error: unknown): string | undefined {
  const message = (error as { sqlMessage?: unknown; message?: unknown }).sqlMessage ?? (error as { message?: unknown }).message;
  if (typeof message !== 'string') return undefined;
  const match = / for key '([^']*)'$/.exec(message);
  return match?.[1];
}

/**
 * A {@link UsernameStore} over MySQL or MariaDB: the table's unique index
 * decides every create, and a duplicate surfaces as errno 1062
 * (`ER_DUP_ENTRY`), which `isConflict` recognises (also through wrapping
 * errors' `cause`).
 *
 * Table and column names are quoted with backticks; values are always bound
 * parameters of server-side prepared statements (`pool.execute`), never
 * escaped into SQL text, so quotes, backslashes, `%` and `_` in names are data
 * whatever the server's `sql_mode` (client-side escaping goes wrong under
 * `NO_BACKSLASH_ESCAPES`).
 *
 * **Case-insensitivity** is the policy's job: it stores the canonical form,
 * and the column `ensureSchema` creates compares bytes (see
 * {@link MysqlStore.ensureSchema} on collations).
 *
 * **Abort.** mysql2 cannot cancel a query once sent (short of `KILL QUERY`
 * from another connection), so every call checks its `signal` first and
 * rejects with `signal.reason` if it is aborted. A *read* (`exists`,
 * `existsMany`, each page of `list`) that is aborted while in flight rejects
 * at once and its result is dropped when it arrives. A *write* (`insert`,
 * `remove`) that was sent waits for the server's answer: reporting "aborted"
 * for an insert that then commits would hide a taken name from the caller.
 * Bound the server side with mysql2's per-query `timeout` or
 * `max_execution_time`.
 *
 * **Streaming.** `list` pages through the table by key
 * (`` WHERE `username` > ? ORDER BY `username` LIMIT 1000 ``); see the comment
 * in the source for why not mysql2's `.stream()`.
 *
 * @param options - see {@link MysqlStoreOptions}.
 * @example
 * ```ts
 * import mysql from 'mysql2/promise';
 * import { createUsernameAvailability } from 'username-availability';
 * import { mysqlStore } from 'username-availability/mysql';
 *
 * const pool = mysql.createPool({ uri: process.env.DATABASE_URL });
 * const store = mysqlStore({ pool });
 * await store.ensureSchema();
 * const names = createUsernameAvailability({ store });
 * ```
 */
export function mysqlStore(options: MysqlStoreOptions): MysqlStore {
  const { pool, table = 'usernames', database, column = 'username', key, columns = [], pageSize = 1000 } = options;
  if (!pool || typeof pool.execute !== 'function' || typeof pool.query !== 'function') {
    throw new TypeError('mysqlStore needs `pool`: a mysql2/promise Pool or Connection (anything with execute() and query()).');
  }
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new TypeError(`mysqlStore's pageSize must be a positive integer; got ${String(pageSize)}.`);
  }
  const quote = { quote: '`' } as const;
  const t =
    (database === undefined ? '' : `${quoteIdentifier(database, { ...quote, what: 'database' })}.`) +
    quoteIdentifier(table, { ...quote, what: 'table' });
  const c = quoteIdentifier(column, { ...quote, what: 'column' });
  const dataColumns = quoteDataColumns(columns, column, quote);

  const sql = {
    exists: `SELECT 1 FROM ${t} WHERE ${c} = ? LIMIT 1`,
    remove: `DELETE FROM ${t} WHERE ${c} = ?`,
    // LIMIT is a literal (a validated integer): MySQL 8.0.22+ rejects a string-typed `LIMIT ?`.
    firstPage: `SELECT ${c} AS name FROM ${t} ORDER BY ${c} LIMIT ${pageSize}`,
    nextPage: `SELECT ${c} AS name FROM ${t} WHERE ${c} > ? ORDER BY ${c} LIMIT ${pageSize}`,
  };

  // `existsMany` must agree with `exists`, which compares with the column's
  // collation. On a binary NO PAD column (what ensureSchema creates) equal
  // means byte-equal, so `SELECT c FROM t WHERE c IN (?, …)` answers with
  // exactly the names asked. Under any other collation (the default on an
  // app's own `users` table is case- and accent-insensitive) IN returns the
  // *stored* spelling: the stored 'resume' answers for the asked 'résumé', and
  // matching rows back to the question in JavaScript would disagree with
  // `exists`. There, each name gets its own point lookup, joined by UNION ALL
  // and answering with the name's index:
  //   SELECT 0 AS i FROM t WHERE c = ? UNION ALL SELECT 1 FROM t WHERE c = ? …
  // which is exactly `exists`'s comparison (and about half as fast). The
  // column's collation is looked up once. Statements are padded to a power of
  // two (repeating the last name) so that a connection prepares at most
  // log2(256) + 1 = 9 shapes, not one per list length.
  let exactCompare: Promise<boolean> | undefined;
  function columnComparesBytes(): Promise<boolean> {
    exactCompare ??= pool
      .execute(
        `SELECT COLLATION_NAME AS col, DATA_TYPE AS type FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND COLUMN_NAME = ?`,
        [database ?? null, table, column],
      )
      .then(([rows]) => {
        const [info] = rows as { col: unknown; type: unknown }[];
        if (info === undefined) return false; // not found (a view? no privilege?): take the safe path
        const type = text(info.type).toLowerCase();
        if (type === 'varbinary' || type === 'binary') return false; // BINARY pads with NUL bytes
        return (BINARY_COLLATIONS as readonly string[]).includes(text(info.col));
      })
      .catch((error: unknown) => {
        exactCompare = undefined; // retry next time
        throw error;
      });
    return exactCompare;
  }
  const manySql = new Map<string, string>();
  function existsManySql(exact: boolean, size: number): string {
    const cacheKey = `${exact}:${size}`;
    let statement = manySql.get(cacheKey);
    if (statement === undefined) {
      statement = exact
        ? `SELECT ${c} AS name FROM ${t} WHERE ${c} IN (${Array.from({ length: size }, () => '?').join(', ')})`
        : Array.from({ length: size }, (_, i) => `SELECT ${i} AS i FROM ${t} WHERE ${c} = ?`).join(' UNION ALL ');
      manySql.set(cacheKey, statement);
    }
    return statement;
  }

  async function collationForNewTable(): Promise<string> {
    const [rows] = await pool.execute(
      `SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN (${BINARY_COLLATIONS.map(() => '?').join(', ')})`,
      [...BINARY_COLLATIONS],
    );
    const available = new Set((rows as { name: unknown }[]).map((row) => text(row.name)));
    return BINARY_COLLATIONS.find((name) => available.has(name)) ?? 'utf8mb4_bin';
  }

  async function hasOwnUniqueIndex(): Promise<boolean> {
    // A unique index (PRIMARY KEY or UNIQUE) whose one and only key part is
    // the whole of our column: a prefix index (`username(10)`) would make
    // names that share ten characters collide.
    const [rows] = await pool.execute(
      `SELECT INDEX_NAME FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND NON_UNIQUE = 0
        GROUP BY INDEX_NAME
       HAVING COUNT(*) = 1 AND MAX(COLUMN_NAME) = ? AND MAX(SUB_PART) IS NULL`,
      [database ?? null, table, column],
    );
    return (rows as unknown[]).length > 0;
  }

  return {
    async ensureSchema() {
      if (dataColumns.size > 0) {
        throw new TypeError(
          `ensureSchema() creates only the ${JSON.stringify(column)} column; with the columns option set, create table ${JSON.stringify(table)} yourself.`,
        );
      }
      const collation = await collationForNewTable();
      // IF NOT EXISTS is atomic under MySQL's metadata lock: concurrent runs
      // from several processes all succeed (the losers get a note, not an error).
      await pool.query(
        `CREATE TABLE IF NOT EXISTS ${t} (${c} VARCHAR(255) CHARACTER SET utf8mb4 COLLATE ${collation} NOT NULL, PRIMARY KEY (${c})) ` +
          `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${collation} ROW_FORMAT=DYNAMIC`,
      );
      if (!(await hasOwnUniqueIndex())) {
        throw new Error(
          `Table ${JSON.stringify(table)} exists but has no UNIQUE or PRIMARY KEY index on the whole of ${JSON.stringify(column)} alone, ` +
            `so two concurrent creates could both succeed. Add one: ALTER TABLE ${t} ADD UNIQUE (${c}).`,
        );
      }
    },

    async exists(username, ctx) {
      ctx?.signal?.throwIfAborted();
      const [rows] = await abortable(pool.execute(sql.exists, [username]), ctx?.signal);
      return (rows as unknown[]).length > 0;
    },

    async existsMany(usernames, ctx) {
      const names = distinct(usernames);
      const found = new Set<string>();
      if (names.length === 0) return found;
      ctx?.signal?.throwIfAborted();
      const exact = await abortable(columnComparesBytes(), ctx?.signal);
      for (let start = 0; start < names.length; start += MANY_CHUNK) {
        ctx?.signal?.throwIfAborted();
        const chunk = names.slice(start, start + MANY_CHUNK);
        let size = 1;
        while (size < chunk.length) size *= 2;
        const values = Array.from({ length: size }, (_, i) => chunk[Math.min(i, chunk.length - 1)]);
        const [rows] = await abortable(pool.execute(existsManySql(exact, size), values), ctx?.signal);
        if (exact) {
          for (const row of rows as { name: unknown }[]) found.add(text(row.name));
        } else {
          for (const row of rows as { i: unknown }[]) {
            const name = chunk[Number(row.i)];
            if (name !== undefined) found.add(name); // padding indices point past the chunk
          }
        }
      }
      return found;
    },

    async insert(username, data, ctx) {
      ctx?.signal?.throwIfAborted();
      const extra = pickDataColumns(data, dataColumns);
      const names = [c, ...extra.names.map((name) => dataColumns.get(name) as string)];
      const statement = `INSERT INTO ${t} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`;
      // Deliberately not `abortable`: see "Abort" above.
      await pool.execute(statement, [username, ...extra.values]);
      const row: SqlRow = { [column]: username };
      extra.names.forEach((name, i) => {
        row[name] = extra.values[i];
      });
      return row;
    },

    isConflict(error) {
      if (key === undefined) return isMysqlUniqueViolation(error);
      for (const e of causeChain(error)) {
        if (!isMysqlUniqueViolation(e)) continue;
        const named = duplicateKeyName(e);
        if (named === key || named?.endsWith(`.${key}`)) return true;
      }
      return false;
    },

    async remove(username, ctx) {
      ctx?.signal?.throwIfAborted();
      const [result] = await pool.execute(sql.remove, [username]);
      return Number((result as { affectedRows?: unknown }).affectedRows ?? 0) > 0;
    },

    async *list(ctx) {
      // Keyset pagination rather than mysql2's `.stream()`. A streaming query
      // holds one pooled connection for the whole walk, and while the consumer
      // is slow (warm() feeding a Bloom filter, or an iterator the caller
      // abandoned) the server is blocked writing the result set until
      // net_write_timeout kills it; it also needs mysql2's callback API, not the
      // promise pool the app gave us. Keyset pages are short, independent
      // queries (an index range scan each, no OFFSET to skip): nothing is held
      // between pages, abandoning the loop leaves nothing open, and a Pool and
      // a single Connection work alike. The column's unique index orders the
      // rows totally under its own collation, so every name stored for the
      // whole walk is yielded exactly once; names inserted behind the cursor
      // during the walk are not seen, which invalidation covers.
      let after: unknown;
      let first = true;
      for (;;) {
        ctx?.signal?.throwIfAborted();
        const [rows] = await abortable(
          first ? pool.execute(sql.firstPage) : pool.execute(sql.nextPage, [after]),
          ctx?.signal,
        );
        first = false;
        const page = rows as { name: unknown }[];
        for (const row of page) {
          ctx?.signal?.throwIfAborted();
          yield text(row.name);
        }
        if (page.length < pageSize) return;
        // The raw value (a Buffer for a binary column) is the cursor, so that
        // the next page compares exactly what the database returned.
        after = page[page.length - 1]!.name;
      }
    },

    async close() {
      // The pool belongs to the app.
    },
  };
}
