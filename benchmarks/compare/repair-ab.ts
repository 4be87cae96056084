// Two (or more) builds of the wasm kernels judged on stepped churn in core, one thread, where a repair change
// shows without the pool's scheduling: N rows in, then steps of S new rows in and the S oldest forgotten, a
// whole repair (every tombstone retires) before a step once tombstones reach --repair-at of the nodes, as the
// insert-path policy runs them. Per kernel, in turn, twice: seconds inserting and repairing, microseconds of
// repair per forgotten node, the live set's mean level-0 degree and distances per search, and recall@10 at
// each --ef against exact search over the live set; once, a fresh build of the last live set with the first
// kernel. For judging a repair change, not for comparisons with hnswlib-node. A kernel that keeps recall for
// 20 steps may still lose it over hundreds (tenth session: --steps 250 --dataset clustered showed it).
//
//   cp packages/kernels/build/feather.wasm /tmp/before.wasm    # then change, rebuild the kernels, and:
//   tsx benchmarks/compare/repair-ab.ts --dataset clustered --steps 20 /tmp/before.wasm packages/kernels/build/feather.wasm
//   (--dataset glove-100 or mnist-784: the base rows in order; clustered: 128-d testkit clusters, cosine;
//   --lag: each pass runs after the next step, beside tombstones newer than its set, as a lagging background repair)
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { HnswIndex, type Metric } from '@feather-db/core';
import { bruteForce, clusteredVectors, recall } from '@feather-db/testkit';
import { loadDataset } from '../datasets/load.js';
import { benchArgv } from '../lib/bench-argv.js';
import { arenaFor } from '../lib/kernel-arena.js';

const { values: args, positionals: files } = parseArgs({
  args: benchArgv,
  allowPositionals: true,
  options: {
    dataset: { type: 'string', default: 'clustered' },
    n: { type: 'string', default: '20000' },
    step: { type: 'string', default: '2000' },
    steps: { type: 'string', default: '20' },
    queries: { type: 'string', default: '200' },
    ef: { type: 'string', default: '16,32,64,128' },
    'repair-at': { type: 'string', default: '0.1' },
    lag: { type: 'boolean', default: false },
  },
});
if (files.length < 2) throw new Error('give two or more kernel files (.wasm) to compare');
const n = Number(args.n);
const step = Number(args.step);
const steps = Number(args.steps);
const repairAt = Number(args['repair-at']);
const efs = args.ef.split(',').map(Number);
// --lag: the background policy's order, where a repair outlasts the next step: its set is fixed, then the step's
// rows go in and its oldest are forgotten (tombstones newer than the set), then the pass runs.
const lag = args.lag === true;

interface Rows {
  dim: number;
  metric: Metric;
  base: Float32Array;
  queries: Float32Array;
}
const data: Rows =
  args.dataset === 'clustered'
    ? {
        dim: 128,
        metric: 'cosine',
        base: clusteredVectors({ n: n + step * steps, dim: 128, seed: 1, pointSeed: 1000 }),
        queries: clusteredVectors({ n: Number(args.queries), dim: 128, seed: 1, pointSeed: 77 }),
      }
    : loadDataset(args.dataset);
const { dim, metric } = data;
if (data.base.length < (n + step * steps) * dim) throw new Error(`${args.dataset} has fewer than ${n + step * steps} rows`);
const nq = Math.min(Number(args.queries), data.queries.length / dim);
const modules = files.map((f) => new WebAssembly.Module(readFileSync(f)));
const kNCount0 = 28; // packages/core/src/layout.ts: a node's level-0 link count

const rows = (from: number, count: number): Float32Array => data.base.subarray(from * dim, (from + count) * dim);
const tags = (from: number, count: number): { row: number; namespace: number; entity: number }[] =>
  Array.from({ length: count }, (_, i) => ({ row: from + i, namespace: 0, entity: 0 }));
const query = (q: number): Float32Array => data.queries.subarray(q * dim, (q + 1) * dim);

