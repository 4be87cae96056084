// Churn at a constant live set (issue 18, docs/adr/0008): `rounds` rounds of addBatch N / forget the previous N,
// through the public API with default options, in three set-ups run one after another in one process:
//   none        the defaults: no compaction (tombstones repaired on the insert path, slots reused)
//   compact     compact() after every round
//   background  maintenance { mode: 'background' } (repair on the pool off the write path)
// (`off`, maintenance: false, is the behaviour before slot reuse; pass it in --setups to compare.)
// At the measured rounds: shared memory (the wasm memory's size and the arena's high-water mark) and RSS,
// recall@10 at the default ef against exact search over the live set, search QPS, add throughput (the round's
// addBatch), and beside them a fresh store built from the same live set (its shared memory and recall, and the
// rate of one more step of adds into it: what an add costs in a graph that size that never churned).
// In the background set-up, the p99 of single adds while a repair runs against the same adds with none running,
// and recall again once the round's repair has ended (a measured round waits for it: the next round starts from
// a repaired graph, as it did already for the idle writes of the next measured round).
// Vectors: Gaussian clusters (testkit clusteredVectors), the same distribution every round, cosine; or, with
// --dataset glove-100, the dataset's base vectors in consecutive blocks of N (round r takes block r, cycling
// after the last) and its queries: real vectors, where recall discriminates.
//
//   npx -y pnpm@10.34.8 --filter @feather-db/benchmarks bench:churn [--dims 128,768 --n 20000 --rounds 50]
//   quick: --n 2000 --rounds 10 --measure 1,5,10
// --step S (default N) churns each round in steps: addBatch S new, forget the S oldest, N / S times, so the store
// peaks at N + S live memories instead of 2N (a service adds and forgets as it goes, not a whole live set at once).
// --search-ms (default 1,000): search QPS over whole passes of the queries for at least this long.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { clusteredVectors, tempStorePath } from '@feather-db/testkit';
import { loadDataset } from '../datasets/load.js';
import { Feather, type OpenOptions } from 'feather-db';
import { benchArgv } from '../lib/bench-argv.js';
import { commitOf } from '../lib/run-info.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    dims: { type: 'string', default: '128,768' },
    dataset: { type: 'string' },
    n: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '50' },
    measure: { type: 'string' },
    setups: { type: 'string', default: 'none,compact,background' },
    queries: { type: 'string', default: '200' },
    inflight: { type: 'string', default: '16' },
    writes: { type: 'string', default: '200' },
    step: { type: 'string' },
    'search-ms': { type: 'string', default: '1000' },
    out: { type: 'string', default: new URL('../results/', import.meta.url).pathname },
  },
});
const log = (s: string): void => void console.error(`[churn] ${s}`);
const n = Number(args.n);
const rounds = Number(args.rounds);
const measured = new Set((args.measure ?? `1,${Math.max(1, Math.round(rounds / 5))},${rounds}`).split(',').map(Number));
const nQuery = Number(args.queries);
const inflight = Number(args.inflight);
const nWrites = Number(args.writes);
const step = Number(args.step ?? args.n);
/** Shortest timed search run: whole passes over the queries until this many ms have gone by. */
const searchMs = Number(args['search-ms']);
if (!(step > 0 && n % step === 0)) throw new Error(`--step must divide --n (${n}); got ${args.step}`);
const k = 10;
const kSetups: Record<string, { options: OpenOptions; compact: boolean }> = {
  none: { options: {}, compact: false },
  compact: { options: {}, compact: true },
  background: { options: { maintenance: { mode: 'background' } }, compact: false },
  off: { options: { maintenance: false }, compact: false },
};
const gc = (globalThis as { gc?: () => void }).gc;
const pct = (a: number[], p: number): number => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((a.length * p) / 100))];
const mib = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;

/** Round r's vectors: the same clusters every round, fresh points. */
const dataset = args.dataset === undefined ? undefined : loadDataset(args.dataset);
if (dataset !== undefined && dataset.nBase < n) throw new Error(`--n ${n} is more than ${args.dataset}'s ${dataset.nBase} vectors`);
const roundVectors = (dim: number, round: number): Float32Array => {
  if (dataset === undefined) return clusteredVectors({ n, dim, seed: 1, pointSeed: 1000 + round });
  const block = (round - 1) % Math.floor(dataset.nBase / n);
  return dataset.base.subarray(block * n * dim, (block + 1) * n * dim);
};
const queriesOf = (dim: number): Float32Array =>
  dataset === undefined ? clusteredVectors({ n: nQuery, dim, seed: 1, pointSeed: 77 }) : dataset.queries.subarray(0, nQuery * dim);

function unit(v: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < v.length / dim; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += v[r * dim + j] ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) out[r * dim + j] = v[r * dim + j] * inv;
  }
  return out;
}

