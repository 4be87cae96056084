// Giving a retired index's memory back to the arena (docs/adr/0008): what compaction and setInt8Ram leave
// behind once no reader can hold the old generation any more.
import { kHChunkCap, kHChunkShift, kHChunkTable, kHDimOrder, kHM, kHReserved, kHStride, kNLevelFlags, kNUpper } from '../layout.js';
import type { HnswIndex } from './hnsw-index.js';

/**
 * Frees every block of the index at `index.address` except its 128-byte header, which stays allocated so that
 * no later index gets the same address (threads cache handles by it): node chunks, the chunk table, upper-link
 * blocks (one each, or the one packed region a load allocated), the dimension order, and the writer's
 * scratch. The caller guarantees that no reader can still reach any of it. Returns the bytes freed.
 */
export function releaseIndexMemory(index: HnswIndex): number {
  const arena = index.arena;
  const u32 = arena.u32;
  const h = index.address >>> 2;
  const shift = u32[h + kHChunkShift / 4];
  const table = u32[h + kHChunkTable / 4];
  const cap = u32[h + kHChunkCap / 4];
  const stride = u32[h + kHStride / 4];
  const reserved = u32[h + kHReserved / 4];
  const upperBlock = (1 + u32[h + kHM / 4]) * 4;
  const packed = index.recycler.packedUpper;
  let freed = 0;
  const give = (at: number, bytes: number): void => {
    if (at !== 0 && arena.free(at, bytes)) freed += Math.ceil(bytes / 64) * 64;
  };
  for (let id = 0; id < reserved; id++) {
    if (packed !== undefined && id < packed.count) continue;
    const node = index.nodeAddress(id);
    const level = u32[(node + kNLevelFlags) >>> 2] & 0xff;
    if (level > 0) give(u32[(node + kNUpper) >>> 2], level * upperBlock);
  }
  if (packed !== undefined) give(packed.at, packed.bytes);
  for (let c = 0; c < cap; c++) {
    const chunk = u32[(table >>> 2) + c];
    if (chunk === 0) break;
    give(chunk, stride << shift);
  }
  give(table, cap * 4);
  give(u32[h + kHDimOrder / 4], index.dim * 4);
  index.releaseScratch();
  return freed;
}
