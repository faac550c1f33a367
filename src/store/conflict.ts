/**
 * Recognising a unique-constraint violation, whatever threw it.
 *
 * Drivers signal a duplicate key in their own way (a SQLSTATE, an errno, a
 * string code), and ORMs wrap the driver's error (Drizzle and Kysely put it in
 * `cause`), so every predicate here walks the `cause` chain and matches on
 * shape, never on `instanceof` of a driver class: the driver is an optional
 * peer dependency and may be a different copy than ours.
 */

/**
 * Thrown by stores that have no native conflict error of their own (the
 * in-memory store, Redis's `SET NX`): a unique-constraint violation.
 *
 * @example
 * ```ts
 * try { await store.insert('alice', data, {}); }
 * catch (error) { if (error instanceof UsernameConflictError) console.log(error.username); }
 * ```
 */
export class UsernameConflictError extends Error {
  /** Stable code, like a driver's `code`, for callers that match on shape. */
  readonly code = 'USERNAME_CONFLICT';
  constructor(readonly username: string, options?: { cause?: unknown }) {
    super(`The username "${username}" is already taken (unique constraint).`, options);
    this.name = 'UsernameConflictError';
  }
}

const MAX_CAUSE_DEPTH = 8;

/**
 * Yields `error`, then its `cause`, and so on (at most 8 deep, so a cyclic
 * chain cannot hang the caller).
 *
 * @example
 * ```ts
 * for (const e of causeChain(error)) console.log(e);
 * ```
 */
export function* causeChain(error: unknown): Generator<unknown> {
  let current = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current != null; depth++) {
    yield current;
    if (typeof current !== 'object') return;
    current = (current as { cause?: unknown }).cause;
  }
}

function field(error: unknown, key: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}

function someCause(error: unknown, match: (e: unknown) => boolean): boolean {
  for (const e of causeChain(error)) if (match(e)) return true;
  return false;
}

/**
 * PostgreSQL (pg, postgres.js, Neon…): SQLSTATE `23505`, optionally only for one
 * named constraint (so that a duplicate e-mail is not mistaken for a duplicate
 * username on a shared `users` table).
 *
 * @example
 * ```ts
 * isPostgresUniqueViolation(error, 'users_username_key');
 * ```
 */
export function isPostgresUniqueViolation(error: unknown, constraint?: string): boolean {
  return someCause(
    error,
    (e) => field(e, 'code') === '23505' && (constraint === undefined || field(e, 'constraint') === constraint),
  );
}

/**
 * SQLite (better-sqlite3's `code`, node:sqlite's extended `errcode`): a UNIQUE or
 * PRIMARY KEY constraint failed.
 *
 * @example
 * ```ts
 * isSqliteUniqueViolation(error); // SQLITE_CONSTRAINT_UNIQUE → true
 * ```
 */
export function isSqliteUniqueViolation(error: unknown): boolean {
  return someCause(error, (e) => {
    const code = field(e, 'code');
    const errcode = field(e, 'errcode');
    return (
      code === 'SQLITE_CONSTRAINT_UNIQUE' ||
      code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
      errcode === 2067 || // SQLITE_CONSTRAINT_UNIQUE
      errcode === 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
    );
  });
}

/**
 * MySQL and MariaDB (mysql2, mariadb): errno 1062, `ER_DUP_ENTRY`.
 *
 * @example
 * ```ts
 * isMysqlUniqueViolation(error);
 * ```
 */
export function isMysqlUniqueViolation(error: unknown): boolean {
  return someCause(error, (e) => field(e, 'errno') === 1062 || field(e, 'code') === 'ER_DUP_ENTRY');
}

/**
 * Prisma: `P2002` (unique constraint failed).
 *
 * @example
 * ```ts
 * isPrismaUniqueViolation(error);
 * ```
 */
export function isPrismaUniqueViolation(error: unknown): boolean {
  return someCause(error, (e) => field(e, 'code') === 'P2002');
}

/**
 * MongoDB: duplicate key, code `11000` (or the legacy `11001`).
 *
 * @example
 * ```ts
 * isMongoUniqueViolation(error);
 * ```
 */
export function isMongoUniqueViolation(error: unknown): boolean {
  return someCause(error, (e) => {
    const code = field(e, 'code');
    return code === 11000 || code === 11001;
  });
}

/**
 * Is this error a unique-constraint violation from any driver we know:
 * PostgreSQL, SQLite, MySQL/MariaDB, Prisma, MongoDB, or our own
 * {@link UsernameConflictError}? Walks the `cause` chain. Use it as
 * `isConflict` when `checkThenCreate` inserts through your own ORM.
 *
 * @example
 * ```ts
 * await names.checkThenCreate('alice', data, {
 *   create: (username) => db.insert(users).values({ username }),
 *   isConflict: isUniqueViolation,
 * });
 * ```
 */
export function isUniqueViolation(error: unknown): boolean {
  return (
    someCause(error, (e) => e instanceof UsernameConflictError || field(e, 'code') === 'USERNAME_CONFLICT') ||
    isPostgresUniqueViolation(error) ||
    isSqliteUniqueViolation(error) ||
    isMysqlUniqueViolation(error) ||
    isPrismaUniqueViolation(error) ||
    isMongoUniqueViolation(error)
  );
}