/** The live set's shape and recall@10 at each ef (node `nodeOf[liveFrom + i]` holds live row i). */
function judge(index: HnswIndex, liveFrom: number, nodeOf: Uint32Array): string {
  const u32 = index.arena.u32;
  let degree = 0;
  for (let i = 0; i < n; i++) degree += u32[(index.nodeAddress(nodeOf[liveFrom + i]) + kNCount0) >>> 2];
  const live = rows(liveFrom, n);
  const truth = Array.from({ length: nq }, (_, q) => bruteForce(metric, live, dim, query(q), 10).map((i) => nodeOf[liveFrom + i]));
  let distances = 0;
  const recalls = efs.map((ef) => {
    let total = 0;
    distances = 0;
    for (let q = 0; q < nq; q++) {
      total += recall(index.search(query(q), 10, { ef }).ids, truth[q]);
      distances += index.lastDistanceCount;
    }
    return (total / nq).toFixed(4);
  });
  return `level-0 degree ${(degree / n).toFixed(1)}, distances/search at ef ${efs.at(-1)} ${(distances / nq).toFixed(0)}, recall@10 at ef ${efs.join('/')}: ${recalls.join(' / ')}`;
}

for (let rep = 0; rep < 2; rep++) {
  modules.forEach((module, k) => {
    const index = HnswIndex.create(arenaFor(module), { dim, metric });
    const nodeOf = new Uint32Array(n + step * steps);
    index.reserveManyReusing(rows(0, n), tags(0, n)).forEach((id, i) => (nodeOf[i] = id));
    for (let i = 0; i < n; i++) index.insertReserved(nodeOf[i]);
    let insertMs = 0;
    let repairMs = 0;
    let retired = 0;
    let passes = 0;
    let pending = 0;
    const pass = (r: { set: number; bits: number }): void => {
      const t = performance.now();
      index.repairRange(0, r.bits, r.set, r.bits);
      const committed = index.recycler.commitRepair();
      repairMs += performance.now() - t;
      retired += committed;
      passes++;
      pending -= committed;
    };
    for (let s = 0; s < steps; s++) {
      let open: { set: number; bits: number } | undefined;
      if (pending >= repairAt * (n + pending)) {
        const t = performance.now();
        open = index.recycler.beginRepair()!;
        repairMs += performance.now() - t;
        if (!lag) {
          pass(open);
          open = undefined;
        }
      }
      const from = n + s * step;
      const t = performance.now();
      index.reserveManyReusing(rows(from, step), tags(from, step)).forEach((id, i) => (nodeOf[from + i] = id));
      for (let i = from; i < from + step; i++) index.insertReserved(nodeOf[i]);
      insertMs += performance.now() - t;
      for (let i = s * step; i < (s + 1) * step; i++) index.delete(nodeOf[i]);
      pending += step;
      if (open !== undefined) pass(open);
    }
    const perNode = retired > 0 ? ((repairMs * 1000) / retired).toFixed(1) : '-';
    console.log(
      `${k}:${basename(files[k])} rep ${rep}: inserts ${(insertMs / 1000).toFixed(2)} s, repair ${(repairMs / 1000).toFixed(2)} s ` +
        `(${passes} passes, ${retired} retired, ${perNode} µs per forgotten node); ${judge(index, steps * step, nodeOf)}`,
    );
  });
}
const liveFrom = steps * step;
const fresh = HnswIndex.create(arenaFor(modules[0]), { dim, metric });
const freshNodes = new Uint32Array(n + step * steps);
fresh.reserveManyReusing(rows(liveFrom, n), tags(liveFrom, n)).forEach((id, i) => (freshNodes[liveFrom + i] = id));
for (let i = 0; i < n; i++) fresh.insertReserved(freshNodes[liveFrom + i]);
console.log(`fresh build of the live set (kernel 0): ${judge(fresh, liveFrom, freshNodes)}`);
