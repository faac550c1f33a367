/**
 * What every failed check of the conformance kit throws: a full sentence that
 * quotes the offending values, and the check it came from.
 *
 * @example
 * ```ts
 * try { await check.run(); }
 * catch (error) { if (error instanceof ConformanceError) console.log(error.check, error.message); }
 * ```
 */
export class ConformanceError extends Error {
  constructor(
    /** The id of the check that failed (see {@link ConformanceCheckId}). */
    readonly check: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`[${check}] ${message}`, options);
    this.name = 'ConformanceError';
  }
}

/** Quotes a value for an error message: strings as JSON, errors by name and message. */
export function q(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Error) return `${value.name}: ${JSON.stringify(value.message)}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function' || value === undefined) return String(value);
  if (value instanceof Set) return `Set(${q([...value])})`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Shows at most `max` items of a list, for messages about big sets. */
export function sample(values: Iterable<unknown>, max = 5): string {
  const out: string[] = [];
  let total = 0;
  for (const v of values) {
    if (out.length < max) out.push(q(v));
    total++;
  }
  return total > max ? `${out.join(', ')} … (${total} in all)` : out.join(', ');
}

/** Assertion helpers bound to one check id. */
export interface Asserter {
  fail(message: string, cause?: unknown): never;
  ok(condition: unknown, message: string | (() => string)): asserts condition;
  /** Resolves the promise's error; fails when it resolves, or when `run` throws synchronously. */
  rejects(run: () => Promise<unknown>, what: string): Promise<unknown>;
  /** Resolves the promise's value; fails (with the error as cause) when it rejects. */
  resolves<T>(run: () => Promise<T>, what: string): Promise<T>;
}

/** Makes the assertion helpers of one check. */
export function asserter(check: string): Asserter {
  const fail = (message: string, cause?: unknown): never => {
    throw new ConformanceError(check, message, cause === undefined ? undefined : { cause });
  };
  const invoke = <T>(run: () => Promise<T>, what: string): Promise<T> => {
    let promise: Promise<T>;
    try {
      promise = run();
    } catch (error) {
      return fail(`${what} threw synchronously (${q(error)}); store methods must return a promise and reject instead.`, error);
    }
    if (promise === null || typeof (promise as { then?: unknown }).then !== 'function') {
      return fail(`${what} returned ${q(promise)} instead of a promise.`);
    }
    return promise;
  };
  return {
    fail,
    ok(condition, message): asserts condition {
      if (!condition) fail(typeof message === 'function' ? message() : message);
    },
    async rejects(run, what) {
      const promise = invoke(run, what);
      let value: unknown;
      try {
        value = await promise;
      } catch (error) {
        return error;
      }
      return fail(`${what} should have rejected, but it resolved ${q(value)}.`);
    },
    async resolves(run, what) {
      const promise = invoke(run, what);
      try {
        return await promise;
      } catch (error) {
        return fail(`${what} rejected with ${q(error)}; it should have resolved.`, error);
      }
    },
  };
}
