import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlStore, type MysqlStore, type MysqlStoreOptions } from '../../src/adapters/mysql.js';
import type { UsernameStore } from '../../src/store/types.js';
import { describeStoreConformance } from '../../src/testing/index.js';
import { requireService, uniqueName } from '../support/services.js';

const url = await requireService('mysql');

/** Names that must round-trip byte for byte: SQL metacharacters, unicode, 255 bytes. */
const SPECIAL = [
  "o'brien",
  'say "hi"',
  'back\\slash',
  '100%',
  'under_score',
  'back`tick',
  "'; DROP TABLE users; --",
  'ünïcødé',
  '名前',
  '🦊fox',
  'tab\there',
  'é'.repeat(127) + 'a', // 255 bytes of UTF-8, 128 characters
  '🦊'.repeat(63) + 'abc', // 255 bytes, 66 characters
  'x'.repeat(255),
  '🦊'.repeat(255), // 255 characters, 1,020 bytes: VARCHAR(255) counts characters
];

describe.skipIf(!url)('mysqlStore (MariaDB/MySQL)', () => {
  let pool: mysql.Pool;
  const tables: string[] = [];

  beforeAll(() => {
    pool = mysql.createPool({ uri: url!, connectionLimit: 8 });
  });

  afterAll(async () => {
    for (const table of tables) await pool.query(`DROP TABLE IF EXISTS \`${table.replaceAll('`', '``')}\``);
    await pool?.end();
  });

  function table(): string {
    const name = uniqueName('ua_my');
    tables.push(name);
    return name;
  }

  async function fresh(options: Partial<MysqlStoreOptions> = {}): Promise<{ store: MysqlStore; table: string }> {
    const name = options.table ?? table();
    const store = mysqlStore({ pool, ...options, table: name });
    await store.ensureSchema();
    return { store, table: name };
  }

  async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
    const out: string[] = [];
    for await (const name of iterable) out.push(name);
    return out;
  }

  it('ensureSchema creates a utf8mb4 binary NO PAD VARCHAR(255) primary key, idempotently and concurrently', async () => {
    const name = table();
    const store = mysqlStore({ pool, table: name });
    await Promise.all([store.ensureSchema(), store.ensureSchema(), store.ensureSchema()]);
    await store.insert('alice', undefined, {});
    await store.ensureSchema();
    expect(await store.exists('alice', {})).toBe(true);
    const [rows] = await pool.execute(
      `SELECT CHARACTER_SET_NAME AS cs, COLLATION_NAME AS col, CHARACTER_MAXIMUM_LENGTH AS len, COLUMN_KEY AS k
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = 'username'`,
      [name],
    );
    const [column] = rows as { cs: string; col: string; len: number; k: string }[];
    expect(column).toMatchObject({ cs: 'utf8mb4', len: 255, k: 'PRI' });
    expect(['utf8mb4_nopad_bin', 'utf8mb4_0900_bin']).toContain(column!.col);
  });

  it('exists is false, then true after insert; insert resolves the written row', async () => {
    const { store } = await fresh();
    expect(await store.exists('alice', {})).toBe(false);
    expect(await store.insert('alice', { ignored: true }, {})).toEqual({ username: 'alice' });
    expect(await store.exists('alice', {})).toBe(true);
    expect(await store.exists('bob', {})).toBe(false);
  });

  it('a duplicate insert throws ER_DUP_ENTRY (errno 1062), which isConflict recognises, also wrapped in cause', async () => {
    const { store } = await fresh();
    await store.insert('alice', undefined, {});
    const error = await store.insert('alice', undefined, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ errno: 1062, code: 'ER_DUP_ENTRY' });
    expect(store.isConflict(error)).toBe(true);
    const drizzleLike = new Error('Failed query: insert into ...', { cause: error });
    expect(store.isConflict(drizzleLike)).toBe(true);
  });

  it('errors that are not duplicates are not conflicts (dropped table, bad connection)', async () => {
    const { store, table: name } = await fresh();
    await pool.query(`DROP TABLE \`${name}\``);
    const dropped = await store.insert('alice', undefined, {}).catch((e: unknown) => e);
    expect(dropped).toMatchObject({ code: 'ER_NO_SUCH_TABLE' });
    expect(store.isConflict(dropped)).toBe(false);
    await expect(store.exists('alice', {})).rejects.toMatchObject({ code: 'ER_NO_SUCH_TABLE' });

    const bad = mysql.createPool({ uri: url!, password: 'wrong-password', connectionLimit: 1 });
    try {
      const refused = await mysqlStore({ pool: bad, table: name }).insert('alice', undefined, {}).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Error);
      expect(store.isConflict(refused)).toBe(false);
    } finally {
      await bad.end();
    }
  });

  it('special characters, unicode and 255-byte names round-trip byte for byte', async () => {
    const { store, table: name } = await fresh();
    for (const username of SPECIAL) await store.insert(username, undefined, {});
    for (const username of SPECIAL) expect(await store.exists(username, {})).toBe(true);
    expect(await store.existsMany(SPECIAL, {})).toEqual(new Set(SPECIAL));
    const listed = await collect(store.list({}));
    expect([...listed].sort()).toEqual([...SPECIAL].sort());
    // What the server stored, as bytes, is the UTF-8 of what we sent.
    const [rows] = await pool.query(`SELECT HEX(username) AS hex FROM \`${name}\``);
    const stored = new Set((rows as { hex: string }[]).map((row) => row.hex.toLowerCase()));
    expect(stored).toEqual(new Set(SPECIAL.map((s) => Buffer.from(s, 'utf8').toString('hex'))));
    for (const username of SPECIAL) expect(await store.remove(username, {})).toBe(true);
    expect(await collect(store.list({}))).toEqual([]);
  });

  it('% and _ are data, not LIKE wildcards', async () => {
    const { store } = await fresh();
    await store.insert('a%b', undefined, {});
    await store.insert('c_d', undefined, {});
    expect(await store.exists('axyzb', {})).toBe(false);
    expect(await store.exists('ab', {})).toBe(false);
    expect(await store.exists('cxd', {})).toBe(false);
    expect(await store.existsMany(['axyzb', 'cxd', 'a%b', 'c_d'], {})).toEqual(new Set(['a%b', 'c_d']));
    expect(await store.remove('cxd', {})).toBe(false);
    expect(await store.exists('c_d', {})).toBe(true);
  });

  it('the column is binary and NO PAD: case, accents and trailing spaces make distinct names', async () => {
    const { store } = await fresh();
    const names = ['resume', 'résumé', 'Resume', 'a', 'a ', 'ß', 'ss', 'ﬁ', 'fi'];
    for (const username of names) await store.insert(username, undefined, {});
    for (const username of names) expect(await store.exists(username, {})).toBe(true);
    expect(await store.exists('résume', {})).toBe(false);
    expect(await store.exists('a  ', {})).toBe(false);
    expect(await store.existsMany([...names, 'résume', 'a  '], {})).toEqual(new Set(names));
    const listed = await collect(store.list({}));
    expect(listed).toHaveLength(names.length);
    expect(new Set(listed)).toEqual(new Set(names));
    // Byte order: what keyset pagination relies on.
    expect(listed).toEqual([...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    await expect(store.insert('a ', undefined, {})).rejects.toMatchObject({ errno: 1062 });
  });

  it('remove deletes one row and resolves whether it did; the name can be taken again', async () => {
    const { store } = await fresh();
    await store.insert('alice', undefined, {});
    expect(await store.remove('alice', {})).toBe(true);
    expect(await store.remove('alice', {})).toBe(false);
    expect(await store.exists('alice', {})).toBe(false);
    await store.insert('alice', undefined, {});
    expect(await store.exists('alice', {})).toBe(true);
  });

  it('existsMany spans several statements, ignores duplicates in its input and agrees with exists', async () => {
    const { store, table: name } = await fresh();
    const all = Array.from({ length: 700 }, (_, i) => `user${i}`);
    const taken = all.filter((_, i) => i % 3 === 0);
    await pool.query(`INSERT INTO \`${name}\` (username) VALUES ?`, [taken.map((n) => [n])]);
    expect(await store.existsMany([...all, ...all.slice(0, 10)], {})).toEqual(new Set(taken));
    expect(await store.existsMany([], {})).toEqual(new Set());
    expect(await store.existsMany(['user3'], {})).toEqual(new Set(['user3']));
    for (const n of ['user0', 'user1', 'user699']) {
      expect((await store.existsMany([n], {})).has(n)).toBe(await store.exists(n, {}));
    }
  });

  it('list pages by key: every name exactly once, in order, across page boundaries', async () => {
    const { store } = await fresh({ pageSize: 3 });
    const names = Array.from({ length: 10 }, (_, i) => `n${String(i).padStart(2, '0')}`);
    for (const n of names) await store.insert(n, undefined, {});
    expect(await collect(store.list({}))).toEqual(names);
    await expect(fresh({ pageSize: 0 })).rejects.toThrow(/pageSize/);
  });

  it('honours an AbortSignal: an aborted call rejects with its reason and writes nothing', async () => {
    const { store } = await fresh({ pageSize: 2 });
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    const ctx = { signal: controller.signal };
    await expect(store.insert('alice', undefined, ctx)).rejects.toBe(reason);
    await expect(store.exists('alice', ctx)).rejects.toBe(reason);
    await expect(store.existsMany(['alice'], ctx)).rejects.toBe(reason);
    await expect(store.remove('alice', ctx)).rejects.toBe(reason);
    expect(await store.exists('alice', {})).toBe(false);

    for (const n of ['a', 'b', 'c', 'd', 'e']) await store.insert(n, undefined, {});
    const walk = new AbortController();
    const seen: string[] = [];
    const listing = (async () => {
      for await (const n of store.list({ signal: walk.signal })) {
        seen.push(n);
        if (seen.length === 3) walk.abort(reason);
      }
    })();
    await expect(listing).rejects.toBe(reason);
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('quotes table and column names with backticks', async () => {
    const name = `${uniqueName('ua_my')}\`.x`;
    tables.push(name);
    const store = mysqlStore({ pool, table: name, column: 'user`name' });
    await store.ensureSchema();
    await store.insert("o'brien", undefined, {});
    expect(await collect(store.list({}))).toEqual(["o'brien"]);
    const inDatabase = mysqlStore({ pool, database: new URL(url!).pathname.slice(1), table: name, column: 'user`name' });
    await inDatabase.ensureSchema();
    expect(await inDatabase.exists("o'brien", {})).toBe(true);
    expect(() => mysqlStore({ pool, table: '' })).toThrow(TypeError);
    expect(() => mysqlStore({ pool, column: 'a\0b' })).toThrow(/NUL/);
  });

  it('works on an existing users table with other columns: allow-listed data, its own collation, a named key', async () => {
    const name = table();
    await pool.query(
      `CREATE TABLE \`${name}\` (
         id INT AUTO_INCREMENT PRIMARY KEY,
         username VARCHAR(64) COLLATE utf8mb4_general_ci NOT NULL,
         email VARCHAR(255) NULL,
         is_admin BOOLEAN NOT NULL DEFAULT FALSE,
         created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
         UNIQUE KEY users_username_unique (username),
         UNIQUE KEY users_email_unique (email)
       )`,
    );
    const store = mysqlStore({ pool, table: name, columns: ['email'], key: 'users_username_unique' });
    await expect(store.ensureSchema()).rejects.toThrow(TypeError);
    expect(await store.insert('resume', { email: 'r@example.com', is_admin: true }, {})).toEqual({
      username: 'resume',
      email: 'r@example.com',
    });
    const [rows] = await pool.query(`SELECT username, email, is_admin FROM \`${name}\``);
    expect(rows).toEqual([{ username: 'resume', email: 'r@example.com', is_admin: 0 }]);

    // The app's case- and accent-insensitive collation is stricter: 'résumé' is 'resume' here,
    // and exists, existsMany and insert agree on that.
    expect(await store.exists('résumé', {})).toBe(true);
    expect(await store.existsMany(['résumé', 'resume', 'other'], {})).toEqual(new Set(['résumé', 'resume']));
    const taken = await store.insert('RÉSUMÉ', { email: 'x@example.com' }, {}).catch((e: unknown) => e);
    expect(store.isConflict(taken)).toBe(true);

    // A duplicate e-mail is a unique violation too, but not of the username's key.
    const email = await store.insert('other', { email: 'r@example.com' }, {}).catch((e: unknown) => e);
    expect(email).toMatchObject({ errno: 1062 });
    expect(store.isConflict(email)).toBe(false);
    expect(mysqlStore({ pool, table: name }).isConflict(email)).toBe(true); // without `key`: any duplicate

    expect(await collect(store.list({}))).toEqual(['resume']);
    expect(await store.remove('Resume', {})).toBe(true);
  });

  it('existsMany agrees with exists under a PAD SPACE collation (utf8mb4_bin), where "a" equals "a "', async () => {
    const name = table();
    await pool.query(`CREATE TABLE \`${name}\` (username VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY)`);
    const store = mysqlStore({ pool, table: name });
    await store.ensureSchema(); // the table exists: left as it is
    await store.insert('a', undefined, {});
    expect(await store.exists('a ', {})).toBe(true);
    expect(await store.existsMany(['a ', 'a', 'b'], {})).toEqual(new Set(['a ', 'a']));
    expect(store.isConflict(await store.insert('a ', undefined, {}).catch((e: unknown) => e))).toBe(true);
  });

  it('ensureSchema rejects an existing table whose column has no unique index of its own', async () => {
    const plain = table();
    await pool.query(`CREATE TABLE \`${plain}\` (username VARCHAR(255) NOT NULL, INDEX (username))`);
    await expect(mysqlStore({ pool, table: plain }).ensureSchema()).rejects.toThrow(/ADD UNIQUE/);
    const prefix = table();
    await pool.query(`CREATE TABLE \`${prefix}\` (username VARCHAR(255) NOT NULL, UNIQUE (username(10)))`);
    await expect(mysqlStore({ pool, table: prefix }).ensureSchema()).rejects.toThrow(/no UNIQUE/);
    const compound = table();
    await pool.query(`CREATE TABLE \`${compound}\` (tenant INT NOT NULL, username VARCHAR(255) NOT NULL, UNIQUE (tenant, username))`);
    await expect(mysqlStore({ pool, table: compound }).ensureSchema()).rejects.toThrow(/no UNIQUE/);
  });

  it('close() leaves the app’s pool open', async () => {
    const { store } = await fresh();
    await store.close();
    expect(await store.exists('alice', {})).toBe(false);
  });
});

describe.skipIf(!url)('mysqlStore conformance', () => {
  // One pool for the whole kit run; each check gets its own table.
  const pool = url ? mysql.createPool({ uri: url, connectionLimit: 10 }) : undefined!;
  const tableOf = new WeakMap<object, string>();
  const quoted = (name: string) => `\`${name.replaceAll('`', '``')}\``;
  afterAll(() => pool?.end());

  describeStoreConformance('mysqlStore', {
    test: { describe, it, expect, beforeAll, afterAll },
    makeStore: async () => {
      const table = uniqueName('ua_myk');
      const store = mysqlStore({ pool, table });
      await store.ensureSchema();
      tableOf.set(store, table);
      return { store, cleanup: () => pool.query(`DROP TABLE IF EXISTS ${quoted(table)}`).then(() => {}) };
    },
    data: () => undefined,
    // Multi-row INSERTs of 5,000 prepared placeholders: 50,000 rows in ten statements.
    bulkInsert: async (store: UsernameStore, names: readonly string[]) => {
      const table = quoted(tableOf.get(store)!);
      for (let i = 0; i < names.length; i += 5_000) {
        const chunk = names.slice(i, i + 5_000);
        await pool.execute(`INSERT INTO ${table} (username) VALUES ${chunk.map(() => '(?)').join(', ')}`, chunk);
      }
    },
    // A query on a dropped table: ER_NO_SUCH_TABLE, an error of this store that is no conflict.
    nonConflictError: async (store: UsernameStore) => {
      await pool.query(`DROP TABLE ${quoted(tableOf.get(store)!)}`);
      return store.insert('kit-dropped', undefined, {}).then(
        () => undefined,
        (error: unknown) => error,
      );
    },
  });
});
