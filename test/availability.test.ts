import { describe, expect, it, vi } from 'vitest';
import {
  createInProcessBus,
  createUsernameAvailability,
  MemoryStore,
  UsernameConflictError,
  type AvailabilityOptions,
} from '../src/index.js';
import { recordingStore } from './support/recording-store.js';

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('check', () => {
  it('answers from the store, then from the cache, with the canonical name', async () => {
    const rec = recordingStore(['bob']);
    const names = createUsernameAvailability({ store: rec.store, bloom: false });
    expect(await names.check('Alice')).toEqual({ status: 'available', username: 'alice', source: 'store' });
    expect(await names.check('ALICE')).toEqual({ status: 'available', username: 'alice', source: 'cache' });
    expect(await names.check(' Bob ')).toEqual({ status: 'taken', username: 'bob', source: 'store' });
    expect(await names.check('bob')).toEqual({ status: 'taken', username: 'bob', source: 'cache' });
    expect(rec.calls).toEqual([
      { method: 'exists', username: 'alice' },
      { method: 'exists', username: 'bob' },
    ]);
    expect(names.stats()).toMatchObject({ checks: 4, storeReads: 2, cacheHits: 2 });
  });

  it('coalesces 1,000 concurrent checks of one cold name into one store read', async () => {
    const rec = recordingStore();
    const names = createUsernameAvailability({ store: rec.store, bloom: false });
    rec.hold();
    const pending = Array.from({ length: 1_000 }, () => names.check('carol'));
    await flush();
    rec.release();
    const results = await Promise.all(pending);
    expect(rec.reads()).toBe(1);
    expect(new Set(results.map((r) => r.status))).toEqual(new Set(['available']));
    expect(names.stats()).toMatchObject({ storeReads: 1, coalesced: 999 });
  });

  it('coalesces 10,000 concurrent checks over 100 cold names into exactly 100 reads', async () => {
    const rec = recordingStore();
    const names = createUsernameAvailability({ store: rec.store, bloom: false, cache: { max: 1_000 } });
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => names.check(`user${i % 100}`)));
    expect(rec.reads()).toBe(100);
  });

  it('turns a failed read into unknown for every waiter and caches nothing', async () => {
    const rec = recordingStore();
    const names = createUsernameAvailability({ store: rec.store, bloom: false });
    const errors: unknown[] = [];
    names.on('error', (e) => errors.push(e));
    const boom = new Error('connection reset');
    rec.failReads(boom);
    rec.hold();
    const pending = [names.check('dave'), names.check('dave'), names.check('Dave')];
    await flush();
    rec.release();
    const results = await Promise.all(pending);
    for (const r of results) expect(r).toEqual({ status: 'unknown', username: 'dave', error: boom, retryable: true });
    expect(errors).toEqual([{ error: boom, operation: 'exists', username: 'dave' }]);
    // Nothing was cached: the next check reads again and succeeds.
    expect(await names.check('dave')).toEqual({ status: 'available', username: 'dave', source: 'store' });
    expect(rec.reads()).toBe(2);
    expect(names.stats().storeErrors).toBe(1);
  });

  it('expires available and taken answers on their own TTLs (injected clock)', async () => {
    const rec = recordingStore(['erin']);
    const t = clock(1_000);
    const names = createUsernameAvailability({
      store: rec.store,
      bloom: false,
      cache: { availableTtlMs: 5_000, takenTtlMs: 60_000 },
      now: t.now,
    });
    await names.check('frank');
    await names.check('erin');
    t.advance(4_999);
    expect((await names.check('frank')).status === 'available' && rec.reads()).toBe(2);
    t.advance(2);
    expect(await names.check('frank')).toMatchObject({ source: 'store' });
    expect(await names.check('erin')).toMatchObject({ status: 'taken', source: 'cache' });
    t.advance(60_000);
    expect(await names.check('erin')).toMatchObject({ status: 'taken', source: 'store' });
    expect(rec.reads()).toBe(4);
  });

  it('never reads the store for invalid input, whatever it is', async () => {
    const rec = recordingStore();
    const names = createUsernameAvailability({ store: rec.store });
    const inputs: unknown[] = [undefined, null, 42, {}, [], '', '  ', 'ab', 'x'.repeat(1_000_000), 'a\ud800b', 'ad\u200bmin', 'admin', '__proto__', 'a..b'];
    for (const input of inputs) {
      const r = await names.check(input);
      expect(r.status).toBe('invalid');
    }
    expect(rec.calls).toEqual([]);
    expect(names.stats()).toMatchObject({ invalid: inputs.length, cacheSize: 0 });
  });

  it('treats names like constructor and hasOwnProperty as ordinary names', async () => {
    const names = createUsernameAvailability({ store: new MemoryStore() });
    for (const name of ['constructor', 'hasownproperty', 'tostring', 'valueof']) {
      expect(await names.check(name)).toMatchObject({ status: 'available' });
      expect(await names.checkThenCreate(name, {})).toMatchObject({ ok: true, username: name });
      expect(await names.check(name)).toMatchObject({ status: 'taken' });
    }
  });

  it('lets a caller stop waiting with its signal without failing the others who share the read', async () => {
    const rec = recordingStore();
    const names = createUsernameAvailability({ store: rec.store, bloom: false });
    rec.hold();
    const controller = new AbortController();
    const mine = names.check('gina', { signal: controller.signal });
    const theirs = names.check('gina');
    await flush();
    controller.abort(new Error('user left'));
    expect(await mine).toMatchObject({ status: 'unknown', username: 'gina' });
    rec.release();
    expect(await theirs).toEqual({ status: 'available', username: 'gina', source: 'store' });
    expect(names.stats().storeErrors).toBe(0);
  });
});

