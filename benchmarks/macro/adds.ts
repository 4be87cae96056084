// Single adds per second, as a service writes them: `db.add()` one at a time, 64 in flight and 1,000 in flight
// through the public API with default options (durability fsync, every core), each into its own store holding
// the same first rows (`addBatch`), side by side with hnswlib-node (M=16, efConstruction=200) adding the same
// rows with addPoint one after another on the calling thread into an index of the same first rows. Recall@10 of
// every store and of the hnswlib-node index after the adds, at ef 128, against exact search over all the rows.
// Then a mixed load on one more such store, as an API server sees it: 16 searches in flight (ef 64, k 10) for
// as long as the same adds take with 64 in flight, against the same searches alone for the same count:
// searches per second and their p50 / p99 latency next to the adds per second.
//
//   npx -y pnpm@10.34.8 --filter @feather-db/benchmarks bench:adds [-- --dataset glove-100 --preload 50000 --adds 10000]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import hnswlib from 'hnswlib-node';
import { sliceDataset } from '../datasets/slice.js';
import { benchArgv } from '../lib/bench-argv.js';
import { runInfo } from '../lib/run-info.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    dataset: { type: 'string', default: 'glove-100' },
    preload: { type: 'string', default: '50000' },
    adds: { type: 'string', default: '10000' },
    out: { type: 'string', default: new URL('../results/', import.meta.url).pathname },
  },
});
const log = (s: string): void => void console.error(`[adds] ${s}`);
const preload = Number(args.preload);
const adds = Number(args.adds);
const { ds, dim, n, nQuery, base, query, recallOf } = sliceDataset(args.dataset, String(preload + adds), '1000');
if (n !== preload + adds) throw new Error(`${args.dataset} has ${ds.nBase} rows, fewer than ${preload + adds}`);
const row = (i: number): Float32Array => base.subarray(i * dim, (i + 1) * dim);
const ef = 128;

interface Row {
  side: string;
  addsPerS: number;
  recall: number;
}

/** A store of the first `preload` rows, then the other rows added with `inflight` adds in flight. */
async function featherSide(inflight: number): Promise<Row> {
  const db = await Feather.open(tempStorePath('adds.feather'), { dim, metric: ds.metric });
  await db.addBatch(base.subarray(0, preload * dim));
  let next = preload;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < n) {
        const i = next++;
        await db.add(row(i), { id: i });
      }
    }),
  );
  const addsPerS = adds / ((performance.now() - t) / 1000);
  const found: number[][] = [];
  for (let q = 0; q < nQuery; q++) found.push((await db.search(query(q), { k: 10, ef, track: false })).map((h) => h.id as number));
  await db.close();
  const side = inflight === 1 ? 'Feather `add`, one at a time' : `Feather \`add\`, ${inflight} in flight`;
  log(`${side}: ${addsPerS.toFixed(0)} adds/s`);
  return { side, addsPerS, recall: recallOf(found) };
}

function hnswlibSide(): Row {
  const index = new hnswlib.HierarchicalNSW(ds.metric, dim);
  index.initIndex(n, 16, 200, 100);
  const values = new Array<number>(dim);
  const put = (i: number): void => {
    const v = row(i);
    for (let j = 0; j < dim; j++) values[j] = v[j];
    index.addPoint(values, i);
  };
  for (let i = 0; i < preload; i++) put(i);
  const t = performance.now();
  for (let i = preload; i < n; i++) put(i);
  const addsPerS = adds / ((performance.now() - t) / 1000);
  index.setEf(ef);
  const found: number[][] = [];
  for (let q = 0; q < nQuery; q++) found.push(index.searchKnn(Array.from(query(q)), 10).neighbors);
  log(`hnswlib-node addPoint: ${addsPerS.toFixed(0)} adds/s`);
  return { side: 'hnswlib-node `addPoint`, one thread', addsPerS, recall: recallOf(found) };
}

