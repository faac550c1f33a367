/**
 * SQLite store adapter over better-sqlite3: `username-availability/sqlite`.
 *
 * The app opens the database; this module only ever imports the driver's
 * *types*, so importing it never loads the native addon, and better-sqlite3
 * stays an optional peer dependency.
 *
 * @module
 */
import type BetterSqlite3 from 'better-sqlite3';
import { causeChain, isSqliteUniqueViolation } from '../store/conflict.js';
import type { StoreContext, UsernameStore } from '../store/types.js';
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
 * Options of {@link sqliteStore}. Values written through `columns` are bound
 * as parameters, so they must be what better-sqlite3 binds: string, number,
 * bigint, Buffer or null.
 *
 * @example
 * ```ts
 * const options: SqliteStoreOptions = { db, table: 'users', column: 'username', columns: ['email'] };
 * ```
 */
export interface SqliteStoreOptions extends SqlTableOptions {
  /** A better-sqlite3 `Database` the app opened (file or `:memory:`). The store never closes it. */
  db: BetterSqlite3.Database;
  /**
   * The table that holds the names. Any string: it is quoted as an identifier,
   * so `"` and `.` in it are part of the name, not SQL.
   * @defaultValue `'usernames'`
   */
  table?: string;
}

/**
 * The store {@link sqliteStore} returns: every optional method of
 * {@link UsernameStore}, plus {@link SqliteStore.ensureSchema}.
 *
 * `insert` resolves to the inserted row as SQLite returns it (`RETURNING *`),
 * e.g. `{ username: 'alice' }` for the table `ensureSchema` creates.
 *
 * @example
 * ```ts
 * const store: SqliteStore = sqliteStore({ db });
 * await store.ensureSchema();
 * ```
 */
export interface SqliteStore extends UsernameStore<SqlInsertData, SqlRow> {
  /**
   * Creates the table if it is missing, as
   * `CREATE TABLE IF NOT EXISTS "usernames" ("username" TEXT NOT NULL COLLATE BINARY PRIMARY KEY) WITHOUT ROWID`,
   * then verifies that the column has a UNIQUE or PRIMARY KEY constraint of
   * its own (an existing table without one is rejected with an error that
   * says how to add it). Idempotent.
   *
   * **Case-insensitivity.** The column compares with `BINARY` collation on
   * purpose: the policy stores the *canonical* (case-folded, normalised) form,
   * so byte equality of canonical forms is exactly "the same username".
   * `COLLATE NOCASE` would add nothing for canonical names and only folds
   * ASCII anyway. A table that other writers fill with raw spellings should
   * get a unique index on the expression the app normalises with, or store the
   * canonical form in its own column.
   *
   * Throws a `TypeError` when the `columns` option is set: a table with
   * columns of the app's own is the app's schema to create.
   */
  ensureSchema(): Promise<void>;
  existsMany(usernames: readonly string[], ctx?: StoreContext): Promise<Set<string>>;
  remove(username: string, ctx?: StoreContext): Promise<boolean>;
  list(ctx?: StoreContext): AsyncIterable<string>;
  /** Drops the store's cached statements. Does **not** close the app's database. */
  close(): Promise<void>;
}

// SQLite's bound-parameter limit is 32,766 since 3.32 (999 before). Chunks of
// at most 512 stay far below either, and rounding every chunk up to a power of
// two (padding with a repeated name, which `IN` ignores) means `existsMany`
// needs at most ten distinct prepared statements, whatever sizes it is asked.
const MAX_IN_CHUNK = 512;

