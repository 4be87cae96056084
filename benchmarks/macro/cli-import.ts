// Bulk import end to end, as users run it, side by side in one run:
//  - the 331,479 GloVe-100 base vectors written to a .npy, imported by the `feather` CLI (default options: every
//    core, durability fsync, the file saved at the end) vs hnswlib-node reading the same .npy, building
//    (M=16, efConstruction=200) and writeIndex; each timed from the process spawn to its exit (process start
//    to file on disk), in alternating order; recall@10 of both at ef 128 against the dataset's ground truth;
//  - texts per second through the local embedder on import (`feather import` of the 778 real text chunks of
//    @sap-ux/fiori-docs-embeddings, first 1,000 characters each, text only) next to the same texts through the
//    embedder alone.
//
//   npx -y pnpm@10.34.8 --filter @feather-db/benchmarks bench:cli-import [--rounds 1] [--limit 331479]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createEmbedder } from '@feather-db/embed';
import { tempDir } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import hnswlib from 'hnswlib-node';
import { loadDataset } from '../datasets/load.js';
import { runInfo } from '../lib/run-info.js';
import { benchArgv } from '../lib/bench-argv.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    rounds: { type: 'string', default: '1' },
    limit: { type: 'string' },
    out: { type: 'string', default: new URL('../results/', import.meta.url).pathname },
  },
});
const log = (s: string): void => void console.error(`[cli-import] ${s}`);
const featherBin = fileURLToPath(new URL('../../packages/cli/dist/bin/feather.js', import.meta.url));
const hnswlibScript = fileURLToPath(new URL('./hnswlib-import.mjs', import.meta.url));
const rounds = Number(args.rounds);
const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs node with these arguments; resolves with the wall time from spawn to exit, and stdout. */
function timed(argv: string[]): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      // feather import exits 1 when rows failed: none may here.
      if (code !== 0) reject(new Error(`${argv.join(' ')} exited with ${code}`));
      else resolve({ ms, stdout });
    });
  });
}

function writeNpy(path: string, values: Float32Array, rows: number, dim: number): void {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  header = header.padEnd(Math.ceil((10 + header.length + 1) / 64) * 64 - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(header.length, 8);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(values.buffer, values.byteOffset, rows * dim * 4)]));
}

function recallOf(found: (number | undefined)[][], truth: Int32Array, k: number): number {
  let hits = 0;
  found.forEach((ids, q) => {
    const want = new Set(truth.subarray(q * k, (q + 1) * k));
    for (const id of ids.slice(0, k)) if (id !== undefined && want.has(id)) hits++;
  });
  return hits / (found.length * k);
}

// ---- GloVe-100 from .npy ------------------------------------------------------------------------------
const ds = loadDataset('glove-100');
const n = Math.min(ds.nBase, Number(args.limit ?? ds.nBase));
const dir = tempDir('feather-cli-import-');
const npy = join(dir, 'glove-100.npy');
writeNpy(npy, ds.base, n, ds.dim);
log(`glove-100 ${n} x ${ds.dim} written to ${npy} (${(statSync(npy).size / 2 ** 20).toFixed(1)} MiB); ${availableParallelism()} cores`);

const featherMs: number[] = [];
const hnswlibMs: number[] = [];
let featherFile = '';
let hnswlibFile = '';
let summary: unknown;
for (let r = 0; r < rounds; r++) {
  // Alternating order, so neither always runs on a warmer page cache or a quieter machine.
  for (const engine of r % 2 === 0 ? ['feather', 'hnswlib'] : ['hnswlib', 'feather']) {
    if (engine === 'feather') {
      featherFile = join(dir, `glove-${r}.feather`);
      const run = await timed([featherBin, 'import', featherFile, npy, '--json', '--quiet']);
      summary = JSON.parse(run.stdout);
      featherMs.push(run.ms);
      log(`round ${r}: feather import ${(run.ms / 1000).toFixed(1)} s`);
    } else {
      hnswlibFile = join(dir, `glove-${r}.hnsw`);
      const run = await timed([hnswlibScript, npy, hnswlibFile, ds.metric]);
      hnswlibMs.push(run.ms);
      log(`round ${r}: hnswlib-node ${(run.ms / 1000).toFixed(1)} s`);
    }
  }
}

