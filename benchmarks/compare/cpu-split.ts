// Where the CPU goes while `--inflight` searches are kept in flight through `db.search` (default options; a
// store of the first `--limit` rows): per thread (/proc/self/task, the main thread named MAIN), the main
// thread's and the other threads' CPU per search, beside core's one-thread search of the same saved graph in
// the same process, in turns (`--reps` of each, `--ms` each).
//
//   tsx benchmarks/compare/cpu-split.ts --dataset mnist-784 --limit 60000 --ef 32 --reps 4
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { sliceDataset } from '../datasets/slice.js';
import { benchArgv } from '../lib/bench-argv.js';
import { openStoreGraph } from '../lib/store-graph.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    dataset: { type: 'string', default: 'mnist-784' },
    limit: { type: 'string', default: '60000' },
    ef: { type: 'string', default: '32' },
    inflight: { type: 'string', default: '64' },
    ms: { type: 'string', default: '3000' },
    reps: { type: 'string', default: '4' },
  },
});
const { ds, dim, base, query, nQuery } = sliceDataset(args.dataset, args.limit, '2000');
const path = tempStorePath('cpu-split.feather');
const db = await Feather.open(path, { dim, metric: ds.metric });
await db.addBatch(base);
await db.save();
const core = openStoreGraph(path);
const ef = Number(args.ef);
const ms = Number(args.ms);
/** Clock ticks a second of /proc's utime and stime. */
const kTicks = 100;

/** CPU seconds so far of each thread of this process, by thread id. */
function threadCpu(): Map<string, { name: string; seconds: number }> {
  const out = new Map<string, { name: string; seconds: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const name = tid === String(process.pid) ? 'MAIN' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    out.set(tid, { name, seconds: (Number(fields[11]) + Number(fields[12])) / kTicks });
  }
  return out;
}

async function inflight(n: number, forMs: number): Promise<number> {
  let done = 0;
  let next = 0;
  const end = performance.now() + forMs;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (performance.now() < end) {
        await db.search(query(next++ % nQuery), { k: 10, ef });
        done++;
      }
    }),
  );
  return done;
}

await inflight(Number(args.inflight), 1500);
for (let rep = 0; rep < Number(args.reps); rep++) {
  const c0 = process.cpuUsage();
  let t = performance.now();
  let n = 0;
  while (performance.now() - t < ms) core.index.search(query(n++ % nQuery), 10, { ef });
  const c = process.cpuUsage(c0);
  console.log(
    `core, 1 thread: ${((n * 1000) / (performance.now() - t)).toFixed(0)} QPS, ${((c.user + c.system) / n).toFixed(0)} µs CPU a search`,
  );
  const before = threadCpu();
  const p0 = process.cpuUsage();
  t = performance.now();
  n = await inflight(Number(args.inflight), ms);
  const seconds = (performance.now() - t) / 1000;
  const after = threadCpu();
  const p = process.cpuUsage(p0);
  const busy: string[] = [];
  let main = 0;
  for (const [tid, v] of after) {
    const used = v.seconds - (before.get(tid)?.seconds ?? 0);
    if (v.name === 'MAIN') main = used;
    if (used / seconds >= 0.02) busy.push(`${v.name} ${(used / seconds).toFixed(2)}`);
  }
  const all = (p.user + p.system) / 1e6;
  console.log(
    `${args.inflight} in flight: ${(n / seconds).toFixed(0)} QPS, ${(all / seconds).toFixed(2)} cores (${busy.join(', ')}); CPU a search: main ${((main * 1e6) / n).toFixed(0)} µs, other threads ${(((all - main) * 1e6) / n).toFixed(0)} µs`,
  );
}
core.close();
await db.close();
