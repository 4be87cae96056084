// Event-loop delay while the store's long operations run (issue 13's goal: p99 <= 5 ms, max <= 50 ms), through
// the public API with default options: addBatch of the whole dataset into a fresh store, save, close, open until
// the first search has answered, forget a tenth, compact. monitorEventLoopDelay (1 ms resolution) is enabled
// around each awaited call only. Each pool priority named runs the same sequence on its own store, in turn,
// in one process (the default 'below-normal' and 'normal' side by side).
//
//   npx -y pnpm@10.34.8 --filter @feather-db/benchmarks bench:loop-delay [-- --dataset glove-100 --limit 100000]
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { tempStorePath } from '@feather-db/testkit';
import { Feather, type OpenOptions } from 'feather-db';
import { sliceDataset } from '../datasets/slice.js';
import { benchArgv } from '../lib/bench-argv.js';
import { commitOf } from '../lib/run-info.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    dataset: { type: 'string', default: 'mnist-784' },
    limit: { type: 'string' },
    priorities: { type: 'string', default: 'below-normal,normal' },
    out: { type: 'string', default: new URL('../results/', import.meta.url).pathname },
  },
});

const { ds, dim, n, base, query } = sliceDataset(args.dataset, args.limit, '100');
const priorities = args.priorities.split(',') as NonNullable<OpenOptions['poolPriority']>[];
const log = (s: string): void => void console.error(`[loop-delay] ${s}`);

interface Measured {
  op: string;
  ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
}

/** Runs `fn` with the event-loop delay histogram on: its duration and the delay's p99 and max. */
async function measured<T>(op: string, fn: () => Promise<T>): Promise<{ row: Measured; value: T }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  // The histogram records the gap between two of its timer's callbacks: let it fire once first, so that a
  // synchronous start of the call (before its first await) is measured too.
  await new Promise((resolve) => setTimeout(resolve, 5));
  const t = performance.now();
  const value = await fn();
  const ms = performance.now() - t;
  h.disable();
  const row = { op, ms, loopP99Ms: h.percentile(99) / 1e6, loopMaxMs: h.max / 1e6 };
  log(`${op}: ${ms.toFixed(0)} ms, loop p99 ${row.loopP99Ms.toFixed(1)} max ${row.loopMaxMs.toFixed(1)} ms`);
  return { row, value };
}

const results: Record<string, Measured[]> = {};
for (const poolPriority of priorities) {
  const path = tempStorePath('loop-delay.feather');
  const rows: Measured[] = [];
  log(`${args.dataset} ${n} x ${dim}, poolPriority ${poolPriority}`);
  const db = await Feather.open(path, { dim, metric: ds.metric, poolPriority });
  const added = await measured(`addBatch of ${n.toLocaleString('en-US')}`, () => db.addBatch(base));
  rows.push(added.row);
  rows.push((await measured('save', () => db.save())).row);
  rows.push((await measured('close', () => db.close())).row);
  const opened = await measured('open + first search answered', async () => {
    const store = await Feather.open(path, { poolPriority });
    await store.search(query(0), { k: 10 });
    return store;
  });
  rows.push(opened.row);
  const store = opened.value;
  // A tenth forgotten (every tenth memory), so that compact has tombstones to drop.
  const ids = added.value.ids.filter((_, i) => i % 10 === 0);
  rows.push((await measured(`forget ${ids.length.toLocaleString('en-US')}`, () => store.forget(ids))).row);
  rows.push((await measured('compact', () => store.compact())).row);
  await store.close();
  results[poolPriority] = rows;
}

const commit = commitOf();
mkdirSync(args.out, { recursive: true });
writeFileSync(
  `${args.out}/loop-delay-${args.dataset}.json`,
  `${JSON.stringify({ benchmark: 'loop-delay', commit, node: process.version, cpu: cpus()[0]?.model, cores: availableParallelism(), dataset: args.dataset, n, dim, results }, null, 2)}\n`,
);
console.log(`### Event-loop delay during long operations: ${args.dataset}, ${n.toLocaleString('en-US')} × ${dim}, commit ${commit}\n`);
console.log(`| operation | ${priorities.map((p) => `${p}: ms | loop p99 / max ms`).join(' | ')} |`);
console.log(`|---|${priorities.map(() => '---:|---:').join('|')}|`);
for (let i = 0; i < results[priorities[0]].length; i++) {
  const cells = priorities.map((p) => {
    const r = results[p][i];
    return `${r.ms.toFixed(0)} | ${r.loopP99Ms.toFixed(1)} / ${r.loopMaxMs.toFixed(1)}`;
  });
  console.log(`| ${results[priorities[0]][i].op} | ${cells.join(' | ')} |`);
}
