import { isInvalidationMessage, type InvalidationBus } from './types.js';

/**
 * Options of {@link broadcastChannelBus}.
 *
 * @example
 * ```ts
 * const options: BroadcastChannelBusOptions = { name: 'signup-names' };
 * ```
 */
export interface BroadcastChannelBusOptions {
  /** The channel name; every instance must use the same. @defaultValue 'username-availability' */
  name?: string;
}

/**
 * A bus over the standard `BroadcastChannel`: between browser tabs and workers
 * of one origin, between Node worker threads, Deno workers. Not between
 * separate server processes or machines (use the Redis or PostgreSQL bus).
 * Messages are checked on arrival; anything else on the channel is ignored.
 *
 * @example
 * ```ts
 * const bus = broadcastChannelBus({ name: 'signup-names' });
 * const names = createUsernameAvailability({ store, bus });
 * // …
 * await bus.close?.();
 * ```
 */
export function broadcastChannelBus(options: BroadcastChannelBusOptions = {}): InvalidationBus {
  const name = options.name ?? 'username-availability';
  const Channel = (globalThis as { BroadcastChannel?: typeof BroadcastChannel }).BroadcastChannel;
  if (!Channel) throw new TypeError('broadcastChannelBus needs a runtime with a global BroadcastChannel.');
  const channels = new Set<BroadcastChannel>();
  const open = () => {
    const channel = new Channel(name);
    // Node keeps the process alive while a channel is open; a bus must not.
    (channel as { unref?: () => void }).unref?.();
    channels.add(channel);
    return channel;
  };
  const sender = open();
  return {
    publish(message) {
      sender.postMessage(message);
    },
    subscribe(listener) {
      // A channel never receives its own posts, so each subscriber listens on
      // a channel of its own: that is also how two instances in one thread
      // hear each other.
      const channel = open();
      channel.onmessage = (event: MessageEvent) => {
        if (isInvalidationMessage(event.data)) listener(event.data);
      };
      return () => {
        channel.close();
        channels.delete(channel);
      };
    },
    async close() {
      for (const channel of channels) channel.close();
      channels.clear();
    },
  };
}
