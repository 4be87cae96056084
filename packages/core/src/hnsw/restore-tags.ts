// One more check of node blocks copied from a file: each live node's row, namespace and entity tags must be
// its record's. The kernels' restore checks only that tags are in range; a block that passed its checksum
// (a file written by a bug, or edited) could still tag a node with another namespace, and filtered searches
// would then return or miss it. Run per load task, on whichever thread copied the block.
import type { KernelArena } from '../arena.js';
import { FeatherError } from '../errors.js';
import { kFlagDeleted, kHChunkShift, kHStride, kNEntity, kNLevelFlags, kNNamespace, kNRow } from '../layout.js';

/** Whether live row `row` carries exactly these namespace and entity ids (MemoryModel.tagsMatch). */
export type TagsMatch = (row: number, namespace: number, entity: number) => boolean;

/**
 * Checks nodes [first, end) of the index at `address` against the records: every node that is not a
 * tombstone must be tagged as its row's record is.
 * @throws FEATHER_ERR_CORRUPT naming the first node whose tags differ.
 */
export function checkRestoredTags(arena: KernelArena, address: number, first: number, end: number, tagsMatch: TagsMatch): void {
  const u32 = arena.u32;
  const wasm = arena.wasm;
  // Nodes of one chunk are contiguous: one kernel call per chunk, then a stride per node (a call per node
  // cost ~0.37 µs, 9% of a load).
  const mask = (1 << u32[(address + kHChunkShift) >>> 2]) - 1;
  const stride = u32[(address + kHStride) >>> 2] >>> 2;
  let at = 0;
  for (let id = first; id < end; id++) {
    at = id === first || (id & mask) === 0 ? (wasm.nodeAddress(address, id) >>> 0) >>> 2 : at + stride;
    if ((u32[at + (kNLevelFlags >>> 2)] & kFlagDeleted) !== 0) continue;
    const row = u32[at + (kNRow >>> 2)];
    if (!tagsMatch(row, u32[at + (kNNamespace >>> 2)], u32[at + (kNEntity >>> 2)])) {
      throw new FeatherError(
        'FEATHER_ERR_CORRUPT',
        `Corrupt graph section: node ${id} is tagged unlike its record (row ${row}); the file is damaged, restore it from a backup`,
        { part: 'graph', node: id, row },
      );
    }
  }
}
