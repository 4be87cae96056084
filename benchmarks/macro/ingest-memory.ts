// Does db.ingest hold memory flat? Streams 1,000,000 rows from a generator into a store and samples, every
// 100,000 rows stored, the process RSS minus the store's shared memory in use (stats().memoryBytes: vectors
// and graphs, which must grow with the rows), next to the JS heap. What is left over is the ingest pipeline
// (bounded by three batches of rows) plus the records, which live in the facade's mirror and the writer's
// model (ADR 0004) and grow by design.
//
//   npx -y pnpm@10.34.8 --filter @feather-db/benchmarks bench:ingest-memory [--rows 1000000 --dim 64]
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gaussian, seededRandom, tempStorePath } from '@feather-db/testkit';
import { Feather, type IngestRow } from 'feather-db';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    dim: { type: 'string', default: '64' },
    every: { type: 'string', default: '100000' },
    efConstruction: { type: 'string', default: '100' },
    out: { type: 'string', default: new URL('../results/', import.meta.url).pathname },
  },
});
const log = (s: string): void => void console.error(`[ingest-memory] ${s}`);
const rows = Number(args.rows);
const dim = Number(args.dim);
const every = Number(args.every);
const mib = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;
const gc = (globalThis as { gc?: () => void }).gc;

/** Rows as a user's generator makes them: a vector, a short text, a namespace, one attribute; no id (stable ids). */
function* generate(): Generator<IngestRow> {
  const rand = seededRandom(20261129);
  for (let i = 0; i < rows; i++) {
    const vector = new Float32Array(dim);
    for (let j = 0; j < dim; j++) vector[j] = gaussian(rand);
    yield { vector, text: `generated row ${i}`, namespace: `tenant-${i % 100}`, attributes: { shard: i % 16 } };
  }
}

const db = await Feather.open(tempStorePath('ingest-memory.feather'), { dim, efConstruction: Number(args.efConstruction) });
const samples: { rows: number; rssMiB: number; storeMiB: number; rssMinusStoreMiB: number; heapMiB: number }[] = [];
let next = every;
const started = performance.now();
const summary = await db.ingest(generate(), {
  sourceName: 'gen',
  onProgress: (p) => {
    const stored = p.inserted + p.updated;
    if (stored < next) return;
    next += every;
    gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    const store = db.stats().memoryBytes;
    samples.push({ rows: stored, rssMiB: mib(rss), storeMiB: mib(store), rssMinusStoreMiB: mib(rss - store), heapMiB: mib(heapUsed) });
    log(`${stored} rows: rss ${mib(rss)} MiB, store ${mib(store)} MiB, rss - store ${mib(rss - store)} MiB, heap ${mib(heapUsed)} MiB, ${Math.round(p.rowsPerSecond)} rows/s`);
  },
});
const seconds = (performance.now() - started) / 1000;
await db.close();
const first = samples[0]!;
const last = samples.at(-1)!;
const change = (last.rssMinusStoreMiB - first.rssMinusStoreMiB) / first.rssMinusStoreMiB;
log(`rss - store: ${first.rssMinusStoreMiB} MiB at ${first.rows} rows, ${last.rssMinusStoreMiB} MiB at ${last.rows} rows (${(change * 100).toFixed(1)}%); ${Math.round(rows / seconds)} rows/s`);
const result = {
  benchmark: 'ingest-memory',
  commit: execSync('git rev-parse --short HEAD').toString().trim(),
  node: process.version,
  cpu: cpus()[0]?.model,
  cores: availableParallelism(),
  rows,
  dim,
  efConstruction: Number(args.efConstruction),
  seconds,
  summary: { ...summary, failures: summary.failures.length },
  samples,
  change,
};
mkdirSync(args.out, { recursive: true });
writeFileSync(join(args.out, 'ingest-memory.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
