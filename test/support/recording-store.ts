import { MemoryStore, type StoreContext, type UsernameStore } from '../../src/index.js';

export interface Call {
  method: 'exists' | 'insert' | 'remove' | 'existsMany' | 'list';
  username?: string;
}

/**
 * A MemoryStore that records every call (the dataloader way of asserting
 * exactly which store reads happened), and can hold `exists` calls at a gate
 * so a test decides when each read answers, or make them fail.
 */
export function recordingStore(initial: string[] = []) {
  const inner = new MemoryStore<unknown>({ initial });
  const calls: Call[] = [];
  let gate: Promise<void> | undefined;
  let openGate = () => {};
  let failNext: unknown[] = [];

  const store: UsernameStore<unknown> & { inner: MemoryStore<unknown> } = {
    inner,
    async exists(username: string, ctx: StoreContext) {
      calls.push({ method: 'exists', username });
      const answer = await inner.exists(username, ctx);
      if (gate) await gate;
      if (failNext.length > 0) throw failNext.shift();
      return answer;
    },
    async insert(username: string, data: unknown, ctx: StoreContext) {
      calls.push({ method: 'insert', username });
      return inner.insert(username, data, ctx);
    },
    isConflict: (error: unknown) => inner.isConflict(error),
    async remove(username: string, ctx: StoreContext) {
      calls.push({ method: 'remove', username });
      return inner.remove(username, ctx);
    },
    list(ctx: StoreContext) {
      calls.push({ method: 'list' });
      return inner.list(ctx);
    },
  };

  return {
    store,
    calls,
    reads: () => calls.filter((c) => c.method === 'exists').length,
    /** Holds every `exists` (after it has read its answer) until release(). */
    hold() {
      gate = new Promise<void>((resolve) => (openGate = resolve));
    },
    release() {
      gate = undefined;
      openGate();
    },
    /** The next `exists` calls reject with these errors, in order. */
    failReads(...errors: unknown[]) {
      failNext = errors;
    },
  };
}
