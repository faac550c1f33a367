import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  causeChain,
  isMongoUniqueViolation,
  isMysqlUniqueViolation,
  isPostgresUniqueViolation,
  isPrismaUniqueViolation,
  isSqliteUniqueViolation,
  isUniqueViolation,
  UsernameConflictError,
} from '../src/store/conflict.js';
import { requireService } from './support/services.js';

const mysqlUrl = await requireService('mysql');
const pgUrl = await requireService('postgres');

/** Builds an Error carrying the driver's fields, the way each driver does. */
function driverError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

// The shapes the drivers really throw (fields copied from their error classes).
const shapes = {
  pg: driverError('duplicate key value violates unique constraint "users_username_key"', {
    name: 'error',
    severity: 'ERROR',
    code: '23505',
    detail: 'Key (username)=(alice) already exists.',
    schema: 'public',
    table: 'users',
    constraint: 'users_username_key',
  }),
  postgresJs: driverError('duplicate key value violates unique constraint "usernames_pkey"', {
    name: 'PostgresError',
    code: '23505',
    constraint_name: 'usernames_pkey', // postgres.js spells it differently…
    constraint: 'usernames_pkey', // …and Neon/pg spell it like this
  }),
  betterSqliteUnique: driverError('UNIQUE constraint failed: usernames.username', {
    name: 'SqliteError',
    code: 'SQLITE_CONSTRAINT_UNIQUE',
  }),
  betterSqlitePk: driverError('UNIQUE constraint failed: usernames.username', {
    name: 'SqliteError',
    code: 'SQLITE_CONSTRAINT_PRIMARYKEY',
  }),
  nodeSqlite: driverError('UNIQUE constraint failed: usernames.username', {
    code: 'ERR_SQLITE_ERROR',
    errcode: 2067,
    errstr: 'constraint failed',
  }),
  nodeSqlitePk: driverError('UNIQUE constraint failed: usernames.username', { code: 'ERR_SQLITE_ERROR', errcode: 1555 }),
  mysql2: driverError("Duplicate entry 'alice' for key 'PRIMARY'", {
    code: 'ER_DUP_ENTRY',
    errno: 1062,
    sqlState: '23000',
    sqlMessage: "Duplicate entry 'alice' for key 'PRIMARY'",
  }),
  mariadbConnector: driverError("(conn=12, no: 1062, SQLState: 23000) Duplicate entry 'alice' for key 'PRIMARY'", {
    errno: 1062,
    sqlState: '23000',
    code: 'ER_DUP_ENTRY',
  }),
  prisma: driverError('Unique constraint failed on the fields: (`username`)', {
    name: 'PrismaClientKnownRequestError',
    code: 'P2002',
    clientVersion: '6.0.0',
    meta: { target: ['username'] },
  }),
  mongo: driverError('E11000 duplicate key error collection: app.users index: username_1 dup key', {
    name: 'MongoServerError',
    code: 11000,
    keyPattern: { username: 1 },
    keyValue: { username: 'alice' },
  }),
  mongoLegacy: driverError('E11001 duplicate key on update', { name: 'MongoError', code: 11001 }),
  own: new UsernameConflictError('alice'),
} as const;

type ShapeName = keyof typeof shapes;

const predicates: Record<string, { fn: (e: unknown) => boolean; matches: ShapeName[] }> = {
  isPostgresUniqueViolation: { fn: (e) => isPostgresUniqueViolation(e), matches: ['pg', 'postgresJs'] },
  isSqliteUniqueViolation: {
    fn: isSqliteUniqueViolation,
    matches: ['betterSqliteUnique', 'betterSqlitePk', 'nodeSqlite', 'nodeSqlitePk'],
  },
  isMysqlUniqueViolation: { fn: isMysqlUniqueViolation, matches: ['mysql2', 'mariadbConnector'] },
  isPrismaUniqueViolation: { fn: isPrismaUniqueViolation, matches: ['prisma'] },
  isMongoUniqueViolation: { fn: isMongoUniqueViolation, matches: ['mongo', 'mongoLegacy'] },
};

