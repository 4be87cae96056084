// One side of build-memory.ts, in a fresh process. `feather` and `hnswlib` read the first `n` base vectors of a
// cached dataset into a buffer of their own, build them, save them to `store path`, and print { openGrowthMiB,
// peakGrowthMiB, growthMiB, afterGcGrowthMiB, ms, parts } as JSON, growth counted from the moment before the
// build (for Feather: with the store open and its threads started, as the issue measured addBatch alone).
// feather: Feather.open (default options) and one addBatch of every row; hnswlib: hnswlib-node, M=16,
// efConstruction=200, addPoint row by row as its users do, then writeIndexSync. The peak is the process's
// maximum RSS (getrusage), which a blocking loop cannot hide. `feather-open` and `hnswlib-open` open what the
// build saved, in a fresh process (Feather until its first search has answered), and print the RSS growth from
// just before the open. `parts` (Feather): where the bytes are, from stats() after a GC.
//   node --expose-gc macro/build-memory.child.mjs <feather|hnswlib|feather-open|hnswlib-open> <base.f32> <dim> <l2|cosine> <n> <store path>
import { closeSync, openSync, readSync } from 'node:fs';

const [side, basePath, dimText, metric, nText, storePath] = process.argv.slice(2);
const dim = Number(dimText);
const n = Number(nText);

const mib = (b) => Math.round((b / 2 ** 20) * 10) / 10;
const settle = async () => {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 500));
  globalThis.gc();
};
const rss = () => process.memoryUsage().rss;

/** What the store's memory holds, from stats(): node blocks (vector, and level-0 links with the node header), the rest of the shared memory in use (upper levels, tables, scratch), records in both copies. */
function partsOf(stats) {
  const [graph] = Object.values(stats.modalities);
  const blocks = graph.nodes * graph.strideBytes;
  return {
    vectors: graph.nodes * dim * 4,
    nodeRest: blocks - graph.nodes * dim * 4,
    sharedRest: stats.shared.usedBytes - blocks,
    records: 2 * stats.records.bytes,
  };
}

if (side === 'feather-open' || side === 'hnswlib-open') {
  let before;
  let t;
  let parts;
  if (side === 'feather-open') {
    const { Feather } = await import('feather-db');
    await settle();
    before = rss();
    t = performance.now();
    const db = await Feather.open(storePath);
    const q = new Float32Array(dim).fill(0.5);
    await db.search(q, { k: 10, track: false });
    t = performance.now() - t;
    await settle();
    parts = partsOf(db.stats());
    const growth = rss() - before;
    await db.close();
    process.stdout.write(`${JSON.stringify({ growthMiB: mib(growth), ms: Math.round(t), parts })}\n`);
  } else {
    const { default: hnswlib } = await import('hnswlib-node');
    await settle();
    before = rss();
    t = performance.now();
    const index = new hnswlib.HierarchicalNSW(metric, dim);
    index.readIndexSync(storePath);
    index.searchKnn(
      Array.from({ length: dim }, () => 0.5),
      10,
    );
    t = performance.now() - t;
    await settle();
    process.stdout.write(`${JSON.stringify({ growthMiB: mib(rss() - before), ms: Math.round(t) })}\n`);
  }
  process.exit(0);
}

const base = new Float32Array(n * dim);
const fd = openSync(basePath, 'r');
readSync(fd, new Uint8Array(base.buffer), 0, base.byteLength, 0);
closeSync(fd);

/** Builds; returns the saving close and the stats (Feather) once the build has returned. */
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
    return {
      beforeOpen,
      before,
      after: rss(),
      ms: performance.now() - t,
      parts: () => partsOf(db.stats()),
      close: async () => {
        await db.save();
        await db.close();
      },
    };
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
  return {
    beforeOpen: before,
    before,
    after: rss(),
    ms: performance.now() - t,
    parts: () => undefined,
    close: () => index.writeIndexSync(storePath),
  };
}

const { beforeOpen, before, after, ms, parts, close } = await build();
const peak = process.resourceUsage().maxRSS * 1024;
await settle();
const afterGc = rss();
const where = parts();
await close();
process.stdout.write(
  `${JSON.stringify({
    openGrowthMiB: mib(before - beforeOpen),
    peakGrowthMiB: mib(peak - before),
    growthMiB: mib(after - before),
    afterGcGrowthMiB: mib(afterGc - before),
    ms: Math.round(ms),
    parts: where,
  })}\n`,
);
