// What users run, side by side in one process (issue 13): `Feather.search` through the public API with default
// options (track on, default threads) next to core's `HnswIndex.search` (1 thread, labelled) and hnswlib-node
// 3.0.0 (1 thread, the calling thread), at each ef, with recall@10 against exact ground truth beside every QPS:
//  - sequential: one `await db.search()` at a time; and the p50 latency of db.search against core's search of
//    the same queries, taken in turns (pairedP50: the facade's cost over core, the host's drift cancelled),
//    against core's own build and against the store's own graph opened in core (the same search, node for node);
//  - 64 in flight, and bursts of 1,000 searches issued at once (the pool on every core); `searchMany` of 1,000
//    queries per call;
//  - event-loop delay (monitorEventLoopDelay, 1 ms resolution) while each Feather row runs: p99 and max.
// Every QPS row repeats the query set until it has run for --min-ms (default 1,000; at least one pass): a pass
// of 2,000 queries at 10k QPS lasts 0.2 s, where one scavenge or a concurrent row's ramp and tail weighed on
// the figure and the loop's p99 was about its max.
//
//   npx -y pnpm@10.34.8 --filter @feather-db/benchmarks bench:api -- --dataset mnist-784
//   npx -y pnpm@10.34.8 --filter @feather-db/benchmarks bench:api -- --dataset glove-100 --limit 50000 --queries 1000   # quick
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { HnswIndex, KernelArena } from '@feather-db/core';
import { tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import hnswlib from 'hnswlib-node';
import { sliceDataset } from '../datasets/slice.js';
import { benchArgv } from '../lib/bench-argv.js';
import { commitOf } from '../lib/run-info.js';
import { openStoreGraph } from '../lib/store-graph.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    dataset: { type: 'string', default: 'mnist-784' },
    limit: { type: 'string' },
    queries: { type: 'string', default: '2000' },
    efs: { type: 'string', default: '16,32,64,128' },
    'min-ms': { type: 'string', default: '1000' },
    out: { type: 'string', default: new URL('../results/', import.meta.url).pathname },
  },
});

const { ds, dim, n, nQuery, base, query, recallOf } = sliceDataset(args.dataset, args.limit, args.queries);
const efs = args.efs.split(',').map(Number);
/** Shortest timed row: whole passes over the query set until this many ms have gone by. */
const minRowMs = Number(args['min-ms']);
/** Runs `pass` (one pass over every query) until minRowMs have gone by, at least once; returns the passes and seconds. */
function timedPasses(pass: () => void): { passes: number; seconds: number } {
  const t = performance.now();
  let passes = 0;
  do {
    pass();
    passes++;
  } while (performance.now() - t < minRowMs);
  return { passes, seconds: (performance.now() - t) / 1000 };
}
const k = ds.k;
const log = (s: string): void => void console.error(`[api] ${s}`);

// ---- builds (not timed here: benchmarks/macro/ann.ts and threads.ts time them) --------------------------
log(`${args.dataset} ${n} x ${dim}, ${nQuery} queries, ef ${efs.join('/')}`);
const db = await Feather.open(tempStorePath('api.feather'), { dim, metric: ds.metric });
await db.addBatch(base);
log('feather built');
const core = HnswIndex.create(KernelArena.create(), { dim, metric: ds.metric });
core.addMany(base);
log('core built');
// The store's own graph in core: a copy of its file opened by core's engine, without the facade, so that one
// p50 pair below is the same search on the same graph (core's own build is another graph of the same recall,
// whose searches visit other nodes).
const copy = tempStorePath('api-core.feather');
await db.save(copy, { graph: 'always' });
const { index: sameGraph, close: closeCopy } = openStoreGraph(copy);
log('store graph opened in core');
const h = new hnswlib.HierarchicalNSW(ds.metric, dim);
h.initIndex(n, 16, 200, 100);
const rowBuf = new Array<number>(dim);
for (let i = 0; i < n; i++) {
  for (let j = 0; j < dim; j++) rowBuf[j] = base[i * dim + j]!;
  h.addPoint(rowBuf, i);
}
const hQueries = Array.from({ length: nQuery }, (_, q) => Array.from(query(q)));
log('hnswlib built');

interface Row {
  qps: number;
  recall: number;
  p50Us?: number;
  loopP99Ms?: number;
  loopMaxMs?: number;
}

const p50 = (a: Float64Array): number => Float64Array.from(a).sort()[Math.floor(a.length / 2)] * 1000;

