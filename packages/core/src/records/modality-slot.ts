import type { KernelArena } from '../arena.js';

// A modality's current generation: the index readers search and the row map that goes with it. Compaction
// builds a new pair and swaps them in with one atomic store of the slot, so a reader always sees a matching
// pair. Generation blocks are immutable once published.
//   slot:        OFFSET SIZE DESCRIPTION
//                     0    4 address of the current generation block
//   generation:       0    4 index header address
//                     4    4 row-map chunk table address

export interface Generation {
  index: number;
  rowMap: number;
}

export function createSlot(arena: KernelArena): number {
  return arena.alloc(8);
}

export function publishGeneration(arena: KernelArena, slot: number, generation: Generation): void {
  const block = arena.alloc(8);
  const u32 = arena.u32;
  u32[block >>> 2] = generation.index;
  u32[(block >>> 2) + 1] = generation.rowMap;
  // Atomic store after the block is written: a reader that loads the slot sees the whole pair.
  Atomics.store(u32, slot >>> 2, block);
}

export function readGeneration(arena: KernelArena, slot: number): Generation {
  const u32 = arena.u32;
  // Atomic load: pairs with the store in publishGeneration.
  const block = Atomics.load(u32, slot >>> 2);
  return { index: u32[block >>> 2], rowMap: u32[(block >>> 2) + 1] };
}
