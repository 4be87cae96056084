// Does db.ingest hold memory flat? Streams 1,000,000 rows from a generator into a store and samples, every
// 100,000 rows stored, the process RSS minus what the store holds (stats().memoryBytes: the shared memory of
// vectors and graphs, and the records of the facade's mirror and the writer's model, which must grow with the
// rows), next to the JS heap. Side by side, in a fresh process each: the same rows through db.ingest, and
// through the plainest bounded loop a user could write (addBatch of 2,048 rows at a time, awaited); what ingest
// adds is the gap between the curves.
//
//   npx -y pnpm@10.34.8 --filter @feather-db/benchmarks bench:ingest-memory [--rows 1000000 --dim 64]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gaussian, seededRandom, tempStorePath } from '@feather-db/testkit';
import { Feather, type IngestRow } from 'feather-db';
import { runInfo } from '../lib/run-info.js';
import { benchArgv } from '../lib/bench-argv.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    rows: { type: 'string', default: '1000000' },
    dim: { type: 'string', default: '64' },
    every: { type: 'string', default: '100000' },
    efConstruction: { type: 'string', default: '100' },
    mode: { type: 'string' },
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

interface Sample {
  rows: number;
  rssMiB: number;
  storeMiB: number;
  rssMinusStoreMiB: number;
  heapMiB: number;
}

/** One mode in this process: the samples, and the seconds the rows took. */
async function measure(mode: 'ingest' | 'loop'): Promise<{ samples: Sample[]; seconds: number }> {
  const db = await Feather.open(tempStorePath('ingest-memory.feather'), { dim, efConstruction: Number(args.efConstruction) });
  const samples: Sample[] = [];
  let next = every;
  const sample = (stored: number): void => {
    if (stored < next) return;
    next += every;
    gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    const store = db.stats().memoryBytes;
    samples.push({ rows: stored, rssMiB: mib(rss), storeMiB: mib(store), rssMinusStoreMiB: mib(rss - store), heapMiB: mib(heapUsed) });
    log(
      `${mode} ${stored} rows: rss ${mib(rss)} MiB, store ${mib(store)} MiB, rss - store ${mib(rss - store)} MiB, heap ${mib(heapUsed)} MiB`,
    );
  };
  const started = performance.now();
  if (mode === 'ingest') {
    await db.ingest(generate(), { sourceName: 'gen', onProgress: (p) => sample(p.inserted + p.updated) });
  } else {
    // The same rows, ids and metadata, as one would write it by hand: a batch built, stored, awaited.
    let batch: IngestRow[] = [];
    let stored = 0;
    const flush = async (): Promise<void> => {
      const vectors = new Float32Array(batch.length * dim);
      batch.forEach((r, i) => vectors.set(r.vector as Float32Array, i * dim));
      await db.addBatch(vectors, {
        ids: batch.map((_, i) => `gen:${stored + i + 1}`),
        metas: batch.map((r) => ({ text: r.text, namespace: r.namespace, attributes: r.attributes })),
      });
      stored += batch.length;
      batch = [];
      sample(stored);
    };
    for (const r of generate()) {
      batch.push(r);
      if (batch.length === 2048) await flush();
    }
    if (batch.length > 0) await flush();
  }
  const seconds = (performance.now() - started) / 1000;
  await db.close();
  return { samples, seconds };
}

if (args.mode === 'ingest' || args.mode === 'loop') {
  process.stdout.write(`${JSON.stringify(await measure(args.mode))}\n`);
} else {
  const runs: Record<string, { samples: Sample[]; seconds: number; change: number }> = {};
  for (const mode of ['ingest', 'loop']) {
    const argv = [
      '--expose-gc',
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--mode',
      mode,
      '--rows',
      String(rows),
      '--dim',
      String(dim),
      '--every',
      String(every),
      '--efConstruction',
      String(args.efConstruction),
    ];
    const child = spawnSync(process.execPath, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
    if (child.status !== 0) throw new Error(`${mode} run failed (${child.status})`);
    const run = JSON.parse(child.stdout) as { samples: Sample[]; seconds: number };
    const first = run.samples[0];
    const last = run.samples.at(-1)!;
    runs[mode] = { ...run, change: (last.rssMinusStoreMiB - first.rssMinusStoreMiB) / first.rssMinusStoreMiB };
    log(
      `${mode}: rss - store ${first.rssMinusStoreMiB} MiB at ${first.rows} rows -> ${last.rssMinusStoreMiB} MiB at ${last.rows} (${(runs[mode].change * 100).toFixed(1)}%), ${Math.round(rows / run.seconds)} rows/s`,
    );
  }
  const result = {
    ...runInfo('ingest-memory'),
    rows,
    dim,
    efConstruction: Number(args.efConstruction),
    runs,
  };
  mkdirSync(args.out, { recursive: true });
  writeFileSync(join(args.out, 'ingest-memory.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}