// Errors that sit right next to a unique violation and must not be taken for one.
const nearMisses: Record<string, unknown> = {
  pgForeignKey: driverError('violates foreign key constraint', { code: '23503' }),
  pgNotNull: driverError('null value in column', { code: '23502' }),
  pgNumericCode: driverError('numeric code', { code: 23505 }),
  pgConnection: driverError('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED', errno: -111 }),
  sqliteNotNull: driverError('NOT NULL constraint failed', { code: 'SQLITE_CONSTRAINT_NOTNULL' }),
  sqliteForeignKey: driverError('FOREIGN KEY constraint failed', { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }),
  sqliteBusy: driverError('database is locked', { code: 'SQLITE_BUSY' }),
  sqliteNotNullErrcode: driverError('NOT NULL constraint failed', { code: 'ERR_SQLITE_ERROR', errcode: 1299 }),
  mysqlNoDefault: driverError("Field 'email' doesn't have a default value", { code: 'ER_NO_DEFAULT_FOR_FIELD', errno: 1364 }),
  mysqlForeignKey: driverError('Cannot add or update a child row', { code: 'ER_NO_REFERENCED_ROW_2', errno: 1452 }),
  mysqlStringErrno: driverError('errno as a string', { errno: '1062' }),
  mysqlNoTable: driverError("Table 'test.users' doesn't exist", { code: 'ER_NO_SUCH_TABLE', errno: 1146 }),
  prismaForeignKey: driverError('Foreign key constraint failed', { code: 'P2003' }),
  prismaNotFound: driverError('Record to update not found', { code: 'P2025' }),
  mongoOther: driverError('operation exceeded time limit', { code: 50 }),
  mongoStringCode: driverError('string code', { code: '11000' }),
  redisWrongType: driverError('WRONGTYPE Operation against a key holding the wrong kind of value', { name: 'ReplyError' }),
  plain: new Error('duplicate key'), // a message alone proves nothing
  timeout: new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
};

describe('per-driver predicates', () => {
  for (const [name, { fn, matches }] of Object.entries(predicates)) {
    describe(name, () => {
      for (const shape of Object.keys(shapes) as ShapeName[]) {
        const expected = matches.includes(shape);
        it(`${expected ? 'recognises' : 'rejects'} the ${shape} shape`, () => {
          expect(fn(shapes[shape])).toBe(expected);
        });
      }
      it('rejects every near miss', () => {
        for (const [miss, error] of Object.entries(nearMisses)) expect([miss, fn(error)]).toEqual([miss, false]);
      });
    });
  }

  it('isPostgresUniqueViolation can be limited to one named constraint', () => {
    expect(isPostgresUniqueViolation(shapes.pg, 'users_username_key')).toBe(true);
    expect(isPostgresUniqueViolation(shapes.pg, 'users_email_key')).toBe(false);
    const wrapped = new Error('Failed query', { cause: shapes.pg });
    expect(isPostgresUniqueViolation(wrapped, 'users_username_key')).toBe(true);
    expect(isPostgresUniqueViolation(wrapped, 'users_email_key')).toBe(false);
  });
});

