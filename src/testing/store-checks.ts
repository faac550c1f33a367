import type { UsernameStore } from '../store/types.js';
import { asserter, q, sample, type Asserter } from './assert.js';
import { insertAll, withFixture } from './fixture.js';
import { DISTINCT_PAIRS, TRICKY_NAMES, utf8Bytes } from './names.js';
import type { ConformanceOptions } from './types.js';

/**
 * What running one check produced: it passed, or it did not apply to this
 * store (an optional method is missing, or the options excluded it).
 * A failure is thrown, as a {@link ConformanceError}.
 *
 * @example
 * ```ts
 * const outcome: ConformanceOutcome = await check.run();
 * if (outcome.status === 'skipped') console.warn(outcome.reason);
 * ```
 */
export type ConformanceOutcome = { status: 'passed' } | { status: 'skipped'; reason: string };

export const PASSED: ConformanceOutcome = { status: 'passed' };

export const skipped = (reason: string): ConformanceOutcome => ({ status: 'skipped', reason });

const lacks = (method: string): ConformanceOutcome =>
  skipped(`the store has no ${method}() (optional), so this check does not apply`);

/** `exists` is false, then `true` after `insert`, and it resolves real booleans. */
export async function checkExistsInsert<TData>(options: ConformanceOptions<TData>): Promise<ConformanceOutcome> {
  const a: Asserter = asserter('exists-insert');
  return withFixture(options.makeStore, async (store) => {
    const name = 'kit-exists';
    await expectExists(a, store, name, false, 'on an empty store');
    await a.resolves(() => store.insert(name, options.data(), {}), `insert(${q(name)}) on an empty store`);
    await expectExists(a, store, name, true, `after insert(${q(name)})`);
    // A store that answers true for everything, or matches prefixes, fails here.
    for (const other of ['kit-exists-other', 'kit-exist', 'kit-exists2']) {
      await expectExists(a, store, other, false, `when only ${q(name)} was inserted`);
    }
    return PASSED;
  });
}

/**
 * A second insert of a stored name throws an error that `isConflict`
 * recognises, sequentially and when several inserts of one name race.
 */
export async function checkConflict<TData>(options: ConformanceOptions<TData>): Promise<ConformanceOutcome> {
  const a: Asserter = asserter('conflict');
  return withFixture(options.makeStore, async (store) => {
    const name = 'kit-conflict';
    await a.resolves(() => store.insert(name, options.data(), {}), `the first insert(${q(name)})`);
    const error = await a.rejects(
      () => store.insert(name, options.data(), {}),
      `a second insert(${q(name)}) of a stored name`,
    );
    expectConflict(a, store, error, `the error of a second insert(${q(name)})`);
    await expectExists(a, store, name, true, 'after a rejected duplicate insert');

    // The unique constraint must hold when the inserts overlap: a store that
    // checks, awaits, then writes lets several of them through.
    const racers = 8;
    for (let round = 0; round < 5; round++) {
      const raced = `kit-conflict-race-${round}`;
      const settled = await Promise.allSettled(
        Array.from({ length: racers }, () => Promise.resolve().then(() => store.insert(raced, options.data(), {}))),
      );
      const won = settled.filter((s) => s.status === 'fulfilled').length;
      a.ok(
        won === 1,
        `${racers} concurrent insert(${q(raced)}) calls: ${won} resolved; exactly one may (the unique constraint decides).`,
      );
      for (const s of settled) {
        if (s.status === 'rejected') expectConflict(a, store, s.reason, `a losing concurrent insert(${q(raced)})`);
      }
    }
    return PASSED;
  });
}

