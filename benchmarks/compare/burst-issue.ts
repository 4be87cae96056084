// How long a burst's synchronous block takes: `--bursts` times, `--size` db.search calls issued in one loop
// (as `Promise.all(queries.map((q) => db.search(q)))` does), the time until the loop returns ("issue", the
// event-loop turn the caller's loop holds), then until every search has answered; and the event loop's delay
// over all bursts. A store of the first `--limit` rows, default options. For judging what a search call costs
// before its first await (main/query-slab.ts), not for RESULTS.md's comparisons.
//
//   tsx benchmarks/compare/burst-issue.ts --dataset mnist-784 --limit 20000 --ef 32 --bursts 10
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { sliceDataset } from '../datasets/slice.js';
import { benchArgv } from '../lib/bench-argv.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    dataset: { type: 'string', default: 'mnist-784' },
    limit: { type: 'string', default: '20000' },
    ef: { type: 'string', default: '32' },
    size: { type: 'string', default: '1000' },
    bursts: { type: 'string', default: '10' },
  },
});
const { ds, dim, base, query, nQuery } = sliceDataset(args.dataset, args.limit, '2000');
const db = await Feather.open(tempStorePath('burst-issue.feather'), { dim, metric: ds.metric });
await db.addBatch(base);
const ef = Number(args.ef);
const size = Number(args.size);
const burst = (first: number): Promise<unknown>[] =>
  Array.from({ length: size }, (_, i) => db.search(query((first + i) % nQuery), { k: 10, ef }));
// Three untimed bursts warm the pool's threads and the JIT.
for (let r = 0; r < 3; r++) await Promise.all(burst(r * size));
const issue: number[] = [];
const total: number[] = [];
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
for (let r = 0; r < Number(args.bursts); r++) {
  const t = performance.now();
  const all = burst(r * size);
  issue.push(performance.now() - t);
  await Promise.all(all);
  total.push(performance.now() - t);
}
delay.disable();
const ms = (ns: number): string => (ns / 1e6).toFixed(1);
const sorted = [...issue].sort((a, b) => a - b);
console.log(`issue ms (median ${sorted[sorted.length >> 1].toFixed(1)}): ${issue.map((x) => x.toFixed(1)).join(' ')}`);
console.log(`burst ms: ${total.map((x) => x.toFixed(0)).join(' ')}`);
console.log(`event loop: p50 ${ms(delay.percentile(50))}, p99 ${ms(delay.percentile(99))}, max ${ms(delay.max)} ms`);
await db.close();
