/**
 * The stores the benchmarks run against (MemoryStore, SQLite, PostgreSQL,
 * and for the store-reads benchmark MariaDB/MySQL and Redis),
 * each with fast bulk loading and cleanup, and a wrapper that counts every
 * store call independently of the library's own stats.
 *
 * PostgreSQL: POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test);
 * MySQL: MYSQL_URL (default mysql://root@127.0.0.1:3306/test); Redis:
 * REDIS_URL (default redis://127.0.0.1:6379). Every run uses its own tables
 * `bench_<pid>_<random>` (or key prefix) and removes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { MemoryStore } from '../src/index.js';
import type { StoreContext, UsernameStore } from '../src/store/types.js';
import { postgresStore } from '../src/adapters/postgres.js';
import { sqliteStore } from '../src/adapters/sqlite.js';
import { mysqlStore } from '../src/adapters/mysql.js';
import { redisStore } from '../src/adapters/redis.js';

export type StoreKind = 'memory' | 'sqlite' | 'postgres' | 'mysql' | 'redis';

/** A store plus what the benchmarks need around it. */
export interface StoreKit {
  kind: StoreKind;
  // The SQL adapters take a row-data object; MemoryStore takes anything.
  store: UsernameStore<any, unknown>;
  /** Inserts these names as fast as the database allows (one transaction / one statement). */
  insertMany(names: readonly string[]): Promise<void>;
  /** Inserts `count` generated names `<prefix><8 digits>` (PostgreSQL: generate_series). */
  insertGenerated(count: number, prefix: string): Promise<void>;
  /** Every name at once (the "does not stream" reference for warm-up memory). */
  selectAll(): Promise<string[]>;
  /** A plain parameterised INSERT of one name; resolves false on a unique violation. */
  plainInsert?(name: string): Promise<boolean>;
  /** Drops tables, closes connections. */
  cleanup(): Promise<void>;
}

/** Why a kit could not be opened (PostgreSQL down). */
export interface Skipped {
  skip: string;
}

export const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const withoutCredentials = (url: string) => url.replace(/\/\/[^@]*@/, '//');

export function uniqueTable(): string {
  return `bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

function generated(count: number, prefix: string): string[] {
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = prefix + String(i + 1).padStart(8, '0');
  return out;
}

export async function memoryKit(): Promise<StoreKit> {
  const store = new MemoryStore();
  return {
    kind: 'memory',
    store,
    async insertMany(names) {
      for (const name of names) await store.insert(name, undefined);
    },
    async insertGenerated(count, prefix) {
      for (const name of generated(count, prefix)) await store.insert(name, undefined);
    },
    async selectAll() {
      const out: string[] = [];
      for await (const name of store.list()) out.push(name);
      return out;
    },
    async cleanup() {},
  };
}

export async function sqliteKit(): Promise<StoreKit> {
  const dir = mkdtempSync(join(tmpdir(), 'ua-bench-'));
  const db = new Database(join(dir, 'bench.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const table = uniqueTable();
  const store = sqliteStore({ db, table, column: 'username' });
  await store.ensureSchema();
  const insert = db.prepare(`INSERT INTO "${table}" (username) VALUES (?)`);
  const insertAll = db.transaction((names: readonly string[]) => {
    for (const name of names) insert.run(name);
  });
  return {
    kind: 'sqlite',
    store,
    async insertMany(names) {
      insertAll(names);
    },
    async insertGenerated(count, prefix) {
      // One transaction, in slices so the names array never holds all of them.
      for (let start = 0; start < count; start += 100_000) {
        const slice = Math.min(100_000, count - start);
        const names = new Array<string>(slice);
        for (let i = 0; i < slice; i++) names[i] = prefix + String(start + i + 1).padStart(8, '0');
        insertAll(names);
      }
    },
    async selectAll() {
      return db.prepare(`SELECT username FROM "${table}"`).pluck().all() as string[];
    },
    async plainInsert(name) {
      try {
        insert.run(name);
        return true;
      } catch (error) {
        if ((error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) return false;
        throw error;
      }
    },
    async cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A pool to the benchmark database, or a reason it is unreachable. */
export async function openPgPool(max = 16): Promise<pg.Pool | Skipped> {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max, connectionTimeoutMillis: 3_000 });
  pool.on('error', () => {}); // idle-client errors must not crash the run
  try {
    await pool.query('SELECT 1');
    return pool;
  } catch (error) {
    await pool.end().catch(() => {});
    return { skip: `PostgreSQL unreachable at ${POSTGRES_URL.replace(/\/\/[^@]*@/, '//')}: ${(error as Error).message}` };
  }
}

export async function postgresKit(pool: pg.Pool, ownsPool = false): Promise<StoreKit> {
  const table = uniqueTable();
  const store = postgresStore({ pool, table, column: 'username' });
  await store.ensureSchema();
  const plainSql = `INSERT INTO "${table}" (username) VALUES ($1)`;
  return {
    kind: 'postgres',
    store,
    async insertMany(names) {
      for (let start = 0; start < names.length; start += 50_000) {
        await pool.query(`INSERT INTO "${table}" (username) SELECT unnest($1::text[])`, [
          names.slice(start, start + 50_000),
        ]);
      }
    },
    async insertGenerated(count, prefix) {
      await pool.query(
        `INSERT INTO "${table}" (username) SELECT $1 || lpad(g::text, 8, '0') FROM generate_series(1, $2::int) AS g`,
        [prefix, count],
      );
      await pool.query(`ANALYZE "${table}"`);
    },
    async selectAll() {
      const result = await pool.query<{ username: string }>(`SELECT username FROM "${table}"`);
      return result.rows.map((r) => r.username);
    },
    async plainInsert(name) {
      try {
        await pool.query(plainSql, [name]);
        return true;
      } catch (error) {
        if ((error as { code?: string }).code === '23505') return false;
        throw error;
      }
    },
    async cleanup() {
      await pool.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => {});
      if (ownsPool) await pool.end();
    },
  };
}

/** MariaDB / MySQL through mysql2/promise; only what the store-reads benchmark needs. */
export async function mysqlKit(): Promise<StoreKit | Skipped> {
  const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 16, connectTimeout: 3_000 });
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    return { skip: `MySQL unreachable at ${withoutCredentials(MYSQL_URL)}: ${(error as Error).message}` };
  }
  const table = uniqueTable();
  const store = mysqlStore({ pool, table });
  await store.ensureSchema();
  const insertMany = async (names: readonly string[]) => {
    for (let start = 0; start < names.length; start += 5_000) {
      const chunk = names.slice(start, start + 5_000);
      await pool.query(`INSERT INTO \`${table}\` (username) VALUES ${chunk.map(() => '(?)').join(', ')}`, chunk);
    }
  };
  return {
    kind: 'mysql',
    store,
    insertMany,
    insertGenerated: (count, prefix) => insertMany(generated(count, prefix)),
    async selectAll() {
      const [rows] = await pool.query(`SELECT username FROM \`${table}\``);
      return (rows as { username: string }[]).map((r) => r.username);
    },
    async cleanup() {
      await pool.query(`DROP TABLE IF EXISTS \`${table}\``).catch(() => {});
      await pool.end();
    },
  };
}

