// Instruction counts of the facade's per-search overhead (deterministic where wall time on a shared machine is
// not): run under callgrind three times and subtract. Each run builds the same 2,000 × 100 GloVe store (Feather,
// 1 pool thread) and core index, warms both with 50 searches, then runs `count` more through `db.search` (with
// `track`, default options otherwise) or through core's `HnswIndex.search`, at ef 64:
//   valgrind --tool=callgrind --callgrind-out-file=cg.base node --import tsx macro/hop-instructions.ts core 0
//   valgrind --tool=callgrind --callgrind-out-file=cg.core node --import tsx macro/hop-instructions.ts core 400
//   valgrind --tool=callgrind --callgrind-out-file=cg.api node --import tsx macro/hop-instructions.ts facade 400
// Per search: (Ir(core 400) − Ir(base)) / 400 for core, (Ir(facade 400) − Ir(base)) / 400 for db.search; the
// difference is the facade's overhead (all threads counted: a search that went to the pool counts there too).
import { HnswIndex, KernelArena } from '@feather-db/core';
import { tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { loadDataset } from '../datasets/load.js';

const mode = process.argv[2];
const count = Number(process.argv[3] ?? 400);
const ds = loadDataset('glove-100');
const n = 2000;
const dim = ds.dim;
const base = ds.base.subarray(0, n * dim);
const query = (i: number): Float32Array => ds.queries.subarray((i % 200) * dim, ((i % 200) + 1) * dim);
const db = await Feather.open(tempStorePath('hop.feather'), { dim, metric: ds.metric, threads: 1 });
await db.addBatch(base);
const core = HnswIndex.create(KernelArena.create(), { dim, metric: ds.metric });
core.addMany(base);
// Both paths warm (the pool answers once, after which small searches may run on this thread).
for (let i = 0; i < 50; i++) {
  await db.search(query(i), { k: 10, ef: 64 });
  core.search(query(i), 10, { ef: 64 });
}
if (mode === 'facade') for (let i = 0; i < count; i++) await db.search(query(i), { k: 10, ef: 64 });
else for (let i = 0; i < count; i++) core.search(query(i), 10, { ef: 64 });
await db.close();
