/**
 * Output of the suite: a human table on stdout and a JSON document (the same
 * figures, plus details) that a later run can be diffed against.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { Row, RunOptions, Target } from './util.js';
import { fmt } from './util.js';

/** The JSON written to `bench/results/latest.json`. */
export interface Report {
  schema: 1;
  meta: {
    date: string;
    node: string;
    platform: string;
    cpu: string;
    cores: number;
    memoryGiB: number;
    mode: 'quick' | 'full';
    durationMs: number;
  };
  rows: Row[];
  targets: Target[];
  /** Benchmarks that threw, by id (the rest of the suite still ran). */
  errors: Record<string, string>;
  details: Record<string, unknown>;
}

/** Collects meta data about this machine and run. */
export function meta(options: RunOptions, durationMs: number): Report['meta'] {
  const list = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    mode: options.full ? 'full' : 'quick',
    durationMs: Math.round(durationMs),
  };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function table(header: string[], lines: string[][], rightAligned: number[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: string[]): string =>
    cells.map((c, i) => pad(c, widths[i]!, rightAligned.includes(i))).join('  ').trimEnd();
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(render)].join('\n');
}

/** The human-readable report. */
export function formatReport(report: Report): string {
  const out: string[] = [];
  const m = report.meta;
  out.push(
    `username-availability benchmarks (${m.mode}) — ${m.date.slice(0, 10)}, Node ${m.node}, ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${(m.durationMs / 1000).toFixed(1)} s`,
  );
  const benches = [...new Set(report.rows.map((r) => r.bench))];
  for (const bench of benches) {
    out.push('', `## ${bench}`);
    const lines = report.rows
      .filter((r) => r.bench === bench)
      .map((r) => [
        r.name,
        r.value === null ? 'SKIP' : fmt(r.value),
        r.unit,
        r.spread ? `${fmt(r.spread.min)}–${fmt(r.spread.max)}` : '',
        r.note ?? '',
      ]);
    out.push(table(['measure', 'median', 'unit', 'min–max', 'note'], lines, [1]));
  }
  out.push('', '## targets (issue 4)');
  const lines = report.targets.map((t) => [
    t.pass === null ? 'SKIP' : t.pass ? 'PASS' : 'FAIL',
    t.gated ? 'gated' : 'info',
    t.id,
    t.measured === null ? '—' : `${fmt(t.measured)}${t.unit && t.unit !== 'x' ? ` ${t.unit}` : t.unit === 'x' ? 'x' : ''}`,
    t.bound,
    t.description + (t.note ? ` (${t.note})` : ''),
  ]);
  out.push(table(['result', 'kind', 'target', 'measured', 'bound', 'what'], lines, [3]));
  for (const [id, message] of Object.entries(report.errors)) out.push(`ERROR in ${id}: ${message}`);
  return out.join('\n');
}

/** Writes the JSON report, creating its directory. */
export function writeReport(path: string, report: Report): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
