// The write pipeline (main/write-pipeline.ts, write-queue.ts) in one thread: a real writer service (store
// engine, files in a temp dir) called in-process instead of over comlink, and a real mirror. Small writes are
// linked by the writer, so the pool is never asked.
import { FeatherError, KernelArena, MemoryModel, type WriteRequest } from '@feather-db/core';
import { kernelModule } from '@feather-db/kernels';
import { tempStorePath } from '@feather-db/testkit';
import type { Remote } from 'comlink';
import { describe, expect, it } from 'vitest';
import { EpochPins } from '../src/main/epoch-pins.js';
import { resolveMaintenance } from '../src/main/maintenance-options.js';
import type { ReaderPool } from '../src/main/reader-pool.js';
import { StoreFault } from '../src/main/store-fault.js';
import { WritePipeline } from '../src/main/write-pipeline.js';
import { kGroupVectorBytes } from '../src/main/write-queue.js';
import type { WriterApi } from '../src/protocol.js';
import { AttachCache } from '../src/shared/attach-cache.js';
import { WriterService } from '../src/writer/writer-service.js';

const kNoPool = {} as ReaderPool;

function setup(
  autoSaveWalBytes = 0,
  dim = 2,
): { pipeline: WritePipeline; mirror: MemoryModel; groups: number[]; groupBytes: number[]; saves: number[] } {
  const arena = KernelArena.create();
  const service = new WriterService({ memory: arena.memory, module: kernelModule() });
  const path = tempStorePath('pipeline.feather');
  const opened = service.open({
    path,
    modalities: { text: { dim, metric: 'l2' } },
    m: 8,
    efConstruction: 32,
    efSearch: 16,
    modelId: undefined,
    readOnly: false,
    durability: 'none',
  });
  if (!opened.ok) throw new Error(opened.error.message);
  const groups: number[] = [];
  const groupBytes: number[] = [];
  const saves: number[] = [];
  // The writer's RPC surface, answered in-process.
  const writer = {
    writeMany: async (writes: WriteRequest[]) => {
      groups.push(writes.length);
      groupBytes.push(writes.reduce((sum, w) => sum + Object.values(w.vectors).reduce((b, v) => b + v.byteLength, 0), 0));
      // A reply comes back in a later turn, as over comlink: writes called meanwhile queue up.
      await new Promise((resolve) => setImmediate(resolve));
      return service.writeMany(writes);
    },
    save: (target: string | undefined, graph: 'auto' | 'always' | 'never') => Promise.resolve(service.save(target, graph)),
    verify: () => Promise.resolve(service.verify()),
  } as unknown as Remote<WriterApi>;
  const mirror = new MemoryModel();
  const pipeline = new WritePipeline(writer, kNoPool, mirror, new AttachCache(arena), {
    threads: 1,
    autoSaveWalBytes,
    save: () => {
      saves.push(saves.length + 1);
      return Promise.resolve(service.save(undefined, 'auto'));
    },
    fault: new StoreFault(arena, path),
    pins: new EpochPins(arena),
    maintenance: resolveMaintenance(false),
    tombstoneRatio: () => 0,
    searching: () => false,
    compact: () => Promise.resolve(),
  });
  return { pipeline, mirror, groups, groupBytes, saves };
}

const add = (id: number) => () => ({
  op: { type: 'upsert' as const, items: [{ id, modality: 'text' }], now: 0 },
  vectors: { text: Float32Array.of(id, 1) },
  value: id,
});

describe('WritePipeline', () => {
  it('applies writes in call order, sends what queues up meanwhile as one group, and keeps the mirror equal to the writer', async () => {
    const { pipeline, mirror, groups } = setup();
    const results = await Promise.all([1, 2, 3, 4, 5].map((id) => pipeline.track(pipeline.write(add(id), false))));
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(mirror.size).toBe(5);
    expect(groups.reduce((a, b) => a + b, 0)).toBe(5);
    expect(groups.length).toBeLessThan(5);
    expect(await pipeline.verify()).toEqual({ ok: true, problems: [] });
  });

  it('sends a backlog of large writes in groups of at most kGroupVectorBytes of vectors, in call order', async () => {
    const dim = 1024;
    const rows = 512;
    const { pipeline, mirror, groups, groupBytes } = setup(0, dim);
    const slice = (first: number) => () => ({
      op: { type: 'upsert' as const, items: Array.from({ length: rows }, (_, i) => ({ id: first + i, modality: 'text' })), now: 0 },
      vectors: { text: Float32Array.from({ length: rows * dim }, (_, i) => Math.sin(first + i)) },
      value: first,
    });
    const firsts = Array.from({ length: 10 }, (_, i) => i * rows);
    const results = await Promise.all(firsts.map((first) => pipeline.track(pipeline.write(slice(first), false))));
    expect(results).toEqual(firsts);
    expect(mirror.size).toBe(firsts.length * rows);
    expect(groups.reduce((a, b) => a + b, 0)).toBe(firsts.length);
    // 10 writes of 2 MiB: more than one group after the first, none over the bound.
    expect(groups.length).toBeGreaterThanOrEqual(1 + Math.ceil((9 * rows * dim * 4) / kGroupVectorBytes));
    for (const bytes of groupBytes) expect(bytes).toBeLessThanOrEqual(kGroupVectorBytes);
    expect(await pipeline.verify()).toEqual({ ok: true, problems: [] });
  });

  it('a write whose prepare fails changes nothing, and the writes after it still run', async () => {
    const { pipeline, mirror } = setup();
    await pipeline.write(add(1), false);
    const failed = pipeline.forget(() => [1, 'nope']);
    const later = pipeline.write(add(2), false);
    await expect(failed).rejects.toMatchObject({ code: 'FEATHER_ERR_NOT_FOUND' });
    expect(await later).toBe(2);
    expect(mirror.size).toBe(2);
    expect(await pipeline.forget(() => [1])).toBe(1);
    expect(await pipeline.forget(() => [])).toBe(0);
    expect(await pipeline.verify()).toEqual({ ok: true, problems: [] });
  });

  it('runs exclusive work after every write called before it', async () => {
    const { pipeline, mirror } = setup();
    const writes = [1, 2, 3].map((id) => pipeline.write(add(id), false));
    const seen = await pipeline.exclusive(() => Promise.resolve(mirror.size));
    expect(seen).toBe(3);
    await Promise.all(writes);
    await pipeline.settle();
    expect(await pipeline.verify()).toEqual({ ok: true, problems: [] });
  });

  it('saves by itself once the WAL passes the threshold, once at a time', async () => {
    const { pipeline, saves } = setup(1);
    await pipeline.write(add(1), false);
    await pipeline.exclusive(() => Promise.resolve());
    expect(saves.length).toBe(1);
    const { pipeline: quiet, saves: none } = setup(0);
    await quiet.write(add(1), false);
    await quiet.settle();
    expect(none).toEqual([]);
  });

  it('after a failure every later write rejects with it', async () => {
    const { pipeline } = setup();
    const failure = new FeatherError('FEATHER_ERR_INTERNAL', 'the writer worker crashed');
    pipeline.fail(failure);
    pipeline.fail(new FeatherError('FEATHER_ERR_IO', 'a later report'));
    expect(pipeline.failure).toBe(failure);
    await expect(pipeline.write(add(1), false)).rejects.toBe(failure);
  });
});
