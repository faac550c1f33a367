import type * as FC from 'fast-check';
import { createUsernameAvailability } from '../availability.js';
import { createInProcessBus } from '../bus/in-process.js';
import type { InvalidationBus, InvalidationMessage } from '../bus/types.js';
import type { StoreContext, UsernameStore } from '../store/types.js';
import type { AvailabilityEvents, CheckResult, CreateOptions, CreateResult, ReleaseResult, UsernameAvailability } from '../types.js';
import { q } from './assert.js';
import type { RacePropertyOptions } from './types.js';

type FastCheck = typeof FC;

/**
 * Loads fast-check on first use. It is an optional peer dependency of
 * `username-availability/testing`: the plain conformance checks never need it.
 */
export async function loadFastCheck(): Promise<FastCheck> {
  let mod: unknown;
  try {
    mod = await import('fast-check');
  } catch (error) {
    throw new Error(
      'The race property of username-availability/testing needs fast-check, an optional peer dependency: ' +
        'install it as a dev dependency ("npm install --save-dev fast-check").',
      { cause: error },
    );
  }
  const m = mod as FastCheck & { default?: FastCheck };
  return typeof m.asyncProperty === 'function' ? m : (m.default as FastCheck);
}

// ---------------------------------------------------------------------------
// Why a plain scheduler and not `fc.commands` + `scheduledModelRun`
//
// `scheduledModelRun` runs its commands one after the other: each command's
// promises are scheduled, but command n+1 starts only once command n has
// finished. The bug class we are after needs *overlapping* operations: a
// check whose store read is in flight while a create on the same instance
// lands, two creates of one name whose inserts reach the store in either
// order, a release that overtakes a bus message. So each run here is one
// batch of operations, all launched at once, and the scheduler decides three
// things for each: when it starts (so that an operation can begin before,
// during or after another, including after one has completed and filled the
// cache), when each of its store calls *reaches* the store, and when each
// answer comes back. Bus deliveries are scheduled too, so a message can arrive
// late. The model is not a step function but a set of invariants checked on
// the recorded history (start/end logical times and results), which is what
// concurrent operations call for.
// ---------------------------------------------------------------------------

type OpKind = 'check' | 'create' | 'release' | 'invalidate' | 'warm';

interface Op {
  kind: OpKind;
  instance: number;
  group: number;
  spelling: number;
  /** Starts only once the previous operation has finished (a user's next click), instead of at any moment. */
  after: boolean;
}

interface Scenario {
  ops: Op[];
  bus: boolean;
  warm: boolean;
}

interface OpRecord {
  index: number;
  op: Op;
  raw: string;
  canonical: string;
  start?: number;
  end?: number;
  result?: unknown;
  threw?: { error: unknown };
}

interface StoreLog {
  /** Accepted inserts (store.insert or the custom create), by canonical name. */
  inserts: Map<string, number>;
  /** Removes that resolved true, by canonical name. */
  removes: Map<string, number>;
  /** Store calls that failed for another reason than a conflict or an abort. */
  failures: { call: string; error: unknown }[];
}

// Two names only: contention on one name is what races are made of.
const BASE_NAMES = ['alice', 'bob'] as const;
const SPELLINGS = 5;

/** Fullwidth forms (U+FF01…): NFKC maps them back to ASCII, so they must canonicalise like the plain name. */
function fullwidth(value: string): string {
  return value.replace(/[0-9A-Za-z]/g, (c) => String.fromCodePoint(c.codePointAt(0)! - 0x20 + 0xff00));
}

/** Five spellings of one name that differ only by case and width. */
function spellingsOf(name: string): string[] {
  const capitalised = name[0]!.toUpperCase() + name.slice(1);
  return [name, capitalised, name.toUpperCase(), fullwidth(name), fullwidth(capitalised)];
}

const bump = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);

/**
 * Runs `call` as a store request whose arrival and answer the scheduler
 * orders: the request reaches the store only when the scheduler releases
 * its first task, and the caller sees the answer only when it releases the
 * second. The real call runs in between, for real, so a database's own
 * concurrency still applies.
 */
function scheduled<T>(s: FC.Scheduler, label: string, call: () => Promise<T>): Promise<T> {
  return s.schedule(Promise.resolve(), `${label} reaches the store`).then(() => {
    let real: Promise<T>;
    try {
      real = Promise.resolve(call());
    } catch (error) {
      real = Promise.reject(error);
    }
    // Settle first, so that a rejection waiting for its turn is never
    // reported as unhandled.
    const settled = real.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    return s.schedule(settled, `${label} answers`).then((r) => (r.ok ? r.value : Promise.reject(r.error)));
  });
}