/** Exact top-k ids (cosine) of each query over the live vectors. */
function exactTopK(live: Float32Array, ids: string[], queries: Float32Array, dim: number): Set<string>[] {
  const base = unit(live, dim);
  const q = unit(queries, dim);
  return Array.from({ length: queries.length / dim }, (_, qi) => {
    const scores = new Float64Array(ids.length);
    for (let r = 0; r < ids.length; r++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += base[r * dim + j] * q[qi * dim + j];
      scores[r] = s;
    }
    const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
    return new Set(order.slice(0, k).map((r) => ids[r]));
  });
}

/**
 * Recall@10 (of the first timed pass) and QPS (of every pass, whole passes for at least --search-ms: one pass
 * of 200 queries lasted 25-40 ms, where one scavenge moved QPS by a fifth) of the store's searches (default ef,
 * `inflight` in flight).
 */
async function searchRun(db: Feather, queries: Float32Array, dim: number, truth: Set<string>[]): Promise<{ recall: number; qps: number }> {
  const count = queries.length / dim;
  const pass = async (): Promise<number> => {
    let next = 0;
    let hit = 0;
    await Promise.all(
      Array.from({ length: inflight }, async () => {
        while (next < count) {
          const qi = next++;
          const hits = await db.search(queries.subarray(qi * dim, (qi + 1) * dim), { k, track: false });
          for (const h of hits) if (truth[qi].has(String(h.id))) hit++;
        }
      }),
    );
    return hit;
  };
  // One pass untimed first: a set-up's first searches pay the search path's compilation and the pool's first
  // tasks, which made round 1 of the first set-up look slow (3.5-3.9k QPS against 5.3-6.1k for the others, 128-d).
  await pass();
  const t = performance.now();
  const hit = await pass();
  let passes = 1;
  for (; performance.now() - t < searchMs; passes++) await pass();
  return { recall: hit / (count * k), qps: (passes * count) / ((performance.now() - t) / 1000) };
}

/**
 * Resolves once the background repairs have ended (or after 60 s): tombstones below the policy's tenth of the
 * graph, where no repair starts, and unchanged for 500 ms. A few may stay: the policy leaves fewer than a tenth.
 */
async function repaired(db: Feather): Promise<void> {
  const tombstones = (): number => db.stats().modalities['text'].tombstones;
  let last = tombstones();
  for (let waited = 0, still = 0; waited < 60_000 && still < 500; waited += 20) {
    await new Promise((r) => setTimeout(r, 20));
    const now = tombstones();
    const { nodes, freeNodes } = db.stats().modalities['text'];
    still = now === last && now < 0.1 * (nodes - freeNodes) ? still + 20 : 0;
    last = now;
  }
}

/** p99 (ms) of `nWrites` single adds issued one after another; returns their ids (the caller forgets them). */
async function writeP99(db: Feather, dim: number, tag: string): Promise<{ p99: number; ids: string[] }> {
  const vs = clusteredVectors({ n: nWrites, dim, seed: 1, pointSeed: 99_000 + tag.length });
  const times: number[] = [];
  const ids: string[] = [];
  for (let i = 0; i < nWrites; i++) {
    const id = `${tag}-${i}`;
    const t = performance.now();
    await db.add(vs.subarray(i * dim, (i + 1) * dim), { id });
    times.push(performance.now() - t);
    ids.push(id);
  }
  return { p99: pct(times, 99), ids };
}

interface Row {
  dim: number;
  setup: string;
  round: number;
  sharedMiB: number;
  usedMiB: number;
  freeMiB: number;
  rssMiB: number;
  nodes: number;
  recall: number;
  qps: number;
  addPerSec: number;
  fresh?: { usedMiB: number; sharedMiB: number; recall: number; addPerSec: number };
  writeP99?: { idleMs: number; repairingMs: number };
  /** Background set-up: recall once the repair the round started has ended, and how long that took after the search run. */
  settled?: { recall: number; waitedMs: number };
}

async function freshStore(
  dim: number,
  live: Float32Array,
  ids: string[],
  queries: Float32Array,
  truth: Set<string>[],
  next: Float32Array,
): Promise<Row['fresh']> {
  const db = await Feather.open(tempStorePath('churn-fresh.feather'), { dim, metric: 'cosine' });
  await db.addBatch(live, { ids });
  const s = db.stats();
  const { recall } = await searchRun(db, queries, dim, truth);
  // The add rate a churned round compares with: one step of new vectors into a store that holds the live set
  // and never churned (round 1 fills an empty graph, where an insert costs less).
  const t = performance.now();
  await db.addBatch(next.subarray(0, step * dim), { ids: Array.from({ length: step }, (_, i) => `next-${i}`) });
  const addPerSec = step / ((performance.now() - t) / 1000);
  await db.close();
  return { usedMiB: mib(s.shared.usedBytes), sharedMiB: mib(s.shared.sizeBytes), recall, addPerSec };
}

