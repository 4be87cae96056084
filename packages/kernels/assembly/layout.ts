// The byte layouts every thread shares: index header, node blocks, scratch and the arena control block.
// The tables are authoritative; docs/architecture.md copies them and core/src/layout.ts mirrors the
// constants (checked at load through layoutProbe).
//
// Index header (at `index`, kIndexHeaderBytes long)
//   OFFSET SIZE DESCRIPTION
//        0    4 magic 0x57484546 ('FEHW')
//        4    4 dim
//        8    4 metric: 0 = inner product, 1 = squared L2, 2 = cosine (stored normalised, scored as ip)
//       12    4 M: links per node on levels >= 1
//       16    4 M0: links per node on level 0 (2*M)
//       20    4 efConstruction
//       24    4 node stride in bytes (level-0 block)
//       28    4 offset of the vector inside a node block
//       32    4 chunk shift: a chunk holds 1 << shift nodes
//       36    4 address of the chunk table (u32 base address per chunk, 0 = not allocated)
//       40    4 chunk table capacity (entries)
//       44    4 reserved node count (next node id)
//       48    4 published high-water mark: nodes [0, published) are complete and visible
//       52    4 entry point node id (-1 when empty)
//       56    4 max level (-1 when empty)
//       60    4 deleted (tombstoned) node count
//       64    4 address of the dimension order (u32 * dim), 0 = identity. Vectors and queries are stored
//               with their dimensions permuted by it (highest variance first), so the early exit of
//               l2sqBounded decides on the most informative dimensions; distances are unchanged.
//       68    4 flags: bit 0 = int8 screening codes in every node block; bit 1 = int8 storage (the vector
//               region holds a quantised block instead of float32: see "int8 storage" below)
//       72    4 offset of the screening codes inside a node block (0 without screening)
//       76    4 global lock (0 free, 1 held): held by an insert whose level raises the max level
//       80    4 readers' entry point: the entry among published nodes (-1 when none)
//       84    4 readers' max level
//       88    4 publish lock (0 free, 1 held): serialises advancing `published`
//       92    4 lost a node: 1 once a node of this index was tombstoned (set by markDeleted, never cleared; not
//               saved: a restored index counts while it holds tombstones or retired slots): full lists taking a
//               back-link then prune with the factor (insert.ts, backLinkAlpha)
//       96   24 reserved
//      120    4 retired: 1 once the writer swapped this index out (compaction, a storage change); every thread
//               then drops its handle and scratch (core: AttachCache.sweep). Set once, never cleared.
//      124    4 free nodes: retired (unlinked) tombstones waiting for reuse; the writer keeps it (stats)
//
// Concurrency (docs/threading.md): any number of threads may insert reserved nodes at once. Each node's
// lock word is a seqlock: writers of any of the node's link lists take it (even -> odd) and release it
// (odd -> even + 1); readers copy a list between two equal even reads of it. A node is visible to other
// inserters once its complete flag is set, and to searches once `published` (the contiguous prefix of
// complete nodes) passes it.
//
// Node block (level 0), `stride` bytes, 16-byte aligned
//   OFFSET SIZE DESCRIPTION
//        0    4 lock / version word (seqlock for concurrent writers; even = stable)
//        4    4 level (bits 0-7) | flags (bit 8 = deleted, bit 9 = complete, bit 10 = stored normalised,
//               bit 11 = hidden: a reused slot being linked again, never a result until insert clears it)
//        8    4 address of the upper-level link block, 0 when level == 0
//       12    4 record row this node belongs to (the metadata table's slot)
//       16    4 namespace id (filter tag; written at reserve, updated atomically)
//       20    4 entity id (filter tag; 0 = none)
//       24    4 reserved
//       28    4 level-0 link count
//       32 4*M0 level-0 links (node ids)
//   vecOff 4*dim vector (float32), vecOff = align16(32 + 4*M0); with int8 storage, a quantised block
//               (16-byte header as for screening codes, then align16(dim) int8 codes)
//  codeOff   16 screening header (with the int8 flag only), codeOff = align16(vecOff + 4*dim):
//               f32 scale, f32 |x|^2, f32 |x|_1, f32 |x^|_1 (x^ = dequantised codes)
//  codeOff+16 align16(dim) int8 codes, x_i ~ scale * code_i, zero padded
//
// Upper-level link block: for level l in 1..level, at (l-1)*(4 + 4*M): u32 count, then M u32 links.
//
// Scratch (one per thread), kScratchHeaderBytes header then arrays
//   OFFSET SIZE DESCRIPTION
//        0    4 visited capacity (entries)
//        4    4 current visited epoch (u16 tag)
//        8    4 heap capacity (entries per heap)
//       12    4 address of the visited tags (u16 * visited capacity)
//       16    4 address of the candidate heap (8-byte entries: f32 key, u32 id)
//       20    4 address of the result heap
//       24    4 address of the selection buffer (heap capacity entries)
//       28    4 address of the query buffer (4 * dim, 16-aligned; sized by the caller)
//       32    4 address of the output buffer (heap capacity entries)
//       36    4 distance computations in the last call
//       40    4 candidate heap capacity (entries; 4 * heap capacity, compacted when full)
//       44    4 sink for cache-line touches (keeps them from being optimised away)
//       48    4 address of the query's screening codes (16-byte header + align16(dim) int8)
//       52    4 candidates rejected by screening in the last call
//       56    4 address of the link copy buffer (u32 * heap capacity)
//       60    4 address of the decode buffer (4 * dim): an int8 node dequantised for node-node distances
//       64    4 filter: namespace id a result must carry (0xffffffff = any)
//       68    4 filter: entity id a result must carry (0xffffffff = any)
//       72    4 filter: address of a row bitmap a result's row must be set in (0 = none)
//       76    4 filter: bits in that bitmap (rows at or past it fail)
//       80   48 reserved
//
// Arena control block (at arenaBase() = align64(__heap_base))
//   OFFSET SIZE DESCRIPTION
//        0    4 magic 0x41524546 ('FERA')
//        4    4 top: next free byte (bump allocator, atomic)
//        8    4 high-water mark: the highest end ever handed out; memory above it is fresh from
//               memory.grow (already zero), so alloc zeroes only below it (after a reset)
//       12    4 reclamation epoch (starts at 1): the writer retires memory under the current value, then
//               advances it (docs/adr/0008-slot-reuse-and-epoch-reclamation.md)
//       16    4 oldest epoch pinned by a reader in flight (0xffffffff = none): written by the facade only
//       20    4 free-list lock (0 free, 1 held; taken with a bounded spin, never waited on)
//       24    4 first block of the free list (0 = empty): blocks in address order, each starting with
//               u32 next, u32 bytes; neighbours are merged, and one that ends at `top` lowers it
//       28    4 bytes on the free list
//       32   32 reserved

