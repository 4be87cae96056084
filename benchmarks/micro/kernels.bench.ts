// Kernel micro benchmarks (tinybench): wasm SIMD dot / l2sq against the best plain-JS loop and against the
// bit-exact TS fallback, at 100, 384 and 768 dims. Each task scores one query against 1,000 stored vectors
// (as a search does), so per-call overhead is amortised and the number is comparable to a GFLOP/s figure.
//
//   npx -y pnpm@10.34.8 --filter @feather-db/benchmarks bench:micro
import { createSharedMemory, dotJs, instantiateKernels, l2sqJs } from '@feather-db/kernels';
import { seededRandom } from '@feather-db/testkit';
import { Bench } from 'tinybench';

const kRows = 1000;

function plainDot(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < dim; i += 4) {
    s0 += a[ai + i] * b[bi + i];
    s1 += a[ai + i + 1] * b[bi + i + 1];
    s2 += a[ai + i + 2] * b[bi + i + 2];
    s3 += a[ai + i + 3] * b[bi + i + 3];
  }
  for (; i < dim; i++) s0 += a[ai + i] * b[bi + i];
  return s0 + s1 + s2 + s3;
}

function plainL2(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  for (; i + 1 < dim; i += 2) {
    const d0 = a[ai + i] - b[bi + i];
    const d1 = a[ai + i + 1] - b[bi + i + 1];
    s0 += d0 * d0;
    s1 += d1 * d1;
  }
  for (; i < dim; i++) s0 += (a[ai + i] - b[bi + i]) ** 2;
  return s0 + s1;
}

const rows: string[] = [];
for (const dim of [100, 384, 768]) {
  const memory = createSharedMemory(16);
  const wasm = instantiateKernels(memory);
  wasm.arenaInit();
  const rand = seededRandom(dim);
  const base = wasm.alloc(kRows * dim * 4) >>> 0;
  const q = wasm.alloc(dim * 4) >>> 0;
  const f32 = new Float32Array(memory.buffer);
  for (let i = 0; i < kRows * dim; i++) f32[(base >>> 2) + i] = rand() - 0.5;
  for (let i = 0; i < dim; i++) f32[(q >>> 2) + i] = rand() - 0.5;
  const rowsJs = f32.slice(base >>> 2, (base >>> 2) + kRows * dim);
  const qJs = f32.slice(q >>> 2, (q >>> 2) + dim);
  let sink = 0;
  const bench = new Bench({ time: 400, warmupTime: 100 });
  bench
    .add(`wasm dot`, () => {
      for (let r = 0; r < kRows; r++) sink += wasm.dot(q, base + r * dim * 4, dim);
    })
    .add(`plain-JS dot`, () => {
      for (let r = 0; r < kRows; r++) sink += plainDot(qJs, 0, rowsJs, r * dim, dim);
    })
    .add(`TS fallback dot`, () => {
      for (let r = 0; r < kRows; r++) sink += dotJs(qJs, 0, rowsJs, r * dim, dim);
    })
    .add(`wasm l2sq`, () => {
      for (let r = 0; r < kRows; r++) sink += wasm.l2sq(q, base + r * dim * 4, dim);
    })
    .add(`plain-JS l2sq`, () => {
      for (let r = 0; r < kRows; r++) sink += plainL2(qJs, 0, rowsJs, r * dim, dim);
    })
    .add(`TS fallback l2sq`, () => {
      for (let r = 0; r < kRows; r++) sink += l2sqJs(qJs, 0, rowsJs, r * dim, dim);
    });
  await bench.run();
  for (const task of bench.tasks) {
    const meanMs = task.result!.latency.mean;
    const flops = (task.name.includes('dot') ? 2 : 3) * dim * kRows;
    rows.push(`| ${dim} | ${task.name} | ${((meanMs * 1e6) / kRows).toFixed(1)} | ${(flops / (meanMs * 1e6)).toFixed(2)} |`);
  }
  if (sink === 0.123456) console.log('');
}
console.log('| dim | kernel | ns / vector | GFLOP/s |');
console.log('|---:|---|---:|---:|');
console.log(rows.join('\n'));