/** Redis through ioredis: the names are keys under a prefix of their own, indexed by the store's sorted set. */
export async function redisKit(): Promise<StoreKit | Skipped> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000 });
  client.on('error', () => {}); // a refused connection is reported below, not thrown from an emitter
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    return { skip: `Redis unreachable at ${withoutCredentials(REDIS_URL)}: ${(error as Error).message}` };
  }
  const store = redisStore({ client, prefix: `${uniqueTable()}:` });
  const insertMany = async (names: readonly string[]) => {
    // The store's own layout: one key per name plus its index sorted set.
    for (let start = 0; start < names.length; start += 5_000) {
      const chunk = names.slice(start, start + 5_000);
      await client
        .multi()
        .mset(...chunk.flatMap((name) => [store.prefix + name, '1']))
        .zadd(store.indexKey, ...chunk.flatMap((name) => [0, name] as const))
        .exec();
    }
  };
  return {
    kind: 'redis',
    store,
    insertMany,
    insertGenerated: (count, prefix) => insertMany(generated(count, prefix)),
    async selectAll() {
      return client.zrange(store.indexKey, 0, -1);
    },
    async cleanup() {
      const all = await client.zrange(store.indexKey, 0, -1);
      for (let start = 0; start < all.length; start += 5_000) {
        await client.del(...all.slice(start, start + 5_000).map((name) => store.prefix + name));
      }
      await client.del(store.indexKey);
      client.disconnect();
    },
  };
}

/** Opens a kit of this kind; the server-backed ones may be skipped. */
export async function openKit(kind: StoreKind): Promise<StoreKit | Skipped> {
  if (kind === 'memory') return memoryKit();
  if (kind === 'sqlite') return sqliteKit();
  if (kind === 'mysql') return mysqlKit();
  if (kind === 'redis') return redisKit();
  const pool = await openPgPool();
  if ('skip' in pool) return pool;
  return postgresKit(pool, true);
}

/** Call counts of a {@link countingStore}. */
export interface StoreCalls {
  exists: number;
  existsMany: number;
  insert: number;
  list: number;
}

/**
 * Forwards every call to `inner` and counts it: the benchmarks assert on
 * these counts, not only on the library's own `stats()`. `delayMs` makes each
 * read take that long (a store over a network), which widens the window in
 * which concurrent checks can coalesce.
 */
export function countingStore<TData, TRecord>(
  inner: UsernameStore<TData, TRecord>,
  delayMs = 0,
): { store: UsernameStore<TData, TRecord>; calls: StoreCalls } {
  const calls: StoreCalls = { exists: 0, existsMany: 0, insert: 0, list: 0 };
  const wait = (): Promise<void> | undefined =>
    delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, delayMs)) : undefined;
  const store: UsernameStore<TData, TRecord> = {
    async exists(username: string, ctx: StoreContext) {
      calls.exists++;
      await wait();
      return inner.exists(username, ctx);
    },
    async insert(username: string, data: TData, ctx: StoreContext) {
      calls.insert++;
      return inner.insert(username, data, ctx);
    },
    isConflict: (error: unknown) => inner.isConflict(error),
  };
  if (inner.existsMany) {
    const existsMany = inner.existsMany.bind(inner);
    store.existsMany = async (usernames, ctx) => {
      calls.existsMany++;
      await wait();
      return existsMany(usernames, ctx);
    };
  }
  if (inner.list) {
    const list = inner.list.bind(inner);
    store.list = (ctx) => {
      calls.list++;
      return list(ctx);
    };
  }
  if (inner.remove) store.remove = inner.remove.bind(inner);
  return { store, calls };
}