// ---- constants (mirrored in core/src/layout.ts, checked through layoutProbe) -----------------------
export const kIndexMagic: u32 = 0x57484546;
export const kArenaMagic: u32 = 0x41524546;
export const kIndexHeaderBytes: u32 = 128;
export const kScratchHeaderBytes: u32 = 128;
export const kArenaCtlBytes: u32 = 64;

export const kHDim: u32 = 4;
export const kHMetric: u32 = 8;
export const kHM: u32 = 12;
export const kHM0: u32 = 16;
export const kHEfConstruction: u32 = 20;
export const kHStride: u32 = 24;
export const kHVecOff: u32 = 28;
export const kHChunkShift: u32 = 32;
export const kHChunkTable: u32 = 36;
export const kHChunkCap: u32 = 40;
export const kHReserved: u32 = 44;
export const kHPublished: u32 = 48;
export const kHEntry: u32 = 52;
export const kHMaxLevel: u32 = 56;
export const kHDeleted: u32 = 60;
export const kHDimOrder: u32 = 64;
export const kHFlags: u32 = 68;
export const kHCodeOff: u32 = 72;
export const kHGlobalLock: u32 = 76;
export const kHPubEntry: u32 = 80;
export const kHPubMaxLevel: u32 = 84;
export const kHPublishLock: u32 = 88;
export const kFlagScreening: u32 = 1;
export const kFlagInt8: u32 = 2;

export const kNLock: u32 = 0;
export const kNLevelFlags: u32 = 4;
export const kNUpper: u32 = 8;
export const kNRow: u32 = 12;
export const kNNamespace: u32 = 16;
export const kNEntity: u32 = 20;
export const kNCount0: u32 = 28;
export const kNLinks0: u32 = 32;
export const kFlagDeleted: u32 = 0x100;
export const kFlagComplete: u32 = 0x200;
/** Node flag: the vector was stored already normalised (a loader's raw copy); insert must not rescale it. */
export const kFlagNormalized: u32 = 0x400;
/** Node flag: a reused slot being linked again; searches skip it (as deleted) until insert clears it. */
export const kFlagHidden: u32 = 0x800;

export const kSVisitedCap: u32 = 0;
export const kSEpoch: u32 = 4;
export const kSHeapCap: u32 = 8;
export const kSVisited: u32 = 12;
export const kSCand: u32 = 16;
export const kSRes: u32 = 20;
export const kSSel: u32 = 24;
export const kSQuery: u32 = 28;
export const kSOut: u32 = 32;
export const kSDistCount: u32 = 36;
export const kSCandCap: u32 = 40;
export const kSSink: u32 = 44;
export const kSQueryCodes: u32 = 48;
export const kSScreened: u32 = 52;
export const kSLinkBuf: u32 = 56;
export const kSDecode: u32 = 60;
export const kSFilterNs: u32 = 64;
export const kSFilterEntity: u32 = 68;
export const kSFilterBitmap: u32 = 72;
export const kSFilterBits: u32 = 76;
export const kAny: u32 = 0xffffffff;
/** Added to a metric code inside the kernels when the index stores int8 blocks instead of float32. */
export const kMetricQuantised: u32 = 4;