interface SearchLoad {
  side: string;
  searchesPerS: number;
  p50Ms: number;
  p99Ms: number;
  addsPerS: number | undefined;
}

/** 16 searches in flight until `until()` says stop (or `count` searches); their rate and latency. */
async function searching(db: Feather, until: () => boolean): Promise<{ perS: number; p50Ms: number; p99Ms: number; count: number }> {
  const lat: number[] = [];
  let q = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (!until()) {
        const s = performance.now();
        await db.search(query(q++), { k: 10, ef: 64, track: false });
        lat.push(performance.now() - s);
      }
    }),
  );
  const ms = performance.now() - t;
  lat.sort((a, b) => a - b);
  return { perS: lat.length / (ms / 1000), p50Ms: lat[lat.length >> 1], p99Ms: lat[Math.floor(lat.length * 0.99)], count: lat.length };
}

/** Searches with 64 adds in flight, then the same number of searches alone, on one store of the first rows. */
async function mixedLoad(): Promise<SearchLoad[]> {
  const db = await Feather.open(tempStorePath('mixed.feather'), { dim, metric: ds.metric });
  await db.addBatch(base.subarray(0, preload * dim));
  for (let q = 0; q < 500; q++) await db.search(query(q), { k: 10, ef: 64, track: false });
  let next = preload;
  let done = false;
  const t = performance.now();
  const adding = Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < n) {
        const i = next++;
        await db.add(row(i), { id: i });
      }
    }),
  ).then(() => (done = true));
  const mixed = await searching(db, () => done);
  await adding;
  const addsPerS = adds / ((performance.now() - t) / 1000);
  let left = mixed.count;
  const alone = await searching(db, () => left-- <= 0);
  await db.close();
  log(`searches with adds: ${mixed.perS.toFixed(0)}/s, p99 ${mixed.p99Ms.toFixed(2)} ms; alone: ${alone.perS.toFixed(0)}/s`);
  return [
    { side: 'searches alone', searchesPerS: alone.perS, p50Ms: alone.p50Ms, p99Ms: alone.p99Ms, addsPerS: undefined },
    { side: 'searches with 64 adds in flight', searchesPerS: mixed.perS, p50Ms: mixed.p50Ms, p99Ms: mixed.p99Ms, addsPerS },
  ];
}

const rows: Row[] = [hnswlibSide()];
for (const inflight of [1, 64, 1000]) rows.push(await featherSide(inflight));
const mixed = await mixedLoad();
const baseline = rows[0].addsPerS;
const info = runInfo('adds');
const table = [
  `${args.dataset}: ${adds.toLocaleString('en')} single adds into a store of ${preload.toLocaleString('en')} (commit ${info.commit}; recall@10 at ef ${ef}, ${nQuery} queries)`,
  '',
  '| side | adds/s | vs hnswlib-node | recall@10 |',
  '|---|---:|---:|---:|',
  ...rows.map((r) => `| ${r.side} | ${r.addsPerS.toFixed(0)} | ${(r.addsPerS / baseline).toFixed(2)}× | ${r.recall.toFixed(4)} |`),
  '',
  `Mixed load: 16 searches in flight (k 10, ef 64) while ${adds.toLocaleString('en')} adds go in with 64 in flight, and the same number of searches alone`,
  '',
  '| load | searches/s | search p50 / p99 ms | adds/s |',
  '|---|---:|---:|---:|',
  ...mixed.map(
    (m) =>
      `| ${m.side} | ${m.searchesPerS.toFixed(0)} | ${m.p50Ms.toFixed(2)} / ${m.p99Ms.toFixed(2)} | ${m.addsPerS === undefined ? '' : m.addsPerS.toFixed(0)} |`,
  ),
].join('\n');
console.log(table);
mkdirSync(args.out, { recursive: true });
writeFileSync(
  `${args.out}/adds-${args.dataset}.json`,
  `${JSON.stringify({ ...info, dataset: args.dataset, preload, adds, ef, rows, mixed }, null, 2)}\n`,
);
