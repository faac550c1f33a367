/** Waiting on a promise with an AbortSignal. */
/**
 * Rejects with `signal.reason` if the signal is (or becomes) aborted before
 * `promise` settles; otherwise settles like `promise`.
 *
 * The promise's work is not cancelled, only no longer waited for: for a read
 * that other callers share (the cache's coalesced read), or a driver with no
 * per-query cancellation (pg, mysql2), whose query keeps running on the
 * server and whose eventual result or error is dropped.
 * That is only safe for reads: a write that was sent may still commit after
 * the caller was told "aborted", so writes should check the signal before
 * sending and then wait for the server's answer.
 *
 * @example
 * ```ts
 * const rows = await abortable(pool.query(sql, values), ctx.signal);
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {}); // the dropped query must not become an unhandled rejection
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