describe('the race the library exists for', () => {
  it('a read in flight that would say available loses to a create that lands meanwhile', async () => {
    const rec = recordingStore();
    const names = createUsernameAvailability({ store: rec.store, bloom: false });
    rec.hold();
    const check = names.check('hank'); // reads "available", held at the gate
    await flush();
    expect(await names.checkThenCreate('hank', {})).toMatchObject({ ok: true });
    rec.release();
    // The superseded read never overwrites the newer "taken".
    expect(await check).toMatchObject({ status: 'taken', username: 'hank' });
    expect(await names.check('hank')).toMatchObject({ status: 'taken', source: 'cache' });
  });

  it('two instances: the second create of a name is a typed taken, never ok and never thrown', async () => {
    const store = new MemoryStore();
    const a = createUsernameAvailability({ store });
    const b = createUsernameAvailability({ store });
    expect(await a.check('ivy')).toMatchObject({ status: 'available' });
    expect(await b.check('ivy')).toMatchObject({ status: 'available' });
    const [ra, rb] = await Promise.all([a.checkThenCreate('Ivy', 1), b.checkThenCreate('IVY', 2)]);
    expect([ra.ok, rb.ok].sort()).toEqual([false, true]);
    const loser = ra.ok ? rb : ra;
    expect(loser).toEqual({ ok: false, reason: 'taken', username: 'ivy' });
    expect(store.size).toBe(1);
  });

  it('50 concurrent creates of one name: one ok, 49 taken, the store holds the winner', async () => {
    const store = new MemoryStore<number>();
    const a = createUsernameAvailability({ store });
    const b = createUsernameAvailability({ store });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).checkThenCreate(i % 3 ? 'Judy' : 'judy', i)),
    );
    const ok = results.filter((r) => r.ok);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'taken')).toHaveLength(49);
    expect(a.stats().conflicts + b.stats().conflicts).toBe(49);
    expect(store.size).toBe(1);
  });
});

describe('checkThenCreate', () => {
  it('validates first and never touches the store for an invalid name', async () => {
    const rec = recordingStore();
    const names = createUsernameAvailability({ store: rec.store });
    expect(await names.checkThenCreate('root', {})).toEqual({
      ok: false,
      reason: 'invalid',
      username: 'root',
      detail: { reason: 'reserved', message: 'The username "root" is reserved.' },
    });
    expect(rec.calls).toEqual([]);
  });

  it('never trusts a cached "available": the insert decides', async () => {
    const store = new MemoryStore();
    const names = createUsernameAvailability({ store });
    expect(await names.check('kate')).toMatchObject({ status: 'available' });
    await store.insert('kate', {}, {}); // someone else, behind our back
    expect(await names.checkThenCreate('kate', {})).toEqual({ ok: false, reason: 'taken', username: 'kate' });
    expect(await names.check('kate')).toMatchObject({ status: 'taken', source: 'cache' });
  });

  it('returns unavailable (retryable) on a store failure and fires error', async () => {
    const store = new MemoryStore();
    const boom = new Error('deadlock');
    store.insert = async () => {
      throw boom;
    };
    const names = createUsernameAvailability({ store });
    const errors: unknown[] = [];
    names.on('error', (e) => errors.push(e));
    expect(await names.checkThenCreate('liam', {})).toEqual({
      ok: false,
      reason: 'unavailable',
      username: 'liam',
      error: boom,
      retryable: true,
    });
    expect(errors).toEqual([{ error: boom, operation: 'insert', username: 'liam' }]);
    // A failed create teaches nothing: the name still reads as available.
    expect(await names.check('liam')).toMatchObject({ status: 'available' });
  });

  it('uses a create override and its conflict classifier', async () => {
    const rows = new Set<string>();
    const names = createUsernameAvailability({ store: new MemoryStore() });
    const create = async (username: string) => {
      if (rows.has(username)) throw Object.assign(new Error('dup'), { cause: { code: '23505' } });
      rows.add(username);
      return { id: rows.size };
    };
    const { isUniqueViolation } = await import('../src/index.js');
    expect(await names.checkThenCreate('mia', {}, { create, isConflict: isUniqueViolation })).toEqual({
      ok: true,
      username: 'mia',
      value: { id: 1 },
    });
    expect(await names.checkThenCreate('MIA', {}, { create, isConflict: isUniqueViolation })).toMatchObject({
      ok: false,
      reason: 'taken',
    });
  });

  it('offers suggestions that are available when asked to', async () => {
    const store = new MemoryStore({ initial: ['noah'] });
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const names = createUsernameAvailability({ store, suggestions: 3, random });
    const r = await names.checkThenCreate('noah', {});
    expect(r).toMatchObject({ ok: false, reason: 'taken' });
    if (r.ok || r.reason !== 'taken') throw new Error('expected taken');
    expect(r.suggestions).toHaveLength(3);
    for (const s of r.suggestions ?? []) {
      expect(s).toMatch(/^noah\d+$/);
      expect(await store.exists(s, {})).toBe(false);
    }
  });
});

