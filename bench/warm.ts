/**
 * Benchmark 6: `warm()` of many names streamed from SQLite and PostgreSQL.
 *
 * Reported: time, names per second, and peak memory growth while streaming,
 * sampled every 10,000 names through a wrapper around `store.list()` (a
 * timer would not fire while a synchronous driver walks the table). The
 * reference is the same table loaded at once (`SELECT username FROM t` into
 * an array): a streaming warm-up must peak far below it. The Bloom filter
 * itself (1.2 MB per million names at 1%) is part of both.
 * Target (printed, not gated: GC timing makes it noisy): peak heap growth at
 * most half of the load-everything reference.
 */
import { createUsernameAvailability } from '../src/index.js';
import type { Row, RunOptions, Target } from './util.js';
import { gc, target } from './util.js';
import type { StoreKind } from './stores.js';
import { openKit } from './stores.js';

const MB = 1024 * 1024;

interface Probe {
  baseHeap: number;
  baseRss: number;
  peakHeap: number;
  peakRss: number;
  sample(): void;
}

function probe(): Probe {
  gc();
  const m = process.memoryUsage();
  const p: Probe = {
    baseHeap: m.heapUsed,
    baseRss: m.rss,
    peakHeap: m.heapUsed,
    peakRss: m.rss,
    sample() {
      const now = process.memoryUsage();
      if (now.heapUsed > p.peakHeap) p.peakHeap = now.heapUsed;
      if (now.rss > p.peakRss) p.peakRss = now.rss;
    },
  };
  return p;
}

async function runStore(kind: StoreKind, count: number): Promise<{ rows: Row[]; targets: Target[]; details: unknown }> {
  const kit = await openKit(kind);
  if ('skip' in kit) {
    return {
      rows: [{ bench: 'warm', name: `${kind}: warm() of ${count.toLocaleString('en-US')} names`, unit: 'ms', value: null, note: `SKIP: ${kit.skip}` }],
      targets: [target({ id: `warm.${kind}.streams`, bench: 'warm', description: `${kind}: warm() streams`, measured: null, bound: '<= 0.5x', gated: false, note: 'SKIP', test: () => false })],
      details: { skipped: kit.skip },
    };
  }
  try {
    const t0 = performance.now();
    await kit.insertGenerated(count, 'w');
    const loadMs = performance.now() - t0;

    const inner = kit.store;
    let p: Probe | undefined;
    const store = {
      exists: inner.exists.bind(inner),
      insert: inner.insert.bind(inner),
      isConflict: inner.isConflict.bind(inner),
      async *list(ctx?: { signal?: AbortSignal }) {
        let n = 0;
        for await (const name of inner.list!(ctx ?? {})) {
          if (++n % 10_000 === 0) p?.sample();
          yield name;
        }
        p?.sample();
      },
    };
    const names = createUsernameAvailability({ store, cache: false, bloom: { expectedItems: count, falsePositiveRate: 0.01 } });
    p = probe();
    const t1 = performance.now();
    const { loaded } = await names.warm();
    const warmMs = performance.now() - t1;
    p.sample();
    const peakHeap = (p.peakHeap - p.baseHeap) / MB;
    const peakRss = (p.peakRss - p.baseRss) / MB;
    const bloomMB = (names.stats().bloom?.bits ?? 0) / 8 / MB;
    await names.close();
    // The reference runs after warm(): RSS rarely shrinks back, so measuring
    // it first would hide warm()'s own RSS growth.
    // The reference: everything at once.
    const ref = probe();
    let all: string[] | null = await kit.selectAll();
    ref.sample();
    const allCount = all.length;
    all = null;
    const refGrowth = (ref.peakHeap - ref.baseHeap) / MB;

    const ratio = peakHeap / refGrowth;
    return {
      rows: [
        { bench: 'warm', name: `${kind}: warm() of ${count.toLocaleString('en-US')} names`, unit: 'ms', value: warmMs, note: `${Math.round((loaded * 1000) / warmMs).toLocaleString('en-US')} names/s; loaded ${loaded.toLocaleString('en-US')}` },
        { bench: 'warm', name: `${kind}: peak heap growth during warm()`, unit: 'MB', value: peakHeap, note: `process peak RSS ${(p.peakRss / MB).toFixed(0)} MB (+${peakRss.toFixed(1)}); Bloom filter ${bloomMB.toFixed(1)} MB` },
        { bench: 'warm', name: `${kind}: reference, all names loaded at once`, unit: 'MB', value: refGrowth, note: `${allCount.toLocaleString('en-US')} names` },
        { bench: 'warm', name: `${kind}: bulk insert of the names (setup)`, unit: 'ms', value: loadMs },
      ],
      targets: [
        target({ id: `warm.${kind}.streams`, bench: 'warm', description: `${kind}: warm() streams (peak heap growth / load-all reference)`, measured: ratio, bound: '<= 0.5x', unit: 'x', gated: false, test: (v) => v <= 0.5 }),
      ],
      details: { count, loaded, warmMs, peakHeapMB: peakHeap, peakRssMB: peakRss, referenceMB: refGrowth, bloomMB, loadMs },
    };
  } finally {
    await kit.cleanup();
  }
}

export const warmBench = async (_options: RunOptions) => {
  // 1M in both modes: a few seconds, and the size.
  const count = 1_000_000;
  const rows: Row[] = [];
  const targets: Target[] = [];
  const details: Record<string, unknown> = {};
  for (const kind of ['sqlite', 'postgres'] as const) {
    const out = await runStore(kind, count);
    rows.push(...out.rows);
    targets.push(...out.targets);
    details[kind] = out.details;
  }
  return { rows, targets, details };
};