function scheduleStore<TData>(
  store: UsernameStore<TData>,
  s: FC.Scheduler,
  log: StoreLog,
): UsernameStore<TData> {
  const failed = (call: string, error: unknown, ctx: StoreContext | undefined): void => {
    if (!ctx?.signal?.aborted) log.failures.push({ call, error });
  };
  const wrapped: UsernameStore<TData> = {
    exists: (username, ctx) =>
      scheduled(s, `store.exists(${q(username)})`, () =>
        store.exists(username, ctx).catch((error: unknown) => {
          failed(`exists(${q(username)})`, error, ctx);
          throw error;
        }),
      ),
    insert: (username, data, ctx) =>
      scheduled(s, `store.insert(${q(username)})`, () =>
        store.insert(username, data, ctx).then(
          (value) => {
            bump(log.inserts, username);
            return value;
          },
          (error: unknown) => {
            if (!store.isConflict(error)) failed(`insert(${q(username)})`, error, ctx);
            throw error;
          },
        ),
      ),
    isConflict: (error) => store.isConflict(error),
  };
  if (typeof store.remove === 'function') {
    const remove = store.remove.bind(store);
    wrapped.remove = (username, ctx) =>
      scheduled(s, `store.remove(${q(username)})`, () =>
        remove(username, ctx).then(
          (removed) => {
            if (removed === true) bump(log.removes, username);
            return removed;
          },
          (error: unknown) => {
            failed(`remove(${q(username)})`, error, ctx);
            throw error;
          },
        ),
      );
  }
  if (typeof store.list === 'function') {
    const list = store.list.bind(store);
    // A warm-up's walk starts and ends at scheduled moments, so creates can
    // land before, during or after it.
    wrapped.list = async function* (ctx) {
      await s.schedule(Promise.resolve(), 'store.list() reaches the store');
      yield* list(ctx);
      await s.schedule(Promise.resolve(), 'store.list() reaches its end');
    };
  }
  return wrapped;
}

/** The bus, with every delivery to every subscriber at a moment the scheduler picks. */
function scheduleBus(
  bus: InvalidationBus,
  s: FC.Scheduler,
  onSubscribe: () => void,
  onListenerError: (error: unknown) => void,
): InvalidationBus {
  return {
    publish: (message) => bus.publish(message),
    subscribe(listener) {
      const off = bus.subscribe((message: InvalidationMessage) => {
        s.schedule(Promise.resolve(), `bus delivers ${message.type} ${q(message.username)} from ${message.origin}`)
          .then(() => listener(message))
          .catch(onListenerError);
      });
      onSubscribe();
      return off;
    },
  };
}

// ---- well-formed results ---------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const INVALID_REASONS = new Set([
  'not_a_string', 'empty', 'too_short', 'too_long', 'malformed_unicode', 'invalid_characters', 'invalid_format', 'reserved',
]);
const isDetail = (v: unknown): boolean =>
  isObject(v) && INVALID_REASONS.has(v.reason as string) && typeof v.message === 'string';

function wellFormedCheck(r: unknown): r is CheckResult {
  if (!isObject(r) || typeof r.username !== 'string') return false;
  switch (r.status) {
    case 'available':
    case 'taken':
      return r.source === 'bloom' || r.source === 'cache' || r.source === 'store';
    case 'invalid':
      return INVALID_REASONS.has(r.reason as string) && typeof r.message === 'string';
    case 'unknown':
      return 'error' in r && r.retryable === true;
    default:
      return false;
  }
}

function wellFormedCreate(r: unknown): r is CreateResult {
  if (!isObject(r) || typeof r.username !== 'string') return false;
  if (r.ok === true) return 'value' in r;
  if (r.ok !== false) return false;
  switch (r.reason) {
    case 'taken':
      return r.suggestions === undefined || (Array.isArray(r.suggestions) && r.suggestions.every((x) => typeof x === 'string'));
    case 'invalid':
      return isDetail(r.detail);
    case 'unavailable':
      return 'error' in r && r.retryable === true;
    default:
      return false;
  }
}

function wellFormedRelease(r: unknown): r is ReleaseResult {
  if (!isObject(r) || typeof r.username !== 'string') return false;
  if (r.ok === true) return true;
  if (r.ok !== false) return false;
  switch (r.reason) {
    case 'not_found':
      return true;
    case 'invalid':
      return isDetail(r.detail);
    case 'unavailable':
      return 'error' in r && r.retryable === true;
    default:
      return false;
  }
}

