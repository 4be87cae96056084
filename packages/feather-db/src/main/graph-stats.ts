// One graph's node slots by state, read from its shared header (stats() and the repair policy).
import type { HnswIndex } from '@feather-db/core';

/** Node slots of one modality's graph, and the bytes of their level-0 blocks (vector and links). */
export interface GraphStats {
  /** Slots below the published mark (live, tombstoned and free). */
  nodes: number;
  /** Forgotten (or replaced) nodes still linked into the graph: the next repair unlinks them. */
  tombstones: number;
  /** Unlinked slots waiting to be reused by the next adds. */
  freeNodes: number;
  bytes: { live: number; tombstoned: number; free: number };
}

export function graphStats(index: HnswIndex): GraphStats {
  const nodes = index.size;
  const deleted = index.deletedCount;
  const freeNodes = Math.min(deleted, index.freeNodeCount);
  const tombstones = deleted - freeNodes;
  const stride = index.strideBytes;
  const live = Math.max(0, nodes - deleted);
  return { nodes, tombstones, freeNodes, bytes: { live: live * stride, tombstoned: tombstones * stride, free: freeNodes * stride } };
}
