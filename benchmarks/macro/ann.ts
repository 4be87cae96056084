// Feather vs hnswlib-node, side by side in one process and one run: single-thread build time, then a
// recall@10 / QPS sweep over ef, QPS at recall 0.90 / 0.95 / 0.99 interpolated from the sweep, and bytes
// per vector. Both indexes use M=16, efConstruction=200 and run on the main thread only.
//
//   npx -y pnpm@10.34.8 bench:setup                                   # once: datasets + exact ground truth
//   npx -y pnpm@10.34.8 bench --dataset glove-100                     # one set; default: both
//   npx -y pnpm@10.34.8 bench --limit 50000 --queries 2000            # a quicker, smaller run
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { HnswIndex, KernelArena } from '@feather-db/core';
import hnswlib from 'hnswlib-node';
import { DATASET_NAMES, loadDataset, type Dataset } from '../datasets/load.js';
import { benchArgv } from '../lib/bench-argv.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    dataset: { type: 'string', multiple: true },
    limit: { type: 'string' },
    queries: { type: 'string' },
    efs: { type: 'string', default: '10,16,24,32,48,64,96,128,192,256,384,512,768' },
    rounds: { type: 'string', default: '2' },
    out: { type: 'string', default: new URL('../results/', import.meta.url).pathname },
  },
});

const kM = 16;
const kEfConstruction = 200;
const kTargets = [0.9, 0.95, 0.99];

interface SweepPoint {
  ef: number;
  recall: number;
  qps: number;
  p50Us: number;
  p99Us: number;
}

interface EngineResult {
  engine: 'feather' | 'hnswlib-node';
  buildSeconds: number;
  bytesPerVector: number;
  rssBytesPerVector: number;
  sweep: SweepPoint[];
  qpsAt: Record<string, number | null>;
}

interface Engine {
  name: EngineResult['engine'];
  build(ds: Dataset, n: number): void;
  setEf(ef: number): void;
  /** Returns the result ids of one query. */
  search(q: number): ArrayLike<number>;
  bytes(n: number): number;
}

function featherEngine(ds: Dataset): Engine {
  let index: HnswIndex;
  let arena: KernelArena;
  let ef = 10;
  const dim = ds.dim;
  return {
    name: 'feather',
    build(_, n) {
      arena = KernelArena.create();
      index = HnswIndex.create(arena, { dim, metric: ds.metric, m: kM, efConstruction: kEfConstruction, seed: 100 });
      index.addMany(ds.base.subarray(0, n * dim));
    },
    setEf(value) {
      ef = value;
    },
    search(q) {
      return index.search(ds.queries.subarray(q * dim, (q + 1) * dim), ds.k, { ef }).ids;
    },
    bytes() {
      return arena.bytesUsed();
    },
  };
}

function hnswlibEngine(ds: Dataset, nQuery: number): Engine {
  const dim = ds.dim;
  let index: hnswlib.HierarchicalNSW;
  // hnswlib-node takes plain arrays: convert once, outside every timed region.
  const queries = Array.from({ length: nQuery }, (_, q) => Array.from(ds.queries.subarray(q * dim, (q + 1) * dim)));
  return {
    name: 'hnswlib-node',
    build(_, n) {
      index = new hnswlib.HierarchicalNSW(ds.metric, dim);
      index.initIndex(n, kM, kEfConstruction, 100);
      const row: number[] = new Array<number>(dim);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < dim; j++) row[j] = ds.base[i * dim + j]!;
        index.addPoint(row, i);
      }
    },
    setEf(ef) {
      index.setEf(ef);
    },
    search(q) {
      return index.searchKnn(queries[q], ds.k).neighbors;
    },
    bytes(n) {
      // hnswlib's own accounting (hnswalg.h): level-0 block per element (links + vector + label), plus the
      // expected upper-level link lists (1/ln(M) levels on average, (M+1)*4 bytes each) and one pointer.
      const level0 = 4 + 2 * kM * 4 + dim * 4 + 8;
      const upper = (1 / Math.log(kM)) * (kM * 4 + 4) + 8;
      return n * (level0 + upper);
    },
  };
}

/** Exact top-k of the limited base, recomputed when --limit cuts the base (the cached truth covers all of it). */
function groundTruth(ds: Dataset, n: number, nQuery: number): Int32Array[] {
  const k = ds.k;
  if (n === ds.nBase) return Array.from({ length: nQuery }, (_, q) => ds.groundTruth.subarray(q * k, (q + 1) * k));
  const exact = KernelArena.create();
  const index = HnswIndex.create(exact, { dim: ds.dim, metric: ds.metric, m: 4, efConstruction: 1 });
  index.addMany(ds.base.subarray(0, n * ds.dim));
  return Array.from({ length: nQuery }, (_, q) =>
    Int32Array.from(index.searchExact(ds.queries.subarray(q * ds.dim, (q + 1) * ds.dim), k).ids),
  );
}

function interpolateQps(sweep: SweepPoint[], target: number): number | null {
  const pts = [...sweep].sort((a, b) => a.recall - b.recall);
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i];
    if (p.recall >= target) {
      if (i === 0) return p.qps;
      const lo = pts[i - 1];
      if (p.recall === lo.recall) return p.qps;
      const t = (target - lo.recall) / (p.recall - lo.recall);
      return lo.qps + t * (p.qps - lo.qps);
    }
  }
  return null;
}

