import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  postgresBus,
  postgresStore,
  type PgPoolLike,
  type PgQueryable,
  type PostgresStore,
  type PostgresStoreOptions,
} from '../../src/adapters/postgres.js';
import type { InvalidationMessage } from '../../src/bus/types.js';
import type { UsernameStore } from '../../src/store/types.js';
import { describeStoreConformance } from '../../src/testing/index.js';
import { createUsernameAvailability } from '../../src/index.js';
import { requireService, uniqueName } from '../support/services.js';

const url = await requireService('postgres');

/** Names that break string-spliced SQL, LIKE patterns or byte-unaware code. */
const SPECIAL_NAMES = [
  "o'brien",
  'say "hi"',
  'back\\slash',
  '100%',
  'a_c',
  '%',
  '_',
  'ünïcödé',
  '名前',
  'emoji😀x',
  'e\u0301',
  '\u00a0nbsp',
  'é'.repeat(127) + 'a', // 255 bytes of UTF-8
  'x'.repeat(255),
];

// Type-level: pg's own classes fit the adapter's structural shapes.
type Assignable<T, U extends T> = U;
export type PgFits = [
  Assignable<PgQueryable, pg.Pool>,
  Assignable<PgQueryable, pg.Client>,
  Assignable<PgQueryable, pg.PoolClient>,
  Assignable<PgPoolLike, pg.Pool>,
];

