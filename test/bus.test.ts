import { describe, expect, it, vi } from 'vitest';
import {
  broadcastChannelBus,
  createInProcessBus,
  createUsernameAvailability,
  isInvalidationMessage,
  MemoryStore,
  type InvalidationMessage,
} from '../src/index.js';

function nextMessage(bus: ReturnType<typeof broadcastChannelBus>): Promise<InvalidationMessage> {
  return new Promise((resolve) => {
    const off = bus.subscribe((message) => {
      void Promise.resolve(off).then((unsubscribe) => unsubscribe());
      resolve(message);
    });
  });
}

describe('broadcastChannelBus', () => {
  it('carries a create from one instance to another on the same channel', async () => {
    const name = `ua-test-${Math.random()}`;
    const busA = broadcastChannelBus({ name });
    const busB = broadcastChannelBus({ name });
    const store = new MemoryStore();
    const a = createUsernameAvailability({ store, bus: busA, instanceId: 'a' });
    const b = createUsernameAvailability({ store, bus: busB, instanceId: 'b' });
    expect(await b.check('wendy')).toMatchObject({ status: 'available', source: 'store' });
    const heard = new Promise((resolve) => b.on('taken', resolve));
    await a.checkThenCreate('wendy', {});
    expect(await heard).toEqual({ username: 'wendy', origin: 'remote' });
    expect(await b.check('wendy')).toEqual({ status: 'taken', username: 'wendy', source: 'cache' });
    await Promise.all([a.close(), b.close(), busA.close?.(), busB.close?.()]);
  });

  it('ignores anything on the channel that is not an invalidation message', async () => {
    const name = `ua-test-${Math.random()}`;
    const bus = broadcastChannelBus({ name });
    const raw = new BroadcastChannel(name);
    const received = nextMessage(bus);
    raw.postMessage({ hello: 'world' });
    raw.postMessage('taken:alice');
    raw.postMessage({ type: 'taken', username: 'alice', origin: 'x' });
    expect(await received).toEqual({ type: 'taken', username: 'alice', origin: 'x' });
    raw.close();
    await bus.close?.();
  });
});

describe('createInProcessBus', () => {
  it('delivers to every subscriber even when one throws, then reports the failure', () => {
    const bus = createInProcessBus();
    const seen: string[] = [];
    void bus.subscribe(() => {
      throw new Error('bad subscriber');
    });
    void bus.subscribe((m) => seen.push(m.username));
    expect(() => bus.publish({ type: 'taken', username: 'xavier', origin: 'o' })).toThrow(AggregateError);
    expect(seen).toEqual(['xavier']);
  });

  it('a publish failure reaches the error hook without failing the create', async () => {
    const failing = {
      publish: () => Promise.reject(new Error('broker down')),
      subscribe: () => () => {},
    };
    const names = createUsernameAvailability({ store: new MemoryStore(), bus: failing });
    const errors: unknown[] = [];
    names.on('error', (e) => errors.push(e));
    expect(await names.checkThenCreate('yvonne', {})).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toMatchObject({ operation: 'bus', username: 'yvonne' });
  });

  it('an instance ignores its own messages and malformed ones', async () => {
    const bus = createInProcessBus();
    const names = createUsernameAvailability({ store: new MemoryStore(), bus, instanceId: 'me' });
    await new Promise((resolve) => setTimeout(resolve, 0));
    bus.publish({ type: 'taken', username: 'zoe', origin: 'me' });
    bus.publish({ type: 'nonsense', username: 'zoe', origin: 'other' } as unknown as InvalidationMessage);
    expect(names.stats().busReceived).toBe(0);
    expect(await names.check('zoe')).toMatchObject({ status: 'available', source: 'store' });
    expect(isInvalidationMessage({ type: 'released', username: 'zoe', origin: 'x' })).toBe(true);
    expect(isInvalidationMessage(null)).toBe(false);
  });
});
