import { describe, expect, it, vi } from 'vitest';
import { MemoryStore, UsernameConflictError, type StoreContext, type TakenFilter, type UsernameStore } from '../../src/index.js';
import {
  assertRaceInvariants,
  ConformanceError,
  describeStoreConformance,
  storeConformanceChecks,
  type ConformanceCheckId,
  type ConformanceOptions,
  type StoreFixture,
  type TestApi,
} from '../../src/testing/index.js';

// The kit must be able to fail: each broken store below has one defect, and
// the check that targets it must reject with a message naming it. The
// positive control (a correct store passing every check) is memory.test.ts.

type Data = { userId: number };

/** A correct Map-backed store whose parts the broken stores override. */
class MapStore implements UsernameStore<Data> {
  readonly rows = new Map<string, Data>();
  async exists(username: string, ctx: StoreContext): Promise<boolean> {
    ctx?.signal?.throwIfAborted();
    return this.rows.has(username);
  }
  async insert(username: string, data: Data, ctx: StoreContext): Promise<Data> {
    ctx?.signal?.throwIfAborted();
    if (this.rows.has(username)) throw new UsernameConflictError(username);
    this.rows.set(username, data);
    return data;
  }
  isConflict(error: unknown): boolean {
    return error instanceof UsernameConflictError;
  }
  async existsMany(usernames: readonly string[], ctx: StoreContext): Promise<Set<string>> {
    ctx?.signal?.throwIfAborted();
    return new Set(usernames.filter((n) => this.rows.has(n)));
  }
  async remove(username: string, ctx: StoreContext): Promise<boolean> {
    ctx?.signal?.throwIfAborted();
    return this.rows.delete(username);
  }
  async *list(ctx: StoreContext): AsyncIterable<string> {
    for (const name of this.rows.keys()) {
      ctx?.signal?.throwIfAborted();
      yield name;
    }
  }
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Checks, then awaits a round trip, then writes: the classic check-then-act race. */
class RacyStore extends MapStore {
  override async insert(username: string, data: Data, ctx: StoreContext): Promise<Data> {
    const taken = await this.exists(username, ctx);
    await tick();
    if (taken) throw new UsernameConflictError(username);
    this.rows.set(username, data);
    return data;
  }
}

/** No unique constraint at all: an insert overwrites. */
class UpsertStore extends MapStore {
  override async insert(username: string, data: Data): Promise<Data> {
    this.rows.set(username, data);
    return data;
  }
}

const noRunner: TestApi = { describe: () => {}, it: () => {} };

function checks(store: () => UsernameStore<Data>, extra: Partial<ConformanceOptions<Data>> = {}) {
  return storeConformanceChecks<Data>({
    test: noRunner,
    makeStore: () => ({ store: store() }),
    data: () => ({ userId: 1 }),
    bulkRows: 3_000,
    raceRounds: 3,
    propertyRuns: 100,
    ...extra,
  });
}

function check(id: ConformanceCheckId, store: () => UsernameStore<Data>, extra?: Partial<ConformanceOptions<Data>>) {
  const found = checks(store, extra).find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found.run();
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, got a resolution');
}

describe('the store checks fail on broken stores', () => {
  it('exists-insert: exists resolving 1/0 instead of booleans', async () => {
    // A driver's row count passed through unconverted (the wrong type, on purpose).
    const numberStore = (): UsernameStore<Data> => {
      const store = new MapStore();
      const exists = async (username: string) => (store.rows.has(username) ? 1 : 0);
      return Object.assign(store, { exists }) as unknown as UsernameStore<Data>;
    };
    const error = await rejection(check('exists-insert', numberStore));
    expect(error).toBeInstanceOf(ConformanceError);
    expect(error.message).toMatch(/resolved 0; expected false \(a boolean/);
  });

  it('exists-insert: a method that throws synchronously instead of rejecting', async () => {
    class SyncStore extends MapStore {
      // Not async: throws before any promise exists.
      override exists(): Promise<boolean> {
        throw new Error('boom');
      }
    }
    await expect(check('exists-insert', () => new SyncStore())).rejects.toThrow(/threw synchronously/);
  });

  it('conflict: a check-then-act insert lets overlapping inserts through', async () => {
    await expect(check('conflict', () => new RacyStore())).rejects.toThrow(/8 concurrent insert\("kit-conflict-race-0"\) calls: 8 resolved/);
  });

  it('conflict: an isConflict that recognises nothing', async () => {
    class Blind extends MapStore {
      override isConflict(): boolean {
        return false;
      }
    }
    await expect(check('conflict', () => new Blind())).rejects.toThrow(/isConflict\(UsernameConflictError: .*\) answered false/);
  });

  it('conflict-only: an isConflict that says true for everything', async () => {
    class Paranoid extends MapStore {
      override isConflict(): boolean {
        return true;
      }
    }
    await expect(check('conflict-only', () => new Paranoid())).rejects.toThrow(/isConflict\(new Error\("x"\)\) answered true/);
  });

  it("conflict-only: the store's own non-conflict error taken for a conflict", async () => {
    class CodeMatcher extends MapStore {
      override isConflict(error: unknown): boolean {
        // Matches a whole class of SQLSTATEs instead of the one unique violation.
        const code = (error as { code?: unknown } | null)?.code;
        return super.isConflict(error) || (typeof code === 'string' && code.startsWith('42'));
      }
    }
    const nonConflictError = async () => Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' });
    await expect(check('conflict-only', () => new CodeMatcher(), { nonConflictError })).rejects.toThrow(/options\.nonConflictError/);
  });

  it('exists-many: an existsMany that fails on an empty list (IN ())', async () => {
    class EmptyIn extends MapStore {
      override async existsMany(usernames: readonly string[], ctx: StoreContext): Promise<Set<string>> {
        if (usernames.length === 0) throw new Error('syntax error at or near ")"');
        return super.existsMany(usernames, ctx);
      }
    }
    await expect(check('exists-many', () => new EmptyIn())).rejects.toThrow(/existsMany\(\[\]\) rejected/);
  });

  it('remove: a remove that always says it removed something', async () => {
    class Boastful extends MapStore {
      override async remove(username: string): Promise<boolean> {
        this.rows.delete(username);
        return true;
      }
    }
    await expect(check('remove', () => new Boastful())).rejects.toThrow(/never stored resolved true/);
  });

  it('list: a list that yields a name twice', async () => {
    class Stutter extends MapStore {
      override async *list(ctx: StoreContext): AsyncIterable<string> {
        let first = true;
        for await (const name of super.list(ctx)) {
          yield name;
          if (first) yield name;
          first = false;
        }
      }
    }
    await expect(check('list', () => new Stutter())).rejects.toThrow(/more than once: "kit-0000"/);
  });

  it('list: a list that leaves rows out', async () => {
    class Paged extends MapStore {
      override async *list(): AsyncIterable<string> {
        yield* [...this.rows.keys()].slice(0, 1_000); // forgot to fetch the next pages
      }
    }
    await expect(check('list', () => new Paged())).rejects.toThrow(/left out 2000 of 3000/);
  });

  it('list: a cursor that holds the store after the consumer breaks out', async () => {
    class Locking extends MapStore {
      busy = false;
      override async insert(username: string, data: Data, ctx: StoreContext): Promise<Data> {
        if (this.busy) throw new Error('This database connection is busy executing a query');
        return super.insert(username, data, ctx);
      }
      override async *list(ctx: StoreContext): AsyncIterable<string> {
        this.busy = true;
        for await (const name of super.list(ctx)) yield name;
        this.busy = false; // never reached when the consumer breaks: no finally
      }
    }
    await expect(check('list', () => new Locking())).rejects.toThrow(/right after leaving list\(\) early rejected/);
  });

  it('list: a list that ignores its signal', async () => {
    class Deaf extends MapStore {
      override async *list(): AsyncIterable<string> {
        yield* this.rows.keys();
      }
    }
    await expect(check('list', () => new Deaf())).rejects.toThrow(/although the signal was aborted/);
  });

  it('abort: an insert that ignores an aborted signal', async () => {
    class Deaf extends MapStore {
      override async insert(username: string, data: Data): Promise<Data> {
        return super.insert(username, data, {});
      }
    }
    await expect(check('abort', () => new Deaf())).rejects.toThrow(/insert\("kit-abort", data, \{ signal \}\) with an aborted signal should have rejected/);
  });

  it('special-names: % and _ treated as LIKE wildcards', async () => {
    class Like extends MapStore {
      override async exists(username: string): Promise<boolean> {
        for (const stored of this.rows.keys()) {
          const pattern = stored.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
          if (new RegExp(`^${pattern}$`, 's').test(username)) return true;
        }
        return false;
      }
    }
    await expect(check('special-names', () => new Like())).rejects.toThrow(/exists\("ab"\) \(never inserted.*resolved true/);
  });

  it('special-names: a column that truncates at 191 characters', async () => {
    class Truncating extends MapStore {
      override async insert(username: string, data: Data, ctx: StoreContext): Promise<Data> {
        return super.insert(username.slice(0, 191), data, ctx);
      }
    }
    await expect(check('special-names', () => new Truncating())).rejects.toThrow(/"a{255}"\) after it was inserted/);
  });

  it('distinct-names: an accent-insensitive collation', async () => {
    const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').replace(/ß/g, 'ss');
    class Folding extends MapStore {
      override async exists(username: string, ctx: StoreContext): Promise<boolean> {
        return super.exists(fold(username), ctx);
      }
      override async insert(username: string, data: Data, ctx: StoreContext): Promise<Data> {
        return super.insert(fold(username), data, ctx);
      }
    }
    await expect(check('distinct-names', () => new Folding())).rejects.toThrow(/exists\("café"\) when only "cafe" is stored/);
  });

  it('race: a check-then-act insert lets several creates win', async () => {
    await expect(check('race', () => new RacyStore())).rejects.toThrow(/expected exactly one ok and 49 taken/);
  });
});

describe('the race property fails on broken stores and create paths', () => {
  const base = { data: () => ({ userId: 1 }), numRuns: 100, seed: 42 } as const;

  it('a check-then-act insert: two creates of one name, and fast-check prints seed and path', async () => {
    const error = await rejection(assertRaceInvariants<Data>({ ...base, makeStore: () => ({ store: new RacyStore() }) }));
    expect(error.message).toMatch(/created twice with no release in between/);
    expect(error.message).toMatch(/seed: 42, path: "[\d:]+"/);
    expect(error.message).toMatch(/History \(bus/);
  });

  it('a store without a unique constraint', async () => {
    await expect(
      assertRaceInvariants<Data>({ ...base, makeStore: () => ({ store: new UpsertStore() }) }),
    ).rejects.toThrow(/created twice with no release in between/);
  });

  it('a custom create that reports success without inserting', async () => {
    await expect(
      assertRaceInvariants<Data>({
        ...base,
        makeStore: () => ({ store: new MemoryStore<Data>() }),
        create: async (username) => ({ username }),
      }),
    ).rejects.toThrow(/after the run the store does not hold it, but the reported outcomes \(1 ok create/);
  });

  it('an instance that forgets its own create (a filter that never remembers)', async () => {
    const forgetful: TakenFilter = {
      add: () => {},
      has: () => false,
      stats: () => ({ items: 0, bits: 0, hashes: 0, estimatedFalsePositiveRate: 0 }),
    };
    await expect(
      // A rarer sequence (create, then invalidate, then check on one
      // instance, warmed): more runs, and no shrinking, to keep this quick.
      assertRaceInvariants<Data>({
        ...base,
        numRuns: 2_000,
        endOnFailure: true,
        makeStore: () => ({ store: new MemoryStore<Data>() }),
        availability: { bloom: { create: () => forgetful } },
      }),
    ).rejects.toThrow(/answered available \(source bloom\) although the same instance's/);
  });

  it('replays a failure from its seed and path alone', async () => {
    const first = await rejection(assertRaceInvariants<Data>({ ...base, makeStore: () => ({ store: new UpsertStore() }) }));
    const [, seed, path] = /seed: (-?\d+), path: "([\d:]+)"/.exec(first.message) ?? [];
    const replay = await rejection(
      assertRaceInvariants<Data>({
        data: base.data,
        makeStore: () => ({ store: new UpsertStore() }),
        seed: Number(seed),
        path,
        endOnFailure: true,
      }),
    );
    expect(replay.message).toMatch(/Property failed by returning false|Race invariant/);
    expect(replay.message).toMatch(/after 1 tests/);
  });
});

describe('describeStoreConformance', () => {
  function register(store: () => UsernameStore<Data>, extra: Partial<ConformanceOptions<Data>> = {}) {
    const tests: { name: string; fn: (...args: unknown[]) => Promise<void> | void; timeout?: number }[] = [];
    const suites: string[] = [];
    const test: TestApi = {
      describe: (name, fn) => {
        suites.push(name);
        fn();
      },
      it: (name, fn, timeout) => void tests.push({ name, fn, timeout }),
    };
    describeStoreConformance<Data>('Store X', {
      test,
      makeStore: (): StoreFixture<Data> => ({ store: store() }),
      data: () => ({ userId: 1 }),
      ...extra,
    });
    return { suites, tests };
  }

  it('registers one suite with one test per check, heavy ones with the long timeout', () => {
    const { suites, tests } = register(() => new MapStore(), { timeoutMs: 5_000 });
    expect(suites).toEqual(['Store X']);
    expect(tests).toHaveLength(11);
    expect(tests.filter((t) => t.timeout === 5_000).map((t) => t.name)).toEqual([
      expect.stringMatching(/^list\(\) streams every one of 50,000 names/),
      expect.stringMatching(/^50 concurrent checkThenCreate/),
      expect.stringMatching(/^scheduled interleavings/),
    ]);
    for (const t of tests) expect(t.fn.length).toBe(0); // jest would read a parameter as `done`
  });

  it("skips a check through the runner's ctx.skip when the store lacks the optional method", async () => {
    const minimal = () => {
      const full = new MapStore();
      return { exists: full.exists.bind(full), insert: full.insert.bind(full), isConflict: full.isConflict.bind(full) };
    };
    const { tests } = register(minimal);
    const skip = vi.fn();
    await tests.find((t) => t.name.startsWith('existsMany'))!.fn({ skip });
    expect(skip).toHaveBeenCalledWith('the store has no existsMany() (optional), so this check does not apply');

    // Without a context (jest), a visible warning instead.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await tests.find((t) => t.name.startsWith('remove'))!.fn();
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/Store X › remove\(\).*skipped, the store has no remove\(\)/));
    warn.mockRestore();
  });

  it('skips excluded checks without running them', async () => {
    const makeStore = vi.fn(() => ({ store: new MapStore() }));
    const list = storeConformanceChecks<Data>({ test: noRunner, makeStore, data: () => ({ userId: 1 }), exclude: ['list'] }).find(
      (c) => c.id === 'list',
    )!;
    await expect(list.run()).resolves.toEqual({ status: 'skipped', reason: 'excluded by options.exclude' });
    expect(makeStore).not.toHaveBeenCalled();
  });

  it('cleans up after a failing check too', async () => {
    const cleanup = vi.fn(async () => {});
    class Paranoid extends MapStore {
      override isConflict(): boolean {
        return true;
      }
    }
    const conflictOnly = storeConformanceChecks<Data>({
      test: noRunner,
      makeStore: () => ({ store: new Paranoid(), cleanup }),
      data: () => ({ userId: 1 }),
    }).find((c) => c.id === 'conflict-only')!;
    await expect(conflictOnly.run()).rejects.toBeInstanceOf(ConformanceError);
    expect(cleanup).toHaveBeenCalledOnce();
  });
});
