// feather-serve over loopback against the same searches in-process, side by side in one run:
//  - vector queries (GloVe-100, k=10, default options): REST at 32 concurrent clients (autocannon) vs
//    Feather.search with 32 searches in flight in this process; QPS, p50/p99, recall@10 of both;
//  - text queries (778 real passages embedded by the local model): REST (the server embeds each query) vs
//    embed + Feather.search in this process;
//  - texts embedded per second by the local embedder (1 and 2 model threads).
//
//   npx -y pnpm@10.34.8 --filter @feather-db/benchmarks bench:server [-- --limit 100000 --duration 10]
import { execSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalEmbedder } from '@feather-db/embed';
import { HnswIndex, KernelArena } from '@feather-db/core';
import { tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { loadDataset } from '../datasets/load.js';
import { startServe } from '../lib/serve-child.js';
import { benchArgv } from '../lib/bench-argv.js';

interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  non2xx: number;
  duration: number;
}
interface CannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  setupRequest?: (request: CannonRequest) => CannonRequest;
}
const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (options: {
  url: string;
  connections: number;
  duration: number;
  requests: CannonRequest[];
}) => Promise<CannonResult>;

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    limit: { type: 'string', default: '100000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    queries: { type: 'string', default: '1000' },
    out: { type: 'string', default: fileURLToPath(new URL('../results/', import.meta.url)) },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const log = (s: string): void => void console.error(`[server] ${s}`);
const kKey = 'bench-key-0123456789abcdef';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** `inflight` loops calling `search` back to back for `seconds`: QPS and latency percentiles (ms). */
async function inProcess(
  search: (i: number) => Promise<unknown>,
  inflight: number,
  seconds: number,
): Promise<{ qps: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  let next = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      await search(next++);
      latencies.push(performance.now() - t);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inflight }, loop));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { qps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

async function rest(url: string, path: string, bodies: string[]): Promise<CannonResult> {
  let next = 0;
  const headers = { authorization: `Bearer ${kKey}`, 'content-type': 'application/json' };
  return autocannon({
    url,
    connections,
    duration,
    requests: [{ method: 'POST', path, headers, setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }) }],
  });
}

// ---- vector queries ------------------------------------------------------------------------------
const ds = loadDataset('glove-100');
const dim = ds.dim;
const n = Math.min(ds.nBase, Number(args.limit));
const nQuery = Math.min(ds.nQuery, Number(args.queries));
const query = (q: number): Float32Array => ds.queries.subarray(q * dim, (q + 1) * dim);
const vectorPath = tempStorePath('glove.feather');
log(`building ${n} GloVe-100 vectors into ${vectorPath}`);
{
  const db = await Feather.open(vectorPath, { dim, durability: 'none' });
  await db.addBatch(ds.base.subarray(0, n * dim));
  await db.save();
  await db.close();
}
log('exact top-10 for the recall check');
const exact = HnswIndex.create(KernelArena.create(), { dim, metric: 'cosine', m: 4, efConstruction: 1 });
exact.addMany(ds.base.subarray(0, n * dim));
const truth = Array.from({ length: nQuery }, (_, q) => new Set(exact.searchExact(query(q), 10).ids));
const recallOf = (lists: (readonly (number | string)[])[]): number =>
  lists.reduce((s, ids, q) => s + ids.filter((id) => truth[q].has(id as number)).length, 0) / (lists.length * 10);

log(`in-process Feather.search, ${connections} in flight, ${duration} s`);
const db = await Feather.open(vectorPath, {});
const inProcessVector = await inProcess((i) => db.search(query(i % nQuery), { k: 10 }), connections, duration);
const inProcessRecall = recallOf(
  await Promise.all(Array.from({ length: nQuery }, async (_, q) => (await db.search(query(q), { k: 10, track: false })).map((h) => h.id))),
);
await db.close();

