// An index in the file format's terms (docs/format.md, GRAPH, NODES and UPPER sections): its header, and its
// node and upper-level blocks as views of the shared memory (no copy of the node blocks).
import { kHCodeOff, kHFlags, kHPubEntry, kHPubMaxLevel, kHStride, kHVecOff, kNLevelFlags, kNUpper } from '../layout.js';
import type { HnswIndex } from './hnsw-index.js';
import { scratchArray } from '../growable.js';
import type { GraphHeader } from './types.js';

/** The header fields the file format stores. Call with no insert in flight (published == reserved). */
export function graphHeaderOf(index: HnswIndex): GraphHeader {
  const u32 = index.arena.u32;
  const i32 = index.arena.i32;
  const h = index.address >>> 2;
  const order = index.dimensionOrder;
  return {
    dim: index.dim,
    metric: index.metric,
    m: index.m,
    efConstruction: index.efConstruction,
    flags: u32[h + kHFlags / 4],
    stride: u32[h + kHStride / 4],
    vecOff: u32[h + kHVecOff / 4],
    codeOff: u32[h + kHCodeOff / 4],
    count: index.size,
    entry: i32[h + kHPubEntry / 4],
    maxLevel: i32[h + kHPubMaxLevel / 4],
    deleted: index.deletedCount,
    dimOrder: order === null ? null : Array.from(order),
  };
}

/** Views of the level-0 node blocks of nodes [0, size), one per chunk, in id order (no copy). */
export function nodeBlocksOf(index: HnswIndex): Uint8Array[] {
  const { chunkShift, chunkTable, stride } = index.geometry;
  const u32 = index.arena.u32;
  const bytes = new Uint8Array(u32.buffer);
  const views: Uint8Array[] = [];
  const size = index.size;
  for (let first = 0; first < size; first += 1 << chunkShift) {
    const chunk = u32[(chunkTable >>> 2) + (first >>> chunkShift)];
    views.push(bytes.subarray(chunk, chunk + Math.min(1 << chunkShift, size - first) * stride));
  }
  return views;
}

/** The upper-level link blocks of every node with level >= 1, concatenated in id order. */
export function upperBlocksOf(index: HnswIndex): Uint8Array {
  const n = index.size;
  const blockBytes = (1 + index.m) * 4;
  const parts: Uint8Array[] = [];
  const u32 = index.arena.u32;
  const bytes = new Uint8Array(u32.buffer);
  let total = 0;
  for (let id = 0; id < n; id++) {
    const node = index.nodeAddress(id);
    const level = u32[(node + kNLevelFlags) >>> 2] & 0xff;
    if (level === 0) continue;
    const upper = u32[(node + kNUpper) >>> 2];
    parts.push(bytes.subarray(upper, upper + level * blockBytes));
    total += level * blockBytes;
  }
  const out = scratchArray(Uint8Array, total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