const VERB: Record<OpKind, string> = {
  check: 'check',
  create: 'checkThenCreate',
  release: 'release',
  invalidate: 'invalidate',
  warm: 'warm',
};

function describe(rec: OpRecord): string {
  const target = rec.op.kind === 'warm' ? '' : q(rec.raw);
  return `#${rec.index} instance ${rec.op.instance} ${VERB[rec.op.kind]}(${target})`;
}

function summary(rec: OpRecord): string {
  const when = `t${rec.start ?? '?'}→${rec.end ?? '?'}`;
  const outcome = rec.threw ? `THREW ${q(rec.threw.error)}` : rec.op.kind === 'invalidate' ? 'done' : q(rec.result);
  const chained = rec.op.after && rec.index > 0 ? ` (after #${rec.index - 1})` : '';
  return `${describe(rec)}${chained} ${when}: ${outcome}`;
}

const isOkCreate = (r: OpRecord): boolean => r.op.kind === 'create' && isObject(r.result) && r.result.ok === true;
const isOkRelease = (r: OpRecord): boolean => r.op.kind === 'release' && isObject(r.result) && r.result.ok === true;

/**
 * The invariants, checked on the recorded history of one run. Times are
 * logical (a counter bumped when an operation starts and when it ends), so
 * "X ended before C started" is exact, and an operation's effect on the store
 * happened somewhere inside its own [start, end].
 */
function violations(
  records: OpRecord[],
  groups: string[],
  log: StoreLog,
  held: Map<string, boolean>,
  errors: string[],
): string[] {
  const out: string[] = [...errors];
  for (const f of log.failures) {
    out.push(
      `store.${f.call} failed with ${q(f.error)}. The property needs a healthy store; a failure under concurrency ` +
        '(a deadlock, an exhausted pool, a serialisation error) is a finding in itself.',
    );
  }
  for (const rec of records) {
    if (rec.threw) {
      out.push(`${describe(rec)} threw ${q(rec.threw.error)}; no operation may throw for these inputs.`);
      continue;
    }
    const r = rec.result;
    const kind = rec.op.kind;
    const formed =
      kind === 'check' ? wellFormedCheck(r)
      : kind === 'create' ? wellFormedCreate(r)
      : kind === 'release' ? wellFormedRelease(r)
      : kind === 'warm' ? isObject(r) && typeof r.loaded === 'number'
      : r === undefined;
    if (!formed) {
      out.push(`${describe(rec)} resolved ${q(r)}, which is not a member of its result union.`);
      continue;
    }
    if (isObject(r) && 'username' in r && r.username !== rec.canonical) {
      out.push(`${describe(rec)} resolved username ${q(r.username)}; the canonical form is ${q(rec.canonical)}.`);
    }
    if (isObject(r) && (r.status === 'invalid' || r.reason === 'invalid')) {
      out.push(`${describe(rec)} called ${q(rec.raw)} invalid, which the same policy accepted as ${q(rec.canonical)}.`);
    }
    if (isObject(r) && r.reason === 'unavailable' && log.failures.length === 0) {
      out.push(`${describe(rec)} resolved unavailable although no store call failed.`);
    }
  }

  for (const canonical of groups) {
    const ofName = records.filter((r) => r.canonical === canonical && !r.threw);
    const creates = ofName.filter(isOkCreate).sort((x, y) => x.end! - y.end!);
    const releases = ofName.filter(isOkRelease);
    const inserts = log.inserts.get(canonical) ?? 0;
    const removes = log.removes.get(canonical) ?? 0;
    if (creates.length !== inserts) {
      out.push(
        `${q(canonical)}: the store accepted ${inserts} insert(s) but ${creates.length} create(s) reported ok ` +
          '(a create reported ok must be an insert the store accepted, and an accepted insert must be reported ok).',
      );
    }
    if (releases.length !== removes) {
      out.push(`${q(canonical)}: the store removed it ${removes} time(s) but ${releases.length} release(s) reported ok.`);
    }
    // At most one successful create between releases: any two successful
    // creates need a successful release whose interval overlaps theirs (its
    // remove took effect between the two inserts).
    for (let i = 1; i < creates.length; i++) {
      const x1 = creates[i - 1]!;
      const x2 = creates[i]!;
      const from = Math.min(x1.start!, x2.start!);
      const to = Math.max(x1.end!, x2.end!);
      if (!releases.some((r) => r.end! > from && r.start! < to)) {
        out.push(`${q(canonical)} was created twice with no release in between: ${describe(x1)} and ${describe(x2)} both resolved ok.`);
      }
    }
    const balance = creates.length - releases.length;
    if (balance !== 0 && balance !== 1) {
      out.push(`${q(canonical)}: ${creates.length} successful create(s) against ${releases.length} successful release(s).`);
    }
    const expected = balance === 1;
    if (held.get(canonical) !== expected) {
      out.push(
        `${q(canonical)}: after the run the store ${held.get(canonical) ? 'holds' : 'does not hold'} it, but the reported outcomes ` +
          `(${creates.length} ok create(s), ${releases.length} ok release(s)) say it ${expected ? 'should' : 'should not'}.`,
      );
    }
    // An instance never answers "available" for a name it has itself created
    // or seen a conflict for, unless a release of that name may have taken
    // effect since (it overlaps the window from the create to the check).
    for (const c of ofName) {
      if (c.op.kind !== 'check' || !isObject(c.result) || c.result.status !== 'available') continue;
      for (const x of ofName) {
        if (x.op.kind !== 'create' || x.op.instance !== c.op.instance || x.end! >= c.start!) continue;
        const outcome = x.result as CreateResult;
        if (!(outcome.ok || outcome.reason === 'taken')) continue;
        if (!releases.some((r) => r.end! > x.start! && r.start! < c.end!)) {
          out.push(
            `${describe(c)} answered available (source ${(c.result as { source?: string }).source}) although the same instance's ` +
              `${describe(x)} had already resolved ${outcome.ok ? 'ok' : 'taken'} and no release of ${q(canonical)} came in between.`,
          );
        }
      }
    }
  }
  return out;
}