function measure(engine: Engine, truth: Int32Array[], nQuery: number, rounds: number): Omit<SweepPoint, 'ef'> {
  const k = truth[0].length;
  let hits = 0;
  const latencies = new Float64Array(nQuery * rounds);
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let q = 0; q < nQuery; q++) {
      const s = performance.now();
      const ids = engine.search(q);
      latencies[r * nQuery + q] = performance.now() - s;
      if (r === 0) {
        const t = truth[q];
        for (let i = 0; i < ids.length; i++) if (t.includes(ids[i])) hits++;
      }
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort();
  return {
    recall: hits / (nQuery * k),
    qps: (nQuery * rounds) / seconds,
    p50Us: latencies[Math.floor(latencies.length * 0.5)] * 1000,
    p99Us: latencies[Math.floor(latencies.length * 0.99)] * 1000,
  };
}

function runDataset(name: string): { dataset: string; n: number; nQuery: number; dim: number; metric: string; results: EngineResult[] } {
  const ds = loadDataset(name);
  const n = Math.min(ds.nBase, Number(args.limit ?? ds.nBase));
  const nQuery = Math.min(ds.nQuery, Number(args.queries ?? ds.nQuery));
  const efs = args.efs.split(',').map(Number);
  const rounds = Number(args.rounds);
  console.error(`[${name}] ${n} x ${ds.dim} ${ds.metric}, ${nQuery} queries, M=${kM} efC=${kEfConstruction}`);
  const truth = groundTruth(ds, n, nQuery);
  const engines = [featherEngine(ds), hnswlibEngine(ds, nQuery)];
  const results: EngineResult[] = [];
  for (const engine of engines) {
    globalThis.gc?.();
    const rss0 = process.memoryUsage().rss;
    const t = performance.now();
    engine.build(ds, n);
    const buildSeconds = (performance.now() - t) / 1000;
    const rss = process.memoryUsage().rss - rss0;
    console.error(`[${name}] ${engine.name} built in ${buildSeconds.toFixed(1)} s`);
    results.push({
      engine: engine.name,
      buildSeconds,
      bytesPerVector: engine.bytes(n) / n,
      rssBytesPerVector: rss / n,
      sweep: [],
      qpsAt: {},
    });
  }
  // Warm both up, then alternate engines per ef so drift (thermal, noisy neighbours) hits both alike.
  for (const engine of engines) {
    engine.setEf(64);
    measure(engine, truth, Math.min(nQuery, 1000), 1);
  }
  for (const ef of efs) {
    for (let e = 0; e < engines.length; e++) {
      const engine = engines[e];
      engine.setEf(ef);
      const point = { ef, ...measure(engine, truth, nQuery, rounds) };
      results[e].sweep.push(point);
      console.error(
        `[${name}] ${engine.name.padEnd(12)} ef=${String(ef).padStart(3)} recall=${point.recall.toFixed(4)} qps=${point.qps.toFixed(0)}`,
      );
    }
  }
  for (const r of results) for (const target of kTargets) r.qpsAt[target.toFixed(2)] = interpolateQps(r.sweep, target);
  return { dataset: name, n, nQuery, dim: ds.dim, metric: ds.metric, results };
}

function markdown(run: ReturnType<typeof runDataset>): string {
  const [f, h] = run.results as [EngineResult, EngineResult];
  const fmt = (x: number | null | undefined, d = 0): string => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
  const ratio = (a: number | null | undefined, b: number | null | undefined): string => (a && b ? `${(a / b).toFixed(2)}×` : 'n/a');
  const lines = [
    `### ${run.dataset}: ${run.n.toLocaleString('en')} × ${run.dim}, ${run.metric}, ${run.nQuery.toLocaleString('en')} queries, k=10`,
    '',
    '| | Feather | hnswlib-node | ratio |',
    '|---|---:|---:|---:|',
    `| build, 1 thread (s) | ${fmt(f.buildSeconds, 1)} | ${fmt(h.buildSeconds, 1)} | ${ratio(h.buildSeconds, f.buildSeconds)} faster |`,
    ...kTargets.map(
      (t) =>
        `| QPS at recall@10 ${t.toFixed(2)} | ${fmt(f.qpsAt[t.toFixed(2)])} | ${fmt(h.qpsAt[t.toFixed(2)])} | ${ratio(f.qpsAt[t.toFixed(2)], h.qpsAt[t.toFixed(2)])} |`,
    ),
    `| bytes / vector (accounted) | ${fmt(f.bytesPerVector)} | ${fmt(h.bytesPerVector)} | |`,
    `| bytes / vector (RSS growth during build) | ${fmt(f.rssBytesPerVector)} | ${fmt(h.rssBytesPerVector)} | |`,
    '',
    '| ef | Feather recall@10 | Feather QPS | Feather p50 / p99 µs | hnswlib recall@10 | hnswlib QPS | hnswlib p50 / p99 µs |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...f.sweep.map((p, i) => {
      const q = h.sweep[i];
      return `| ${p.ef} | ${p.recall.toFixed(4)} | ${p.qps.toFixed(0)} | ${p.p50Us.toFixed(0)} / ${p.p99Us.toFixed(0)} | ${q.recall.toFixed(4)} | ${q.qps.toFixed(0)} | ${q.p50Us.toFixed(0)} / ${q.p99Us.toFixed(0)} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

const names = args.dataset ?? [...DATASET_NAMES];
const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version };
let sha = 'unknown';
try {
  sha = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
} catch {
  // not a git checkout
}
mkdirSync(args.out, { recursive: true });
for (const name of names) {
  const run = runDataset(name);
  writeFileSync(`${args.out}/ann-${name}.json`, JSON.stringify({ sha, machine, date: new Date().toISOString(), ...run }, null, 2));
  console.log(markdown(run));
}
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, commit ${sha}`);