log(`REST vector search, ${connections} connections, ${duration} s`);
const vectorServer = await startServe(vectorPath, { key: kKey, args: ['--embed', 'none'] });
const vectorBodies = Array.from({ length: nQuery }, (_, q) => JSON.stringify({ vector: Array.from(query(q)), k: 10 }));
const restVector = await rest(vectorServer.url, '/api/v1/namespaces/default/search', vectorBodies);
const restLists: (number | string)[][] = [];
for (let q = 0; q < nQuery; q++) {
  const response = await fetch(`${vectorServer.url}/api/v1/namespaces/default/search`, {
    method: 'POST',
    headers: { authorization: `Bearer ${kKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ vector: Array.from(query(q)), k: 10, track: false }),
  });
  restLists.push(((await response.json()) as { hits: { id: number }[] }).hits.map((h) => h.id));
}
const restRecall = recallOf(restLists);
await stopChild(vectorServer.child);

// ---- the local embedder and text queries ----------------------------------------------------------
const recordsFile = join(dirname(require.resolve('@sap-ux/fiori-docs-embeddings/package.json')), 'data', 'embeddings', 'records.jsonl');
const records = readFileSync(recordsFile, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { id: string; title: string; content: string });
const texts = records.map((r) =>
  `${r.title}. ${/\*\*INTRODUCTION\*\*:\s*([^\n]*?[.!?])(\s|$)/.exec(r.content)?.[1] ?? ''}`.trim().slice(0, 160),
);
const embedRates: Record<string, number> = {};
let vectors: Float32Array[] = [];
for (const concurrency of [1, 2]) {
  const embedder = await LocalEmbedder.create({ concurrency });
  const t = performance.now();
  vectors = await embedder.embed(texts);
  embedRates[`threads=${concurrency}`] = texts.length / ((performance.now() - t) / 1000);
  log(`local embedder, ${concurrency} thread(s): ${embedRates[`threads=${concurrency}`].toFixed(1)} texts/s`);
  await embedder.close();
}
const textPath = tempStorePath('texts.feather');
{
  const store = await Feather.open(textPath, { dim: 512, embeddingModel: 'local:use-lite-512' });
  await store.addBatch(vectors, { ids: records.map((r) => r.id), metas: texts.map((text) => ({ text })) });
  await store.save();
  await store.close();
}
const questions = records.filter((_, i) => i % 4 === 0).map((r) => `how do I ${r.title.toLowerCase()}?`);

log(`in-process embed + Feather.search, ${connections} in flight, ${duration} s`);
const embedder = await LocalEmbedder.create();
const textDb = await Feather.open(textPath, { embeddingModel: 'local:use-lite-512' });
const inProcessText = await inProcess(
  async (i) => textDb.search((await embedder.embed([questions[i % questions.length]]))[0], { k: 10 }),
  connections,
  duration,
);
await textDb.close();
await embedder.close();

log(`REST text search, ${connections} connections, ${duration} s`);
const textServer = await startServe(textPath, { key: kKey, args: ['--embed', 'local'] });
const restText = await rest(
  textServer.url,
  '/api/v1/namespaces/default/search',
  questions.map((query) => JSON.stringify({ query, k: 10 })),
);
await stopChild(textServer.child);

// ---- report ----------------------------------------------------------------------------------------
const sha = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
const row = (name: string, qps: number, p50: number, p99: number, recall?: number): string =>
  `| ${name} | ${qps.toFixed(0)} | ${p50.toFixed(2)} | ${p99.toFixed(2)} | ${recall === undefined ? '' : recall.toFixed(3)} |`;
const result = {
  sha,
  node: process.version,
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  dataset: 'glove-100',
  n,
  queries: nQuery,
  connections,
  durationS: duration,
  vector: {
    inProcess: { ...inProcessVector, recall: inProcessRecall },
    rest: {
      qps: restVector.requests.average,
      p50: restVector.latency.p50,
      p99: restVector.latency.p99,
      errors: restVector.errors,
      non2xx: restVector.non2xx,
      recall: restRecall,
    },
    ratio: restVector.requests.average / inProcessVector.qps,
  },
  text: {
    corpus: texts.length,
    questions: questions.length,
    inProcess: inProcessText,
    rest: {
      qps: restText.requests.average,
      p50: restText.latency.p50,
      p99: restText.latency.p99,
      errors: restText.errors,
      non2xx: restText.non2xx,
    },
    ratio: restText.requests.average / inProcessText.qps,
  },
  embedTextsPerSecond: embedRates,
};
mkdirSync(args.out, { recursive: true });
writeFileSync(join(args.out, 'server-glove-100.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `commit ${sha}, ${result.cores} cores (${result.cpu}), ${n} GloVe-100 vectors, ${connections} concurrent clients, ${duration} s each`,
);
console.log('| path | QPS | p50 ms | p99 ms | recall@10 |\n|---|---|---|---|---|');
console.log(row('vector: in-process Feather.search', inProcessVector.qps, inProcessVector.p50, inProcessVector.p99, inProcessRecall));
console.log(
  row('vector: REST POST …/search (loopback)', restVector.requests.average, restVector.latency.p50, restVector.latency.p99, restRecall),
);
console.log(row(`text: in-process embed + search (${texts.length} passages)`, inProcessText.qps, inProcessText.p50, inProcessText.p99));
console.log(row('text: REST POST …/search {query}', restText.requests.average, restText.latency.p50, restText.latency.p99));
console.log(
  `REST / in-process: vector ${(result.vector.ratio * 100).toFixed(0)}%, text ${(result.text.ratio * 100).toFixed(0)}%; errors ${restVector.errors + restText.errors}, non-2xx ${restVector.non2xx + restText.non2xx}`,
);
console.log(
  `local embedder: ${Object.entries(embedRates)
    .map(([k, v]) => `${v.toFixed(1)} texts/s (${k})`)
    .join(', ')}`,
);
