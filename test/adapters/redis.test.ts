import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeRedisGlob, redisBus, redisStore, type RedisStore } from '../../src/adapters/redis.js';
import type { InvalidationMessage } from '../../src/bus/types.js';
import { UsernameConflictError } from '../../src/store/conflict.js';
import type { UsernameStore } from '../../src/store/types.js';
import { describeStoreConformance } from '../../src/testing/index.js';
import { requireService, uniqueName } from '../support/services.js';

const url = await requireService('redis');

const SPECIAL = [
  "o'brien",
  'say "hi"',
  'back\\slash',
  '100%',
  'under_score',
  'back`tick',
  'glob*?[a-z]\\',
  'ünïcødé',
  '名前',
  '🦊fox',
  'a ',
  'é'.repeat(127) + 'a', // 255 bytes of UTF-8
  '🦊'.repeat(63) + 'abc', // 255 bytes
  'x'.repeat(255),
];

/** Deletes every key under `prefix` (the index included). */
async function flushPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${escapeRedisGlob(prefix)}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const name of iterable) out.push(name);
  return out;
}

function waitFor<T>(received: T[], count: number, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (received.length >= count) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`Only ${received.length} of ${count} messages arrived.`));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

describe.skipIf(!url)('redisStore', () => {
  let client: Redis;
  const prefixes: string[] = [];

  beforeAll(() => {
    client = new Redis(url!);
  });

  afterAll(async () => {
    for (const prefix of prefixes) await flushPrefix(client, prefix);
    await client?.quit();
  });

  function fresh(prefix = `${uniqueName('ua_rd')}:`): RedisStore<unknown> {
    prefixes.push(prefix);
    return redisStore({ client, prefix });
  }

  it('exists is false, then true after insert; the key holds the JSON of data; ensureSchema is a no-op', async () => {
    const store = fresh();
    await store.ensureSchema();
    expect(await store.exists('alice', {})).toBe(false);
    expect(await store.insert('alice', { userId: 42 }, {})).toEqual({ username: 'alice', key: `${store.prefix}alice` });
    await store.insert('bob', undefined, {});
    expect(await store.exists('alice', {})).toBe(true);
    expect(await client.get(`${store.prefix}alice`)).toBe('{"userId":42}');
    expect(await client.get(`${store.prefix}bob`)).toBe('1');
    expect(await client.type(store.indexKey)).toBe('zset');
    await store.ensureSchema();
    expect(await store.exists('alice', {})).toBe(true);
  });

  it('SET NX returning null throws UsernameConflictError, which isConflict recognises; nothing else is', async () => {
    const store = fresh();
    await store.insert('alice', 1, {});
    const error = await store.insert('alice', 2, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsernameConflictError);
    expect(error).toMatchObject({ username: 'alice', code: 'USERNAME_CONFLICT' });
    expect(store.isConflict(error)).toBe(true);
    expect(await client.get(`${store.prefix}alice`)).toBe('1'); // the first writer's value stands

    // A real server error (WRONGTYPE) is not a conflict.
    await client.set(store.indexKey, 'not a sorted set');
    const wrongType = await store.insert('bob', undefined, {}).catch((e: unknown) => e);
    expect(wrongType).toBeInstanceOf(Error);
    expect(String(wrongType)).toMatch(/WRONGTYPE/);
    expect(store.isConflict(wrongType)).toBe(false);
    expect(store.isConflict({ code: 'ER_DUP_ENTRY', errno: 1062 })).toBe(false);
    expect(store.isConflict(null)).toBe(false);
  });

  it('a closed connection is an error, not a conflict', async () => {
    const closed = new Redis(url!, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const store = redisStore({ client: closed, prefix: `${uniqueName('ua_rd')}:` });
    const error = await store.insert('alice', undefined, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(store.isConflict(error)).toBe(false);
    closed.disconnect();
  });

  it('special characters, unicode and 255-byte names round-trip byte for byte; glob characters are data', async () => {
    const store = fresh();
    for (const name of SPECIAL) await store.insert(name, undefined, {});
    for (const name of SPECIAL) expect(await store.exists(name, {})).toBe(true);
    expect(await store.exists('glob', {})).toBe(false);
    expect(await store.exists('100', {})).toBe(false);
    expect(await store.existsMany([...SPECIAL, 'nope', 'a'], {})).toEqual(new Set(SPECIAL));
    const listed = await collect(store.list({}));
    expect(listed.sort()).toEqual([...SPECIAL].sort());
    // What the server stored, as bytes, is the UTF-8 of what we sent.
    const members = await client.zrangebylexBuffer(store.indexKey, '-', '+');
    expect(new Set(members.map((m) => m.toString('hex')))).toEqual(new Set(SPECIAL.map((s) => Buffer.from(s).toString('hex'))));
    for (const name of SPECIAL) expect(await client.exists(Buffer.from(`${store.prefix}${name}`, 'utf8'))).toBe(1);
    for (const name of SPECIAL) expect(await store.remove(name, {})).toBe(true);
    expect(await collect(store.list({}))).toEqual([]);
    expect(await client.exists(store.indexKey)).toBe(0); // ZREM of the last member removes the set
  });

  it('remove deletes the key and its index entry; the name can be taken again', async () => {
    const store = fresh();
    await store.insert('alice', undefined, {});
    expect(await store.remove('alice', {})).toBe(true);
    expect(await store.remove('alice', {})).toBe(false);
    expect(await store.exists('alice', {})).toBe(false);
    expect(await client.zscore(store.indexKey, 'alice')).toBeNull();
    await store.insert('alice', undefined, {});
    expect(await collect(store.list({}))).toEqual(['alice']);
  });

  it('list walks the index: each name exactly once, in byte order, across pages, skipping keys deleted behind its back', async () => {
    const store = fresh();
    const names = Array.from({ length: 2_500 }, (_, i) => `user${i}`);
    const pipeline = client.pipeline();
    for (const name of names) pipeline.set(`${store.prefix}${name}`, '1', 'NX').zadd(store.indexKey, 0, name);
    await pipeline.exec();
    await client.del(`${store.prefix}user7`); // stale index entry: not listed
    const listed = await collect(store.list({}));
    const expected = names.filter((n) => n !== 'user7').sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(listed).toEqual(expected);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('the empty string is not a username (the bare prefix is the index)', async () => {
    const store = fresh();
    await expect(store.insert('', undefined, {})).rejects.toThrow(TypeError);
    await expect(store.exists('', {})).rejects.toThrow(TypeError);
  });

  it('a prefix with glob metacharacters matches only itself (reindex escapes it for SCAN MATCH)', async () => {
    const base = uniqueName('ua_rd');
    const tricky = fresh(`${base}:[ab]*?\\:`);
    const neighbour = fresh(`${base}:a`); // '[ab]*' unescaped would match this prefix's keys
    await neighbour.insert('x', undefined, {});
    await tricky.insert('alice', undefined, {});
    // Keys written by another tool, not through the store: reindex adds them.
    await client.set(`${tricky.prefix}bob`, '1');
    await client.set(`${tricky.prefix}carol*`, '1');
    expect(await collect(tricky.list({}))).toEqual(['alice']);
    expect(await tricky.reindex({})).toBe(2);
    expect(await tricky.reindex({})).toBe(0);
    expect(await collect(tricky.list({}))).toEqual(['alice', 'bob', 'carol*']);
    expect(await collect(neighbour.list({}))).toEqual(['x']);
    expect(escapeRedisGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
  });

  it('reindex honours the client’s keyPrefix', async () => {
    const clientPrefix = `${uniqueName('ua_rd')}:`;
    prefixes.push(clientPrefix);
    const prefixed = new Redis(url!, { keyPrefix: clientPrefix });
    try {
      const store = redisStore({ client: prefixed, prefix: 'u:' });
      await store.insert('alice', undefined, {});
      expect(await client.exists(`${clientPrefix}u:alice`)).toBe(1);
      await client.set(`${clientPrefix}u:bob`, '1');
      expect(await store.reindex({})).toBe(1);
      expect(await collect(store.list({}))).toEqual(['alice', 'bob']);
    } finally {
      await prefixed.quit();
    }
  });

  it('existsMany pipelines past 1,000 names and ignores duplicates in its input', async () => {
    const store = fresh();
    const all = Array.from({ length: 2_100 }, (_, i) => `n${i}`);
    const taken = all.filter((_, i) => i % 2 === 0);
    for (const name of taken.slice(0, 50)) await store.insert(name, undefined, {});
    const pipeline = client.pipeline();
    for (const name of taken.slice(50)) pipeline.set(`${store.prefix}${name}`, '1');
    await pipeline.exec();
    expect(await store.existsMany([...all, ...all.slice(0, 5)], {})).toEqual(new Set(taken));
    expect(await store.existsMany([], {})).toEqual(new Set());
  });

  it('honours an AbortSignal: an aborted call rejects with its reason and writes nothing', async () => {
    const store = fresh();
    const reason = new Error('stop');
    const ctx = { signal: AbortSignal.abort(reason) };
    await expect(store.insert('alice', undefined, ctx)).rejects.toBe(reason);
    await expect(store.exists('alice', ctx)).rejects.toBe(reason);
    await expect(store.existsMany(['alice'], ctx)).rejects.toBe(reason);
    await expect(store.remove('alice', ctx)).rejects.toBe(reason);
    await expect(store.reindex(ctx)).rejects.toBe(reason);
    expect(await store.exists('alice', {})).toBe(false);

    for (const n of ['a', 'b', 'c', 'd']) await store.insert(n, undefined, {});
    const walk = new AbortController();
    const seen: string[] = [];
    const listing = (async () => {
      for await (const n of store.list({ signal: walk.signal })) {
        seen.push(n);
        if (seen.length === 2) walk.abort(reason);
      }
    })();
    await expect(listing).rejects.toBe(reason);
    expect(seen).toEqual(['a', 'b']);
  });

  it('close() leaves the app’s client open', async () => {
    const store = fresh();
    await store.close();
    expect(await store.exists('alice', {})).toBe(false);
  });
});

describe.skipIf(!url)('redisBus', () => {
  const message = (username: string, origin = 'i-1'): InvalidationMessage => ({ type: 'taken', username, origin });

  it('delivers between two instances, each over its own duplicated subscriber; close quits only what it created', async () => {
    const channel = uniqueName('ua_bus');
    const a = new Redis(url!);
    const b = new Redis(url!);
    const busA = redisBus({ publisher: a, channel });
    const busB = redisBus({ publisher: b, channel });
    const atA: InvalidationMessage[] = [];
    const atB: InvalidationMessage[] = [];
    try {
      await busA.subscribe((m) => atA.push(m));
      const offB = await busB.subscribe((m) => atB.push(m));
      await busA.publish(message('alice', 'A'));
      await busB.publish({ type: 'released', username: 'ünï"co\\de', origin: 'B' });
      await waitFor(atA, 2);
      await waitFor(atB, 2);
      expect(atB).toEqual([message('alice', 'A'), { type: 'released', username: 'ünï"co\\de', origin: 'B' }]);
      expect(atA).toEqual(atB);

      offB();
      await busA.publish(message('bob', 'A'));
      await waitFor(atA, 3);
      expect(atB).toHaveLength(2);

      await busA.close();
      await busB.close();
      // The publishers are the app's: still usable.
      expect(await a.ping()).toBe('PONG');
      expect(await b.publish(channel, 'x')).toBe(0); // nobody is subscribed any more
    } finally {
      await a.quit();
      await b.quit();
    }
  });

  it('drops payloads that are not invalidation messages, and reports them', async () => {
    const channel = uniqueName('ua_bus');
    const publisher = new Redis(url!);
    const errors: unknown[] = [];
    const bus = redisBus({ publisher, channel, onError: (e) => errors.push(e) });
    const received: InvalidationMessage[] = [];
    try {
      await bus.subscribe((m) => received.push(m));
      await publisher.publish(channel, 'not json');
      await publisher.publish(channel, JSON.stringify({ type: 'deleted', username: 'x', origin: 'o' }));
      await publisher.publish(channel, JSON.stringify(message('ok')));
      await waitFor(received, 1);
      expect(received).toEqual([message('ok')]);
      expect(errors).toHaveLength(2);
      expect(String(errors[0])).toMatch(/not JSON/);
    } finally {
      await bus.close();
      await publisher.quit();
    }
  });

  it('uses an app-provided subscriber without closing it, and ignores its other channels', async () => {
    const channel = uniqueName('ua_bus');
    const publisher = new Redis(url!);
    const subscriber = new Redis(url!);
    const other: string[] = [];
    subscriber.on('message', (ch: string, payload: string) => {
      if (ch !== channel) other.push(payload);
    });
    await subscriber.subscribe(`${channel}:other`);
    const bus = redisBus({ publisher, subscriber, channel, onError: (e) => other.push(`error: ${String(e)}`) });
    const received: InvalidationMessage[] = [];
    try {
      await bus.subscribe((m) => received.push(m));
      await publisher.publish(`${channel}:other`, 'hello');
      await bus.publish(message('alice'));
      await waitFor(received, 1);
      await waitFor(other, 1);
      expect(other).toEqual(['hello']);
      await bus.close();
      // Still subscribed to its own channel, and still open.
      expect(await publisher.publish(`${channel}:other`, 'again')).toBe(1);
      expect(await publisher.publish(channel, JSON.stringify(message('bob')))).toBe(0);
      expect(subscriber.status).toBe('ready');
      await expect(bus.subscribe(() => {})).rejects.toThrow(/after close/);
    } finally {
      await subscriber.quit();
      await publisher.quit();
    }
  });
});

describe.skipIf(!url)('redisStore conformance', () => {
  const client = url ? new Redis(url) : undefined!;
  afterAll(() => client?.quit());

  describeStoreConformance('redisStore', {
    test: { describe, it, expect, beforeAll, afterAll },
    makeStore: () => {
      const prefix = `${uniqueName('ua_rdk')}:`;
      return { store: redisStore({ client, prefix }), cleanup: () => flushPrefix(client, prefix) };
    },
    data: () => ({ userId: 1 }),
    // What insert does, 5,000 names per MULTI: MSETNX (all or nothing) + one ZADD.
    bulkInsert: async (store: UsernameStore<unknown>, names: readonly string[]) => {
      const { prefix, indexKey } = store as RedisStore;
      for (let i = 0; i < names.length; i += 5_000) {
        const chunk = names.slice(i, i + 5_000);
        const reply = await client
          .multi()
          .msetnx(...chunk.flatMap((name) => [prefix + name, '1']))
          .zadd(indexKey, ...chunk.flatMap((name) => [0, name] as const))
          .exec();
        const [[error, set] = [null, 0]] = reply ?? [];
        if (error || set !== 1) throw error ?? new Error('MSETNX refused the chunk: some names were already stored.');
      }
    },
    // The index key clobbered with a string: the insert's ZADD fails with WRONGTYPE.
    nonConflictError: async (store: UsernameStore<unknown>) => {
      await client.set((store as RedisStore).indexKey, 'not a sorted set');
      return store.insert('kit-wrongtype', { userId: 1 }, {}).then(
        () => undefined,
        (error: unknown) => error,
      );
    },
  });
});