describe('isUniqueViolation', () => {
  it('recognises every driver shape and our own error', () => {
    for (const [name, error] of Object.entries(shapes)) expect([name, isUniqueViolation(error)]).toEqual([name, true]);
  });

  it('recognises a UsernameConflictError from another copy of the package by its code', () => {
    const foreign = driverError('The username "alice" is already taken.', { name: 'UsernameConflictError', code: 'USERNAME_CONFLICT' });
    expect(foreign).not.toBeInstanceOf(UsernameConflictError);
    expect(isUniqueViolation(foreign)).toBe(true);
  });

  it('rejects every near miss', () => {
    for (const [name, error] of Object.entries(nearMisses)) expect([name, isUniqueViolation(error)]).toEqual([name, false]);
  });

  it('rejects non-errors without throwing', () => {
    const values: unknown[] = [
      undefined,
      null,
      0,
      1062,
      23505,
      11000,
      'ER_DUP_ENTRY',
      '23505',
      'P2002',
      true,
      Symbol('dup'),
      10n,
      [],
      [shapes.mysql2], // an array of conflicts is not a conflict (AggregateError's `errors` are not walked either)
      {},
      Object.create(null),
      () => {},
      Promise.resolve(shapes.pg),
    ];
    for (const value of values) expect(isUniqueViolation(value)).toBe(false);
    expect(isUniqueViolation(new AggregateError([shapes.pg], 'many'))).toBe(false);
  });

  it('recognises plain objects of the right shape (not only Error instances)', () => {
    expect(isUniqueViolation({ code: '23505' })).toBe(true);
    expect(isUniqueViolation({ errno: 1062 })).toBe(true);
    expect(isUniqueViolation({ code: 'P2002' })).toBe(true);
    expect(isUniqueViolation({ code: 11000 })).toBe(true);
  });
});

describe('cause chains', () => {
  it('walks Drizzle-style wrapping: DrizzleQueryError { cause: driver error }', () => {
    for (const [name, driver] of Object.entries(shapes)) {
      const drizzle = Object.assign(new Error(`Failed query: insert into "users" ("username") values ($1)\nparams: alice`), {
        name: 'DrizzleQueryError',
        query: 'insert into "users" ("username") values ($1)',
        params: ['alice'],
        cause: driver,
      });
      expect([name, isUniqueViolation(drizzle)]).toEqual([name, true]);
    }
    expect(isMysqlUniqueViolation(new Error('outer', { cause: new Error('middle', { cause: shapes.mysql2 }) }))).toBe(true);
    expect(isSqliteUniqueViolation(new Error('outer', { cause: shapes.nodeSqlite }))).toBe(true);
    expect(isPrismaUniqueViolation({ cause: shapes.prisma })).toBe(true);
    expect(isMongoUniqueViolation({ cause: shapes.mongo })).toBe(true);
  });

  it('a wrapper of a near miss is still a miss', () => {
    for (const [name, error] of Object.entries(nearMisses)) {
      expect([name, isUniqueViolation(new Error('Failed query', { cause: error }))]).toEqual([name, false]);
    }
  });

  it('terminates on a cyclic chain, with or without a conflict in the cycle', () => {
    const a: { message: string; cause?: unknown } = { message: 'a' };
    const b = { message: 'b', cause: a };
    a.cause = b;
    expect(isUniqueViolation(a)).toBe(false);
    expect([...causeChain(a)]).toHaveLength(8);

    const self = new Error('self');
    (self as { cause?: unknown }).cause = self;
    expect(isUniqueViolation(self)).toBe(false);

    const dup = Object.assign(new Error('dup'), { code: '23505', cause: undefined as unknown });
    const wrapper = new Error('wrapper', { cause: dup });
    dup.cause = wrapper;
    expect(isUniqueViolation(wrapper)).toBe(true);
    expect(isPostgresUniqueViolation(wrapper)).toBe(true);
  });

  it('causeChain yields the error, then each cause, and stops at null or a primitive', () => {
    const inner = new Error('inner', { cause: 'a string' });
    const outer = new Error('outer', { cause: inner });
    expect([...causeChain(outer)]).toEqual([outer, inner, 'a string']);
    expect([...causeChain(null)]).toEqual([]);
    expect([...causeChain(undefined)]).toEqual([]);
    expect([...causeChain(42)]).toEqual([42]);
    expect([...causeChain(new Error('no cause'))]).toHaveLength(1);
  });

  it('looks at most 8 deep (a conflict buried deeper is not found)', () => {
    const wrap = (error: unknown, times: number) => {
      let current = error;
      for (let i = 0; i < times; i++) current = new Error(`wrapper ${i}`, { cause: current });
      return current;
    };
    expect(isUniqueViolation(wrap(shapes.pg, 7))).toBe(true);
    expect(isUniqueViolation(wrap(shapes.pg, 8))).toBe(false);
  });
});