/** `isConflict` says `false` for everything that is not a unique violation, and never throws. */
export async function checkConflictOnly<TData>(options: ConformanceOptions<TData>): Promise<ConformanceOutcome> {
  const a: Asserter = asserter('conflict-only');
  return withFixture(options.makeStore, async (store) => {
    const samples: [string, unknown][] = [
      ['new Error("x")', new Error('x')],
      ['a TypeError', new TypeError('Cannot read properties of undefined')],
      ['a connection error (code ECONNREFUSED)', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
      ['an AbortError', new DOMException('This operation was aborted', 'AbortError')],
      ['undefined', undefined],
      ['null', null],
      ['the string "x"', 'x'],
      ['the empty string', ''],
      ['the string "duplicate key value violates unique constraint"', 'duplicate key value violates unique constraint'],
      ['the string "23505"', '23505'],
      ['the string "ER_DUP_ENTRY"', 'ER_DUP_ENTRY'],
      ['the number 1062', 1062],
      ['an empty object', {}],
      ['an empty array', []],
    ];
    for (const [label, value] of samples) {
      let answer: unknown;
      try {
        answer = store.isConflict(value);
      } catch (error) {
        a.fail(`isConflict(${label}) threw ${q(error)}; it must answer false for anything that is not a conflict.`, error);
      }
      a.ok(answer === false, `isConflict(${label}) answered ${q(answer)}; only a unique violation is a conflict.`);
    }
    if (options.nonConflictError) {
      let error: unknown;
      try {
        error = await options.nonConflictError(store);
      } catch (thrown) {
        error = thrown;
      }
      a.ok(
        error !== undefined && error !== null,
        `options.nonConflictError resolved ${q(error)}; it should resolve (or reject with) an error of this store.`,
      );
      const answer = store.isConflict(error);
      a.ok(
        answer === false,
        `isConflict(${q(error)}) answered ${q(answer)} for the store's own non-conflict error (options.nonConflictError): ` +
          `a failing connection would then read as "taken" instead of "unavailable".`,
      );
    }
    return PASSED;
  });
}

/** `existsMany` resolves exactly the stored subset, agreeing with `exists`, also for `[]` and large inputs. */
export async function checkExistsMany<TData>(options: ConformanceOptions<TData>): Promise<ConformanceOutcome> {
  const a: Asserter = asserter('exists-many');
  return withFixture(options.makeStore, async (store) => {
    if (typeof store.existsMany !== 'function') return lacks('existsMany');
    const existsMany = store.existsMany.bind(store);
    const stored = ['kit-many-a', 'kit-many-b', "kit-many-o'c", 'kit-many-%'];
    await insertAll(store, stored, options.data);
    const query = [...stored, 'kit-many-x', 'kit-many-', 'kit-many-ab', 'kit-many-a'];
    const found = await a.resolves(() => existsMany(query, {}), `existsMany(${q(query)})`);
    a.ok(found instanceof Set, `existsMany() resolved ${q(found)}; it must resolve a Set.`);
    expectSameSet(a, found, new Set(stored), `existsMany(${q(query)})`);
    for (const name of query) {
      const one = await a.resolves(() => store.exists(name, {}), `exists(${q(name)})`);
      a.ok(one === found.has(name), `exists(${q(name)}) says ${one} but existsMany() says ${found.has(name)}.`);
    }

    const none = await a.resolves(() => existsMany([], {}), 'existsMany([])');
    a.ok(none instanceof Set && none.size === 0, `existsMany([]) resolved ${q(none)}; it must resolve an empty Set (an empty IN () is a syntax error in SQL).`);

    // Large inputs: drivers limit bound parameters per statement.
    const many = Array.from({ length: 2_000 }, (_, i) => `kit-many-${i}`);
    const manyStored = many.filter((_, i) => i % 4 === 0);
    await (options.bulkInsert ? options.bulkInsert(store, manyStored) : insertAll(store, manyStored, options.data));
    const manyFound = await a.resolves(() => existsMany(many, {}), `existsMany() of ${many.length} names`);
    expectSameSet(a, manyFound, new Set(manyStored), `existsMany() of ${many.length} names`);
    return PASSED;
  });
}

/** `remove` deletes one name (and only it), resolves whether it did, and frees the name for a new insert. */
export async function checkRemove<TData>(options: ConformanceOptions<TData>): Promise<ConformanceOutcome> {
  const a: Asserter = asserter('remove');
  return withFixture(options.makeStore, async (store) => {
    if (typeof store.remove !== 'function') return lacks('remove');
    const remove = store.remove.bind(store);
    const name = 'kit-remove';
    const neighbour = 'kit-remove-neighbour';
    await insertAll(store, [name, neighbour], options.data);
    const removed = await a.resolves(() => remove(name, {}), `remove(${q(name)}) of a stored name`);
    a.ok(removed === true, `remove(${q(name)}) of a stored name resolved ${q(removed)}; it must resolve true.`);
    await expectExists(a, store, name, false, `after remove(${q(name)})`);
    await expectExists(a, store, neighbour, true, `after remove(${q(name)}) (only that name may go)`);
    await a.resolves(() => store.insert(name, options.data(), {}), `insert(${q(name)}) after it was removed`);
    await expectExists(a, store, name, true, `after it was removed and inserted again`);
    const missing = 'kit-remove-missing';
    const again = await a.resolves(() => remove(missing, {}), `remove(${q(missing)}) of a name never stored`);
    a.ok(again === false, `remove(${q(missing)}) of a name never stored resolved ${q(again)}; it must resolve false.`);
    await a.resolves(() => remove(name, {}), `remove(${q(name)})`);
    const twice = await a.resolves(() => remove(name, {}), `a second remove(${q(name)})`);
    a.ok(twice === false, `a second remove(${q(name)}) resolved ${q(twice)}; nothing was left to remove, so it must resolve false.`);
    return PASSED;
  });
}

/**
 * `list` yields every stored name exactly once and streams: its first name
 * arrives before the walk ends, an early `break` releases the cursor, and an
 * abort mid-way stops it.
 */
export async function checkList<TData>(options: ConformanceOptions<TData>): Promise<ConformanceOutcome> {
  const a: Asserter = asserter('list');
  return withFixture(options.makeStore, async (store) => {
    if (typeof store.list !== 'function') return lacks('list');
    const list = store.list.bind(store);
    const rows = options.bulkRows ?? 50_000;
    const names = Array.from({ length: rows }, (_, i) => `kit-${i.toString(36).padStart(4, '0')}`);
    await (options.bulkInsert ? options.bulkInsert(store, names) : insertAll(store, names, options.data));
    const expected = new Set(names);

    // 1. The whole walk: every name, exactly once, nothing else.
    const seen = new Set<string>();
    const duplicates: string[] = [];
    let count = 0;
    try {
      for await (const name of list({})) {
        count++;
        if (typeof name !== 'string') a.fail(`list() yielded ${q(name)} (a ${typeof name}); it must yield strings.`);
        if (seen.has(name)) duplicates.push(name);
        seen.add(name);
      }
    } catch (error) {
      if (error instanceof Error && error.name === 'ConformanceError') throw error;
      a.fail(`list() failed after ${count} names with ${q(error)}.`, error);
    }
    a.ok(duplicates.length === 0, () => `list() yielded names more than once: ${sample(duplicates)}.`);
    const missing = names.filter((n) => !seen.has(n));
    a.ok(missing.length === 0, () => `list() left out ${missing.length} of ${rows} stored names: ${sample(missing)}.`);
    const extra = [...seen].filter((n) => !expected.has(n));
    a.ok(extra.length === 0, () => `list() yielded names that were never stored: ${sample(extra)}.`);
    a.ok(count === rows, `list() yielded ${count} names for ${rows} stored.`);

    // 2. Streaming: take the first name and stop. An implementation that
    // buffers every row still passes this, but one whose cursor keeps a
    // connection, a transaction or a lock after the consumer leaves does not:
    // the store must be usable right after.
    const iterator = list({})[Symbol.asyncIterator]();
    const first = await a.resolves(() => iterator.next(), 'the first next() of list()');
    a.ok(!first.done && expected.has(first.value), `the first next() of list() gave ${q(first)}; expected one of the stored names.`);
    if (typeof iterator.return === 'function') {
      await a.resolves(() => iterator.return!(), "list()'s iterator.return() after one name (what `break` calls)");
    }
    for await (const name of list({})) {
      a.ok(expected.has(name), `list() yielded ${q(name)}, never stored.`);
      break;
    }
    const later = 'kit-after-break';
    await a.resolves(() => store.insert(later, options.data(), {}), `insert(${q(later)}) right after leaving list() early`);
    await expectExists(a, store, later, true, 'after leaving list() early');

    // 3. Abort mid-walk: the iteration must stop with a rejection before it
    // has yielded every row (adapters that fetch in pages may finish a page).
    const controller = new AbortController();
    let pulled = 0;
    let stopped: unknown;
    try {
      for await (const name of list({ signal: controller.signal })) {
        void name;
        if (++pulled === 1) controller.abort(new Error('kit: aborted mid-stream'));
      }
    } catch (error) {
      stopped = error ?? 'rejected';
    }
    a.ok(
      stopped !== undefined,
      `list({ signal }) yielded all ${pulled} names although the signal was aborted after the first; it must reject once aborted.`,
    );
    return PASSED;
  });
}

/** An already-aborted signal rejects every call, and the aborted write did not happen. */
export async function checkAbort<TData>(options: ConformanceOptions<TData>): Promise<ConformanceOutcome> {
  const a: Asserter = asserter('abort');
  return withFixture(options.makeStore, async (store) => {
    const controller = new AbortController();
    controller.abort(new Error('kit: aborted before the call'));
    const ctx = { signal: controller.signal };
    const name = 'kit-abort';
    await a.rejects(() => store.exists(name, ctx), `exists(${q(name)}, { signal }) with an aborted signal`);
    const error = await a.rejects(() => store.insert(name, options.data(), ctx), `insert(${q(name)}, data, { signal }) with an aborted signal`);
    a.ok(!store.isConflict(error), `isConflict() recognised the rejection of an aborted insert (${q(error)}) as a conflict.`);
    await expectExists(a, store, name, false, 'after an insert with an aborted signal (the insert must not happen)');

    const kept = 'kit-abort-kept';
    await a.resolves(() => store.insert(kept, options.data(), {}), `insert(${q(kept)})`);
    if (typeof store.existsMany === 'function') {
      await a.rejects(() => store.existsMany!([kept], ctx), 'existsMany() with an aborted signal');
    }
    if (typeof store.remove === 'function') {
      await a.rejects(() => store.remove!(kept, ctx), `remove(${q(kept)}) with an aborted signal`);
      await expectExists(a, store, kept, true, 'after a remove with an aborted signal (the remove must not happen)');
    }
    if (typeof store.list === 'function') {
      await a.rejects(async () => {
        for await (const listed of store.list!(ctx)) void listed;
      }, 'iterating list({ signal }) with an aborted signal');
    }
    return PASSED;
  });
}

/**
 * Quotes, backslashes, `%`, `_`, control characters, several scripts, emoji
 * and 255-byte names go in and come out byte for byte, and `%` / `_` are
 * not wildcards.
 */
export async function checkSpecialNames<TData>(options: ConformanceOptions<TData>): Promise<ConformanceOutcome> {
  const a: Asserter = asserter('special-names');
  return withFixture(options.makeStore, async (store) => {
    for (const name of TRICKY_NAMES) {
      await a.resolves(() => store.insert(name, options.data(), {}), `insert(${q(name)}) (${utf8Bytes(name)} bytes)`);
    }
    for (const name of TRICKY_NAMES) {
      await expectExists(a, store, name, true, `after it was inserted (${utf8Bytes(name)} UTF-8 bytes)`);
    }

    // None of these was inserted; a LIKE, a glob or a regex built from the
    // stored names would match them.
    const probes = ['ab', 'ax', 'a', 'z', 'zz', 'x%', 'a%b', 'back\\\\slash', 'o\\\'brien', 'say\\"hi\\"', 'cafe', 'e'];
    for (const probe of probes) {
      await expectExists(a, store, probe, false, `(never inserted; the stored names include "a%", "a_", "%", "_")`);
    }
    if (typeof store.existsMany === 'function') {
      const found = await a.resolves(() => store.existsMany!([...TRICKY_NAMES, ...probes], {}), 'existsMany() of the tricky names');
      expectSameSet(a, found, new Set(TRICKY_NAMES), 'existsMany() of the tricky names and of never-inserted probes');
    }
    if (typeof store.list === 'function') {
      const listed: string[] = [];
      for await (const name of store.list({})) listed.push(name);
      const expected = new Set(TRICKY_NAMES);
      const changed = listed.filter((n) => !expected.has(n));
      a.ok(
        changed.length === 0,
        () => `list() returned names that differ from what was inserted (escaped, trimmed, re-encoded or truncated?): ${sample(changed.map(codePoints))}.`,
      );
      expectSameSet(a, new Set(listed), expected, 'list() of the tricky names');
      a.ok(listed.length === TRICKY_NAMES.length, `list() yielded ${listed.length} names for ${TRICKY_NAMES.length} stored.`);
    }
    if (typeof store.remove === 'function') {
      // A DELETE … LIKE would take these along.
      await insertAll(store, ['ab', 'ax'], options.data);
      const removed = await a.resolves(() => store.remove!('a%', {}), 'remove("a%")');
      a.ok(removed === true, `remove("a%") resolved ${q(removed)}; "a%" was stored.`);
      await expectExists(a, store, 'ab', true, 'after remove("a%") (it must not be a pattern)');
      await expectExists(a, store, 'a_', true, 'after remove("a%") (it must not be a pattern)');
      await a.resolves(() => store.remove!('a_', {}), 'remove("a_")');
      await expectExists(a, store, 'ax', true, 'after remove("a_") (it must not be a pattern)');
    }
    return PASSED;
  });
}

/**
 * Names that are different canonical names stay different: the unique column
 * compares bytes, not an accent-insensitive or normalising collation.
 */
export async function checkDistinctNames<TData>(options: ConformanceOptions<TData>): Promise<ConformanceOutcome> {
  const a: Asserter = asserter('distinct-names');
  return withFixture(options.makeStore, async (store) => {
    for (const [plain, other] of DISTINCT_PAIRS) {
      await a.resolves(() => store.insert(plain, options.data(), {}), `insert(${q(plain)})`);
      await expectExists(a, store, other, false, `when only ${q(plain)} is stored (an accent-insensitive or normalising collation? use a binary one, e.g. utf8mb4_bin)`);
      await a.resolves(
        () => store.insert(other, options.data(), {}),
        `insert(${q(other)}) while ${q(plain)} is stored (a different name; an accent-insensitive or normalising collation would call it a duplicate)`,
      );
      await expectExists(a, store, plain, true, `after inserting ${q(other)}`);
    }
    return PASSED;
  });
}

async function expectExists<TData>(
  a: Asserter,
  store: UsernameStore<TData>,
  name: string,
  expected: boolean,
  when: string,
): Promise<void> {
  const answer = await a.resolves(() => store.exists(name, {}), `exists(${q(name)}) ${when}`);
  a.ok(
    answer === expected,
    `exists(${q(name)}) ${when} resolved ${q(answer)}; expected ${expected}${typeof answer !== 'boolean' ? ' (a boolean, not a row or a count)' : ''}.`,
  );
}

function expectConflict<TData>(a: Asserter, store: UsernameStore<TData>, error: unknown, what: string): void {
  let answer: unknown;
  try {
    answer = store.isConflict(error);
  } catch (thrown) {
    a.fail(`isConflict() threw ${q(thrown)} on ${what}.`, thrown);
  }
  a.ok(answer === true, `isConflict(${q(error)}) answered ${q(answer)} for ${what}; it must recognise the store's unique violation.`);
}

function expectSameSet(a: Asserter, actual: Set<string>, expected: Set<string>, what: string): void {
  const missing = [...expected].filter((n) => !actual.has(n));
  const extra = [...actual].filter((n) => !expected.has(n));
  a.ok(
    missing.length === 0 && extra.length === 0,
    () =>
      `${what}: ` +
      [missing.length ? `missing ${sample(missing)}` : '', extra.length ? `unexpected ${sample(extra)}` : '']
        .filter(Boolean)
        .join('; ') +
      '.',
  );
}

function codePoints(value: string): string {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return `${JSON.stringify(shown)} (${[...value].length} code points, ${utf8Bytes(value)} bytes)`;
}