// ---- the property ----------------------------------------------------------

/**
 * The race property of the core, against your store (and, optionally, your
 * own create path): random batches of concurrent `check` / `checkThenCreate` /
 * `release` / `invalidate` (and `warm`) over two or more
 * `createUsernameAvailability` instances sharing the store, with fast-check's
 * scheduler choosing when each operation starts, when each store request
 * reaches the store, when each answer comes back and when each bus message
 * arrives. Names come in spellings that differ only by case and width, so
 * canonicalisation is part of the race. Half of the runs connect the
 * instances with an in-process bus.
 *
 * It fails when, in any run:
 * - an operation throws, or resolves something outside its result union;
 * - a canonical name is created twice with no successful release in between,
 *   or a create reports ok without the store accepting the insert (or the
 *   other way round), or the store's final content disagrees with the
 *   reported creates and releases;
 * - an instance answers `available` for a name it has itself created or seen
 *   a conflict for, with no release of that name since;
 * - a store call fails (other than a conflict or an abort), or an instance
 *   reports an `error` event.
 *
 * fast-check is loaded with a dynamic `import()` on the first call: it is an
 * optional peer dependency, needed only here. On failure the promise rejects
 * with fast-check's report: the shrunk counterexample (with the scheduler's
 * task order), the history of the run, and the `seed` and `path` that replay
 * it through {@link RacePropertyOptions.seed} and {@link RacePropertyOptions.path}.
 *
 * Each call builds one store with `makeStore`; every run uses names that no
 * earlier run used.
 *
 * @example
 * ```ts
 * import { it } from 'vitest';
 * import { assertRaceInvariants } from 'username-availability/testing';
 *
 * it('keeps its invariants under every interleaving', async () => {
 *   await assertRaceInvariants({
 *     makeStore: async () => ({ store: await freshPostgresStore(), cleanup: dropTable }),
 *     data: () => ({ userId: 1 }),
 *     create: (username, data) => prisma.user.create({ data: { ...data, username } }),
 *     isConflict: isUniqueViolation,
 *     numRuns: 100,
 *   });
 * }, 120_000);
 * ```
 */
