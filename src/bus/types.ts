/**
 * What one instance tells the others about a canonical username.
 *
 * - `taken`: created here, or a create here hit a conflict.
 * - `released`: removed from the store here.
 * - `invalidated`: `names.invalidate()` was called here.
 *
 * @example
 * ```ts
 * const message: InvalidationMessage = { type: 'taken', username: 'alice', origin: 'i-1a2b' };
 * ```
 */
export interface InvalidationMessage {
  type: 'taken' | 'released' | 'invalidated';
  /** The canonical username. */
  username: string;
  /** The id of the publishing instance; an instance ignores its own messages. */
  origin: string;
}

/**
 * Carries {@link InvalidationMessage}s between the app instances that share one
 * store, so that a name taken on one instance stops reading as available on the
 * others before their cache entries expire.
 *
 * A bus is best-effort: a lost message only means a stale *check* until the
 * cache TTL runs out. Creates never depend on it (the store decides).
 *
 * @example
 * ```ts
 * const bus: InvalidationBus = {
 *   publish: (message) => channel.postMessage(message),
 *   subscribe: (listener) => {
 *     const onMessage = (event: MessageEvent) => listener(event.data);
 *     channel.addEventListener('message', onMessage);
 *     return () => channel.removeEventListener('message', onMessage);
 *   },
 * };
 * ```
 */
export interface InvalidationBus {
  /** Sends a message to every other subscriber. May resolve once it is sent. */
  publish(message: InvalidationMessage): void | Promise<void>;
  /** Registers a listener; returns (or resolves) the function that removes it. */
  subscribe(
    listener: (message: InvalidationMessage) => void,
  ): (() => void | Promise<void>) | Promise<() => void | Promise<void>>;
  /** Releases the bus's own resources (not a client the app passed in). */
  close?(): Promise<void>;
}

/**
 * Is this untyped payload (off the wire, out of a channel) an
 * {@link InvalidationMessage}? For bus authors.
 *
 * @example
 * ```ts
 * subscriber.on('message', (_channel, text) => {
 *   const payload: unknown = JSON.parse(text);
 *   if (isInvalidationMessage(payload)) listener(payload);
 * });
 * ```
 */
export function isInvalidationMessage(value: unknown): value is InvalidationMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    (m.type === 'taken' || m.type === 'released' || m.type === 'invalidated') &&
    typeof m.username === 'string' &&
    typeof m.origin === 'string'
  );
}
