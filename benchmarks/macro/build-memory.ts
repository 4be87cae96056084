// RSS growth while building (issue 13): Feather's addBatch of a dataset's base vectors through the public API
// with default options, against hnswlib-node building the same vectors, each in a fresh process
// (build-memory.child.mjs), sides alternated per round. Growth is measured from the moment the vectors are
// loaded (so neither pays for the dataset): at its peak (maximum RSS), when the build has returned, and
// after a GC. The vectors' own size and Feather's shared memory stand beside them.
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
interface Side {
  openGrowthMiB: number;
  peakGrowthMiB: number;
  growthMiB: number;
  afterGcGrowthMiB: number;
  ms: number;
}
const files = datasetFiles(args.dataset);
const meta = JSON.parse(readFileSync(files.meta, 'utf8')) as DatasetMeta;
const n = Math.min(meta.nBase, Number(args.limit ?? meta.nBase));
const child = fileURLToPath(new URL('./build-memory.child.mjs', import.meta.url));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function run(side: 'feather' | 'hnswlib'): Side {
  const dir = mkdtempSync(join(tmpdir(), 'feather-build-memory-'));
  try {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', child, side, files.base, String(meta.dim), meta.metric, String(n), join(dir, 'build.feather')],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
    );
    return JSON.parse(out.trim().split('\n').at(-1)!) as Side;
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
const row = (key: keyof Side): string => {
  const f = median(runs.feather.map((r) => r[key]));
  const h = median(runs.hnswlib.map((r) => r[key]));
  return `| ${f} | ${h} | ${(f / h).toFixed(2)}× |`;
};
const sha = commitOf();
const vectorsMiB = Math.round(((n * meta.dim * 4) / 2 ** 20) * 10) / 10;
console.log(
  [
    `### Build memory: ${args.dataset}, ${n.toLocaleString('en')} × ${meta.dim} (${vectorsMiB} MiB of float32), commit ${sha}, medians of ${args.rounds}`,
    '',
    '| RSS growth (MiB) | Feather `addBatch` | hnswlib-node | ratio |',
    '|---|---:|---:|---:|',
    `| peak while building ${row('peakGrowthMiB')}`,
    `| when the build has returned ${row('growthMiB')}`,
    `| after a GC ${row('afterGcGrowthMiB')}`,
    `| (Feather: opening the empty store, before the build) | ${median(runs.feather.map((r) => r.openGrowthMiB))} | | |`,
    `| build time (ms) ${row('ms')}`,
  ].join('\n'),
);