function caught(fn: () => unknown): Promise<unknown> {
  return Promise.resolve()
    .then(fn)
    .then(
      () => {
        throw new Error('expected a rejection');
      },
      (error: unknown) => error,
    );
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

describe.skipIf(!url)('postgresStore', () => {
  let pool: pg.Pool;

  beforeAll(() => {
    pool = new pg.Pool({ connectionString: url, max: 6 });
  });
  afterAll(async () => {
    await pool?.end();
  });

  /** A table of its own for this test, dropped when the test ends. */
  function tableName(prefix = 'u'): string {
    const table = uniqueName(prefix);
    onTestFinished(async () => {
      await pool.query(`DROP TABLE IF EXISTS ${quote(table)}`);
    });
    return table;
  }

  async function fresh(options: Partial<PostgresStoreOptions> = {}): Promise<{ store: PostgresStore; table: string }> {
    const table = tableName();
    const store = postgresStore({ pool, table, ...options });
    await store.ensureSchema();
    return { store, table };
  }

  it('ensureSchema is idempotent, also when run concurrently, and creates a "C"-collated primary key', async () => {
    const table = tableName();
    const stores = Array.from({ length: 5 }, () => postgresStore({ pool, table }));
    await Promise.all(stores.map((store) => store.ensureSchema()));
    await stores[0]!.ensureSchema();
    const { rows } = await pool.query(
      `SELECT c.collname, i.indisprimary FROM pg_attribute a
       JOIN pg_collation c ON c.oid = a.attcollation
       JOIN pg_index i ON i.indrelid = a.attrelid
       WHERE a.attrelid = $1::regclass AND a.attname = 'username'`,
      [quote(table)],
    );
    expect(rows).toEqual([{ collname: 'C', indisprimary: true }]);
  });

  it('insert resolves to the inserted row (RETURNING *); exists, remove and insert again', async () => {
    const { store } = await fresh();
    expect(await store.exists('alice', {})).toBe(false);
    expect(await store.insert('alice', undefined, {})).toEqual({ username: 'alice' });
    expect(await store.exists('alice', {})).toBe(true);
    expect(await store.exists('Alice', {})).toBe(false);
    expect(await store.remove('alice', {})).toBe(true);
    expect(await store.remove('alice', {})).toBe(false);
    expect(await store.exists('alice', {})).toBe(false);
    expect(await store.insert('alice', { ignored: true }, {})).toEqual({ username: 'alice' });
  });

  it('a duplicate throws SQLSTATE 23505 naming the constraint; isConflict recognises it, also wrapped', async () => {
    const { store, table } = await fresh();
    await store.insert('alice', undefined, {});
    const error = await caught(() => store.insert('alice', undefined, {}));
    expect(error).toMatchObject({ code: '23505', constraint: `${table}_pkey`, table });
    expect(store.isConflict(error)).toBe(true);
    expect(store.isConflict(new Error('ORM wrapper', { cause: error }))).toBe(true);

    const named = postgresStore({ pool, table, constraint: `${table}_pkey` });
    expect(named.isConflict(error)).toBe(true);
    const otherConstraint = postgresStore({ pool, table, constraint: 'users_email_key' });
    expect(otherConstraint.isConflict(error)).toBe(false);
  });

  it('only unique violations are conflicts: NOT NULL, a syntax error, a missing table, a refused connection are not', async () => {
    const { store } = await fresh();
    const notNull = await caught(() => store.insert(null as unknown as string, undefined, {}));
    expect(notNull).toMatchObject({ code: '23502' });
    expect(store.isConflict(notNull)).toBe(false);

    const syntax = await caught(() => pool.query('INSERT INTO nowhere VALUES ('));
    expect(syntax).toMatchObject({ code: '42601' });
    expect(store.isConflict(syntax)).toBe(false);

    const missing = postgresStore({ pool, table: uniqueName('missing') });
    const noTable = await caught(() => missing.insert('alice', undefined, {}));
    expect(noTable).toMatchObject({ code: '42P01' });
    expect(missing.isConflict(noTable)).toBe(false);

    const deadPool = new pg.Pool({ host: '127.0.0.1', port: 1, user: 'postgres', database: 'test' });
    const dead = postgresStore({ pool: deadPool });
    const refused = await caught(() => dead.insert('alice', undefined, {}));
    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
    expect(dead.isConflict(refused)).toBe(false);
    await deadPool.end();
  });

  it('special characters, unicode and 255-byte names round-trip byte for byte', async () => {
    const { store } = await fresh();
    for (const name of SPECIAL_NAMES) {
      expect(await store.insert(name, undefined, {})).toEqual({ username: name });
    }
    for (const name of SPECIAL_NAMES) expect(await store.exists(name, {})).toBe(true);
    expect(await store.exists('abc', {})).toBe(false);
    expect(await store.exists('a%', {})).toBe(false);
    expect(await store.exists('\u00e9', {})).toBe(false);
    const listed: string[] = [];
    for await (const name of store.list({})) listed.push(name);
    expect(listed.sort()).toEqual([...SPECIAL_NAMES].sort());
    expect(await store.existsMany([...SPECIAL_NAMES, 'nope'], {})).toEqual(new Set(SPECIAL_NAMES));
    for (const name of SPECIAL_NAMES) {
      expect(store.isConflict(await caught(() => store.insert(name, undefined, {})))).toBe(true);
    }
  });

  it('existsMany agrees with exists, with duplicates and an empty list', async () => {
    const { store, table } = await fresh();
    const taken = Array.from({ length: 700 }, (_, i) => `n${i * 2}`);
    await pool.query(`INSERT INTO ${quote(table)} SELECT unnest($1::text[])`, [taken]);
    const asked = Array.from({ length: 1300 }, (_, i) => `n${i}`);
    expect(await store.existsMany([...asked, ...asked.slice(0, 10)], {})).toEqual(
      new Set(taken.filter((name) => asked.includes(name))),
    );
    expect(await store.existsMany([], {})).toEqual(new Set());
    for (const name of ['n0', 'n1', 'n1298', 'n1299']) {
      expect((await store.existsMany([name], {})).has(name)).toBe(await store.exists(name, {}));
    }
  });

  it('list pages by key, sees changes ahead of the cursor, and holds no connection between pages', async () => {
    const { store, table } = await fresh({ pageSize: 100 });
    const names = Array.from({ length: 1_050 }, (_, i) => `user${String(i).padStart(5, '0')}`);
    await pool.query(`INSERT INTO ${quote(table)} SELECT unnest($1::text[])`, [names]);
    const seen: string[] = [];
    for await (const name of store.list({})) {
      seen.push(name);
      if (name === 'user00100') {
        // Paused between pages: nothing is checked out of the pool.
        expect(pool.idleCount).toBe(pool.totalCount);
        await store.insert('zzz-added-ahead', undefined, {});
        await store.remove('user00500', {});
      }
    }
    expect(seen).toEqual([...names.filter((name) => name !== 'user00500'), 'zzz-added-ahead']);

    // Abandoning the walk leaves nothing open either.
    for await (const name of store.list({})) if (name === 'user00042') break;
    expect(pool.idleCount).toBe(pool.totalCount);
  });

  it('works over a single pg.Client too, one query at a time', async () => {
    const table = tableName();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const store = postgresStore({ pool: client, table, pageSize: 2 });
      await store.ensureSchema();
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      const reason = new Error('stop');
      const inserts = Promise.all(['c', 'a', 'b', 'd', 'e'].map((name) => store.insert(name, undefined, {})));
      await expect(store.exists('a', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      const duplicate = caught(() => store.insert('a', undefined, {}));
      const checks = Promise.all(['a', 'z'].map((name) => store.exists(name, {})));
      await inserts;
      expect(store.isConflict(await duplicate)).toBe(true);
      expect(await checks).toEqual([true, false]);
      await new Promise((resolve) => setImmediate(resolve));
      process.off('warning', onWarning);
      expect(warnings.map(String)).toEqual([]);
      const seen: string[] = [];
      for await (const name of store.list({})) seen.push(name);
      expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    } finally {
      await client.end();
    }
  });

  it('honours an AbortSignal: checked before every call; an in-flight read rejects at once; a sent write waits for the server', async () => {
    const { store, table } = await fresh({ pageSize: 2 });
    for (const name of ['a', 'b', 'c', 'd', 'e']) await store.insert(name, undefined, {});
    const reason = new Error('stop');
    const signal = AbortSignal.abort(reason);
    await expect(store.exists('a', { signal })).rejects.toBe(reason);
    await expect(store.existsMany(['a'], { signal })).rejects.toBe(reason);
    await expect(store.insert('f', undefined, { signal })).rejects.toBe(reason);
    await expect(store.remove('a', { signal })).rejects.toBe(reason);
    expect(await store.exists('f', {})).toBe(false);
    expect(await store.exists('a', {})).toBe(true);

    const walker = new AbortController();
    const seen: string[] = [];
    const walk = (async () => {
      for await (const name of store.list({ signal: walker.signal })) {
        seen.push(name);
        if (name === 'c') walker.abort(reason);
      }
    })();
    await expect(walk).rejects.toBe(reason);
    expect(seen).toEqual(['a', 'b', 'c']);

    // Block the table with a lock held by another session.
    const locker = await pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${quote(table)} IN ACCESS EXCLUSIVE MODE`);
      const read = new AbortController();
      const blockedRead = store.exists('a', { signal: read.signal });
      const write = new AbortController();
      const blockedWrite = store.insert('g', undefined, { signal: write.signal });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = performance.now();
      read.abort(reason);
      await expect(blockedRead).rejects.toBe(reason);
      expect(performance.now() - started).toBeLessThan(1_000); // and before the lock is released below
      write.abort(reason);
      await locker.query('COMMIT');
      expect(await blockedWrite).toEqual({ username: 'g' }); // it committed, so the caller hears so
    } finally {
      locker.release();
    }
    expect(await store.exists('g', {})).toBe(true);
  });

  it('quotes identifiers: table, schema and column names with quotes cannot inject SQL', async () => {
    const schema = uniqueName('s"; DROP SCHEMA public; --');
    await pool.query(`CREATE SCHEMA ${quote(schema)}`);
    onTestFinished(async () => {
      await pool.query(`DROP SCHEMA IF EXISTS ${quote(schema)} CASCADE`);
    });
    const store = postgresStore({ pool, schema, table: `t"; DROP TABLE x; --`, column: 'user "name"' });
    await store.ensureSchema();
    expect(await store.insert("it's", undefined, {})).toEqual({ 'user "name"': "it's" });
    expect(await store.exists("it's", {})).toBe(true);
    const { rows } = await pool.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
    expect(rows).toEqual([{ table_name: `t"; DROP TABLE x; --` }]);

    expect(() => postgresStore({ pool, table: 'x'.repeat(64) })).toThrow(/longer than 63 bytes/);
    expect(() => postgresStore({ pool, table: '' })).toThrow(TypeError);
    expect(() => postgresStore({ pool, column: 'a\0b' })).toThrow(/NUL/);
  });

  it('sits on an existing users table: writes allow-listed columns, and with `constraint` a duplicate e-mail is not a username conflict', async () => {
    const table = tableName('users');
    await pool.query(
      `CREATE TABLE ${quote(table)} (id serial PRIMARY KEY, username text NOT NULL UNIQUE, email text UNIQUE, is_admin boolean NOT NULL DEFAULT false)`,
    );
    const constraint = `${table}_username_key`;
    const users = postgresStore({ pool, table, columns: ['email'], constraint });
    await expect(users.ensureSchema()).rejects.toThrow(TypeError);
    await postgresStore({ pool, table }).ensureSchema(); // verifies the existing table

    const row = await users.insert('alice', { email: 'a@example.com', is_admin: true }, {});
    expect(row).toEqual({ id: 1, username: 'alice', email: 'a@example.com', is_admin: false });
    expect(await users.insert('bob', {}, {})).toMatchObject({ username: 'bob', email: null });

    const sameEmail = await caught(() => users.insert('carol', { email: 'a@example.com' }, {}));
    expect(sameEmail).toMatchObject({ code: '23505', constraint: `${table}_email_key` });
    expect(users.isConflict(sameEmail)).toBe(false);
    // Without `constraint`, any 23505 counts: which is why shared tables set it.
    expect(postgresStore({ pool, table }).isConflict(sameEmail)).toBe(true);

    const sameName = await caught(() => users.insert('alice', { email: 'other@example.com' }, {}));
    expect(sameName).toMatchObject({ code: '23505', constraint });
    expect(users.isConflict(sameName)).toBe(true);
    expect(users.isConflict(new Error('wrapped', { cause: sameName }))).toBe(true);
    await expect(users.insert('dave', 42 as never, {})).rejects.toThrow(TypeError);
  });

  it('ensureSchema rejects an existing table whose column has no unique constraint of its own', async () => {
    const table = tableName('loose');
    await pool.query(`CREATE TABLE ${quote(table)} (tenant text, username text, UNIQUE (tenant, username))`);
    await expect(postgresStore({ pool, table }).ensureSchema()).rejects.toThrow(/no UNIQUE or PRIMARY KEY constraint/);
    await pool.query(`CREATE UNIQUE INDEX ON ${quote(table)} (username) INCLUDE (tenant)`);
    await postgresStore({ pool, table }).ensureSchema();
  });

  it('close() leaves the app pool open', async () => {
    const { store } = await fresh();
    await store.close();
    expect(pool.ended).toBe(false);
    expect(await store.exists('alice', {})).toBe(false);
  });
});

describe.skipIf(!url)('postgresBus', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: url, max: 6 });
  });
  afterAll(async () => {
    await pool?.end();
  });

  function nextMessage(received: InvalidationMessage[], count = 1, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const poll = () => {
        if (received.length >= count) resolve();
        else if (Date.now() > deadline) reject(new Error(`expected ${count} messages, got ${received.length}`));
        else setTimeout(poll, 5);
      };
      poll();
    });
  }

  it('delivers a message from one instance to another, and validates payloads', async () => {
    const channel = uniqueName('ch');
    const errors: unknown[] = [];
    const a = postgresBus({ pool, channel, onError: (error) => errors.push(error) });
    const b = postgresBus({ pool, channel, onError: (error) => errors.push(error) });
    const received: InvalidationMessage[] = [];
    const off = await b.subscribe((message) => received.push(message));
    expect(pool.totalCount - pool.idleCount).toBe(1); // one LISTEN connection checked out

    await a.publish({ type: 'taken', username: "o'brien \"😀\"", origin: 'i-a', extra: 'dropped' } as InvalidationMessage);
    await nextMessage(received);
    expect(received).toEqual([{ type: 'taken', username: "o'brien \"😀\"", origin: 'i-a' }]);

    await pool.query('SELECT pg_notify($1, $2)', [channel, 'not json']);
    await pool.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify({ type: 'nuke', username: 'x', origin: 'y' })]);
    await a.publish({ type: 'released', username: 'alice', origin: 'i-a' });
    await nextMessage(received, 2);
    expect(received[1]).toEqual({ type: 'released', username: 'alice', origin: 'i-a' });
    expect(errors).toHaveLength(2);
    expect(String(errors[0])).toMatch(/not an invalidation message/);

    await off();
    expect(pool.totalCount - pool.idleCount).toBe(0); // the last unsubscribe released it
    await a.close();
    await b.close();
    await expect(a.publish({ type: 'taken', username: 'x', origin: 'i-a' })).rejects.toThrow(/after close/);
  });

  it('shares one connection among listeners, isolates a throwing listener, and close() releases it', async () => {
    const channel = uniqueName('ch');
    const errors: unknown[] = [];
    const bus = postgresBus({ pool, channel, onError: (error) => errors.push(error) });
    const first: InvalidationMessage[] = [];
    const second: InvalidationMessage[] = [];
    await Promise.all([
      bus.subscribe(() => {
        throw new Error('listener bug');
      }),
      bus.subscribe((message) => first.push(message)),
      bus.subscribe((message) => second.push(message)),
    ]);
    expect(pool.totalCount - pool.idleCount).toBe(1);
    await bus.publish({ type: 'invalidated', username: 'bob', origin: 'me' });
    await nextMessage(second);
    expect(first).toEqual(second);
    expect(String(errors[0])).toMatch(/listener bug/);
    await bus.close();
    expect(pool.totalCount - pool.idleCount).toBe(0);
    await expect(bus.subscribe(() => {})).rejects.toThrow(/after close/);
  });

  it('keeps two createUsernameAvailability instances in step through the database', async () => {
    const table = uniqueName('u');
    const channel = uniqueName('ch');
    const store = postgresStore({ pool, table });
    await store.ensureSchema();
    const busA = postgresBus({ pool, channel });
    const busB = postgresBus({ pool, channel });
    const a = createUsernameAvailability({ store, bus: busA, cache: { availableTtlMs: 60_000 } });
    const b = createUsernameAvailability({ store, bus: busB, cache: { availableTtlMs: 60_000 } });
    try {
      // Wait until both instances' LISTEN sessions are up (they subscribe in the background).
      for (let i = 0; i < 500; i++) {
        const { rows } = await pool.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = $1', [`LISTEN "${channel}"`]);
        if (rows[0].n === 2) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await b.check('alice')).toMatchObject({ status: 'available' }); // now cached as available on B
      const heard = new Promise<void>((resolve) => {
        b.on('taken', ({ origin }) => {
          if (origin === 'remote') resolve();
        });
      });
      expect(await a.checkThenCreate('alice', undefined)).toMatchObject({ ok: true, username: 'alice' });
      await heard;
      expect(await b.check('alice')).toMatchObject({ status: 'taken' });
      expect(b.stats()).toMatchObject({ busReceived: 1 });
    } finally {
      await a.close();
      await b.close();
      await busA.close();
      await busB.close();
      await pool.query(`DROP TABLE IF EXISTS ${quote(table)}`);
    }
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });

  it('reports a lost LISTEN connection through onError instead of crashing', async () => {
    const channel = uniqueName('ch');
    const errors: unknown[] = [];
    const bus = postgresBus({ pool, channel, onError: (error) => errors.push(error) });
    await bus.subscribe(() => {});
    await pool.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()',
      [`LISTEN "${channel}"`],
    );
    for (let i = 0; i < 200 && errors.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(String(errors[0])).toMatch(/lost its LISTEN connection/);
    await bus.close();
  });
});

