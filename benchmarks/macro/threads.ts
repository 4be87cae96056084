// The thread layer, side by side in one run on one dataset:
//  - build: Feather's serial insert loop (1 thread), Feather.addBatch on the pool (FEATHER_LOAD_THREADS or
//    cores), hnswlib-node's single-thread build; recall@10 of each at the same ef;
//  - search: single-thread core QPS vs pool QPS through the facade (many searches in flight);
//  - event-loop delay p99 (perf_hooks.monitorEventLoopDelay) while searches saturate the pool, next to
//    hnswlib-node answering the same queries on the main thread;
//  - per-search overhead of the facade hop (p50 Feather.search minus p50 core search, one at a time).
//
//   npx -y pnpm@10.34.8 --filter @feather-db/benchmarks bench:threads -- --dataset glove-100 [--limit 100000]
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { HnswIndex, KernelArena } from '@feather-db/core';
import { tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import hnswlib from 'hnswlib-node';
import { sliceDataset } from '../datasets/slice.js';
import { benchArgv } from '../lib/bench-argv.js';
import { commitOf } from '../lib/run-info.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    dataset: { type: 'string', default: 'glove-100' },
    limit: { type: 'string' },
    queries: { type: 'string', default: '10000' },
    ef: { type: 'string', default: '128' },
    inflight: { type: 'string', default: '64' },
    out: { type: 'string', default: new URL('../results/', import.meta.url).pathname },
  },
});

const { ds, dim, n, nQuery, base, query, recallOf } = sliceDataset(args.dataset, args.limit, args.queries);
const ef = Number(args.ef);
const inflight = Number(args.inflight);
const threads = process.env['FEATHER_LOAD_THREADS'] ? Number(process.env['FEATHER_LOAD_THREADS']) : availableParallelism();
const log = (s: string): void => void console.error(`[threads] ${s}`);

// ---- builds -------------------------------------------------------------------------------------------
log(`${args.dataset} ${n} x ${dim}, ${threads} pool threads, ef ${ef}`);
let t = performance.now();
const serial = HnswIndex.create(KernelArena.create(), { dim, metric: ds.metric, seed: 100 });
serial.addMany(base);
const serialSeconds = (performance.now() - t) / 1000;
log(`serial loop ${serialSeconds.toFixed(1)} s`);

const db = await Feather.open(tempStorePath('bench.feather'), { dim, metric: ds.metric, threads });
t = performance.now();
await db.addBatch(base);
const parallelSeconds = (performance.now() - t) / 1000;
log(`addBatch ${parallelSeconds.toFixed(1)} s`);

const h = new hnswlib.HierarchicalNSW(ds.metric, dim);
h.initIndex(n, 16, 200, 100);
const rowBuf = new Array<number>(dim);
t = performance.now();
for (let i = 0; i < n; i++) {
  for (let j = 0; j < dim; j++) rowBuf[j] = base[i * dim + j]!;
  h.addPoint(rowBuf, i);
}
const hnswSeconds = (performance.now() - t) / 1000;
log(`hnswlib ${hnswSeconds.toFixed(1)} s`);
h.setEf(ef);
const hQueries = Array.from({ length: nQuery }, (_, q) => Array.from(query(q)));

// ---- single-thread core search ------------------------------------------------------------------------
const coreLat = new Float64Array(nQuery);
const serialResults: Uint32Array[] = [];
for (let q = 0; q < Math.min(1000, nQuery); q++) serial.search(query(q), ds.k, { ef });
t = performance.now();
for (let q = 0; q < nQuery; q++) {
  const s = performance.now();
  serialResults.push(serial.search(query(q), ds.k, { ef }).ids);
  coreLat[q] = performance.now() - s;
}
const coreQps = nQuery / ((performance.now() - t) / 1000);
const hnswResults = hQueries.map((q) => h.searchKnn(q, ds.k).neighbors);

// ---- facade, one at a time (overhead of the hop) --------------------------------------------------------
const facadeLat = new Float64Array(nQuery);
for (let q = 0; q < Math.min(1000, nQuery); q++) await db.search(query(q), { k: ds.k, ef });
for (let q = 0; q < nQuery; q++) {
  const s = performance.now();
  await db.search(query(q), { k: ds.k, ef });
  facadeLat[q] = performance.now() - s;
}

