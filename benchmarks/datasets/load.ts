// Loader for the benchmark datasets cached by `pnpm bench:setup`
// (benchmarks/datasets/setup.ts). Files live in benchmarks/.data/:
//   <name>.json         metadata (DatasetMeta)
//   <name>.base.f32     little-endian float32, nBase x dim
//   <name>.query.f32    little-endian float32, nQuery x dim
//   <name>.gt.i32       int32, nQuery x k ids into base (best first)
//   <name>.gt-dist.f32  float32, nQuery x k: cosine -> dot product (similarity,
//                       descending); l2 -> squared Euclidean distance (ascending)
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type DatasetMetric = 'cosine' | 'l2';

export const DATASET_NAMES: readonly ['glove-100', 'mnist-784'] = ['glove-100', 'mnist-784'];
export type DatasetName = (typeof DATASET_NAMES)[number];

const SETUP_COMMAND = 'npx -y pnpm@10.34.8 bench:setup';

/** Contents of `<name>.json`. */
export interface DatasetMeta {
  name: string;
  dim: number;
  nBase: number;
  nQuery: number;
  k: number;
  metric: DatasetMetric;
  source: string;
  seed: number | null;
}

export interface Dataset {
  name: string;
  dim: number;
  metric: DatasetMetric;
  /** nBase x dim, row-major. Cosine datasets are unit-normalised. */
  base: Float32Array;
  /** nQuery x dim, row-major. */
  queries: Float32Array;
  nBase: number;
  nQuery: number;
  k: number;
  /** nQuery x k exact neighbour ids (indices into base), best first; ties -> lower id. */
  groundTruth: Int32Array;
  /** nQuery x k, matching groundTruth: dot product (cosine) or squared L2 distance (l2). */
  groundTruthDist: Float32Array;
}

/** Absolute path of the dataset cache folder (benchmarks/.data). */
export function datasetDir(): string {
  return fileURLToPath(new URL('../.data/', import.meta.url));
}

/** Paths of every file belonging to a dataset. */
export function datasetFiles(name: string): {
  meta: string;
  base: string;
  query: string;
  gt: string;
  gtDist: string;
} {
  const dir = datasetDir();
  return {
    meta: join(dir, `${name}.json`),
    base: join(dir, `${name}.base.f32`),
    query: join(dir, `${name}.query.f32`),
    gt: join(dir, `${name}.gt.i32`),
    gtDist: join(dir, `${name}.gt-dist.f32`),
  };
}

function missing(name: string, what: string): Error {
  return new Error(
    `Benchmark dataset "${name}" is not available (${what}). ` +
      `Run \`${SETUP_COMMAND}\` from the repository root ` +
      `(or \`${SETUP_COMMAND} --only ${name}\`) to download it and compute the ground truth.`,
  );
}

function isMeta(value: unknown): value is DatasetMeta {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['name'] === 'string' &&
    typeof v['dim'] === 'number' &&
    typeof v['nBase'] === 'number' &&
    typeof v['nQuery'] === 'number' &&
    typeof v['k'] === 'number' &&
    (v['metric'] === 'cosine' || v['metric'] === 'l2')
  );
}

/** Read and validate `<name>.json`. */
export function loadDatasetMeta(name: string): DatasetMeta {
  const files = datasetFiles(name);
  if (!existsSync(files.meta)) throw missing(name, `${files.meta} not found`);
  const parsed: unknown = JSON.parse(readFileSync(files.meta, 'utf8'));
  if (!isMeta(parsed)) throw missing(name, `${files.meta} is malformed`);
  return parsed;
}

function readTyped<T extends Float32Array | Int32Array>(
  name: string,
  path: string,
  expectedElements: number,
  make: (buffer: ArrayBuffer, byteOffset: number, length: number) => T,
): T {
  if (!existsSync(path)) throw missing(name, `${path} not found`);
  const expectedBytes = expectedElements * 4;
  const size = statSync(path).size;
  if (size !== expectedBytes) {
    throw missing(name, `${path} has ${size} bytes, expected ${expectedBytes}`);
  }
  const buf = readFileSync(path);
  if (buf.byteOffset % 4 === 0) {
    return make(buf.buffer, buf.byteOffset, expectedElements);
  }
  // Unaligned (pooled) buffer: copy into a fresh one.
  const copy = new ArrayBuffer(expectedBytes);
  new Uint8Array(copy).set(buf);
  return make(copy, 0, expectedElements);
}

/** Load a cached dataset. Throws an Error naming `pnpm bench:setup` when missing. */
export function loadDataset(name: string): Dataset {
  const meta = loadDatasetMeta(name);
  const files = datasetFiles(name);
  const f32 = (b: ArrayBuffer, o: number, n: number): Float32Array => new Float32Array(b, o, n);
  const i32 = (b: ArrayBuffer, o: number, n: number): Int32Array => new Int32Array(b, o, n);
  return {
    name: meta.name,
    dim: meta.dim,
    metric: meta.metric,
    base: readTyped(name, files.base, meta.nBase * meta.dim, f32),
    queries: readTyped(name, files.query, meta.nQuery * meta.dim, f32),
    nBase: meta.nBase,
    nQuery: meta.nQuery,
    k: meta.k,
    groundTruth: readTyped(name, files.gt, meta.nQuery * meta.k, i32),
    groundTruthDist: readTyped(name, files.gtDist, meta.nQuery * meta.k, f32),
  };
}