export const kAMagic: u32 = 0;
export const kATop: u32 = 4;
/** The highest end ever handed out: memory above it is fresh from memory.grow, hence already zero. */
export const kAHigh: u32 = 8;
export const kAEpoch: u32 = 12;
export const kAPinned: u32 = 16;
export const kAFreeLock: u32 = 20;
export const kAFreeHead: u32 = 24;
export const kAFreeBytes: u32 = 28;
/** kAPinned when no reader is in flight. */
export const kNoPin: u32 = 0xffffffff;
/** Index header: retired nodes waiting for reuse (kept by the writer, read by stats). */
export const kHFreeNodes: u32 = 124;
/** Index header: 1 once the writer retired the index (threads drop their handles on it). */
export const kHRetired: u32 = 120;
/** Index header: 1 once a node of this index was tombstoned (never cleared). */
export const kHLostNode: u32 = 92;

export const kMetricIp: u32 = 0;
export const kMetricL2: u32 = 1;
export const kMetricCosine: u32 = 2;

// Error returns (negative) shared with core.
export const kErrOutOfMemory: i32 = -1;
export const kErrScratchTooSmall: i32 = -2;
export const kErrChunkTableFull: i32 = -3;

/**
 * The value of every constant above, in declaration order (i32.MIN_VALUE past the last, a value no constant has): core/src/layout.ts holds the
 * same list in the same order and checks it value by value whenever it binds a thread to the kernels, so a
 * constant changed, added or moved on one side only fails at load instead of corrupting memory.
 */
export function layoutProbe(which: i32): i32 {
  switch (which) {
    case 0: return <i32>kIndexMagic;
    case 1: return <i32>kArenaMagic;
    case 2: return <i32>kIndexHeaderBytes;
    case 3: return <i32>kScratchHeaderBytes;
    case 4: return <i32>kArenaCtlBytes;
    case 5: return <i32>kHDim;
    case 6: return <i32>kHMetric;
    case 7: return <i32>kHM;
    case 8: return <i32>kHM0;
    case 9: return <i32>kHEfConstruction;
    case 10: return <i32>kHStride;
    case 11: return <i32>kHVecOff;
    case 12: return <i32>kHChunkShift;
    case 13: return <i32>kHChunkTable;
    case 14: return <i32>kHChunkCap;
    case 15: return <i32>kHReserved;
    case 16: return <i32>kHPublished;
    case 17: return <i32>kHEntry;
    case 18: return <i32>kHMaxLevel;
    case 19: return <i32>kHDeleted;
    case 20: return <i32>kHDimOrder;
    case 21: return <i32>kHFlags;
    case 22: return <i32>kHCodeOff;
    case 23: return <i32>kHGlobalLock;
    case 24: return <i32>kHPubEntry;
    case 25: return <i32>kHPubMaxLevel;
    case 26: return <i32>kHPublishLock;
    case 27: return <i32>kFlagScreening;
    case 28: return <i32>kFlagInt8;
    case 29: return <i32>kNLock;
    case 30: return <i32>kNLevelFlags;
    case 31: return <i32>kNUpper;
    case 32: return <i32>kNRow;
    case 33: return <i32>kNNamespace;
    case 34: return <i32>kNEntity;
    case 35: return <i32>kNCount0;
    case 36: return <i32>kNLinks0;
    case 37: return <i32>kFlagDeleted;
    case 38: return <i32>kFlagComplete;
    case 39: return <i32>kFlagNormalized;
    case 40: return <i32>kSVisitedCap;
    case 41: return <i32>kSEpoch;
    case 42: return <i32>kSHeapCap;
    case 43: return <i32>kSVisited;
    case 44: return <i32>kSCand;
    case 45: return <i32>kSRes;
    case 46: return <i32>kSSel;
    case 47: return <i32>kSQuery;
    case 48: return <i32>kSOut;
    case 49: return <i32>kSDistCount;
    case 50: return <i32>kSCandCap;
    case 51: return <i32>kSSink;
    case 52: return <i32>kSQueryCodes;
    case 53: return <i32>kSScreened;
    case 54: return <i32>kSLinkBuf;
    case 55: return <i32>kSDecode;
    case 56: return <i32>kSFilterNs;
    case 57: return <i32>kSFilterEntity;
    case 58: return <i32>kSFilterBitmap;
    case 59: return <i32>kSFilterBits;
    case 60: return <i32>kAny;
    case 61: return <i32>kMetricQuantised;
    case 62: return <i32>kAMagic;
    case 63: return <i32>kATop;
    case 64: return <i32>kAHigh;
    case 65: return <i32>kMetricIp;
    case 66: return <i32>kMetricL2;
    case 67: return <i32>kMetricCosine;
    case 68: return <i32>kErrOutOfMemory;
    case 69: return <i32>kErrScratchTooSmall;
    case 70: return <i32>kErrChunkTableFull;
    case 71: return <i32>kFlagHidden;
    case 72: return <i32>kAEpoch;
    case 73: return <i32>kAPinned;
    case 74: return <i32>kAFreeLock;
    case 75: return <i32>kAFreeHead;
    case 76: return <i32>kAFreeBytes;
    case 77: return <i32>kNoPin;
    case 78: return <i32>kHFreeNodes;
    case 79: return <i32>kHRetired;
    case 80: return <i32>kHLostNode;
    default: return i32.MIN_VALUE;
  }
}
