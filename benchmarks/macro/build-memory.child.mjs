// One side of build-memory.ts, in a fresh process: reads the first `n` base vectors of a cached dataset into a
// buffer of their own, builds them, and prints { openGrowthMiB, peakGrowthMiB, growthMiB, afterGcGrowthMiB,
// ms } as JSON, growth counted from the moment before the build (for Feather: with the store open and its
// threads started, as the issue measured addBatch alone). feather: Feather.open (default options, a temporary
// path) and one addBatch of every row; hnswlib: hnswlib-node, M=16, efConstruction=200, addPoint row by row as
// its users do. The peak is the process's maximum RSS (getrusage), which a blocking loop cannot hide.
//   node --expose-gc macro/build-memory.child.mjs <feather|hnswlib> <base.f32> <dim> <l2|cosine> <n> <store path>
import { closeSync, openSync, readSync } from 'node:fs';

const [side, basePath, dimText, metric, nText, storePath] = process.argv.slice(2);
const dim = Number(dimText);
const n = Number(nText);
const base = new Float32Array(n * dim);
const fd = openSync(basePath, 'r');
readSync(fd, new Uint8Array(base.buffer), 0, base.byteLength, 0);
closeSync(fd);

const mib = (b) => Math.round((b / 2 ** 20) * 10) / 10;
const settle = async () => {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 500));
  globalThis.gc();
};
const rss = () => process.memoryUsage().rss;

/** Builds; returns the store's close (Feather) once the build has returned. */
async function build() {
  if (side === 'feather') {
    const { Feather } = await import('feather-db');
    await settle();
    const beforeOpen = rss();
    const db = await Feather.open(storePath, { dim, metric });
    await settle();
    const before = rss();
    const t = performance.now();
    await db.addBatch(base);
    return { beforeOpen, before, after: rss(), ms: performance.now() - t, close: () => db.close() };
  }
  const { default: hnswlib } = await import('hnswlib-node');
  await settle();
  const before = rss();
  const t = performance.now();
  const index = new hnswlib.HierarchicalNSW(metric, dim);
  index.initIndex(n, 16, 200, 100);
  const row = new Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) row[j] = base[i * dim + j];
    index.addPoint(row, i);
  }
  return { beforeOpen: before, before, after: rss(), ms: performance.now() - t, close: () => index.getCurrentCount() };
}

const { beforeOpen, before, after, ms, close } = await build();
const peak = process.resourceUsage().maxRSS * 1024;
await settle();
const afterGc = rss();
await close();
process.stdout.write(
  `${JSON.stringify({
    openGrowthMiB: mib(before - beforeOpen),
    peakGrowthMiB: mib(peak - before),
    growthMiB: mib(after - before),
    afterGcGrowthMiB: mib(afterGc - before),
    ms: Math.round(ms),
  })}\n`,
);
