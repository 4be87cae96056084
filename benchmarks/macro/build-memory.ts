// RSS growth while building (issue 13): Feather's addBatch of a dataset's base vectors through the public API
// with default options, against hnswlib-node building the same vectors, each in a fresh process
// (build-memory.child.mjs), sides alternated per round. Growth is measured from the moment the vectors are
// loaded (so neither pays for the dataset): at its peak (maximum RSS), when the build has returned, and
// after a GC. The vectors' own size and Feather's shared memory stand beside them. Each side then saves what it
// built, and a fresh process opens it (Feather until its first search has answered, hnswlib-node readIndex):
// the RSS growth of that open, and where Feather's bytes per vector go after the build and after the open.
//   npx -y pnpm@10.34.8 --filter @feather-db/benchmarks bench:build-memory -- --dataset mnist-784 [--limit N] [--rounds 3]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { datasetFiles, type DatasetMeta } from '../datasets/load.js';
import { benchArgv } from '../lib/bench-argv.js';
import { commitOf } from '../lib/run-info.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: { dataset: { type: 'string', default: 'mnist-784' }, limit: { type: 'string' }, rounds: { type: 'string', default: '1' } },
});
/** Feather's bytes by where they are (build-memory.child.mjs partsOf). */
interface Parts {
  vectors: number;
  nodeRest: number;
  sharedRest: number;
  records: number;
}
interface Side {
  openGrowthMiB: number;
  peakGrowthMiB: number;
  growthMiB: number;
  afterGcGrowthMiB: number;
  ms: number;
  parts?: Parts;
  /** The saved build opened in a fresh process. */
  reopen: { growthMiB: number; ms: number; parts?: Parts };
}
const files = datasetFiles(args.dataset);
const meta = JSON.parse(readFileSync(files.meta, 'utf8')) as DatasetMeta;
const n = Math.min(meta.nBase, Number(args.limit ?? meta.nBase));
const childScript = fileURLToPath(new URL('./build-memory.child.mjs', import.meta.url));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function child(args: string[]): unknown {
  const out = execFileSync(process.execPath, ['--expose-gc', childScript, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}
function run(side: 'feather' | 'hnswlib'): Side {
  const dir = mkdtempSync(join(tmpdir(), 'feather-build-memory-'));
  try {
    const spec = [files.base, String(meta.dim), meta.metric, String(n), join(dir, side === 'feather' ? 'build.feather' : 'build.hnsw')];
    const built = child([side, ...spec]) as Omit<Side, 'reopen'>;
    return { ...built, reopen: child([`${side}-open`, ...spec]) as Side['reopen'] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const runs: Record<'feather' | 'hnswlib', Side[]> = { feather: [], hnswlib: [] };
for (let round = 0; round < Number(args.rounds); round++) {
  const order: ('feather' | 'hnswlib')[] = round % 2 === 0 ? ['feather', 'hnswlib'] : ['hnswlib', 'feather'];
  for (const side of order) {
    const r = run(side);
    runs[side].push(r);
    console.error(`[build-memory] round ${round + 1} ${side}: ${JSON.stringify(r)}`);
  }
}
const row = (value: (r: Side) => number): string => {
  const f = median(runs.feather.map(value));
  const h = median(runs.hnswlib.map(value));
  return `| ${f} | ${h} | ${(f / h).toFixed(2)}× |`;
};
/** Bytes per vector: each of Feather's parts, the rest of the growth, the total. */
const perVector = (growthMiB: number, parts: Parts | undefined): number[] => {
  const total = (growthMiB * 2 ** 20) / n;
  if (parts === undefined) return [Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN, total];
  const known = [parts.vectors, parts.nodeRest, parts.sharedRest, parts.records].map((b) => b / n);
  return [...known, total - known.reduce((a, b) => a + b, 0), total];
};
const medianRun = (side: Side[], growth: (r: Side) => number): Side =>
  [...side].sort((a, b) => growth(a) - growth(b))[Math.floor(side.length / 2)];
const fBuilt = medianRun(runs.feather, (r) => r.afterGcGrowthMiB);
const fOpen = medianRun(runs.feather, (r) => r.reopen.growthMiB);
const hBuilt = medianRun(runs.hnswlib, (r) => r.afterGcGrowthMiB);
const hOpen = medianRun(runs.hnswlib, (r) => r.reopen.growthMiB);
const columns = [
  perVector(fBuilt.afterGcGrowthMiB, fBuilt.parts),
  perVector(fOpen.reopen.growthMiB, fOpen.reopen.parts),
  perVector(hBuilt.afterGcGrowthMiB, undefined),
  perVector(hOpen.reopen.growthMiB, undefined),
];
const partNames = [
  'vectors (float32)',
  'rest of the level-0 node blocks (links, header, tags)',
  'rest of the shared memory in use (upper levels, tables, scratch)',
  'records, both copies (mirror and writer)',
  'rest of the RSS growth (threads, heaps, code)',
  '**total RSS growth**',
];
const cell = (b: number): string => (Number.isNaN(b) ? '' : b.toFixed(0));
const sha = commitOf();
const vectorsMiB = Math.round(((n * meta.dim * 4) / 2 ** 20) * 10) / 10;
console.log(
  [
    `### Build memory: ${args.dataset}, ${n.toLocaleString('en')} × ${meta.dim} (${vectorsMiB} MiB of float32), commit ${sha}, medians of ${args.rounds}`,
    '',
    '| RSS growth (MiB) | Feather `addBatch` | hnswlib-node | ratio |',
    '|---|---:|---:|---:|',
    `| peak while building ${row((r) => r.peakGrowthMiB)}`,
    `| when the build has returned ${row((r) => r.growthMiB)}`,
    `| after a GC ${row((r) => r.afterGcGrowthMiB)}`,
    `| (Feather: opening the empty store, before the build) | ${median(runs.feather.map((r) => r.openGrowthMiB))} | | |`,
    `| saved, then opened in a fresh process (Feather: until its first search has answered) ${row((r) => r.reopen.growthMiB)}`,
    `| build time (ms) ${row((r) => r.ms)}`,
    `| open time (ms) ${row((r) => r.reopen.ms)}`,
    '',
    '| bytes per vector | Feather, built (after a GC) | Feather, opened | hnswlib-node, built | hnswlib-node, opened |',
    '|---|---:|---:|---:|---:|',
    ...partNames.map((name, i) => `| ${name} | ${columns.map((c) => cell(c[i])).join(' | ')} |`),
  ].join('\n'),
);
