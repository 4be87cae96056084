// Who links a write's nodes (StoreEngine.writeMany, scheduleLinks): a small upsert alone is linked by the
// engine before it answers; small upserts that arrive in one group (concurrent adds) are handed to the pool as
// jobs, like a large one, so that every pool thread links them instead of the writer alone.
import { gaussian, seededRandom } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { KernelArena } from '../src/arena.js';
import type { WriteRequest } from '../src/engine/engine-types.js';
import { StoreEngine } from '../src/engine/store-engine.js';
import { memoryFileIo } from '../src/format/file-io.js';
import { engineSpec, linkJobs } from './helpers.js';

const kDim = 8;

function openEngine(): { arena: KernelArena; engine: StoreEngine } {
  const arena = KernelArena.create();
  const engine = new StoreEngine(arena, memoryFileIo());
  linkJobs(arena, engine.open(engineSpec('/store.feather', 'l2')).pending);
  return { arena, engine };
}

const rand = seededRandom(11);
const vector = (): Float32Array => Float32Array.from({ length: kDim }, () => gaussian(rand));
const add = (id: number, v: Float32Array, parallel: boolean): WriteRequest => ({
  op: { type: 'upsert', now: 1_700_000_000_000, items: [{ id, modality: 'text' }] },
  vectors: { text: v },
  parallel,
});

describe('linking the nodes of a group of writes', () => {
  it('links a small upsert alone in the engine: visible when writeMany returns, no jobs', () => {
    const { engine } = openEngine();
    const [result] = engine.writeMany([add(1, vector(), true)]);
    expect(result.jobs).toEqual([]);
    expect(engine.modalities().get('text')!.index.size).toBe(1);
  });

  it('hands each small upsert of a group to the pool, in node order; they become visible once linked', () => {
    const { arena, engine } = openEngine();
    const vectors = Array.from({ length: 40 }, vector);
    engine.writeMany([add(0, vectors[0], true)]);
    const results = engine.writeMany(vectors.slice(1).map((v, i) => add(i + 1, v, true)));
    expect(results.map((r) => r.jobs.map((j) => [j.first, j.count]))).toEqual(vectors.slice(1).map((_, i) => [[i + 1, 1]]));
    const index = engine.modalities().get('text')!.index;
    expect(index.size).toBe(1);
    for (const r of results) linkJobs(arena, r);
    expect(index.size).toBe(40);
    vectors.forEach((v, id) => expect(index.search(v, 1, { ef: 32 }).ids[0]).toBe(id));
  });

  it('keeps a group of writes that may not go to the pool in the engine', () => {
    const { engine } = openEngine();
    const results = engine.writeMany([add(1, vector(), false), add(2, vector(), false)]);
    expect(results.flatMap((r) => r.jobs)).toEqual([]);
    expect(engine.modalities().get('text')!.index.size).toBe(2);
  });
});