export async function assertRaceInvariants<TData>(options: RacePropertyOptions<TData>): Promise<void> {
  const fc = await loadFastCheck();
  const instances = options.instances ?? 2;
  if (!Number.isInteger(instances) || instances < 1) {
    throw new RangeError(`assertRaceInvariants needs instances >= 1 (an integer); got ${q(instances)}.`);
  }
  const fixture = await options.makeStore();
  const store = fixture.store;
  const bloomOn = options.availability?.bloom !== false;
  const kinds: { arbitrary: FC.Arbitrary<OpKind>; weight: number }[] = [
    { arbitrary: fc.constant<OpKind>('check'), weight: 4 },
    { arbitrary: fc.constant<OpKind>('create'), weight: 4 },
    { arbitrary: fc.constant<OpKind>('invalidate'), weight: 2 },
  ];
  if (typeof store.remove === 'function') kinds.push({ arbitrary: fc.constant<OpKind>('release'), weight: 2 });
  if (typeof store.list === 'function' && bloomOn) kinds.push({ arbitrary: fc.constant<OpKind>('warm'), weight: 1 });
  const op: FC.Arbitrary<Op> = fc.record({
    kind: fc.oneof(...kinds),
    instance: fc.nat({ max: instances - 1 }),
    group: fc.nat({ max: BASE_NAMES.length - 1 }),
    spelling: fc.nat({ max: SPELLINGS - 1 }),
    after: fc.boolean(),
  });
  const scenario: FC.Arbitrary<Scenario> = fc.record({
    ops: fc.array(op, { minLength: 1, maxLength: 12 }),
    bus: fc.boolean(),
    // Mostly warmed: only a warmed filter answers, and its answers are the
    // ones that can go wrong.
    warm: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
  });

  let run = 0;
  const property = fc.asyncProperty(fc.scheduler(), scenario, (s, sc) =>
    runScenario(store, options, s, sc, instances, (run++).toString(36)),
  );
  const parameters: FC.Parameters<[FC.Scheduler, Scenario]> = {
    numRuns: options.numRuns ?? 50,
    timeout: options.runTimeoutMs ?? 10_000,
  };
  if (options.seed !== undefined) parameters.seed = options.seed;
  if (options.path !== undefined) parameters.path = options.path;
  if (options.endOnFailure !== undefined) parameters.endOnFailure = options.endOnFailure;
  if (options.verbose !== undefined) parameters.verbose = options.verbose;
  try {
    await fc.assert(property, parameters);
  } catch (error) {
    throw withViolations(error);
  } finally {
    await fixture.cleanup?.();
  }
}

/**
 * fc.assert rejects with a report that carries the counterexample, the seed
 * and the path. fast-check 4 keeps the predicate's own error (our list of
 * violations and the history) in `cause` only; put it in the message too, so
 * that every runner prints it next to the seed and path.
 */
function withViolations(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const cause = (error as { cause?: unknown }).cause;
  if (!(cause instanceof Error) || error.message.includes(cause.message)) return error;
  return new Error(`${error.message}\n\nGot error: ${cause.message}`, { cause });
}

