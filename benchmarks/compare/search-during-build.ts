// How long searches wait while a large `addBatch` fills the pool: a store of the first `--seed` rows, then an
// `addBatch` of the rest of the first `--limit` rows, while `--inflight` callers each search once every `--gap`
// ms until the batch has returned; the searches' latency percentiles (default options). Isolated searches run
// on the calling thread (the search queue is idle); concurrent ones queue for the pool behind the batch's
// insert tasks. With `--forget` (a fraction), that fraction of the first rows is forgotten before the batch, so
// the batch's write repairs their tombstones first (the default policy repairs on the insert path, in the pool):
// searches then run during the repair pass too.
//
//   tsx benchmarks/compare/search-during-build.ts --dataset glove-100 --limit 100000 --inflight 8 [--forget 0.5]
import { parseArgs } from 'node:util';
import { tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { sliceDataset } from '../datasets/slice.js';
import { benchArgv } from '../lib/bench-argv.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    dataset: { type: 'string', default: 'glove-100' },
    limit: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '20000' },
    inflight: { type: 'string', default: '8' },
    gap: { type: 'string', default: '20' },
    ef: { type: 'string', default: '64' },
    forget: { type: 'string', default: '0' },
  },
});
const { ds, dim, base, query, nQuery } = sliceDataset(args.dataset, args.limit, '1000');
const seed = Number(args.seed);
const db = await Feather.open(tempStorePath('search-during-build.feather'), { dim, metric: ds.metric });
const { ids } = await db.addBatch(base.subarray(0, seed * dim));
const forgotten = Math.round(Number(args.forget) * seed);
if (forgotten > 0) await db.forget(ids.slice(0, forgotten));
let done = false;
const latencies: number[] = [];
const started = performance.now();
const building = db.addBatch(base.subarray(seed * dim)).then(() => (done = true));
let next = 0;
await Promise.all(
  Array.from({ length: Number(args.inflight) }, async () => {
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, Number(args.gap)));
      const t = performance.now();
      await db.search(query(next++ % nQuery), { k: 10, ef: Number(args.ef) });
      latencies.push(performance.now() - t);
    }
  }),
);
await building;
latencies.sort((a, b) => a - b);
const at = (p: number): string => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
console.log(
  `${forgotten > 0 ? `${forgotten} forgotten, then ` : ''}addBatch of ${base.length / dim - seed} rows in ${((performance.now() - started) / 1000).toFixed(1)} s; ${latencies.length} searches (${args.inflight} callers): p50 ${at(0.5)}, p90 ${at(0.9)}, p99 ${at(0.99)}, max ${latencies.at(-1)!.toFixed(1)} ms`,
);
await db.close();
