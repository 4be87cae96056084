// Reads of an index's header and node blocks straight from shared memory, without a wasm call: the storage
// flags, the chunk geometry, a node's block address and the published counter readers wait on.
import { kFlagInt8, kFlagScreening, kHChunkShift, kHChunkTable, kHFlags, kHPublished, kHStride, kHVecOff } from '../layout.js';

/** What a reader needs to address the nodes of an index. */
export interface IndexGeometry {
  chunkShift: number;
  chunkTable: number;
  stride: number;
  vecOff: number;
}

/** The header flags of a new index with these options. */
export function headerFlags(options: { screening: 'none' | 'int8'; storage: 'float32' | 'int8' }): number {
  return (options.screening === 'int8' ? kFlagScreening : 0) | (options.storage === 'int8' ? kFlagInt8 : 0);
}

/** `'int8'` when the index at `address` stores quantised vectors. */
export function storageOf(u32: Uint32Array, address: number): 'float32' | 'int8' {
  return (u32[(address + kHFlags) >>> 2] & kFlagInt8) !== 0 ? 'int8' : 'float32';
}

/** `'int8'` when the nodes of the index at `address` carry screening codes. */
export function screeningOf(u32: Uint32Array, address: number): 'none' | 'int8' {
  return (u32[(address + kHFlags) >>> 2] & kFlagScreening) !== 0 ? 'int8' : 'none';
}

/** The chunk geometry of the index at `address`. */
export function geometryOf(u32: Uint32Array, address: number): IndexGeometry {
  const h = address >>> 2;
  return {
    chunkShift: u32[h + kHChunkShift / 4],
    chunkTable: u32[h + kHChunkTable / 4],
    stride: u32[h + kHStride / 4],
    vecOff: u32[h + kHVecOff / 4],
  };
}

/** Byte address of node `id`'s block; the chunk table is read each time (chunks are added, never moved). */
export function nodeAddressOf(u32: Uint32Array, address: number, id: number): number {
  const h = address >>> 2;
  const shift = u32[h + kHChunkShift / 4];
  return u32[(u32[h + kHChunkTable / 4] >>> 2) + (id >>> shift)] + (id & ((1 << shift) - 1)) * u32[h + kHStride / 4];
}

/**
 * Resolves once node `id` of the index at `address` is published. Never blocks the calling thread: it waits
 * with Atomics.waitAsync on the published counter, which the kernels notify after every advance.
 */
export async function whenPublished(u32: Uint32Array, address: number, id: number): Promise<void> {
  const at = (address + kHPublished) >>> 2;
  const i32 = new Int32Array(u32.buffer, u32.byteOffset, u32.length);
  for (;;) {
    // Atomic load, then wait only while the value is unchanged: no advance between the two is missed.
    const published = Atomics.load(i32, at);
    if (published > id) return;
    const waiter = Atomics.waitAsync(i32, at, published);
    if (waiter.async) await waiter.value;
  }
}