// ---- pool saturated, with the event loop watched ------------------------------------------------------
const featherDelay = monitorEventLoopDelay({ resolution: 1 });
const poolResults: number[][] = new Array<number[]>(nQuery);
featherDelay.enable();
t = performance.now();
let nextQ = 0;
await Promise.all(
  Array.from({ length: inflight }, async () => {
    while (nextQ < nQuery) {
      const q = nextQ++;
      poolResults[q] = (await db.search(query(q), { k: ds.k, ef, track: false })).map((hit) => hit.id as number);
    }
  }),
);
const poolQps = nQuery / ((performance.now() - t) / 1000);
featherDelay.disable();

// hnswlib-node can only answer on the calling thread: one query per event-loop turn, as a server would.
const hnswDelay = monitorEventLoopDelay({ resolution: 1 });
hnswDelay.enable();
t = performance.now();
await new Promise<void>((resolve) => {
  let q = 0;
  const step = (): void => {
    if (q === nQuery) return resolve();
    h.searchKnn(hQueries[q++], ds.k);
    setImmediate(step);
  };
  step();
});
const hnswLoopQps = nQuery / ((performance.now() - t) / 1000);
hnswDelay.disable();
await db.close();

const p50 = (a: Float64Array): number => Float64Array.from(a).sort()[Math.floor(a.length / 2)] * 1000;
const result = {
  dataset: args.dataset,
  n,
  nQuery,
  ef,
  threads,
  build: {
    serialSeconds,
    parallelSeconds,
    hnswSeconds,
    recallSerial: recallOf(serialResults),
    recallParallel: recallOf(poolResults),
    recallHnsw: recallOf(hnswResults),
  },
  search: { coreQps, poolQps, hnswLoopQps, coreP50Us: p50(coreLat), facadeP50Us: p50(facadeLat) },
  eventLoopP99Ms: { feather: featherDelay.percentile(99) / 1e6, hnswlib: hnswDelay.percentile(99) / 1e6 },
};
const sha = commitOf();
mkdirSync(args.out, { recursive: true });
writeFileSync(
  `${args.out}/threads-${args.dataset}.json`,
  JSON.stringify({ sha, cpu: cpus()[0]?.model, node: process.version, ...result }, null, 2),
);

const b = result.build;
const s = result.search;
console.log(`### Threads: ${args.dataset}, ${n.toLocaleString('en')} × ${dim}, ${threads} pool threads, ef ${ef}, ${nQuery.toLocaleString('en')} queries

| build (M=16, efC=200) | seconds | vs Feather serial | vs hnswlib-node | recall@10 at ef ${ef} |
|---|---:|---:|---:|---:|
| Feather serial insert loop (1 thread) | ${b.serialSeconds.toFixed(1)} | 1.00× | ${(b.hnswSeconds / b.serialSeconds).toFixed(2)}× | ${b.recallSerial.toFixed(4)} |
| Feather addBatch (pool, ${threads} threads) | ${b.parallelSeconds.toFixed(1)} | ${(b.serialSeconds / b.parallelSeconds).toFixed(2)}× | ${(b.hnswSeconds / b.parallelSeconds).toFixed(2)}× | ${b.recallParallel.toFixed(4)} |
| hnswlib-node (1 thread) | ${b.hnswSeconds.toFixed(1)} | ${(b.serialSeconds / b.hnswSeconds).toFixed(2)}× | 1.00× | ${b.recallHnsw.toFixed(4)} |

| search | QPS | ratio |
|---|---:|---:|
| core, 1 thread (main thread loop) | ${s.coreQps.toFixed(0)} | 1.00× |
| Feather.search through the pool, ${inflight} in flight | ${s.poolQps.toFixed(0)} | ${(s.poolQps / s.coreQps).toFixed(2)}× (goal ≥ ${(0.9 * threads).toFixed(1)}×) |
| hnswlib-node on the main thread, one query per loop turn | ${s.hnswLoopQps.toFixed(0)} | ${(s.hnswLoopQps / s.coreQps).toFixed(2)}× |

| | Feather (pool saturated) | hnswlib-node (main thread) |
|---|---:|---:|
| event-loop delay p99 (ms) | ${result.eventLoopP99Ms.feather.toFixed(2)} | ${result.eventLoopP99Ms.hnswlib.toFixed(2)} |

Facade hop, one search at a time: p50 ${s.facadeP50Us.toFixed(0)} µs through Feather.search vs ${s.coreP50Us.toFixed(0)} µs in core: **${(s.facadeP50Us - s.coreP50Us).toFixed(0)} µs per search**.`);
