import type { InvalidationBus, InvalidationMessage } from './types.js';

/**
 * A bus for several instances inside one process (tests, workers sharing a
 * module, a server with several tenants). Delivery is synchronous, in
 * subscription order, to every subscriber (instances skip their own messages).
 * A subscriber that throws does not stop delivery to the others.
 *
 * @example
 * ```ts
 * const bus = createInProcessBus();
 * const a = createUsernameAvailability({ store, bus });
 * const b = createUsernameAvailability({ store, bus });
 * await a.checkThenCreate('alice', data); // b's cache now says taken too
 * ```
 */
export function createInProcessBus(): InvalidationBus {
  const listeners = new Set<(message: InvalidationMessage) => void>();
  return {
    publish(message) {
      const failures: unknown[] = [];
      for (const listener of [...listeners]) {
        try {
          listener(message);
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, 'An in-process bus subscriber threw.');
    },
    subscribe(listener) {
      const entry = (message: InvalidationMessage) => listener(message);
      listeners.add(entry);
      return () => void listeners.delete(entry);
    },
    async close() {
      listeners.clear();
    },
  };
}
