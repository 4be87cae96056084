// What searches cost, and what they hold the event loop for, in a store whose first `--forget` rows (a fraction,
// forgotten in one call) are tombstones not yet repaired (the default policy repairs on the next add): 300
// sequential searches before the forget, after it, and after one add has repaired it; p50 / p99 / max latency and
// the event loop's max delay over each run (default options).
//
//   tsx benchmarks/compare/search-after-forget.ts --dataset glove-100 --limit 100000 --forget 0.5
import { monitorEventLoopDelay } from 'node:perf_hooks';
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
    forget: { type: 'string', default: '0.5' },
    ef: { type: 'string', default: '64' },
  },
});
const { ds, dim, base, query, nQuery } = sliceDataset(args.dataset, args.limit, '1000');
const db = await Feather.open(tempStorePath('search-after-forget.feather'), { dim, metric: ds.metric });
const { ids } = await db.addBatch(base);
const ef = Number(args.ef);

async function timeSearches(label: string): Promise<void> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const ms: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    await db.search(query(i % nQuery), { k: 10, ef });
    ms.push(performance.now() - t);
  }
  loop.disable();
  ms.sort((a, b) => a - b);
  console.log(
    `${label}: p50 ${ms[150].toFixed(2)}, p99 ${ms[297].toFixed(2)}, max ${ms[299].toFixed(2)} ms; event loop max ${(loop.max / 1e6).toFixed(1)} ms`,
  );
}

await timeSearches(`${ids.length} live`);
const forgotten = Math.round(Number(args.forget) * ids.length);
await db.forget(ids.slice(0, forgotten));
await timeSearches(`${forgotten} forgotten, not yet repaired`);
await db.add(base.subarray(0, dim));
await timeSearches('after the next add repaired them');
await db.close();
