// Rebuilding an index from its file form without re-linking (docs/format.md, "Opening"). beginRestore checks
// the header, creates the index and reserves its nodes (chunks allocated, nothing published); the node blocks
// are copied straight into restoreRegions() (no intermediate buffer) and each range checked right after its
// copy (checkRestored, from any thread sharing the arena); once all are, linkRestored points each range's
// nodes at their upper blocks, and finishRestore publishes. A crafted or damaged file can neither crash the
// kernels nor send a search out of bounds.
import type { KernelArena } from '../arena.js';
import { FeatherError } from '../errors.js';
import {
  kFlagInt8,
  kFlagScreening,
  kHCodeOff,
  kHDeleted,
  kHEntry,
  kHMaxLevel,
  kHPubEntry,
  kHPubMaxLevel,
  kHPublished,
  kNLevelFlags,
} from '../layout.js';
import { RowMap } from '../records/row-map.js';
import { capacityError } from './capacity-error.js';
import { HnswIndex } from './hnsw-index.js';
import { kDefaultHnswOptions } from './hnsw-options.js';
import type { GraphHeader, TagLimits } from './types.js';

function badGraph(what: string, details: Record<string, unknown> = {}): FeatherError {
  return new FeatherError('FEATHER_ERR_CORRUPT', `Corrupt graph section: ${what}; the file is damaged, restore it from a backup`, {
    part: 'graph',
    ...details,
  });
}

/** The kernels' restore failure reasons (lastRestoreReason). */
const kRestoreReasons: Record<number, string> = {
  1: 'unknown flags or a level above the max level',
  2: 'out-of-range tags',
  3: 'a link count or link out of range',
  4: 'upper-level links are shorter than the node levels need',
  5: 'upper-level links are longer than the node levels need',
};

/**
 * The first step of a restore: checks `header`, creates the index and reserves its nodes.
 * @throws FEATHER_ERR_CORRUPT naming the inconsistent field, FEATHER_ERR_CAPACITY.
 */
export function beginRestore(arena: KernelArena, header: GraphHeader, efSearch: number = kDefaultHnswOptions.efSearch): HnswIndex {
  const screening = (header.flags & kFlagScreening) !== 0;
  const int8 = (header.flags & kFlagInt8) !== 0;
  if ((header.flags & ~(kFlagScreening | kFlagInt8)) !== 0 || (screening && int8)) throw badGraph(`unknown flags ${header.flags}`);
  let index: HnswIndex;
  try {
    index = HnswIndex.create(arena, {
      dim: header.dim,
      metric: header.metric,
      m: header.m,
      efConstruction: header.efConstruction,
      efSearch,
      screening: screening ? 'int8' : 'none',
      storage: int8 ? 'int8' : 'float32',
    });
  } catch (error) {
    throw badGraph(`impossible parameters (${(error as Error).message})`);
  }
  const g = index.geometry;
  if (g.stride !== header.stride || g.vecOff !== header.vecOff || arena.u32[(index.address + kHCodeOff) >>> 2] !== header.codeOff)
    throw badGraph('node geometry does not match its parameters');
  const n = header.count;
  if (!Number.isInteger(n) || n < 0 || n > kDefaultHnswOptions.maxChunks << g.chunkShift) throw badGraph(`node count ${n}`);
  if (
    n === 0
      ? header.entry !== -1 || header.maxLevel !== -1
      : header.entry < 0 || header.entry >= n || header.maxLevel < 0 || header.maxLevel > 31
  )
    throw badGraph('entry point or max level out of range');
  if (header.dimOrder !== null) {
    const seen = new Set(header.dimOrder);
    if (
      header.dimOrder.length !== header.dim ||
      seen.size !== header.dim ||
      header.dimOrder.some((d) => !Number.isInteger(d) || d < 0 || d >= header.dim)
    )
      throw badGraph('dimension order is not a permutation');
  }
  const rc = arena.wasm.reserveBulk(index.address, n);
  if (rc < 0) throw capacityError('load the graph', rc);
  return index;
}

/** Where nodes [0, count) of a restore live: one arena region per chunk, in node order. */
export function restoreRegions(index: HnswIndex, count: number): { at: number; bytes: number }[] {
  const g = index.geometry;
  const regions: { at: number; bytes: number }[] = [];
  for (let first = 0; first < count; first += 1 << g.chunkShift) {
    regions.push({
      at: index.arena.u32[(g.chunkTable >>> 2) + (first >>> g.chunkShift)],
      bytes: (Math.min(count, first + (1 << g.chunkShift)) - first) * g.stride,
    });
  }
  return regions;
}

