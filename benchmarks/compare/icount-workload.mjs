// One deterministic workload for instruction-counts.ts, run under valgrind against one checkout's build:
//   node icount-workload.mjs <core|api> <checkout> <rows> <queries> <dataset dir>
// core: HnswIndex (one thread) builds `rows` GloVe-100 vectors, then answers `queries` searches at ef 64.
// api: Feather.open (1 pool thread) + addBatch of the same rows, then `queries` awaited db.search() calls,
// default options. The counts of a run with 0 queries are subtracted, so what is left is the searches' cost.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [mode, root, rowsArg, queriesArg, dataDir] = process.argv.slice(2);
const dim = 100;
const rows = Number(rowsArg);
const nq = Number(queriesArg);
const base = new Float32Array(readFileSync(join(dataDir, 'glove-100.base.f32')).buffer, 0, rows * dim);
const queries = new Float32Array(readFileSync(join(dataDir, 'glove-100.query.f32')).buffer, 0, Math.max(nq, 1) * dim);
const query = (q) => queries.subarray(q * dim, (q + 1) * dim);
let found = 0;
if (mode === 'core') {
  const { HnswIndex, KernelArena } = await import(pathToFileURL(join(root, 'packages/core/dist/index.js')).href);
  const index = HnswIndex.create(KernelArena.create(), { dim, metric: 'cosine', m: 16, efConstruction: 200, seed: 100 });
  index.addMany(base);
  for (let q = 0; q < nq; q++) found += index.search(query(q), 10, { ef: 64 }).ids.length;
} else {
  const { Feather } = await import(pathToFileURL(join(root, 'packages/feather-db/dist/index.js')).href);
  const dir = mkdtempSync(join(tmpdir(), 'feather-icount-'));
  const db = await Feather.open(join(dir, 'store.feather'), { dim, metric: 'cosine', threads: 1 });
  await db.addBatch(base);
  for (let q = 0; q < nq; q++) found += (await db.search(query(q), { k: 10 })).length;
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${found}\n`);