async function runSetup(dim: number, setup: string): Promise<Row[]> {
  const spec = kSetups[setup];
  if (spec === undefined) throw new Error(`unknown set-up ${setup}; use ${Object.keys(kSetups).join(', ')}`);
  const db = await Feather.open(tempStorePath(`churn-${setup}.feather`), { dim, metric: 'cosine', ...spec.options });
  const queries = queriesOf(dim);
  const rows: Row[] = [];
  let live: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    const vectors = roundVectors(dim, round);
    const ids = Array.from({ length: n }, (_, i) => `r${round}-${i}`);
    let writes: Row['writeP99'];
    let addMs = 0;
    if (step < n) {
      // Stepped: S new in, then the S oldest out, until the round's N have replaced the previous N (round 1 fills
      // in the same steps, so its adds/s compare with later rounds').
      for (let from = 0; from < n; from += step) {
        const t = performance.now();
        await db.addBatch(vectors.subarray(from * dim, (from + step) * dim), { ids: ids.slice(from, from + step) });
        addMs += performance.now() - t;
        if (live.length > 0) await db.forget(live.slice(from, from + step));
      }
    } else {
      const t = performance.now();
      await db.addBatch(vectors, { ids });
      addMs = performance.now() - t;
    }
    const addPerSec = n / (addMs / 1000);
    if (step === n && live.length > 0) {
      if (setup === 'background' && measured.has(round)) {
        // Idle: the previous round's repair has ended (no tombstones left).
        await repaired(db);
        const idle = await writeP99(db, dim, `idle${round}`);
        await db.forget(live);
        // The forget passed the fraction: a repair runs on the pool while these adds go in.
        const busy = await writeP99(db, dim, `busy-${round}`);
        await db.forget([...idle.ids, ...busy.ids]);
        writes = { idleMs: idle.p99, repairingMs: busy.p99 };
      } else {
        await db.forget(live);
      }
    }
    live = ids;
    if (spec.compact) await db.compact();
    if (!measured.has(round)) continue;
    gc?.();
    const s = db.stats();
    const truth = exactTopK(vectors, ids, queries, dim);
    const { recall, qps } = await searchRun(db, queries, dim, truth);
    let settled: Row['settled'];
    if (setup === 'background') {
      // The searches above ran while the round's repair may still run; the same searches once it has ended.
      const t = performance.now();
      await repaired(db);
      settled = { waitedMs: performance.now() - t, recall: (await searchRun(db, queries, dim, truth)).recall };
    }
    const row: Row = {
      dim,
      setup,
      round,
      sharedMiB: mib(s.shared.sizeBytes),
      usedMiB: mib(s.shared.usedBytes),
      freeMiB: mib(s.shared.freeBytes),
      rssMiB: mib(process.memoryUsage().rss),
      nodes: s.modalities['text'].nodes,
      recall,
      qps,
      addPerSec,
      ...(writes === undefined ? {} : { writeP99: writes }),
      ...(settled === undefined ? {} : { settled }),
    };
    rows.push(row);
    log(JSON.stringify(row));
  }
  await db.close();
  return rows;
}

const commit = commitOf();
const all: Row[] = [];
for (const dim of dataset === undefined ? args.dims.split(',').map(Number) : [dataset.dim]) {
  for (const setup of args.setups.split(',')) all.push(...(await runSetup(dim, setup)));
  // Fresh stores of each measured round's live set, after the churned ones have closed (one store in memory).
  for (const round of measured) {
    const vectors = roundVectors(dim, round);
    const ids = Array.from({ length: n }, (_, i) => `r${round}-${i}`);
    const queries = queriesOf(dim);
    const fresh = await freshStore(dim, vectors, ids, queries, exactTopK(vectors, ids, queries, dim), roundVectors(dim, round + 1));
    for (const r of all) if (r.dim === dim && r.round === round) r.fresh = fresh;
  }
}

const lines = [
  `commit ${commit}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${args.dataset ?? 'clustered vectors'}, N = ${n}, step ${step}, ${rounds} rounds, ${nQuery} queries (${inflight} in flight), k = ${k}`,
  '',
  '| dim | set-up | round | nodes | shared MiB (used / size) | free MiB | RSS MiB | fresh used MiB | recall@10 | fresh recall | search QPS | adds/s | fresh adds/s | write p99 idle / repairing (ms) | recall@10 after the repair (waited s) |',
  '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...all.map(
    (r) =>
      `| ${r.dim} | ${r.setup} | ${r.round} | ${r.nodes} | ${r.usedMiB} / ${r.sharedMiB} | ${r.freeMiB} | ${r.rssMiB} | ${r.fresh?.usedMiB ?? ''} | ${r.recall.toFixed(3)} | ${r.fresh?.recall.toFixed(3) ?? ''} | ${Math.round(r.qps)} | ${Math.round(r.addPerSec)} | ${r.fresh === undefined ? '' : Math.round(r.fresh.addPerSec)} | ${r.writeP99 === undefined ? '' : `${r.writeP99.idleMs.toFixed(2)} / ${r.writeP99.repairingMs.toFixed(2)}`} | ${r.settled === undefined ? '' : `${r.settled.recall.toFixed(3)} (${(r.settled.waitedMs / 1000).toFixed(1)})`} |`,
  ),
];
console.log(lines.join('\n'));
mkdirSync(args.out, { recursive: true });
writeFileSync(`${args.out}churn-${commit}-${Date.now()}.json`, JSON.stringify({ commit, n, step, rounds, rows: all }, null, 2));