function coreRow(ef: number): Row {
  for (let q = 0; q < Math.min(500, nQuery); q++) core.search(query(q), k, { ef });
  const lat = new Float64Array(nQuery);
  const found: Uint32Array[] = new Array<Uint32Array>(nQuery);
  const { passes, seconds } = timedPasses(() => {
    for (let q = 0; q < nQuery; q++) {
      const s = performance.now();
      found[q] = core.search(query(q), k, { ef }).ids;
      lat[q] = performance.now() - s;
    }
  });
  return { qps: (passes * nQuery) / seconds, recall: recallOf(found), p50Us: p50(lat) };
}

function hnswRow(ef: number): Row {
  h.setEf(ef);
  for (let q = 0; q < Math.min(500, nQuery); q++) h.searchKnn(hQueries[q], k);
  const found: number[][] = new Array<number[]>(nQuery);
  const { passes, seconds } = timedPasses(() => {
    for (let q = 0; q < nQuery; q++) found[q] = h.searchKnn(hQueries[q], k).neighbors;
  });
  return { qps: (passes * nQuery) / seconds, recall: recallOf(found) };
}

/**
 * Runs `run` with the event loop watched, again and again until minRowMs have gone by (at least once): it is
 * given `found` (`found[q]` gets query q's ids) and whether it may stop, and returns how many searches it ran.
 */
async function watched(run: (found: number[][], timeUp: () => boolean) => Promise<number>): Promise<Row> {
  const found: number[][] = new Array<number[]>(nQuery);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const t = performance.now();
  const timeUp = (): boolean => performance.now() - t >= minRowMs;
  let searches = 0;
  do searches += await run(found, timeUp);
  while (!timeUp());
  const seconds = (performance.now() - t) / 1000;
  delay.disable();
  return { qps: searches / seconds, recall: recallOf(found), loopP99Ms: delay.percentile(99) / 1e6, loopMaxMs: delay.max / 1e6 };
}

const ids = (hits: { id: unknown }[]): number[] => hits.map((hit) => hit.id as number);

async function sequentialRow(ef: number): Promise<Row> {
  for (let q = 0; q < Math.min(500, nQuery); q++) await db.search(query(q), { k, ef });
  const lat = new Float64Array(nQuery);
  const row = await watched(async (found) => {
    for (let q = 0; q < nQuery; q++) {
      const s = performance.now();
      found[q] = ids(await db.search(query(q), { k, ef }));
      lat[q] = performance.now() - s;
    }
    return nQuery;
  });
  return { ...row, p50Us: p50(lat) };
}

/**
 * The first 500 queries (as the other rows warm up), `inflight` at a time, untimed: the pool's threads run
 * no search until the first concurrent row (sequential searches run on the calling thread), so without it the
 * first row timed their JIT's warm-up.
 */
async function warmPool(ef: number, inflight: number): Promise<void> {
  let next = 0;
  const last = Math.min(500, nQuery);
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < last) await db.search(query(next++), { k, ef });
    }),
  );
}

async function inflightRow(ef: number, inflight: number): Promise<Row> {
  await warmPool(ef, inflight);
  // One stream over the query set, pass after pass, without a pause between passes: it ends at the end of the
  // first pass that ends after minRowMs (one ramp and one tail in all).
  return watched(async (found, timeUp) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: inflight }, async () => {
        while (next % nQuery !== 0 || next === 0 || !timeUp()) {
          const q = next++;
          found[q % nQuery] = ids(await db.search(query(q % nQuery), { k, ef }));
        }
      }),
    );
    return next;
  });
}

async function burstRow(ef: number, burst: number): Promise<Row> {
  await warmPool(ef, burst);
  return watched(async (found) => {
    for (let from = 0; from < nQuery; from += burst) {
      const to = Math.min(nQuery, from + burst);
      const lists = await Promise.all(Array.from({ length: to - from }, (_, i) => db.search(query(from + i), { k, ef })));
      lists.forEach((hits, i) => (found[from + i] = ids(hits)));
    }
    return nQuery;
  });
}

async function manyRow(ef: number, per: number): Promise<Row> {
  await db.searchMany(ds.queries.subarray(0, Math.min(500, nQuery) * dim), { k, ef });
  return watched(async (found) => {
    for (let from = 0; from < nQuery; from += per) {
      const to = Math.min(nQuery, from + per);
      const lists = await db.searchMany(ds.queries.subarray(from * dim, to * dim), { k, ef });
      lists.forEach((hits, i) => (found[from + i] = ids(hits)));
    }
    return nQuery;
  });
}