// Recall@10 at ef 128 over the 10,000 held-out queries (the truth covers the whole base; --limit skips this).
const ef = 128;
let featherRecall: number | null = null;
let hnswlibRecall: number | null = null;
if (n === ds.nBase) {
  const db = await Feather.open(featherFile, { readOnly: true });
  const found: (number | undefined)[][] = [];
  for (let from = 0; from < ds.nQuery; from += 64) {
    const batch = Array.from({ length: Math.min(64, ds.nQuery - from) }, (_, i) =>
      db.search(ds.queries.subarray((from + i) * ds.dim, (from + i + 1) * ds.dim), { k: ds.k, ef, track: false }),
    );
    // Generated ids are `glove-100.npy:<row>`, 1-based: the dataset's id is row - 1.
    for (const hits of await Promise.all(batch)) found.push(hits.map((h) => Number(String(h.id).split(':')[1]) - 1));
  }
  await db.close();
  featherRecall = recallOf(found, ds.groundTruth, ds.k);
  const index = new hnswlib.HierarchicalNSW(ds.metric, ds.dim);
  index.readIndexSync(hnswlibFile);
  index.setEf(ef);
  const hfound: number[][] = [];
  for (let q = 0; q < ds.nQuery; q++)
    hfound.push(index.searchKnn(Array.from(ds.queries.subarray(q * ds.dim, (q + 1) * ds.dim)), ds.k).neighbors);
  hnswlibRecall = recallOf(hfound, ds.groundTruth, ds.k);
}
const ratio = median(hnswlibMs) / median(featherMs);
log(
  `feather ${(median(featherMs) / 1000).toFixed(1)} s, hnswlib-node ${(median(hnswlibMs) / 1000).toFixed(1)} s: ${ratio.toFixed(2)}x; recall@10 ${featherRecall} vs ${hnswlibRecall}`,
);

// ---- texts per second through the local embedder -------------------------------------------------------
const require = createRequire(import.meta.url);
const recordsPath = join(require.resolve('@sap-ux/fiori-docs-embeddings/package.json'), '../data/embeddings/records.jsonl');
const texts = readFileSync(recordsPath, 'utf8')
  .trim()
  .split('\n')
  // Memory-sized chunks: the first 1,000 characters of each document (some run to 600k characters).
  .map((line) => (JSON.parse(line) as { content: string }).content.slice(0, 1000));
const textsJsonl = join(dir, 'fiori.jsonl');
writeFileSync(textsJsonl, `${texts.map((text, i) => JSON.stringify({ id: `doc${i}`, text })).join('\n')}\n`);
const embedder = await createEmbedder({ provider: 'local' });
const t = performance.now();
for (let i = 0; i < texts.length; i += 256) await embedder.embed(texts.slice(i, i + 256));
const embedOnlyMs = performance.now() - t;
await embedder.close();
const textImport = await timed([featherBin, 'import', join(dir, 'fiori.feather'), textsJsonl, '--json', '--quiet']);
const textSummary = JSON.parse(textImport.stdout) as { totals: { embedded: number }; sources: { elapsedMs: number }[] };
const ingestMs = textSummary.sources[0].elapsedMs;
const chars = texts.reduce((s, x) => s + x.length, 0);
log(
  `texts: ${texts.length} (${Math.round(chars / texts.length)} chars on average): embedder alone ${((texts.length * 1000) / embedOnlyMs).toFixed(1)}/s, import ${((textSummary.totals.embedded * 1000) / ingestMs).toFixed(1)}/s (ingest), process ${((texts.length * 1000) / textImport.ms).toFixed(1)}/s`,
);

const result = {
  ...runInfo('cli-import'),
  glove: {
    n,
    dim: ds.dim,
    rounds,
    featherMs,
    hnswlibMs,
    ratio,
    ef,
    featherRecall,
    hnswlibRecall,
    featherFileBytes: statSync(featherFile).size,
    hnswlibFileBytes: statSync(hnswlibFile).size,
    summary,
  },
  texts: {
    count: texts.length,
    meanChars: chars / texts.length,
    embedOnlyMs,
    ingestMs,
    processMs: textImport.ms,
    embedded: textSummary.totals.embedded,
  },
};
mkdirSync(args.out, { recursive: true });
writeFileSync(join(args.out, 'cli-import-glove-100.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