describe('Bloom filter layer', () => {
  it('answers nothing before warm(), then answers negatives without a store read', async () => {
    const rec = recordingStore(['olga', 'pete']);
    const names = createUsernameAvailability({ store: rec.store, cache: false });
    expect(await names.check('olga')).toMatchObject({ status: 'taken', source: 'store' });
    expect(await names.check('quinn')).toMatchObject({ status: 'available', source: 'store' });
    expect(names.stats().bloom?.ready).toBe(false);
    expect(await names.warm()).toEqual({ loaded: 2 });
    const before = rec.reads();
    expect(await names.check('quinn')).toEqual({ status: 'available', username: 'quinn', source: 'bloom' });
    expect(await names.check('pete')).toMatchObject({ status: 'taken', source: 'store' });
    expect(rec.reads()).toBe(before + 1);
    expect(names.stats()).toMatchObject({ bloomNegatives: 1, warmed: 2 });
  });

  it('learns every name created after warm-up, so it never answers available for it', async () => {
    const names = createUsernameAvailability({ store: new MemoryStore(), cache: false });
    await names.warm();
    await names.checkThenCreate('rosa', {});
    expect(await names.check('rosa')).toMatchObject({ status: 'taken', source: 'store' });
  });

  it('a released name comes back available through the store (the filter cannot forget)', async () => {
    const names = createUsernameAvailability({ store: new MemoryStore() });
    await names.warm();
    await names.checkThenCreate('sam', {});
    expect(await names.release('Sam')).toEqual({ ok: true, username: 'sam' });
    expect(await names.check('sam')).toEqual({ status: 'available', username: 'sam', source: 'store' });
    expect(await names.release('sam')).toEqual({ ok: false, reason: 'not_found', username: 'sam' });
  });

  it('takes a filter of the app\'s own through bloom.create, built on each warm()', async () => {
    const built: Set<string>[] = [];
    const rec = recordingStore(['ursula']);
    const names = createUsernameAvailability({
      store: rec.store,
      cache: false,
      bloom: {
        expectedItems: 10,
        create: () => {
          const exact = new Set<string>();
          built.push(exact);
          return {
            add: (name) => void exact.add(name),
            has: (name) => exact.has(name),
            stats: () => ({ items: exact.size, bits: 0, hashes: 0, estimatedFalsePositiveRate: 0 }),
          };
        },
      },
    });
    expect(names.stats().bloom).toEqual({ items: 0, bits: 0, hashes: 0, estimatedFalsePositiveRate: 1, ready: false });
    expect(built).toHaveLength(0);
    await names.warm();
    expect([...built[0]!]).toEqual(['ursula']);
    expect(await names.check('victor')).toMatchObject({ status: 'available', source: 'bloom' });
    await names.checkThenCreate('victor', {});
    await names.warm(); // a rebuild: a fresh filter from the store
    expect(built).toHaveLength(2);
    expect([...built[1]!].sort()).toEqual(['ursula', 'victor']);
    expect(names.stats().bloom).toMatchObject({ items: 2, ready: true });
  });

  it('rejects warm() with the store error and keeps answering correctly', async () => {
    const store = new MemoryStore({ initial: ['tom'] });
    store.list = async function* () {
      yield 'tom';
      throw new Error('cursor lost');
    };
    const names = createUsernameAvailability({ store });
    await expect(names.warm()).rejects.toThrow('cursor lost');
    expect(names.stats().bloom?.ready).toBe(false);
    expect(await names.check('tom')).toMatchObject({ status: 'taken' });
  });
});

