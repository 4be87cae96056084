// What a burst of `db.search` calls holds the event loop for: `--bursts` times, `--size` calls issued in one
// loop (as `Promise.all(queries.map((q) => db.search(q)))` does), the time until the loop returns ("issue", the
// event-loop turn the caller's loop holds), then until every search has answered; and the event loop's delay
// over all bursts. With `--gaps`, also every gap of the event loop over `--over` ms (a 1 ms timer) beside the
// issue turn or the V8 GC pauses it overlaps (PerformanceObserver 'gc'; kinds 1: scavenge, 4: mark-compact, 8:
// incremental marking), and what the main thread did meanwhile (Linux schedstat: ms on a core, ms waiting for
// one). A store of the first `--limit` rows, default options. For judging what a search call
// costs the main thread (main/query-slab.ts, shared/search-wire.ts), not for RESULTS.md's comparisons.
//
//   tsx benchmarks/compare/burst-issue.ts --dataset mnist-784 --limit 20000 --ef 32 --bursts 15 --gaps
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
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
    gaps: { type: 'boolean', default: false },
    over: { type: 'string', default: '3' },
  },
});
const { ds, dim, base, query, nQuery } = sliceDataset(args.dataset, args.limit, '2000');
const db = await Feather.open(tempStorePath('burst-issue.feather'), { dim, metric: ds.metric });
await db.addBatch(base);
const ef = Number(args.ef);
const size = Number(args.size);
const over = Number(args.over);
const burst = (first: number): Promise<unknown>[] =>
  Array.from({ length: size }, (_, i) => db.search(query((first + i) % nQuery), { k: 10, ef }));
// Three untimed bursts warm the pool's threads and the JIT.
for (let r = 0; r < 3; r++) await Promise.all(burst(r * size));

const gcs: { start: number; ms: number; kind: number }[] = [];
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    gcs.push({ start: e.startTime, ms: e.duration, kind: (e as { detail?: { kind?: number } }).detail?.kind ?? 0 });
});
/** The main thread's ns on a core and ns waiting in a run queue so far (0s where /proc has no schedstat). */
function schedstat(): [number, number] {
  try {
    const [cpu, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    return [Number(cpu), Number(wait)];
  } catch {
    return [0, 0];
  }
}
const gaps: { at: number; ms: number; cpuMs: number; waitMs: number }[] = [];
let last = performance.now();
let lastStat = schedstat();
const timer = args.gaps
  ? setInterval(() => {
      const now = performance.now();
      const stat = schedstat();
      if (now - last > over + 1)
        gaps.push({ at: last, ms: now - last - 1, cpuMs: (stat[0] - lastStat[0]) / 1e6, waitMs: (stat[1] - lastStat[1]) / 1e6 });
      last = now;
      lastStat = stat;
    }, 1)
  : undefined;
if (args.gaps) observer.observe({ entryTypes: ['gc'] });
const issues: { at: number; ms: number }[] = [];
const total: number[] = [];
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const t0 = performance.now();
for (let r = 0; r < Number(args.bursts); r++) {
  const t = performance.now();
  const all = burst(r * size);
  issues.push({ at: t, ms: performance.now() - t });
  await Promise.all(all);
  total.push(performance.now() - t);
}
delay.disable();
clearInterval(timer);
observer.disconnect();
const ms = (ns: number): string => (ns / 1e6).toFixed(1);
const sorted = issues.map((i) => i.ms).sort((a, b) => a - b);
console.log(`issue ms (median ${sorted[sorted.length >> 1].toFixed(1)}): ${issues.map((i) => i.ms.toFixed(1)).join(' ')}`);
console.log(`burst ms: ${total.map((x) => x.toFixed(0)).join(' ')}`);
console.log(`event loop: p50 ${ms(delay.percentile(50))}, p99 ${ms(delay.percentile(99))}, max ${ms(delay.max)} ms`);
if (args.gaps) {
  const within = (at: number, g: { at: number; ms: number }): boolean => at >= g.at - 0.5 && at <= g.at + g.ms + 1;
  for (const g of gaps) {
    const issue = issues.find((i) => within(i.at, g));
    const gc = gcs.filter((p) => within(p.start, g));
    console.log(
      `gap ${g.ms.toFixed(1)} ms at ${(g.at - t0).toFixed(0)} ms (main on a core ${g.cpuMs.toFixed(1)}, waiting for one ${g.waitMs.toFixed(1)}): issue turn ${issue === undefined ? '-' : issue.ms.toFixed(1)}; gc ${gc.map((p) => `${p.kind}:${p.ms.toFixed(1)}`).join(',') || '-'}`,
    );
  }
  const kinds: Record<number, number> = {};
  for (const p of gcs) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
  const sum = (f: (g: (typeof gaps)[number]) => number): string => gaps.reduce((t, g) => t + f(g), 0).toFixed(0);
  console.log(
    `gaps over ${over} ms: ${gaps.length}, ${sum((g) => g.ms)} ms (main on a core ${sum((g) => g.cpuMs)}, waiting for one ${sum((g) => g.waitMs)})`,
  );
  console.log(
    `gc: ${gcs.length} pauses, ${gcs.reduce((s, p) => s + p.ms, 0).toFixed(0)} ms, max ${Math.max(0, ...gcs.map((p) => p.ms)).toFixed(1)} ms; by kind ${JSON.stringify(kinds)}`,
  );
}
await db.close();
