// A repair that retires every node of the graph's top level moves the entry point down and lowers the max
// level, while the retired slots keep their levels for reuse (docs/adr/0008). A save then writes node blocks
// above the header's max level: the open must accept them (they are deleted), not call the file corrupt. Found
// by the crash suite's churn mix (seed 736911116), whose reopen failed with "level above the max level".
import { gaussian, seededRandom } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { KernelArena } from '../src/arena.js';
import type { EngineOpenSpec } from '../src/engine/engine-types.js';
import { StoreEngine } from '../src/engine/store-engine.js';
import { memoryFileIo } from '../src/format/file-io.js';
import { HnswIndex } from '../src/hnsw/hnsw-index.js';
import { kNLevelFlags } from '../src/layout.js';
import { engineSpec, linkJobs } from './helpers.js';

const kPath = '/store.feather';
const kDim = 8;
const spec = (): EngineOpenSpec => engineSpec(kPath, 'l2', { efSearch: 64 });

describe('a graph whose top level was retired', () => {
  it('saves and opens again, its retired nodes above the new max level', () => {
    const arena = KernelArena.create();
    const io = memoryFileIo();
    const engine = new StoreEngine(arena, io);
    linkJobs(arena, engine.open(spec()).pending);
    const rand = seededRandom(5);
    const n = 3000;
    const vectors = Float32Array.from({ length: n * kDim }, () => gaussian(rand));
    const items = Array.from({ length: n }, (_, i) => ({ id: i, modality: 'text', text: '' }));
    for (const r of engine.writeMany([
      { op: { type: 'upsert', now: 1_700_000_000_000, items }, vectors: { text: vectors }, parallel: false },
    ]))
      linkJobs(arena, r);
    const index = engine.modalities().get('text')!.index;
    // Nodes were inserted in id order, one per memory: node i holds memory i.
    const levelOf = (id: number): number => arena.u32[(index.nodeAddress(id) + kNLevelFlags) >>> 2] & 0xff;
    const levels = Array.from({ length: n }, (_, id) => levelOf(id));
    const top = Math.max(...levels);
    expect(top).toBeGreaterThan(0);
    const highest = levels.flatMap((level, id) => (level === top ? [id] : []));
    // Few enough that the graph stays persisted (a tenth of tombstones or less).
    expect(highest.length).toBeLessThan(n / 10);
    engine.writeMany([{ op: { type: 'forget', ids: highest }, vectors: {}, parallel: false }]);
    for (const job of engine.beginRepair()) HnswIndex.attach(arena, job.index).repairRange(job.first, job.count, job.set, job.bits);
    expect(engine.commitRepair().retired).toBe(highest.length);
    engine.save(undefined, 'always');
    engine.close();

    arena.resetForTests();
    const reopened = new StoreEngine(arena, io);
    expect(() => reopened.open(spec())).not.toThrow();
    // Still a working store: every live memory is found by its own vector, new ones go in, and it saves and
    // opens again.
    const graph = reopened.modalities().get('text')!.index;
    const gone = new Set(highest);
    for (let id = 0; id < n; id += 97) {
      if (gone.has(id)) continue;
      expect(graph.search(vectors.subarray(id * kDim, (id + 1) * kDim), 1, { ef: 64 }).ids[0]).toBe(id);
    }
    const more = Array.from({ length: 50 }, (_, i) => ({ id: n + i, modality: 'text', text: '' }));
    const moreVectors = Float32Array.from({ length: 50 * kDim }, () => gaussian(rand));
    for (const r of reopened.writeMany([
      { op: { type: 'upsert', now: 1_700_000_000_000, items: more }, vectors: { text: moreVectors }, parallel: false },
    ]))
      linkJobs(arena, r);
    reopened.save(undefined, 'always');
    reopened.close();
    arena.resetForTests();
    const again = new StoreEngine(arena, io);
    expect(() => again.open(spec())).not.toThrow();
    expect(again.modalities().get('text')!.index.search(moreVectors.subarray(0, kDim), 1, { ef: 64 }).ids.length).toBe(1);
    again.close();
  });
});
