import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sqliteStore, type SqliteStore } from '../../src/adapters/sqlite.js';
import type { UsernameStore } from '../../src/store/types.js';
import { describeStoreConformance } from '../../src/testing/index.js';
import { uniqueName } from '../support/services.js';

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
  'e\u0301', // combining accent, not NFC: stored as given
  '\u00a0nbsp',
  'é'.repeat(127) + 'a', // 255 bytes of UTF-8
  'x'.repeat(255),
];

const tempDir = mkdtempSync(join(tmpdir(), 'username-availability-sqlite-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

const locations = [
  { kind: 'in memory', open: () => new Database(':memory:') },
  { kind: 'temp file', open: () => new Database(join(tempDir, `${uniqueName('db')}.sqlite`)) },
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

describe.each(locations)('sqliteStore ($kind)', ({ open }) => {
  let db: Database.Database;
  let store: SqliteStore;
  let table: string;

  beforeAll(() => {
    db = open();
    db.pragma('journal_mode = WAL');
  });
  afterAll(() => db.close());

  afterEach(() => {
    db.exec(`DROP TABLE IF EXISTS "${table}"`);
  });

  async function fresh(options: Partial<Parameters<typeof sqliteStore>[0]> = {}): Promise<SqliteStore> {
    table = uniqueName('u');
    store = sqliteStore({ db, table, ...options });
    await store.ensureSchema();
    return store;
  }

  it('ensureSchema is idempotent and creates a binary-collated primary key', async () => {
    await fresh();
    await store.ensureSchema();
    await store.ensureSchema();
    const sql = db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').pluck().get(table) as string;
    expect(sql).toMatch(/TEXT NOT NULL COLLATE BINARY PRIMARY KEY/);
    expect(await store.exists('alice', {})).toBe(false);
  });

  it('insert resolves to the inserted row; exists, remove and insert again', async () => {
    await fresh();
    expect(await store.insert('alice', undefined, {})).toEqual({ username: 'alice' });
    expect(await store.exists('alice', {})).toBe(true);
    expect(await store.exists('Alice', {})).toBe(false); // canonical form is the caller's job; binary compare
    expect(await store.remove('alice', {})).toBe(true);
    expect(await store.remove('alice', {})).toBe(false);
    expect(await store.exists('alice', {})).toBe(false);
    expect(await store.insert('alice', { ignored: true }, {})).toEqual({ username: 'alice' });
  });

  it('a duplicate throws SQLITE_CONSTRAINT_PRIMARYKEY, which isConflict recognises (also wrapped)', async () => {
    await fresh();
    await store.insert('alice', undefined, {});
    const error = await caught(() => store.insert('alice', undefined, {}));
    expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' });
    expect(store.isConflict(error)).toBe(true);
    expect(store.isConflict(new Error('ORM wrapper', { cause: error }))).toBe(true);
  });

  it('only unique violations are conflicts: NOT NULL, a missing table, a closed db, a TypeError are not', async () => {
    await fresh();
    const notNull = await caught(() => store.insert(null as unknown as string, undefined, {}));
    expect(notNull).toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
    expect(store.isConflict(notNull)).toBe(false);

    const missing = sqliteStore({ db, table: uniqueName('missing') });
    const noTable = await caught(() => missing.insert('alice', undefined, {}));
    expect(noTable).toMatchObject({ code: 'SQLITE_ERROR' });
    expect(missing.isConflict(noTable)).toBe(false);

    const other = new Database(':memory:');
    const closedStore = sqliteStore({ db: other });
    await closedStore.ensureSchema();
    other.close();
    const closed = await caught(() => closedStore.insert('alice', undefined, {}));
    expect(closedStore.isConflict(closed)).toBe(false);

    expect(store.isConflict(new TypeError('x'))).toBe(false);
    expect(store.isConflict(undefined)).toBe(false);
    expect(store.isConflict({ code: 'SQLITE_CONSTRAINT_CHECK' })).toBe(false);
  });

  it('special characters, unicode and 255-byte names round-trip byte for byte', async () => {
    await fresh();
    for (const name of SPECIAL_NAMES) await store.insert(name, undefined, {});
    for (const name of SPECIAL_NAMES) expect(await store.exists(name, {})).toBe(true);
    // Parameterised `=`, not LIKE: wildcards match only themselves.
    expect(await store.exists('abc', {})).toBe(false);
    expect(await store.exists('a%', {})).toBe(false);
    expect(await store.exists('\u00e9', {})).toBe(false); // NFC é is not e + U+0301
    const listed: string[] = [];
    for await (const name of store.list({})) listed.push(name);
    expect(listed.sort()).toEqual([...SPECIAL_NAMES].sort());
    expect(await store.existsMany([...SPECIAL_NAMES, 'nope'], {})).toEqual(new Set(SPECIAL_NAMES));
    for (const name of SPECIAL_NAMES) {
      const error = await caught(() => store.insert(name, undefined, {}));
      expect(store.isConflict(error)).toBe(true);
    }
  });

  it('existsMany agrees with exists across chunk sizes and duplicate inputs', async () => {
    await fresh();
    const taken = Array.from({ length: 700 }, (_, i) => `n${i * 2}`);
    db.transaction(() => {
      const stmt = db.prepare(`INSERT INTO "${table}" (username) VALUES (?)`);
      for (const name of taken) stmt.run(name);
    })();
    const asked = Array.from({ length: 1300 }, (_, i) => `n${i}`);
    const found = await store.existsMany([...asked, ...asked.slice(0, 10)], {});
    expect(found).toEqual(new Set(taken.filter((name) => asked.includes(name))));
    for (const size of [0, 1, 2, 3, 5, 511, 512, 513]) {
      const slice = asked.slice(0, size);
      const expected = new Set<string>();
      for (const name of slice) if (await store.exists(name, {})) expected.add(name);
      expect(await store.existsMany(slice, {})).toEqual(expected);
    }
  });

  it('list pages by key and never holds a statement open across its yields', async () => {
    await fresh({ pageSize: 7 });
    const names = Array.from({ length: 50 }, (_, i) => `user${String(i).padStart(3, '0')}`);
    for (const name of names) await store.insert(name, undefined, {});
    const seen: string[] = [];
    for await (const name of store.list({})) {
      seen.push(name);
      // Other statements on the same connection while the walk is paused: an
      // open better-sqlite3 iterator would make these throw "connection is busy".
      expect(await store.exists(name, {})).toBe(true);
      if (name === 'user010') await store.insert('zzz-added-ahead', undefined, {});
      if (name === 'user020') await store.remove('user030', {});
    }
    expect(seen).toEqual([...names.filter((name) => name !== 'user030'), 'zzz-added-ahead']);
  });

  it('honours an AbortSignal: before each call, and between pages and rows of list', async () => {
    await fresh({ pageSize: 2 });
    for (const name of ['a', 'b', 'c', 'd', 'e']) await store.insert(name, undefined, {});
    const reason = new Error('stop');
    const signal = AbortSignal.abort(reason);
    await expect(store.exists('a', { signal })).rejects.toBe(reason);
    await expect(store.existsMany(['a'], { signal })).rejects.toBe(reason);
    await expect(store.insert('f', undefined, { signal })).rejects.toBe(reason);
    await expect(store.remove('a', { signal })).rejects.toBe(reason);
    expect(await store.exists('f', {})).toBe(false);
    expect(await store.exists('a', {})).toBe(true);

    const controller = new AbortController();
    const seen: string[] = [];
    const walk = (async () => {
      for await (const name of store.list({ signal: controller.signal })) {
        seen.push(name);
        if (name === 'c') controller.abort(reason);
      }
    })();
    await expect(walk).rejects.toBe(reason);
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('quotes identifiers: a table or column name with quotes cannot inject SQL', async () => {
    table = `${uniqueName('u')}"; DROP TABLE victim; --`;
    db.exec('CREATE TABLE IF NOT EXISTS victim (x)');
    const odd = sqliteStore({ db, table, column: 'user "name"' });
    await odd.ensureSchema();
    await odd.insert("it's", undefined, {});
    expect(await odd.insert('x', undefined, {})).toEqual({ 'user "name"': 'x' });
    expect(await odd.exists("it's", {})).toBe(true);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'victim'").pluck().get()).toBe(1);
    db.exec(`DROP TABLE "${table.replaceAll('"', '""')}"`);
    db.exec('DROP TABLE victim');
    table = 'never-created';
    expect(() => sqliteStore({ db, table: '' })).toThrow(TypeError);
    expect(() => sqliteStore({ db, column: 'a\0b' })).toThrow(/NUL/);
  });

  it('sits on an existing users table: writes allow-listed columns, and a duplicate e-mail is not a username conflict', async () => {
    table = uniqueName('users');
    db.exec(
      `CREATE TABLE "${table}" (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, email TEXT NOT NULL UNIQUE, is_admin INTEGER NOT NULL DEFAULT 0)`,
    );
    const users = sqliteStore({ db, table, columns: ['email'] });
    await expect(users.ensureSchema()).rejects.toThrow(TypeError);
    const row = await users.insert('alice', { email: 'a@example.com', is_admin: 1 }, {});
    expect(row).toEqual({ id: 1, username: 'alice', email: 'a@example.com', is_admin: 0 });

    const sameEmail = await caught(() => users.insert('bob', { email: 'a@example.com' }, {}));
    expect(sameEmail).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(users.isConflict(sameEmail)).toBe(false);

    const sameName = await caught(() => users.insert('alice', { email: 'other@example.com' }, {}));
    expect(sameName).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(users.isConflict(sameName)).toBe(true);
    expect(users.isConflict(new Error('wrapped', { cause: sameName }))).toBe(true);

    await expect(users.insert('carol', 'not an object' as never, {})).rejects.toThrow(TypeError);
    // ensureSchema verifies an existing table (here through a store without `columns`).
    await sqliteStore({ db, table }).ensureSchema();
  });

  it('ensureSchema rejects an existing table whose column has no unique constraint of its own', async () => {
    table = uniqueName('loose');
    db.exec(`CREATE TABLE "${table}" (tenant TEXT, username TEXT, UNIQUE (tenant, username))`);
    await expect(sqliteStore({ db, table }).ensureSchema()).rejects.toThrow(/no UNIQUE or PRIMARY KEY constraint/);
  });

  it('close() leaves the app database open', async () => {
    await fresh();
    await store.insert('alice', undefined, {});
    await store.close();
    expect(db.open).toBe(true);
    expect(await store.exists('alice', {})).toBe(true); // statements are prepared again on demand
  });
});

describe('sqlite adapter module', () => {
  it('imports better-sqlite3 only as a type', () => {
    const source = readFileSync(new URL('../../src/adapters/sqlite.ts', import.meta.url), 'utf8');
    const imports = source.match(/^import .*from 'better-sqlite3';$/gm) ?? [];
    expect(imports.length).toBeGreaterThan(0);
    for (const line of imports) expect(line).toMatch(/^import type /);
  });
});

// The shared conformance kit, in memory and in a file: one table per check.
describe.each(locations)('sqliteStore conformance ($kind)', ({ kind, open }) => {
  const db = open();
  db.pragma('journal_mode = WAL');
  afterAll(() => db.close());
  const tables = new WeakMap<object, string>();

  describeStoreConformance(`sqliteStore (${kind})`, {
    test: { describe, it, expect, beforeAll, afterAll },
    makeStore: async () => {
      const table = uniqueName('u');
      const store = sqliteStore({ db, table });
      await store.ensureSchema();
      tables.set(store, table);
      return {
        store,
        cleanup: async () => {
          db.exec(`DROP TABLE IF EXISTS "${table}"`);
        },
      };
    },
    data: () => undefined,
    // One transaction with one prepared statement: 50,000 rows in well under a second.
    bulkInsert: async (store: UsernameStore<unknown>, names: readonly string[]) => {
      const insert = db.prepare(`INSERT INTO "${tables.get(store)}" (username) VALUES (?)`);
      db.transaction(() => {
        for (const name of names) insert.run(name);
      })();
    },
    // NOT NULL is a constraint violation too, but not a unique one.
    nonConflictError: (store) => store.insert(null as unknown as string, undefined, {}),
  });
});
