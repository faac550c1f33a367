/**
 * Shared helpers of the benchmark suite: run options, a seeded PRNG and name
 * generator, a tinybench wrapper that reports per-operation medians with
 * min–max, interleaved rounds for macro benchmarks, and memory probes.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { Bench } from 'tinybench';

/** How this run was invoked. */
export interface RunOptions {
  /** `--full`: the sizes issue 4 names (1M items/checks); otherwise the quick sizes. */
  full: boolean;
  /** `--check`: exit non-zero when a gated (deterministic) target is missed. */
  check: boolean;
  /** `--only=a,b`: run only these benchmark ids. */
  only: string[] | null;
  /** CI=true: an unreachable PostgreSQL is a failure under `--check`, not a skip. */
  ci: boolean;
}

/** A median with its spread, in the unit of the row. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** One measured figure. */
export interface Row {
  bench: string;
  name: string;
  unit: string;
  value: number | null;
  spread?: Spread;
  note?: string;
}

/** One target of issue 4 and whether this run met it. */
export interface Target {
  id: string;
  bench: string;
  description: string;
  measured: number | null;
  /** Human form of the bound, e.g. `<= 0.05`. */
  bound: string;
  /** `null`: not measured in this run (SKIP). */
  pass: boolean | null;
  /** Deterministic targets gate `--check`; timing ratios never do. */
  gated: boolean;
  unit?: string;
  note?: string;
}

/** What each benchmark module returns. */
export interface BenchOutput {
  rows: Row[];
  targets: Target[];
  /** Extra machine-readable detail (per-store counters…). */
  details?: Record<string, unknown>;
}

/** A benchmark module: one function per file. */
export type BenchModule = (options: RunOptions) => Promise<BenchOutput>;

/** mulberry32: a tiny, fast, seeded PRNG in [0, 1). Every workload is seeded. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const TAIL = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * `count` distinct usernames that every default policy accepts (ASCII, start
 * with a letter, 6–14 characters), all starting with `prefix` so that sets
 * built with different prefixes never overlap.
 */
export function makeNames(count: number, seed: number, prefix = ''): string[] {
  const rand = mulberry32(seed);
  const seen = new Set<string>();
  const out: string[] = [];
  while (out.length < count) {
    const length = 5 + Math.floor(rand() * 9);
    let name = prefix + LETTERS[Math.floor(rand() * 26)]!;
    for (let i = 0; i < length; i++) name += TAIL[Math.floor(rand() * 36)]!;
    if (!seen.has(name)) {
      seen.add(name);
      out.push(name);
    }
  }
  return out;
}

/** Fisher–Yates with a seeded PRNG, in place. */
export function shuffle<T>(items: T[], seed: number): T[] {
  const rand = mulberry32(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Median, min and max of some numbers. */
export function spreadOf(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Per-operation latency (ns) of one micro benchmark task. */
export interface MicroResult {
  name: string;
  /** Nanoseconds per operation over the task's samples. */
  nsPerOp: Spread;
  /** Operations per second at the median. */
  opsPerSec: number;
  samples: number;
}

/**
 * Runs micro benchmarks with tinybench. Each tinybench iteration performs
 * `batch` operations (single operations of ~100 ns would only time the
 * timer), and the per-operation time is the iteration's time / `batch`.
 * Tasks run one after the other in the same process, so ratios between them
 * are what to read; absolute figures move with the machine's load.
 */
export async function micro(
  tasks: { name: string; batch: number; fn: () => void | Promise<void> }[],
  timeMs: number,
): Promise<MicroResult[]> {
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(200, timeMs / 4), iterations: 10, retainSamples: true, throws: true });
  for (const task of tasks) bench.add(task.name, task.fn);
  await bench.run();
  return tasks.map((task, i) => {
    const t = bench.tasks[i]!;
    const result = t.result as { latency?: { samples?: number[]; p50: number; min: number; max: number; samplesCount?: number } };
    const latency = result.latency;
    if (!latency) throw new Error(`The micro benchmark "${task.name}" produced no result: ${JSON.stringify(t.result)}`);
    const toNs = (ms: number): number => (ms * 1e6) / task.batch;
    const nsPerOp = { median: toNs(latency.p50), min: toNs(latency.min), max: toNs(latency.max) };
    return {
      name: task.name,
      nsPerOp,
      opsPerSec: 1e9 / nsPerOp.median,
      samples: latency.samples?.length ?? latency.samplesCount ?? 0,
    };
  });
}

/** The table rows of micro benchmark results: ns per op with its spread, ops/s in the note. */
export function microRows(bench: string, results: readonly MicroResult[]): Row[] {
  return results.map((r) => ({
    bench,
    name: `${r.name} (ns/op)`,
    unit: 'ns',
    value: r.nsPerOp.median,
    spread: r.nsPerOp,
    note: `${Math.round(r.opsPerSec).toLocaleString('en-US')} ops/s`,
  }));
}

/**
 * Macro benchmark: runs each variant `rounds` times, interleaved (A B A B…)
 * so that drifting machine load hits both alike; returns per-variant spreads
 * of whatever each run returns (e.g. ops/s).
 */
export async function interleaved<K extends string>(
  rounds: number,
  variants: Record<K, (round: number) => Promise<number>>,
): Promise<Record<K, Spread>> {
  const values = {} as Record<K, number[]>;
  const keys = Object.keys(variants) as K[];
  for (const key of keys) values[key] = [];
  for (let round = 0; round < rounds; round++) {
    for (const key of keys) values[key].push(await variants[key](round));
  }
  const out = {} as Record<K, Spread>;
  for (const key of keys) out[key] = spreadOf(values[key]);
  return out;
}

/** Runs `worker` over `items` with `concurrency` parallel async loops. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const loops = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await worker(items[i]!, i);
    }
  });
  await Promise.all(loops);
}

let gcFn: (() => void) | undefined;
/** A forced full GC (for memory baselines), without needing `node --expose-gc`. */
export function gc(): void {
  if (!gcFn) {
    setFlagsFromString('--expose_gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
}

/** Formats a number for the human table. */
export function fmt(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return value.toExponential(2);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(digits)).toString();
}

/** A target row. `pass` is computed from `measured` unless the measurement is missing. */
export function target(
  t: Omit<Target, 'pass'> & { test: (measured: number) => boolean; skipped?: boolean },
): Target {
  const { test, skipped, ...rest } = t;
  const pass = skipped || rest.measured === null || Number.isNaN(rest.measured) ? null : test(rest.measured);
  return { ...rest, pass };
}
