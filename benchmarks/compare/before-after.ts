// Runs the macro benchmarks against two checkouts, alternated in one session, and prints the medians side by
// side: the check that a refactor changed no performance. Both sides run this checkout's benchmark code
// (copied into <side>/benchmarks/.compare/, next to that side's node_modules) against their own packages, so
// only the code under test differs. The order alternates every round (AB, BA, AB, ...) to cancel drift on a
// shared machine. Each side must be installed and built, with benchmarks/.data in place.
//
//   tsx benchmarks/compare/before-after.ts --base /work/wt/base14 --rounds 3 [--only ann,threads] [--out dir]
//   FEATHER_MEMORY_ARGS='--limit 30000 --tenants 5 --queries 300' tsx ... --only memory   # memory.ts's arguments
//
// Rounds land in <out>/<side>-<round>/; the table takes every round found there, so a session can be split
// in several runs (--first-round numbers the next ones and keeps the alternation going).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchArgv } from '../lib/bench-argv.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    base: { type: 'string' },
    head: { type: 'string', default: fileURLToPath(new URL('../../', import.meta.url)) },
    rounds: { type: 'string', default: '3' },
    'first-round': { type: 'string', default: '0' },
    only: { type: 'string' },
    out: { type: 'string', default: join(tmpdir(), 'feather-before-after') },
  },
});
if (args.base === undefined) throw new Error('--base <checkout> is required (the "before" side)');

type Json = Record<string, unknown>;
interface Bench {
  script: string;
  args: string[];
  file: string;
  /** Metric name -> value in the benchmark's JSON (null when absent), and whether higher is better. */
  metrics: Record<string, [(r: Json) => number | null, 'higher' | 'lower']>;
}

const at = (r: Json, ...path: (string | number)[]): number | null => {
  let v: unknown = r;
  for (const p of path) v = (v as Record<string | number, unknown> | undefined)?.[p];
  return typeof v === 'number' ? v : null;
};
const feather = (r: Json): Json => (r['results'] as Json[]).find((e) => e['engine'] === 'feather')!;

/** The reduced sizes the comparison runs at (full sizes are in RESULTS.md's other sections). */
const kBenches: Record<string, Bench> = {
  ann: {
    script: 'ann.ts',
    args: ['--dataset', 'glove-100', '--limit', '50000', '--queries', '2000', '--efs', '32,64,96,128,192,256', '--rounds', '1'],
    file: 'ann-glove-100.json',
    metrics: {
      'build s': [(r) => at(feather(r), 'buildSeconds'), 'lower'],
      'QPS @ recall 0.95': [(r) => at(feather(r), 'qpsAt', '0.95'), 'higher'],
      'QPS @ ef 128': [(r) => at(feather(r), 'sweep', 3, 'qps'), 'higher'],
      'recall @ ef 128': [(r) => at(feather(r), 'sweep', 3, 'recall'), 'higher'],
    },
  },
  threads: {
    script: 'threads.ts',
    args: ['--dataset', 'glove-100', '--limit', '30000', '--queries', '3000'],
    file: 'threads-glove-100.json',
    metrics: {
      'serial build s': [(r) => at(r, 'build', 'serialSeconds'), 'lower'],
      'parallel build s': [(r) => at(r, 'build', 'parallelSeconds'), 'lower'],
      'core QPS': [(r) => at(r, 'search', 'coreQps'), 'higher'],
      'pool QPS': [(r) => at(r, 'search', 'poolQps'), 'higher'],
      'facade p50 µs': [(r) => at(r, 'search', 'facadeP50Us'), 'lower'],
    },
  },
  memory: {
    script: 'memory.ts',
    args: (process.env['FEATHER_MEMORY_ARGS'] ?? '--limit 150000 --tenants 10 --queries 1000').split(' '),
    file: 'memory-glove-100.json',
    metrics: {
      'build s': [(r) => at(r, 'buildSeconds'), 'lower'],
      'namespace p50 ms': [(r) => at(r, 'namespace', 'p50BigMs'), 'lower'],
      '1% filter QPS': [(r) => at(r, 'filtered', 'feather', 'qps'), 'higher'],
      'int8 convert s (GloVe)': [(r) => at(r, 'int8', 'glove-100', 'convertSeconds'), 'lower'],
      'int8 QPS (GloVe)': [(r) => at(r, 'int8', 'glove-100', 'i8Qps'), 'higher'],
    },
  },
  persistence: {
    script: 'persistence.ts',
    args: ['--limit', '50000', '--writes', '1000', '--rounds', '3'],
    file: 'persistence-glove-100.json',
    metrics: {
      'save ms': [(r) => at(r, 'saveMs'), 'lower'],
      'open ms': [(r) => at(r, 'openMs'), 'lower'],
      'rebuild ms, 2 threads': [(r) => at(r, 'rebuildMs', '2'), 'lower'],
      'fsync writes/s, 64 in flight': [(r) => at(r, 'writes', 'fsync', 'inflight64'), 'higher'],
    },
  },
};

