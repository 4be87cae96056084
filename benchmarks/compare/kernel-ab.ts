// Two (or more) builds of the wasm kernels side by side in one process, where a noisy machine's drift reaches
// every side alike: one graph is built with the first kernel, then each kernel searches that same graph in
// turn, rep after rep (same queries, same ef), and with --build-reps each also builds its own graph of the
// first --build-n rows, in turn (and the graphs' answers to 200 queries are compared); with --own-graphs each
// kernel then searches the graph it built, with recall@10 against exact search over those rows (for a change
// that builds a different graph). Reports QPS and build seconds per kernel (median and best over the reps)
// and whether every kernel returned the same ids. For judging a kernel change, not for RESULTS.md's
// comparisons with hnswlib-node.
//
//   cp packages/kernels/build/feather.wasm /tmp/before.wasm    # then change, rebuild the kernels, and:
//   tsx benchmarks/compare/kernel-ab.ts --dataset glove-100 --n 100000 --ef 128 /tmp/before.wasm packages/kernels/build/feather.wasm
// With --store F, the kernels search the graph of the saved store F (built by addBatch from the dataset's rows,
// e.g. by bench:api) instead of one built here: the full sets without a single-thread build each time.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { HnswIndex, KernelArena } from '@feather-db/core';
import { loadDataset } from '../datasets/load.js';
import { benchArgv } from '../lib/bench-argv.js';
import { arenaFor } from '../lib/kernel-arena.js';
import { openStoreGraph } from '../lib/store-graph.js';

const { values: args, positionals: files } = parseArgs({
  args: benchArgv,
  allowPositionals: true,
  options: {
    dataset: { type: 'string', default: 'glove-100' },
    n: { type: 'string', default: '100000' },
    ef: { type: 'string', default: '128' },
    reps: { type: 'string', default: '5' },
    queries: { type: 'string', default: '2000' },
    'build-reps': { type: 'string', default: '0' },
    'build-n': { type: 'string', default: '30000' },
    'own-graphs': { type: 'boolean', default: false },
    store: { type: 'string' },
  },
});
if (files.length < 2) throw new Error('give two or more kernel files (.wasm) to compare');
const log = (s: string): void => void console.error(`[kernel-ab] ${s}`);
const ds = loadDataset(args.dataset);
const dim = ds.dim;
const n = Math.min(Number(args.n), ds.nBase);
const nq = Math.min(Number(args.queries), ds.nQuery);
const reps = Number(args.reps);
const modules = files.map((f) => new WebAssembly.Module(readFileSync(f)));
const names = files.map((f, i) => `${i}:${basename(f)}`);

const summary = (xs: number[], best: (a: number, b: number) => number): string => {
  const s = [...xs].sort(best);
  return `median ${s[s.length >> 1].toFixed(2)}, best ${s[0].toFixed(2)} (${xs.map((x) => x.toFixed(2)).join(' ')})`;
};

/** The ids of the first 200 queries' top 10 on `index` at ef 64: equal across kernels when they built the same graph. */
const probe = (index: HnswIndex): string => {
  const ids: number[] = [];
  for (let q = 0; q < Math.min(200, nq); q++) ids.push(...index.search(ds.queries.subarray(q * dim, (q + 1) * dim), 10, { ef: 64 }).ids);
  return ids.join(',');
};

