/**
 * The hooks behind `names.on()`: a map of listener sets, nothing more.
 * A listener that throws must not break the check or create that fired it,
 * so its error is handed to `onListenerError` instead of propagating.
 */
export interface Hooks<Events> {
  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void;
  emit<E extends keyof Events>(event: E, payload: Events[E]): void;
  /** Whether anyone listens: lets hot paths skip building a payload. */
  has(event: keyof Events): boolean;
}

export function createHooks<Events>(
  names: readonly (keyof Events)[],
  onListenerError: (error: unknown, event: keyof Events) => void,
): Hooks<Events> {
  const listeners = new Map<keyof Events, Set<(payload: never) => void>>();
  for (const name of names) listeners.set(name, new Set());

  return {
    on(event, listener) {
      const set = listeners.get(event);
      if (!set) {
        throw new TypeError(`Unknown event "${String(event)}"; the events are ${names.map(String).join(', ')}.`);
      }
      if (typeof listener !== 'function') {
        throw new TypeError(`The listener for "${String(event)}" must be a function; got ${typeof listener}.`);
      }
      // Wrapped so that subscribing one function twice gives two independent
      // subscriptions, each removed by its own unsubscribe.
      const entry = (payload: never) => listener(payload);
      set.add(entry);
      return () => void set.delete(entry);
    },
    emit(event, payload) {
      const set = listeners.get(event);
      if (!set || set.size === 0) return;
      for (const listener of [...set]) {
        try {
          listener(payload as never);
        } catch (error) {
          onListenerError(error, event);
        }
      }
    },
    has: (event) => (listeners.get(event)?.size ?? 0) > 0,
  };
}