// The shared conformance kit against the real server: one table per check.
describe.skipIf(!url)('postgresStore conformance', () => {
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  afterAll(() => pool.end());
  const tables = new WeakMap<object, string>();

  describeStoreConformance('postgresStore', {
    test: { describe, it, expect, beforeAll, afterAll },
    makeStore: async () => {
      const table = uniqueName('u');
      const store = postgresStore({ pool, table });
      await store.ensureSchema();
      tables.set(store, table);
      return {
        store,
        cleanup: async () => {
          await pool.query(`DROP TABLE IF EXISTS ${quote(table)}`);
        },
      };
    },
    data: () => undefined,
    // One statement for all rows: 50,000 names in a fraction of a second.
    bulkInsert: async (store: UsernameStore<unknown>, names: readonly string[]) => {
      await pool.query(`INSERT INTO ${quote(tables.get(store)!)} SELECT unnest($1::text[])`, [names]);
    },
    nonConflictError: (store) => store.insert(null as unknown as string, undefined, {}),
  });
});

describe('postgres adapter module', () => {
  it('never imports pg, not even its types', () => {
    for (const file of ['postgres.ts', 'postgres-bus.ts']) {
      const source = readFileSync(new URL(`../../src/adapters/${file}`, import.meta.url), 'utf8');
      expect(source).not.toMatch(/^(import|export) .*from 'pg';$/m);
    }
  });
});
