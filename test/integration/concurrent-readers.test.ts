import { Worker } from 'node:worker_threads';
import { HnswIndex, KernelArena } from '@feather-db/core';
import { kernelModule } from '@feather-db/kernels';
import { bruteForce, clusteredVectors, recall, row } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';

interface ReaderReport {
  searches: number;
  nonEmpty: number;
  violations: string[];
  violationCount: number;
}

describe('growth while readers hold the memory', () => {
  it('reader threads search the published prefix while the writer inserts and the memory grows', async () => {
    const dim = 24;
    const n = 12_000;
    // Start small so the build forces many memory.grow calls under the readers.
    const arena = KernelArena.create(1);
    const index = HnswIndex.create(arena, { dim, metric: 'l2', chunkShift: 8 });
    const data = clusteredVectors({ n, dim, seed: 31 });
    const queries = clusteredVectors({ n: 64, dim, seed: 32 });
    index.addMany(data.subarray(0, 10 * dim));
    const control = new SharedArrayBuffer(8);
    const ctl = new Int32Array(control);
    const bytesBefore = arena.memory.buffer.byteLength;
    const readers = [0, 1].map(() => {
      const worker = new Worker(new URL('./concurrent-reader.worker.mjs', import.meta.url), {
        workerData: { memory: arena.memory, module: kernelModule(), address: index.address, queries, dim, control },
      });
      return new Promise<ReaderReport>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    });
    // Wait (without blocking the loop) until both readers are searching, then insert the rest.
    while (Atomics.load(ctl, 1) === 0) await new Promise((r) => setTimeout(r, 5));
    for (let i = 10; i < n; i++) index.add(row(data, dim, i));
    // Atomics.store: publishes "build finished" to the readers' loop condition.
    Atomics.store(ctl, 0, 1);
    const reports = await Promise.all(readers);
    expect(arena.memory.buffer.byteLength).toBeGreaterThan(bytesBefore);
    for (const r of reports) {
      expect(r.violations).toEqual([]);
      expect(r.searches).toBeGreaterThanOrEqual(50);
      expect(r.nonEmpty).toBe(r.searches);
    }
    // And the graph the readers watched grow is a good one.
    let total = 0;
    for (let q = 0; q < 32; q++)
      total += recall(index.search(row(queries, dim, q), 10).ids, bruteForce('l2', data, dim, row(queries, dim, q), 10));
    expect(total / 32).toBeGreaterThanOrEqual(0.95);
  });

  it('a second handle sees each published prefix exactly, step by step', () => {
    const dim = 16;
    const arena = KernelArena.create(1);
    const writer = HnswIndex.create(arena, { dim, metric: 'cosine' });
    const reader = HnswIndex.attach(KernelArena.attach(arena.memory), writer.address);
    const data = clusteredVectors({ n: 3000, dim, seed: 41 });
    const queries = clusteredVectors({ n: 20, dim, seed: 42 });
    for (let step = 0; step < 10; step++) {
      for (let i = step * 300; i < (step + 1) * 300; i++) writer.add(row(data, dim, i));
      expect(reader.size).toBe((step + 1) * 300);
      const prefix = data.subarray(0, (step + 1) * 300 * dim);
      let total = 0;
      for (let q = 0; q < 20; q++) {
        const got = reader.search(row(queries, dim, q), 10);
        for (const id of got.ids) expect(id).toBeLessThan(reader.size);
        total += recall(got.ids, bruteForce('cosine', prefix, dim, row(queries, dim, q), 10));
      }
      expect(total / 20).toBeGreaterThanOrEqual(0.95);
    }
  });
});