describe('invalidation across instances', () => {
  function pair(extra: Partial<AvailabilityOptions> = {}) {
    const store = new MemoryStore();
    const bus = createInProcessBus();
    const a = createUsernameAvailability({ store, bus, instanceId: 'a', ...extra });
    const b = createUsernameAvailability({ store, bus, instanceId: 'b', ...extra });
    return { store, a, b };
  }

  it('a create on one instance turns the other\'s cached available into taken', async () => {
    const { a, b } = pair();
    await flush(); // subscriptions are set up asynchronously
    expect(await b.check('uma')).toMatchObject({ status: 'available', source: 'store' });
    const seen: unknown[] = [];
    b.on('taken', (e) => seen.push(e));
    await a.checkThenCreate('uma', {});
    expect(seen).toEqual([{ username: 'uma', origin: 'remote' }]);
    expect(await b.check('uma')).toEqual({ status: 'taken', username: 'uma', source: 'cache' });
    expect(b.stats().busReceived).toBe(1);
    expect(a.stats().busPublished).toBe(1);
  });

  it('release and invalidate drop the other instance\'s cache entry', async () => {
    const { a, b } = pair();
    await flush();
    await a.checkThenCreate('vera', {});
    expect(await b.check('vera')).toMatchObject({ status: 'taken', source: 'cache' });
    await a.release('vera');
    expect(await b.check('vera')).toEqual({ status: 'available', username: 'vera', source: 'store' });
    const events: unknown[] = [];
    b.on('invalidated', (e) => events.push(e));
    a.invalidate('VERA');
    expect(events).toEqual([{ username: 'vera', origin: 'remote' }]);
    expect(await b.check('vera')).toMatchObject({ source: 'store' });
  });
});

describe('hooks and lifecycle', () => {
  it('fires each hook once per event and stops after unsubscribe', async () => {
    const names = createUsernameAvailability({ store: new MemoryStore() });
    const log: string[] = [];
    const offTaken = names.on('taken', ({ username, origin }) => log.push(`taken ${username} ${origin}`));
    names.on('conflict', ({ username }) => log.push(`conflict ${username}`));
    names.on('check', ({ result }) => log.push(`check ${result.status}`));
    names.on('invalidated', ({ username }) => log.push(`invalidated ${username}`));
    await names.check('walt');
    await names.checkThenCreate('walt', {});
    await names.checkThenCreate('walt', {});
    names.invalidate('walt');
    names.invalidate('a'); // invalid input: nothing to drop
    offTaken();
    await names.checkThenCreate('xena', {});
    expect(log).toEqual(['check available', 'taken walt local', 'conflict walt', 'invalidated walt']);
  });

  it('a throwing listener does not break the operation; the error reaches the error hook', async () => {
    const names = createUsernameAvailability({ store: new MemoryStore() });
    const errors: unknown[] = [];
    names.on('error', (e) => errors.push(e));
    const bad = new Error('listener bug');
    names.on('taken', () => {
      throw bad;
    });
    expect(await names.checkThenCreate('yuri', {})).toMatchObject({ ok: true });
    expect(errors).toEqual([{ error: bad, operation: 'hook' }]);
  });

  it('prints background errors when nobody listens for them', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const names = createUsernameAvailability({ store: new MemoryStore() });
    names.on('taken', () => {
      throw new Error('listener bug');
    });
    await names.checkThenCreate('zack', {});
    expect(spy).toHaveBeenCalledWith('[username-availability]', expect.objectContaining({ message: 'listener bug' }));
    spy.mockRestore();
  });

  it('throws for misuse: no store, unknown event, release without remove, calls after close', async () => {
    expect(() => createUsernameAvailability({} as AvailabilityOptions)).toThrow(TypeError);
    const store = new MemoryStore();
    const close = vi.spyOn(store, 'close');
    const names = createUsernameAvailability({ store });
    expect(() => names.on('nope' as 'taken', () => {})).toThrow(/Unknown event "nope"/);
    const noRemove = createUsernameAvailability({
      store: { exists: async () => false, insert: async () => ({}), isConflict: (e) => e instanceof UsernameConflictError },
    });
    await expect(noRemove.release('abc')).rejects.toThrow(/remove/);
    await names.close();
    expect(close).toHaveBeenCalledOnce();
    await expect(names.check('abc')).rejects.toThrow(/after names.close/);
  });
});