describe('UsernameConflictError', () => {
  it('carries the username, a stable code and name, a message that quotes the name, and an optional cause', () => {
    const cause = new Error('SET NX returned null');
    const error = new UsernameConflictError('al"ice', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('UsernameConflictError');
    expect(error.code).toBe('USERNAME_CONFLICT');
    expect(error.username).toBe('al"ice');
    expect(error.message).toContain('"al"ice"');
    expect(error.cause).toBe(cause);
    expect(isUniqueViolation(new Error('wrapped', { cause: error }))).toBe(true);
  });
});

// The shapes above are copied from the drivers; these are the real thing.
describe('errors thrown by the real drivers', () => {
  it('better-sqlite3 (embedded)', () => {
    const db = new Database(':memory:');
    try {
      db.exec('CREATE TABLE u (name TEXT PRIMARY KEY, email TEXT UNIQUE, n INTEGER NOT NULL)');
      db.prepare('INSERT INTO u VALUES (?, ?, 1)').run('alice', 'a@x');
      const caught = (fn: () => unknown): unknown => {
        try {
          fn();
        } catch (error) {
          return error;
        }
        throw new Error('expected a throw');
      };
      const pk = caught(() => db.prepare('INSERT INTO u VALUES (?, ?, 1)').run('alice', 'b@x'));
      const unique = caught(() => db.prepare('INSERT INTO u VALUES (?, ?, 1)').run('bob', 'a@x'));
      const notNull = caught(() => db.prepare('INSERT INTO u VALUES (?, ?, NULL)').run('carol', 'c@x'));
      expect([isSqliteUniqueViolation(pk), isUniqueViolation(pk)]).toEqual([true, true]);
      expect([isSqliteUniqueViolation(unique), isUniqueViolation(unique)]).toEqual([true, true]);
      expect([isSqliteUniqueViolation(notNull), isUniqueViolation(notNull)]).toEqual([false, false]);
    } finally {
      db.close();
    }
  });

  it.skipIf(!mysqlUrl)('mysql2 against MariaDB/MySQL', async () => {
    const conn = await mysql.createConnection({ uri: mysqlUrl! });
    try {
      await conn.query('CREATE TEMPORARY TABLE u (name VARCHAR(20) PRIMARY KEY, n INT NOT NULL)');
      await conn.execute('INSERT INTO u VALUES (?, 1)', ['alice']);
      const dup = await conn.execute('INSERT INTO u VALUES (?, 1)', ['alice']).catch((e: unknown) => e);
      const notNull = await conn.execute('INSERT INTO u VALUES (?, NULL)', ['bob']).catch((e: unknown) => e);
      expect([isMysqlUniqueViolation(dup), isUniqueViolation(dup)]).toEqual([true, true]);
      expect([isMysqlUniqueViolation(notNull), isUniqueViolation(notNull)]).toEqual([false, false]);
    } finally {
      await conn.end();
    }
  });

  it.skipIf(!pgUrl)('pg against PostgreSQL', async () => {
    const client = new pg.Client({ connectionString: pgUrl! });
    await client.connect();
    try {
      await client.query('CREATE TEMPORARY TABLE u (name text CONSTRAINT u_name_key UNIQUE, n int NOT NULL)');
      await client.query('INSERT INTO u VALUES ($1, 1)', ['alice']);
      const dup = await client.query('INSERT INTO u VALUES ($1, 1)', ['alice']).catch((e: unknown) => e);
      const notNull = await client.query('INSERT INTO u VALUES ($1, NULL)', ['bob']).catch((e: unknown) => e);
      expect([isPostgresUniqueViolation(dup), isPostgresUniqueViolation(dup, 'u_name_key'), isUniqueViolation(dup)]).toEqual([
        true,
        true,
        true,
      ]);
      expect(isPostgresUniqueViolation(dup, 'other_key')).toBe(false);
      expect([isPostgresUniqueViolation(notNull), isUniqueViolation(notNull)]).toEqual([false, false]);
    } finally {
      await client.end();
    }
  });
});
