// Reader thread for concurrent-readers.test.ts: attaches to the writer's shared memory and searches the
// published prefix in a loop while the writer keeps inserting, checking every result it gets.
import { parentPort, workerData } from 'node:worker_threads';
import { HnswIndex, KernelArena } from '@feather-db/core';
import { distanceJs, normalizeJs } from '@feather-db/kernels';

const { memory, module, address, queries, dim, control } = workerData;
const ctl = new Int32Array(control);
const arena = KernelArena.attach(memory, module);
const index = HnswIndex.attach(arena, address);
const metricCode = { ip: 0, l2: 1, cosine: 2 }[index.metric];
let searches = 0;
let nonEmpty = 0;
const violations = [];
// Atomics.store: tells the writer this reader is live before it starts inserting.
Atomics.store(ctl, 1, 1);
// Atomics.load: the writer raises the stop flag once its last insert is published.
while (Atomics.load(ctl, 0) === 0 || searches < 50) {
  const q = queries.subarray((searches % (queries.length / dim)) * dim, ((searches % (queries.length / dim)) + 1) * dim);
  const res = index.search(q, 10, { ef: 40 });
  // The fallback kernels reproduce the wasm query normalisation bit for bit.
  const qn = Float32Array.from(q);
  if (index.metric === 'cosine') normalizeJs(qn, 0, dim);
  const after = index.size;
  searches++;
  if (res.ids.length > 0) nonEmpty++;
  for (let i = 0; i < res.ids.length; i++) {
    const id = res.ids[i];
    if (id >= after) violations.push(`id ${id} beyond published ${after}`);
    if (i > 0 && res.distances[i] < res.distances[i - 1]) violations.push(`distances not ascending at ${i}`);
    const stored = index.getVector(id);
    const d = distanceJs(metricCode, qn, 0, stored, 0, dim);
    if (d !== res.distances[i]) violations.push(`distance of ${id} is ${res.distances[i]}, recomputed ${d}`);
  }
}
parentPort.postMessage({ searches, nonEmpty, violations: violations.slice(0, 20), violationCount: violations.length });