function bucketSize(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/**
 * A {@link UsernameStore} over a better-sqlite3 database: the table's unique
 * constraint decides every create, and a duplicate surfaces as
 * `SQLITE_CONSTRAINT_PRIMARYKEY` / `SQLITE_CONSTRAINT_UNIQUE`, which
 * `isConflict` recognises (also through wrapping errors' `cause`).
 *
 * Table and column names are quoted as identifiers, values are always bound
 * parameters. Statements are prepared once, on first use.
 *
 * better-sqlite3 is synchronous, so a call cannot be interrupted: the
 * `signal` is checked before each call (and before each page and row of
 * `list`), and an aborted call rejects with `signal.reason`.
 *
 * @param options - see {@link SqliteStoreOptions}.
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import { createUsernameAvailability } from 'username-availability';
 * import { sqliteStore } from 'username-availability/sqlite';
 *
 * const store = sqliteStore({ db: new Database('app.db') });
 * await store.ensureSchema();
 * const names = createUsernameAvailability({ store });
 * ```
 */
export function sqliteStore(options: SqliteStoreOptions): SqliteStore {
  const { db, table = 'usernames', column = 'username', columns = [], pageSize = 1000 } = options;
  if (!db || typeof db.prepare !== 'function') {
    throw new TypeError('sqliteStore needs `db`: a better-sqlite3 Database that the app opened.');
  }
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new TypeError(`sqliteStore's pageSize must be a positive integer; got ${String(pageSize)}.`);
  }
  const t = quoteIdentifier(table, { what: 'table' });
  const c = quoteIdentifier(column, { what: 'column' });
  const dataColumns = quoteDataColumns(columns, column, {});
  // What SQLite names in "UNIQUE constraint failed: <table>.<column>, …".
  const conflictTarget = `${table}.${column}`;

  // Prepared lazily: preparing fails while the table does not exist yet, and
  // the app may call ensureSchema() after building the store.
  const statements = new Map<string, Statement>();
  function statement(key: string, sql: () => string, pluck = false): Statement {
    let stmt = statements.get(key);
    if (!stmt) {
      stmt = db.prepare(sql());
      if (pluck) stmt.pluck();
      statements.set(key, stmt);
    }
    return stmt;
  }

  function ownsConflict(error: unknown): boolean {
    for (const e of causeChain(error)) {
      if (typeof e !== 'object' || e === null) continue;
      const { code, errcode, message } = e as { code?: unknown; errcode?: unknown; message?: unknown };
      if (!isSqliteUniqueViolation({ code, errcode })) continue;
      // A shared table may have other unique columns (e-mail): SQLite names the
      // failing columns as "table.column" in the message, and a duplicate
      // e-mail is not a taken username. A message we cannot parse (an
      // expression index is named as "index 'x'") counts as a conflict.
      const failed = typeof message === 'string' ? /constraint failed: (.*)$/s.exec(message)?.[1] : undefined;
      if (failed === undefined || failed.startsWith('index ')) return true;
      return (
        failed === conflictTarget ||
        failed.startsWith(`${conflictTarget}, `) ||
        failed.endsWith(`, ${conflictTarget}`) ||
        failed.includes(`, ${conflictTarget}, `)
      );
    }
    return false;
  }

  function hasOwnUniqueIndex(): boolean {
    const indexes = db
      .prepare('SELECT name FROM pragma_index_list(?) WHERE "unique" = 1')
      .pluck()
      .all(table) as string[];
    for (const index of indexes) {
      const keyColumns = db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').pluck().all(index);
      if (keyColumns.length === 1 && keyColumns[0] === column) return true;
    }
    return false;
  }

  return {
    async ensureSchema() {
      if (dataColumns.size > 0) {
        throw new TypeError(
          `ensureSchema() creates only the ${JSON.stringify(column)} column; with the columns option set, create table ${JSON.stringify(table)} yourself.`,
        );
      }
      db.exec(`CREATE TABLE IF NOT EXISTS ${t} (${c} TEXT NOT NULL COLLATE BINARY PRIMARY KEY) WITHOUT ROWID`);
      if (!hasOwnUniqueIndex()) {
        throw new Error(
          `Table ${JSON.stringify(table)} exists but has no UNIQUE or PRIMARY KEY constraint on ${JSON.stringify(column)} alone, ` +
            `so two concurrent creates could both succeed. Add one: CREATE UNIQUE INDEX … ON ${t} (${c}).`,
        );
      }
    },

    async exists(username, ctx) {
      ctx?.signal?.throwIfAborted();
      const stmt = statement('exists', () => `SELECT 1 FROM ${t} WHERE ${c} = ? LIMIT 1`, true);
      return stmt.get(username) !== undefined;
    },

    async existsMany(usernames, ctx) {
      const found = new Set<string>();
      const names = distinct(usernames);
      for (let start = 0; start < names.length; start += MAX_IN_CHUNK) {
        ctx?.signal?.throwIfAborted();
        const chunk = names.slice(start, start + MAX_IN_CHUNK);
        const size = bucketSize(chunk.length);
        const last = chunk[chunk.length - 1];
        while (chunk.length < size) chunk.push(last as string);
        const stmt = statement(
          `existsMany:${size}`,
          () => `SELECT ${c} FROM ${t} WHERE ${c} IN (${new Array(size).fill('?').join(', ')})`,
          true,
        );
        for (const name of stmt.all(...chunk) as string[]) found.add(name);
      }
      return found;
    },

    async insert(username, data, ctx) {
      ctx?.signal?.throwIfAborted();
      const extra = pickDataColumns(data, dataColumns);
      const stmt = statement(`insert:${extra.names.join('\0')}`, () => {
        const names = [c, ...extra.names.map((name) => dataColumns.get(name) as string)];
        return `INSERT INTO ${t} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) RETURNING *`;
      });
      return stmt.get(username, ...extra.values) as SqlRow;
    },

    isConflict: ownsConflict,

    async remove(username, ctx) {
      ctx?.signal?.throwIfAborted();
      const stmt = statement('remove', () => `DELETE FROM ${t} WHERE ${c} = ?`);
      return stmt.run(username).changes > 0;
    },

    async *list(ctx) {
      // Keyset pagination, one page at a time, each page read to the end
      // before anything is yielded. Why not one `stmt.iterate()` over the
      // whole table: an open iterator keeps the connection busy, and
      // better-sqlite3 then refuses every other statement on it ("This
      // database connection is busy executing a query"). The consumer of this
      // generator awaits between names (warm() feeds a Bloom filter, the app
      // keeps serving checks and creates on the same `db`), so a statement held
      // open across a `yield` would break the app's own queries. A page is
      // read synchronously and the statement is reset before the first yield.
      //
      // `> last ORDER BY column` walks the unique index, so each page costs a
      // seek, and each stored name is yielded exactly once even while rows are
      // inserted or removed during the walk (names inserted behind the cursor
      // are not seen, which the invalidation path covers).
      const first = statement('list:first', () => `SELECT ${c} FROM ${t} ORDER BY ${c} LIMIT ?`, true);
      const next = statement('list:next', () => `SELECT ${c} FROM ${t} WHERE ${c} > ? ORDER BY ${c} LIMIT ?`, true);
      let after: string | undefined;
      for (;;) {
        ctx?.signal?.throwIfAborted();
        const page = (after === undefined ? first.all(pageSize) : next.all(after, pageSize)) as string[];
        for (const name of page) {
          ctx?.signal?.throwIfAborted();
          yield name;
        }
        if (page.length < pageSize) return;
        after = page[page.length - 1];
      }
    },

    async close() {
      // The database belongs to the app; only forget our statements.
      statements.clear();
    },
  };
}
