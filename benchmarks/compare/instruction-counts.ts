// Instruction counts of the same work in two checkouts, under valgrind (cachegrind, no cache simulation):
// a measure of what code does that a shared, noisy machine cannot disturb, unlike a timing. Each case runs
// with and without its searches; the difference divided by the number of queries is the instructions one
// search costs. Build and startup are reported too. Both sides must be installed and built.
//
//   tsx benchmarks/compare/instruction-counts.ts --base <checkout> [--head <checkout>] [--reps 2]
//
// Counts of one configuration repeat within about ±3% (JIT tiering and GC timing); a rep of each side runs
// at the same time as the other side's, so drift affects both alike.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchArgv } from '../lib/bench-argv.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    base: { type: 'string' },
    head: { type: 'string', default: fileURLToPath(new URL('../../', import.meta.url)) },
    reps: { type: 'string', default: '2' },
    rows: { type: 'string', default: '3000' },
  },
});
if (args.base === undefined) throw new Error('--base <checkout> is required (the "before" side)');
const workload = fileURLToPath(new URL('./icount-workload.mjs', import.meta.url));
const dataDir = fileURLToPath(new URL('../.data/', import.meta.url));
const sides = { before: resolve(args.base), after: resolve(args.head) } as const;
type Side = keyof typeof sides;
const kCases = [
  { mode: 'core', queries: 10_000 },
  { mode: 'api', queries: 2_000 },
] as const;

/** Instructions executed by one run of the workload (all threads of the process). */
function count(side: Side, mode: string, rows: number, queries: number): Promise<number> {
  const argv = ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, workload];
  const child = spawn('valgrind', [...argv, mode, sides[side], String(rows), String(queries), dataDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((done, fail) => {
    child.on('close', (code) => {
      const m = /I\s+refs:\s+([\d,]+)/.exec(err);
      if (code !== 0 || m === null) fail(new Error(`valgrind ${side} ${mode} exited ${code}: ${err.slice(-400)}`));
      else done(Number(m[1].replaceAll(',', '')));
    });
  });
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows = Number(args.rows);
const reps = Number(args.reps);
console.log('| case | metric | before | after | after / before |');
console.log('|---|---|---:|---:|---:|');
for (const c of kCases) {
  const runs: Record<Side, { idle: number[]; busy: number[] }> = { before: { idle: [], busy: [] }, after: { idle: [], busy: [] } };
  for (let rep = 0; rep < reps; rep++) {
    for (const [key, queries] of [
      ['idle', 0],
      ['busy', c.queries],
    ] as const) {
      const [b, a] = await Promise.all([count('before', c.mode, rows, queries), count('after', c.mode, rows, queries)]);
      runs.before[key].push(b);
      runs.after[key].push(a);
      console.error(`[icount] ${c.mode} rep ${rep + 1} ${key}: before ${b}, after ${a}`);
    }
  }
  const setup = (s: Side): number => mean(runs[s].idle) / 1e6;
  const perSearch = (s: Side): number => (mean(runs[s].busy) - mean(runs[s].idle)) / c.queries / 1e3;
  const row = (metric: string, f: (s: Side) => number, digits: number): void =>
    console.log(
      `| ${c.mode} | ${metric} | ${f('before').toFixed(digits)} | ${f('after').toFixed(digits)} | ${(f('after') / f('before')).toFixed(3)} |`,
    );
  row(`process start + build of ${rows} rows (api: + open and close), M instructions`, setup, 0);
  row('one search, k instructions', perSearch, 1);
}