/**
 * p50 latency of the same queries through `db.search` and core's `HnswIndex.search`, taken in turns (query by
 * query, the order rotated from query to query) so that the host's drift, which moves runs minutes apart by
 * ±20% here, reaches all alike. Core searches twice: its own serial build (another graph of the same recall)
 * and the store's own graph opened in core (`sameGraph`: the same search, node for node).
 */
async function pairedP50(ef: number): Promise<{ featherUs: number; coreUs: number; sameGraphUs: number }> {
  const f = new Float64Array(nQuery);
  const c = new Float64Array(nQuery);
  const g = new Float64Array(nQuery);
  const viaCore = (q: number): void => {
    const s = performance.now();
    core.search(query(q), k, { ef });
    c[q] = performance.now() - s;
  };
  const viaSameGraph = (q: number): void => {
    const s = performance.now();
    sameGraph.search(query(q), k, { ef });
    g[q] = performance.now() - s;
  };
  const viaFeather = async (q: number): Promise<void> => {
    const s = performance.now();
    await db.search(query(q), { k, ef });
    f[q] = performance.now() - s;
  };
  for (let q = 0; q < nQuery; q++) {
    // Each of the three first, second and last in turn.
    const turn = q % 3;
    if (turn === 0) viaCore(q);
    if (turn === 2) viaSameGraph(q);
    await viaFeather(q);
    if (turn !== 0) viaCore(q);
    if (turn !== 2) viaSameGraph(q);
  }
  return { featherUs: p50(f), coreUs: p50(c), sameGraphUs: p50(g) };
}

const results = [];
for (const ef of efs) {
  const row = {
    ef,
    core: coreRow(ef),
    hnswlib: hnswRow(ef),
    sequential: await sequentialRow(ef),
    paired: await pairedP50(ef),
    inflight64: await inflightRow(ef, 64),
    burst1000: await burstRow(ef, 1000),
    many1000: await manyRow(ef, 1000),
  };
  log(`ef ${ef}: ${JSON.stringify(row)}`);
  results.push(row);
}
await db.close();
closeCopy();

const sha = commitOf();
mkdirSync(args.out, { recursive: true });
writeFileSync(
  `${args.out}/public-api-${args.dataset}.json`,
  JSON.stringify({ sha, cpu: cpus()[0]?.model, node: process.version, dataset: args.dataset, n, nQuery, results }, null, 2),
);

const x = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
const loop = (r: Row): string => `${r.loopP99Ms!.toFixed(1)} / ${r.loopMaxMs!.toFixed(1)}`;
const lines = [
  `### Public API: ${args.dataset}, ${n.toLocaleString('en')} × ${dim}, ${nQuery.toLocaleString('en')} queries, k=${k}, commit ${sha}`,
  '',
  '| ef | hnswlib-node QPS (recall) | core QPS (recall) | Feather sequential QPS (recall) | vs hnswlib | Feather 64 in flight | vs hnswlib | Feather bursts of 1,000 | vs hnswlib | Feather searchMany of 1,000 | vs hnswlib | p50 Feather / core (µs), taken in turns | p50 Feather / core on the store graph (µs) | loop p99 / max ms: seq, 64, burst, many |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ...results.map(
    (r) =>
      `| ${r.ef} | ${r.hnswlib.qps.toFixed(0)} (${r.hnswlib.recall.toFixed(3)}) | ${r.core.qps.toFixed(0)} (${r.core.recall.toFixed(3)}) | ${r.sequential.qps.toFixed(0)} (${r.sequential.recall.toFixed(3)}) | ${x(r.sequential.qps, r.hnswlib.qps)} | ${r.inflight64.qps.toFixed(0)} | ${x(r.inflight64.qps, r.hnswlib.qps)} | ${r.burst1000.qps.toFixed(0)} | ${x(r.burst1000.qps, r.hnswlib.qps)} | ${r.many1000.qps.toFixed(0)} | ${x(r.many1000.qps, r.hnswlib.qps)} | ${r.paired.featherUs.toFixed(0)} / ${r.paired.coreUs.toFixed(0)} = ${x(r.paired.featherUs, r.paired.coreUs)} | ${r.paired.featherUs.toFixed(0)} / ${r.paired.sameGraphUs.toFixed(0)} = ${x(r.paired.featherUs, r.paired.sameGraphUs)} | ${loop(r.sequential)}; ${loop(r.inflight64)}; ${loop(r.burst1000)}; ${loop(r.many1000)} |`,
  ),
];
console.log(lines.join('\n'));
