/**
 * Helpers shared by the SQL adapters (SQLite, PostgreSQL, MySQL). Private to
 * the package: not re-exported from any subpath.
 *
 * Table and column names come from the app's configuration, not from users,
 * but they still go through {@link quoteIdentifier}: a `"` in a configured name
 * must produce a strange identifier, never a second statement. Values are
 * always bound parameters; nothing here ever splices a value into SQL text.
 *
 * @internal
 * @module
 */

/** How {@link quoteIdentifier} quotes. @internal */
export interface QuoteIdentifierOptions {
  /** The dialect's identifier quote: `"` (SQL standard, SQLite, PostgreSQL) or `` ` `` (MySQL). @defaultValue `'"'` */
  quote?: '"' | '`';
  /** Longest identifier in UTF-8 bytes that the database keeps without truncating (PostgreSQL: 63, MySQL: 64). @defaultValue no limit */
  maxBytes?: number;
  /** What the name is, for the error message (`'table'`, `'column'`…). @defaultValue `'identifier'` */
  what?: string;
}

// In a `u` regex a surrogate range matches only surrogates that are not half of a pair.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const utf8 = new TextEncoder();

/**
 * Quotes one identifier (a table, column, constraint or channel name) for
 * splicing into SQL text: wraps it in the dialect's quote character and
 * doubles any quote character inside it, which is the standard escape in
 * every dialect we support. Rejects names that no quoting can make safe or
 * faithful: empty, containing NUL, not well-formed UTF-16 (lone surrogates
 * would be mangled on the way to UTF-8), or longer than the database keeps
 * (PostgreSQL silently truncates at 63 bytes, so two long names could collide).
 *
 * @internal
 * @example
 * ```ts
 * quoteIdentifier('user"s');                 // → "user""s"
 * quoteIdentifier('users', { quote: '`' });  // → `users`
 * ```
 */
export function quoteIdentifier(name: string, options: QuoteIdentifierOptions = {}): string {
  const { quote = '"', maxBytes, what = 'identifier' } = options;
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`The ${what} name must be a non-empty string; got ${JSON.stringify(name)}.`);
  }
  if (name.includes('\0')) {
    throw new TypeError(`The ${what} name ${JSON.stringify(name)} contains a NUL character, which no database accepts in an identifier.`);
  }
  if (LONE_SURROGATE.test(name)) {
    throw new TypeError(`The ${what} name ${JSON.stringify(name)} contains a lone surrogate and cannot be encoded as UTF-8.`);
  }
  if (maxBytes !== undefined && utf8.encode(name).length > maxBytes) {
    throw new TypeError(
      `The ${what} name ${JSON.stringify(name)} is longer than ${maxBytes} bytes; the database would truncate it silently.`,
    );
  }
  return quote + name.split(quote).join(quote + quote) + quote;
}

/** PostgreSQL keeps identifiers up to NAMEDATALEN - 1 = 63 bytes and silently truncates longer ones. @internal */
export const PG_MAX_IDENTIFIER_BYTES = 63;

/**
 * Options every SQL adapter shares, besides its connection and `table`.
 *
 * @example
 * ```ts
 * const shared: SqlTableOptions = { column: 'handle', columns: ['email'], pageSize: 5_000 };
 * ```
 */
export interface SqlTableOptions {
  /**
   * The column holding the canonical username. It must carry a UNIQUE or
   * PRIMARY KEY constraint of its own: that constraint is what makes creates
   * race-free, and each adapter's `ensureSchema()` verifies it.
   * @defaultValue `'username'`
   */
  column?: string;
  /**
   * Extra columns that `insert(username, data)` may write, taken from the
   * same-named keys of `data` (an allow-list: other keys of `data` are
   * ignored, so a request body passed as `data` cannot set `is_admin`).
   * `undefined` values are left out so that column defaults apply. With the
   * default, `data` is ignored and only the username is written.
   * @defaultValue `[]`
   */
  columns?: readonly string[];
  /**
   * Rows per page when the store's `list()` walks the table (keyset
   * pagination: one page in memory at a time).
   * @defaultValue `1000`
   */
  pageSize?: number;
}

/**
 * The extra values an SQL adapter's `insert` writes next to the username, keyed
 * by column name. Only the columns listed in the adapter's `columns` option are
 * read; `undefined` values are left out so that the column's DEFAULT applies.
 *
 * @example
 * ```ts
 * const data: SqlInsertData = { email: 'alice@example.com', display_name: 'Alice' };
 * ```
 */
export type SqlInsertData = Readonly<Record<string, unknown>> | null | undefined;

/**
 * A row as the database returned it (`RETURNING *`), keyed by column name.
 *
 * @example
 * ```ts
 * const row: SqlRow = { username: 'alice', email: 'alice@example.com' };
 * ```
 */
export type SqlRow = Record<string, unknown>;

/**
 * Validates the `columns` option and returns the quoted names, in order.
 *
 * @internal
 */
export function quoteDataColumns(
  columns: readonly string[],
  usernameColumn: string,
  options: Omit<QuoteIdentifierOptions, 'what'>,
): Map<string, string> {
  const quoted = new Map<string, string>();
  for (const name of columns) {
    if (name === usernameColumn) {
      throw new TypeError(`The columns option must not list the username column ${JSON.stringify(name)}; it is always written.`);
    }
    if (quoted.has(name)) throw new TypeError(`The columns option lists ${JSON.stringify(name)} twice.`);
    quoted.set(name, quoteIdentifier(name, { ...options, what: 'column' }));
  }
  return quoted;
}

/**
 * Picks the configured extra columns out of `data`: the names (in the order of
 * the `columns` option) whose value is not `undefined`, and those values.
 * Keys of `data` that are not configured are ignored, never written: `data`
 * may well be a request body, and an allow-list is what stops it from setting
 * `is_admin`.
 *
 * @internal
 */
export function pickDataColumns(
  data: unknown,
  columns: ReadonlyMap<string, string>,
): { names: string[]; values: unknown[] } {
  const names: string[] = [];
  const values: unknown[] = [];
  if (columns.size === 0 || data === undefined || data === null) return { names, values };
  if (typeof data !== 'object') {
    throw new TypeError(
      `insert() needs an object of column values when the columns option is set; got ${typeof data} ${JSON.stringify(data)}.`,
    );
  }
  for (const name of columns.keys()) {
    if (!Object.hasOwn(data, name)) continue;
    const value = (data as Record<string, unknown>)[name];
    if (value === undefined) continue;
    names.push(name);
    values.push(value);
  }
  return { names, values };
}

/** Distinct values of `items`, in first-seen order. @internal */
export function distinct(items: readonly string[]): string[] {
  return [...new Set(items)];
}
