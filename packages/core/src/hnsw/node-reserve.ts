// The writer's half of an insert: reserving a node id and writing its vector (storage order; clipped and
// quantised under int8 storage), before any thread links it with insertReserved.
import type { VectorInput } from '../validate.js';
import { capacityError } from './capacity-error.js';
import type { DimensionOrder } from './dimension-order.js';
import type { HnswIndex } from './hnsw-index.js';
import type { SearchScratch } from './search-scratch.js';
import type { NodeTags } from './types.js';

/** A first bulk reserve of at least this many rows into an empty index learns the dimension order. */
const kLearnOrderMinRows = 1000;

/** The index's private parts a reserve writes through. */
export interface ReserveParts {
  order: DimensionOrder;
  scratch: SearchScratch;
}

/** Learns the dimension order from a first bulk load of `n` rows into an empty index that has none yet. */
export function maybeLearnOrder(index: HnswIndex, order: DimensionOrder, vectors: Float32Array, n: number): void {
  if (index.reservedCount === 0 && n >= kLearnOrderMinRows && order.current === null) order.learn(vectors, n);
}

/** Reserves a node (the free slot `slot` when >= 0, else the next id) and writes its vector; returns its id. */
export function reserveVector(
  index: HnswIndex,
  parts: ReserveParts,
  vector: VectorInput,
  offset: number,
  tags: NodeTags | undefined,
  slot = -1,
): number {
  const wasm = index.arena.wasm;
  const t = tags ?? { row: index.reservedCount, namespace: 0, entity: 0 };
  const id = slot < 0 ? index.reserveNode(t) : wasm.reserveAt(index.address, slot, t.row, t.namespace, t.entity);
  if (id < 0) throw capacityError('add a vector', id);
  if (index.storage === 'float32') {
    parts.order.write(vector, offset, (wasm.vectorAddress(index.address, id) >>> 0) >>> 2);
    return id;
  }
  const staging = parts.scratch.staging();
  parts.order.write(vector, offset, staging >>> 2);
  if (Number.isFinite(index.maxAbs)) {
    const f32 = index.arena.f32;
    const at = staging >>> 2;
    for (let i = 0; i < index.dim; i++) f32[at + i] = Math.max(-index.maxAbs, Math.min(index.maxAbs, f32[at + i]));
  }
  wasm.encodeVector(index.address, id, staging);
  return id;
}
