// A saved store's graph in core, without the facade (compare/kernel-ab.ts --store, macro/public-api.ts).
import { KernelArena, nodeFileIo, StoreEngine, type HnswIndex } from '@feather-db/core';

/**
 * The default modality's graph of the store saved at `path`, opened read-only by core's engine in `arena`, and
 * the engine's close.
 */
export function openStoreGraph(path: string, arena: KernelArena = KernelArena.create()): { index: HnswIndex; close: () => void } {
  const engine = new StoreEngine(arena, nodeFileIo());
  engine.open({
    path,
    modalities: undefined,
    m: 16,
    efConstruction: 200,
    efSearch: 64,
    modelId: undefined,
    readOnly: true,
    durability: 'none',
  });
  return { index: engine.modalities().get('text')!.index, close: () => engine.close() };
}