/**
 * Phase one of a restore, for node blocks [first, end) of the index at `address` just copied in: flags,
 * level, tags within `limits`, level-0 links. Any thread may check any range (the kernels of the calling
 * thread run it). Returns the range's tombstones and the upper-block bytes its levels need.
 * @throws FEATHER_ERR_CORRUPT naming the first bad node.
 */
export function checkRestored(
  arena: KernelArena,
  address: number,
  first: number,
  end: number,
  header: Pick<GraphHeader, 'count' | 'maxLevel'>,
  limits: TagLimits,
): { deleted: number; upperBytes: number } {
  const wasm = arena.wasm;
  const failed = wasm.restoreNodes(address, first, end, header.count, header.maxLevel, limits.rows, limits.namespaces, limits.entities);
  if (failed >= 0) throw badGraph(`node ${failed}: ${kRestoreReasons[wasm.lastRestoreReason()] ?? 'invalid'}`, { node: failed });
  return { deleted: wasm.lastRestoreDeleted(), upperBytes: wasm.lastRestoreUpper() };
}

/**
 * Phase two of a restore, once every range passed checkRestored: points each node of [first, end) with upper
 * levels at its slice of the upper blocks (copied to `upper`, `upperBytes` long), which starts `at` bytes in
 * (the upper bytes of the ranges before), and checks those links. Any thread may run any range.
 * @throws FEATHER_ERR_CORRUPT naming the first bad node.
 */
export function linkRestored(
  arena: KernelArena,
  address: number,
  first: number,
  end: number,
  count: number,
  upper: number,
  at: number,
  upperBytes: number,
): void {
  const failed = arena.wasm.restoreUpper(address, first, end, count, upper, at, upperBytes);
  if (failed >= 0) throw badGraph(`node ${failed}: ${kRestoreReasons[arena.wasm.lastRestoreReason()] ?? 'invalid'}`, { node: failed });
}

/**
 * Rows [first, end) of a row map restored next to the `count` nodes of the index at `address`: every mapped
 * node in range, live and tagged with its row. Returns how many rows map to a node.
 * @throws FEATHER_ERR_CORRUPT naming the first bad row.
 */
export function checkRowMap(arena: KernelArena, address: number, map: number, first: number, end: number, count: number): number {
  const mapped = arena.wasm.checkRowMap(address, map, RowMap.chunkShift, first, end, count);
  if (mapped < 0)
    throw new FeatherError(
      'FEATHER_ERR_CORRUPT',
      `Corrupt row map: row ${-mapped - 1} points at a node that is not its own; the file is damaged, restore it from a backup`,
      { part: 'graph', row: -mapped - 1 },
    );
  return mapped;
}

/**
 * The last step of a restore, once both phases ran on every range: checks the totals phase one returned
 * against the header and the upper blocks (`upperBytes`), then publishes the nodes.
 * @throws FEATHER_ERR_CORRUPT.
 */
export function finishRestore(
  index: HnswIndex,
  header: GraphHeader,
  upperBytes: number,
  totals: { deleted: number; upperBytes: number },
): void {
  const n = header.count;
  const arena = index.arena;
  if (totals.upperBytes !== upperBytes) throw badGraph(kRestoreReasons[totals.upperBytes > upperBytes ? 4 : 5]);
  const u32 = arena.u32;
  if (totals.deleted !== header.deleted) throw badGraph(`tombstone count ${header.deleted} does not match the nodes (${totals.deleted})`);
  if (n > 0 && (u32[(index.nodeAddress(header.entry) + kNLevelFlags) >>> 2] & 0xff) !== header.maxLevel)
    throw badGraph('the entry point is not at the max level');
  if (header.dimOrder !== null) index.installOrder(header.dimOrder);
  const h = index.address >>> 2;
  const i32 = arena.i32;
  i32[h + kHEntry / 4] = header.entry;
  i32[h + kHMaxLevel / 4] = header.maxLevel;
  i32[h + kHPubEntry / 4] = header.entry;
  i32[h + kHPubMaxLevel / 4] = header.maxLevel;
  u32[h + kHDeleted / 4] = totals.deleted;
  // Atomic store last: readers that see the published count see every node block written above.
  Atomics.store(u32, h + kHPublished / 4, n);
}