const buildReps = Number(args['build-reps']);
/** The graph each kernel built last (`--own-graphs`). */
const builtGraphs: HnswIndex[] = [];
if (buildReps > 0) {
  const rows = ds.base.subarray(0, Math.min(Number(args['build-n']), ds.nBase) * dim);
  const seconds: number[][] = modules.map(() => []);
  const graphs: string[] = [];
  // Rep 0 warms each module's tiers up and is not counted.
  for (let rep = 0; rep <= buildReps; rep++) {
    modules.forEach((module, i) => {
      const index = HnswIndex.create(arenaFor(module), { dim, metric: ds.metric });
      const t = performance.now();
      index.addMany(rows);
      if (rep > 0) seconds[i].push((performance.now() - t) / 1000);
      else graphs[i] = probe(index);
      if (rep === buildReps && args['own-graphs']) builtGraphs[i] = index;
    });
  }
  names.forEach((name, i) => console.log(`${name} build of ${rows.length / dim} rows (s): ${summary(seconds[i], (a, b) => a - b)}`));
  console.log(
    graphs.every((g) => g === graphs[0]) ? 'builds: the same search results on every graph' : 'builds: THE GRAPHS ANSWER DIFFERENTLY',
  );
  if (builtGraphs.length > 0) ownGraphs();
}

/**
 * A kernel change that builds a different graph is judged on the graphs themselves: recall@10 (against exact
 * search over the built rows) and QPS at each ef, each kernel searching the graph it built, in turn.
 */
function ownGraphs(): void {
  const truth = Array.from(
    { length: nq },
    (_, q) => new Set(builtGraphs[0].searchExact(ds.queries.subarray(q * dim, (q + 1) * dim), 10).ids),
  );
  for (const ef of args.ef.split(',').map(Number)) {
    const qps: number[][] = modules.map(() => []);
    const found = modules.map(() => 0);
    for (let rep = 0; rep <= reps; rep++) {
      builtGraphs.forEach((index, i) => {
        const answers: Uint32Array[] = [];
        const t = performance.now();
        for (let q = 0; q < nq; q++) answers.push(index.search(ds.queries.subarray(q * dim, (q + 1) * dim), 10, { ef }).ids);
        if (rep > 0) qps[i].push(nq / ((performance.now() - t) / 1000));
        else found[i] = answers.reduce((sum, ids, q) => sum + ids.filter((id) => truth[q].has(id)).length, 0);
      });
    }
    names.forEach((name, i) =>
      console.log(`${name} own graph, ef ${ef}: recall@10 ${(found[i] / nq / 10).toFixed(4)}, QPS ${summary(qps[i], (a, b) => b - a)}`),
    );
  }
}

const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
/** The graph every kernel searches: built here from the first n rows, or a saved store's (`--store`, its rows in dataset order). */
function searchedGraph(): HnswIndex {
  if (args.store !== undefined) {
    const { index } = openStoreGraph(args.store, arenaFor(modules[0], memory));
    log(`${args.store}: ${index.size} nodes opened with ${names[0]}`);
    return index;
  }
  const index = HnswIndex.create(arenaFor(modules[0], memory), { dim, metric: ds.metric });
  const t0 = performance.now();
  index.addMany(ds.base.subarray(0, n * dim));
  log(`${args.dataset} ${n} rows built with ${names[0]} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return index;
}
const built = searchedGraph();
const indexes = modules.map((module) => HnswIndex.attach(KernelArena.attach(memory, module), built.address));
for (const ef of args.ef.split(',').map(Number)) {
  const qps: number[][] = modules.map(() => []);
  const ids: string[] = [];
  for (let rep = 0; rep <= reps; rep++) {
    indexes.forEach((index, i) => {
      const seen: number[] = [];
      const t = performance.now();
      for (let q = 0; q < nq; q++) seen.push(...index.search(ds.queries.subarray(q * dim, (q + 1) * dim), 10, { ef }).ids);
      const s = (performance.now() - t) / 1000;
      if (rep > 0) qps[i].push(nq / s);
      else ids[i] = seen.join(',');
    });
  }
  const same = ids.every((x) => x === ids[0]);
  names.forEach((name, i) => console.log(`${name} ef ${ef} QPS: ${summary(qps[i], (a, b) => b - a)}`));
  console.log(`ef ${ef}: ${same ? 'every kernel returned the same ids' : 'THE KERNELS RETURNED DIFFERENT IDS'}`);
}