const sides = { before: resolve(args.base), after: resolve(args.head) };
const names = args.only === undefined ? Object.keys(kBenches) : args.only.split(',');
const rounds = Number(args.rounds);
const here = fileURLToPath(new URL('../', import.meta.url));

/** This checkout's benchmark code, copied beside `root`'s packages. */
function install(root: string): string {
  const dir = join(root, 'benchmarks', '.compare');
  rmSync(dir, { recursive: true, force: true });
  for (const sub of ['macro', 'datasets']) cpSync(join(here, sub), join(dir, sub), { recursive: true });
  if (!existsSync(join(dir, '.data'))) symlinkSync(resolve(here, '.data'), join(dir, '.data'));
  return dir;
}

const dirs = { before: install(sides.before), after: install(sides.after) };
const first = Number(args['first-round']);
for (let round = first; round < first + rounds; round++) {
  const order: ('before' | 'after')[] = round % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
  for (const name of names) {
    const bench = kBenches[name];
    for (const side of order) {
      const out = join(args.out, `${side}-${round}`);
      mkdirSync(out, { recursive: true });
      const tsx = join(sides[side], 'benchmarks', 'node_modules', '.bin', 'tsx');
      const started = performance.now();
      const r = spawnSync(tsx, [join(dirs[side], 'macro', bench.script), ...bench.args, '--out', out], {
        cwd: join(sides[side], 'benchmarks'),
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      if (r.status !== 0) throw new Error(`${name} (${side}, round ${round}) exited ${r.status}`);
      console.error(`[before-after] round ${round + 1} ${name} ${side}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  }
}

// Every round of every benchmark in --out, this run's and earlier ones'.
const runs: Record<string, Record<'before' | 'after', Json[]>> = {};
for (const dir of readdirSync(args.out)) {
  const m = /^(before|after)-(\d+)$/.exec(dir);
  if (m === null) continue;
  for (const name of names) {
    const file = join(args.out, dir, kBenches[name].file);
    if (existsSync(file))
      (runs[name] ??= { before: [], after: [] })[m[1] as 'before' | 'after'].push(JSON.parse(readFileSync(file, 'utf8')) as Json);
  }
}

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(4));
const rows: string[] = [
  '| benchmark | metric | before: median (runs) | after: median (runs) | after / before | better is |',
  '|---|---|---:|---:|---:|---|',
];
const table: Json[] = [];
for (const name of names) {
  for (const [metric, [get, better]] of Object.entries(kBenches[name].metrics)) {
    const values = (side: 'before' | 'after'): number[] => (runs[name]?.[side] ?? []).map(get).filter((v): v is number => v !== null);
    const before = values('before');
    const after = values('after');
    if (before.length === 0 || after.length === 0) continue;
    const b = median(before);
    const a = median(after);
    rows.push(`| ${name} | ${metric} | ${fmt(b)} (${before.length}) | ${fmt(a)} (${after.length}) | ${(a / b).toFixed(3)} | ${better} |`);
    table.push({ name, metric, better, before, after, medianBefore: b, medianAfter: a, ratio: a / b });
  }
}
writeFileSync(
  join(args.out, 'before-after.json'),
  JSON.stringify({ sides, rounds, args: Object.fromEntries(names.map((n) => [n, kBenches[n].args])), table }, null, 2),
);
console.log(rows.join('\n'));
