// The Quick start's main job until feather-serve lands: build an index over real sentence embeddings
// (778 SAP Fiori documentation chunks, all-MiniLM-L6-v2, 384-d, shipped in an npm package, so it runs
// offline), then answer a few searches and check them against the exact oracle.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { HnswIndex, KernelArena } from '@feather-db/core';

interface DocRecord {
  title: string;
  excerpt?: string;
  content: string;
}

const require = createRequire(import.meta.url);
const dir = join(dirname(require.resolve('@sap-ux/fiori-docs-embeddings/package.json')), 'data', 'embeddings');
const dim = 384;
const raw = readFileSync(join(dir, 'embeddings.bin'));
const vectors = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const records = readFileSync(join(dir, 'records.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as DocRecord);
const n = vectors.length / dim;

const arena = KernelArena.create();
const index = HnswIndex.create(arena, { dim, metric: 'cosine' });
let t = performance.now();
index.addMany(vectors);
const buildMs = performance.now() - t;
console.log(
  `Feather demo: indexed ${n} real sentence embeddings (${dim}-d, cosine) in ${buildMs.toFixed(0)} ms, ${(arena.bytesUsed() / n).toFixed(0)} bytes/vector\n`,
);

const title = (i: number): string => (records[i]?.title ?? `#${i}`).slice(0, 90);
let agree = 0;
let total = 0;
for (const q of [0, 101, 257, 420, 611]) {
  const query = vectors.subarray(q * dim, (q + 1) * dim);
  t = performance.now();
  const hits = index.search(query, 6);
  const us = (performance.now() - t) * 1000;
  const exact = new Set(index.searchExact(query, 6).ids);
  console.log(`"${title(q)}"  (${us.toFixed(0)} µs)`);
  for (let r = 0; r < hits.ids.length; r++) {
    const id = hits.ids[r];
    if (exact.has(id)) agree++;
    total++;
    if (id === q) continue;
    console.log(`   ${(1 - hits.distances[r]).toFixed(3)}  ${title(id)}`);
  }
  console.log();
}
console.log(`recall@6 against exact search: ${(agree / total).toFixed(3)}`);