async function runScenario<TData>(
  store: UsernameStore<TData>,
  options: RacePropertyOptions<TData>,
  s: FC.Scheduler,
  scenario: Scenario,
  instanceCount: number,
  suffix: string,
): Promise<void> {
  const spellings = BASE_NAMES.map((base) => spellingsOf(`${base}${suffix}`));
  const log: StoreLog = { inserts: new Map(), removes: new Map(), failures: [] };
  const errors: string[] = [];

  const useBus = scenario.bus && options.availability?.bus === undefined;
  const bus = useBus ? createInProcessBus() : undefined;
  let subscribed = 0;
  let allSubscribed: () => void = () => {};
  const subscriptions = new Promise<void>((resolve) => (allSubscribed = resolve));
  const scheduledBus = bus
    ? scheduleBus(
        bus,
        s,
        () => {
          if (++subscribed === instanceCount) allSubscribed();
        },
        (error) => errors.push(`A bus listener threw ${q(error)}.`),
      )
    : undefined;

  const shared = scheduleStore(store, s, log);
  const createOptions: CreateOptions<TData, unknown> = {};
  if (options.create) {
    const create = options.create;
    const conflict = options.isConflict ?? ((e: unknown) => store.isConflict(e));
    createOptions.create = (username, data, ctx) =>
      scheduled(s, `create(${q(username)})`, () =>
        create(username, data, ctx).then(
          (value) => {
            bump(log.inserts, username);
            return value;
          },
          (error: unknown) => {
            if (!conflict(error) && !ctx.signal?.aborted) log.failures.push({ call: `create(${q(username)})`, error });
            throw error;
          },
        ),
      );
  }
  if (options.isConflict) createOptions.isConflict = options.isConflict;

  const names: UsernameAvailability<TData>[] = Array.from({ length: instanceCount }, (_, i) =>
    createUsernameAvailability<TData>({
      cache: { max: 1_000 },
      bloom: { expectedItems: 10_000 },
      // A frozen clock: no entry expires during a run, and a replay does not
      // depend on how fast the machine is.
      now: () => 0,
      ...options.availability,
      store: shared,
      instanceId: `instance-${i}`,
      ...(scheduledBus ? { bus: scheduledBus } : {}),
    }),
  );
  names.forEach((instance, i) =>
    instance.on('error', (e: AvailabilityEvents['error']) =>
      errors.push(`instance ${i} reported an error event (${e.operation}${e.username ? ` ${q(e.username)}` : ''}): ${q(e.error)}.`),
    ),
  );

  try {
    if (scheduledBus) await subscriptions;

    // Canonicalisation is part of the race: every spelling of a name must be
    // that one name, on every instance.
    const canonical = spellings.map((group) => {
      const first = names[0]!.canonicalize(group[0]);
      if (!first.ok) {
        throw new Error(
          `assertRaceInvariants: the policy refuses ${q(group[0])} (${first.reason}: ${first.message}); ` +
            'it needs a policy that accepts short lowercase ASCII names with digits.',
        );
      }
      for (const [i, instance] of names.entries()) {
        for (const spelling of group) {
          const v = instance.canonicalize(spelling);
          if (!v.ok || v.username !== first.username) {
            errors.push(
              `instance ${i} canonicalises ${q(spelling)} to ${q(v)} but ${q(group[0])} to ${q(first.username)}: ` +
                'spellings that differ only by case or width must be one name.',
            );
          }
        }
      }
      return first.username;
    });
    if (new Set(canonical).size !== canonical.length) {
      errors.push(`The policy maps different names to one: ${q(spellings.map((g) => g[0]))} → ${q(canonical)}.`);
    }

    if (scenario.warm && typeof store.list === 'function') {
      await s.waitFor(Promise.all(names.map((instance) => instance.warm())));
    }

    let clock = 0;
    const records: OpRecord[] = scenario.ops.map((op, index) => {
      const group = spellings[op.group]!;
      return { index, op, raw: group[op.spelling % group.length]!, canonical: canonical[op.group]! };
    });
    const perform = async (rec: OpRecord): Promise<void> => {
      const instance = names[rec.op.instance]!;
      rec.start = ++clock;
      try {
        switch (rec.op.kind) {
          case 'check':
            rec.result = await instance.check(rec.raw);
            break;
          case 'create':
            rec.result = await instance.checkThenCreate(rec.raw, options.data(), createOptions);
            break;
          case 'release':
            rec.result = await instance.release(rec.raw);
            break;
          case 'invalidate':
            rec.result = instance.invalidate(rec.raw);
            break;
          case 'warm':
            rec.result = await instance.warm();
            break;
        }
      } catch (error) {
        rec.threw = { error };
      }
      rec.end = ++clock;
    };
    // Each operation starts at a scheduled moment too, so that one can start
    // after another has finished and see the cache and filter it left. Those
    // marked `after` also wait for the previous operation: chains such as
    // create → invalidate → check on one instance, which a uniformly random
    // start order would rarely produce, come up often.
    const runs: Promise<void>[] = [];
    for (const rec of records) {
      const previous = rec.op.after ? runs[runs.length - 1] : undefined;
      runs.push(
        (previous ?? Promise.resolve())
          .then(() => s.schedule(Promise.resolve(), `${describe(rec)} starts`))
          .then(() => perform(rec)),
      );
    }
    // waitFor, not waitAll: it keeps releasing tasks *as they appear* until
    // every operation has settled, including tasks scheduled after a real
    // database round trip.
    await s.waitFor(Promise.all(runs));
    // Then drain what no operation waits for (late bus deliveries, reads a
    // newer fact superseded), twice across a macrotask for stragglers.
    await s.waitAll();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await s.waitAll();

    const held = new Map<string, boolean>();
    for (const name of canonical) held.set(name, (await store.exists(name, {})) === true);
    const found = violations(records, canonical, log, held, errors);
    if (found.length > 0) {
      throw new Error(
        `Race invariant${found.length > 1 ? 's' : ''} violated:\n` +
          found.map((v) => `  - ${v}`).join('\n') +
          `\nHistory (bus ${scheduledBus ? 'on' : 'off'}, warmed ${scenario.warm ? 'yes' : 'no'}; t = logical start→end):\n` +
          records.map((rec) => `  ${summary(rec)}`).join('\n'),
      );
    }
  } finally {
    await Promise.all(names.map((instance) => instance.close().catch(() => {})));
    await bus?.close?.();
  }
}
