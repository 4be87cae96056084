// Feather kernels: SIMD distance functions and the whole HNSW insert/search loop, over one shared
// WebAssembly.Memory that every thread instantiates this module against.
//
// Why the whole loop lives here: a JS-driven traversal pays a JS->wasm hop per distance (~100 flops at
// dim 100), plus JS heaps and visited sets; keeping traversal, heaps and kernels in one wasm function
// makes a search a single call.
//
// Nothing here uses the AssemblyScript runtime or static data: every byte of state is addressed
// explicitly, so N instances in N threads agree on everything by construction. The byte layouts below are
// mirrored in packages/core/src/layout.ts; test/layout.test.ts checks the two agree via `layoutProbe`.
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
//       92   36 reserved
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
//        4    4 level (bits 0-7) | flags (bit 8 = deleted, bit 9 = complete, bit 10 = stored normalised)
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
//        8   56 reserved

// ---- constants (mirrored in core/src/layout.ts) ----------------------------------------------------
const kIndexMagic: u32 = 0x57484546;
const kArenaMagic: u32 = 0x41524546;
const kIndexHeaderBytes: u32 = 128;
const kScratchHeaderBytes: u32 = 128;
const kArenaCtlBytes: u32 = 64;

const kHDim: u32 = 4;
const kHMetric: u32 = 8;
const kHM: u32 = 12;
const kHM0: u32 = 16;
const kHEfConstruction: u32 = 20;
const kHStride: u32 = 24;
const kHVecOff: u32 = 28;
const kHChunkShift: u32 = 32;
const kHChunkTable: u32 = 36;
const kHChunkCap: u32 = 40;
const kHReserved: u32 = 44;
const kHPublished: u32 = 48;
const kHEntry: u32 = 52;
const kHMaxLevel: u32 = 56;
const kHDeleted: u32 = 60;
const kHDimOrder: u32 = 64;
const kHFlags: u32 = 68;
const kHCodeOff: u32 = 72;
const kHGlobalLock: u32 = 76;
const kHPubEntry: u32 = 80;
const kHPubMaxLevel: u32 = 84;
const kHPublishLock: u32 = 88;
const kFlagScreening: u32 = 1;
const kFlagInt8: u32 = 2;

const kNLock: u32 = 0;
const kNLevelFlags: u32 = 4;
const kNUpper: u32 = 8;
const kNRow: u32 = 12;
const kNNamespace: u32 = 16;
const kNEntity: u32 = 20;
const kNCount0: u32 = 28;
const kNLinks0: u32 = 32;
const kFlagDeleted: u32 = 0x100;
const kFlagComplete: u32 = 0x200;
/** Node flag: the vector was stored already normalised (a loader's raw copy); insert must not rescale it. */
const kFlagNormalized: u32 = 0x400;

const kSVisitedCap: u32 = 0;
const kSEpoch: u32 = 4;
const kSHeapCap: u32 = 8;
const kSVisited: u32 = 12;
const kSCand: u32 = 16;
const kSRes: u32 = 20;
const kSSel: u32 = 24;
const kSQuery: u32 = 28;
const kSOut: u32 = 32;
const kSDistCount: u32 = 36;
const kSCandCap: u32 = 40;
const kSSink: u32 = 44;
const kSQueryCodes: u32 = 48;
const kSScreened: u32 = 52;
const kSLinkBuf: u32 = 56;
const kSDecode: u32 = 60;
const kSFilterNs: u32 = 64;
const kSFilterEntity: u32 = 68;
const kSFilterBitmap: u32 = 72;
const kSFilterBits: u32 = 76;
const kAny: u32 = 0xffffffff;
/** Added to a metric code inside the kernels when the index stores int8 blocks instead of float32. */
const kMetricQuantised: u32 = 4;

const kAMagic: u32 = 0;
const kATop: u32 = 4;
/** The highest end ever handed out: memory above it is fresh from memory.grow, hence already zero. */
const kAHigh: u32 = 8;

const kMetricIp: u32 = 0;
const kMetricL2: u32 = 1;
const kMetricCosine: u32 = 2;

// Error returns (negative) shared with core.
const kErrOutOfMemory: i32 = -1;
const kErrScratchTooSmall: i32 = -2;
const kErrChunkTableFull: i32 = -3;

/** Lets the TS side verify its mirror of these layouts. */
export function layoutProbe(which: i32): i32 {
  switch (which) {
    case 0: return <i32>kIndexHeaderBytes;
    case 1: return <i32>kScratchHeaderBytes;
    case 2: return <i32>kArenaCtlBytes;
    case 3: return <i32>kHPublished;
    case 4: return <i32>kHEntry;
    case 5: return <i32>kNLinks0;
    case 6: return <i32>kSOut;
    case 7: return <i32>kFlagDeleted;
    case 8: return <i32>kHDeleted;
    case 9: return <i32>kSDistCount;
    case 10: return <i32>kSCandCap;
    case 11: return <i32>kHDimOrder;
    case 12: return <i32>kHFlags;
    case 13: return <i32>kSScreened;
    case 14: return <i32>kHPubEntry;
    case 15: return <i32>kFlagComplete;
    case 16: return <i32>kNRow;
    case 17: return <i32>kNEntity;
    case 18: return <i32>kSFilterBits;
    case 19: return <i32>kFlagInt8;
    case 20: return <i32>kSDecode;
    default: return -1;
  }
}

// ---- arena ---------------------------------------------------------------------------------------

@inline function align(x: u32, a: u32): u32 {
  return (x + a - 1) & ~(a - 1);
}

export function arenaBase(): u32 {
  return align(<u32>__heap_base, 64);
}

/** Initialises the arena control block once, in the thread that creates the memory. */
export function arenaInit(): u32 {
  const base = arenaBase();
  if (!ensureMemory(base + kArenaCtlBytes)) return 0;
  store<u32>(base, kArenaMagic, kAMagic);
  const top = align(base + kArenaCtlBytes, 64);
  atomic.store<u32>(base + kATop, top);
  // A reset keeps the high-water mark: everything below it may be dirty.
  if (atomic.load<u32>(base + kAHigh) < top) atomic.store<u32>(base + kAHigh, top);
  return base;
}

function ensureMemory(end: u32): bool {
  // memory.grow is relative; concurrent growers may over-grow a little, never under-grow.
  while (<u64>memory.size() << 16 < <u64>end) {
    const need = <i32>((<u64>end - (<u64>memory.size() << 16) + 0xffff) >> 16);
    if (memory.grow(need) < 0) return false;
  }
  return true;
}

/** Bump allocation of `bytes` (16-byte aligned) from the shared arena; 0 when the memory is exhausted. */
export function alloc(bytes: u32): u32 {
  const ctl = arenaBase();
  const size = align(bytes, 64);
  // Atomic add: allocators in several threads must never hand out overlapping ranges.
  const start = atomic.add<u32>(ctl + kATop, size);
  const end = <u64>start + <u64>size;
  if (end > 0xffff0000) return 0;
  if (!ensureMemory(<u32>end)) return 0;
  // Zero only what was handed out before (after a reset): grown memory is zero already, and writing it
  // here would fault every page of a large load in twice.
  let high = atomic.load<u32>(ctl + kAHigh);
  if (start < high) memory.fill(start, 0, min(<u32>end, high) - start);
  while (<u64>high < end) {
    const seen = atomic.cmpxchg<u32>(ctl + kAHigh, high, <u32>end);
    if (seen == high) break;
    high = seen;
  }
  return start;
}

export function arenaTop(): u32 {
  // Atomic load: pairs with the atomic add in alloc.
  return atomic.load<u32>(arenaBase() + kATop);
}

// ---- kernels ---------------------------------------------------------------------------------------
// Summation order is fixed (4 vector accumulators over 16-float blocks, then 4-float blocks into acc0,
// lanes summed 0+1+2+3, then the scalar tail) so the plain-TS fallback can reproduce results bit for bit.

export function dot(a: usize, b: usize, dim: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  let i = 0;
  const n16 = dim & ~15;
  for (; i < n16; i += 16) {
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
    acc2 = f32x4.add(acc2, f32x4.mul(v128.load(a + o, 32), v128.load(b + o, 32)));
    acc3 = f32x4.add(acc3, f32x4.mul(v128.load(a + o, 48), v128.load(b + o, 48)));
  }
  const n4 = dim & ~3;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  const acc = f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < dim; i++) {
    const o = <usize>i << 2;
    s += load<f32>(a + o) * load<f32>(b + o);
  }
  return s;
}

/** Squared Euclidean distance (l2sqBounded with no bound: the same summation, so the same bits). */
export function l2sq(a: usize, b: usize, dim: i32): f32 {
  return l2sqBounded(a, b, dim, Infinity);
}

/**
 * Norms within this distance of 1 (2^-20, 16 units of 2^-24) count as unit length already. A normalised vector's
 * recomputed norm is off 1 by at most 4 such units (measured up to 4096 dims), and rescaling it would still move
 * its last bits in ~40% of vectors; leaving it as given makes normalising idempotent, so a stored vector added
 * again (an export -> import round trip) is stored bit for bit. The error kept is below the dot product's own.
 */
const kUnitNormSlack: f32 = 9.5367431640625e-7;

/** Scales `a` to unit length in place (unless already unit, see kUnitNormSlack); returns the original norm (0 leaves `a` unchanged). */
export function normalize(a: usize, dim: i32): f32 {
  const n = Mathf.sqrt(dot(a, a, dim));
  if (n > 0 && Mathf.abs(n - 1) > kUnitNormSlack) {
    const inv = <f32>1 / n;
    for (let i = 0; i < dim; i++) {
      const p = a + (<usize>i << 2);
      store<f32>(p, load<f32>(p) * inv);
    }
  }
  return n;
}

/**
 * Squared L2 that gives up early: every 64 floats it checks the partial sum (a lower bound of the result)
 * and returns it as soon as it exceeds `bound`. When it runs to the end it returns exactly l2sq(): the
 * checks read the accumulators without changing them, so the summation order is the same.
 */
export function l2sqBounded(a: usize, b: usize, dim: i32, bound: f32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  let i = 0;
  const n16 = dim & ~15;
  for (; i < n16; i += 16) {
    const o = <usize>i << 2;
    const d0 = f32x4.sub(v128.load(a + o), v128.load(b + o));
    const d1 = f32x4.sub(v128.load(a + o, 16), v128.load(b + o, 16));
    const d2 = f32x4.sub(v128.load(a + o, 32), v128.load(b + o, 32));
    const d3 = f32x4.sub(v128.load(a + o, 48), v128.load(b + o, 48));
    acc0 = f32x4.add(acc0, f32x4.mul(d0, d0));
    acc1 = f32x4.add(acc1, f32x4.mul(d1, d1));
    acc2 = f32x4.add(acc2, f32x4.mul(d2, d2));
    acc3 = f32x4.add(acc3, f32x4.mul(d3, d3));
    if ((i & 63) == 48) {
      const p = f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
      const partial = f32x4.extract_lane(p, 0) + f32x4.extract_lane(p, 1) + f32x4.extract_lane(p, 2) + f32x4.extract_lane(p, 3);
      if (partial > bound) return partial;
    }
  }
  const n4 = dim & ~3;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const d0 = f32x4.sub(v128.load(a + o), v128.load(b + o));
    acc0 = f32x4.add(acc0, f32x4.mul(d0, d0));
  }
  const acc = f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < dim; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(a + o) - load<f32>(b + o);
    s += d * d;
  }
  return s;
}

/**
 * Distance used for ranking: smaller is closer. l2: squared distance; ip: 1 - dot; cosine (vectors stored
 * normalised): |a - b|^2 / 2, which equals 1 - cos but keeps precision for near neighbours and, being a
 * sum of squares, allows the early exit of l2sqBounded.
 */
@inline function dist(metric: u32, a: usize, b: usize, dim: i32): f32 {
  if (metric >= kMetricQuantised) return distQ(metric - kMetricQuantised, a, b, dim);
  if (metric == kMetricIp) return <f32>1 - dot(a, b, dim);
  const d = l2sq(a, b, dim);
  return metric == kMetricCosine ? d * <f32>0.5 : d;
}

/** dist() when the caller only cares whether the result is below `bound`: may return any value > bound early. */
@inline function distBounded(metric: u32, a: usize, b: usize, dim: i32, bound: f32): f32 {
  if (metric >= kMetricQuantised) return distQ(metric - kMetricQuantised, a, b, dim);
  if (metric == kMetricIp) return <f32>1 - dot(a, b, dim);
  if (metric == kMetricCosine) return l2sqBounded(a, b, dim, bound * <f32>2) * <f32>0.5;
  return l2sqBounded(a, b, dim, bound);
}

// ---- int8 screening codes -------------------------------------------------------------------------
// A node may carry an int8 copy of its vector (per-vector scale). Searches score candidates on the codes
// first and compute the float32 distance only when the codes cannot prove the candidate is worse than the
// current bound. The proof is a worst-case bound on |q.x - q^.x^| <= (|q|_1 * sx + sq * |x^|_1) / 2, so
// screening never changes a result: it only skips work (and the cache lines of the float32 vector).

/** Quantises `dim` floats at `v` into a screening block at `out` (16-byte header + align16(dim) codes). */
export function quantize(v: usize, dim: i32, out: usize): void {
  let maxAbs: f32 = 0;
  let norm2: f32 = 0;
  let l1: f32 = 0;
  for (let i = 0; i < dim; i++) {
    const x = load<f32>(v + (<usize>i << 2));
    const a = Mathf.abs(x);
    if (a > maxAbs) maxAbs = a;
    norm2 += x * x;
    l1 += a;
  }
  const scale: f32 = maxAbs > 0 ? maxAbs / 127 : 0;
  const inv: f32 = maxAbs > 0 ? <f32>127 / maxAbs : 0;
  let l1q: f32 = 0;
  const codes = out + 16;
  for (let i = 0; i < dim; i++) {
    let c = <i32>nearest<f32>(load<f32>(v + (<usize>i << 2)) * inv);
    if (c > 127) c = 127;
    if (c < -127) c = -127;
    store<i8>(codes + <usize>i, <i8>c);
    l1q += <f32>abs(c);
  }
  const padded = (dim + 15) & ~15;
  for (let i = dim; i < padded; i++) store<i8>(codes + <usize>i, 0);
  store<f32>(out, scale);
  store<f32>(out, norm2, 4);
  store<f32>(out, l1, 8);
  store<f32>(out, l1q * scale, 12);
}

/** Integer dot product of two zero-padded int8 code arrays of `dim` entries. */
export function dotI8(a: usize, b: usize, dim: i32): i32 {
  let acc = i32x4.splat(0);
  const padded = (dim + 15) & ~15;
  for (let i = 0; i < padded; i += 16) {
    const va = v128.load(a + <usize>i);
    const vb = v128.load(b + <usize>i);
    const lo = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(va), i16x8.extend_low_i8x16_s(vb));
    const hi = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(va), i16x8.extend_high_i8x16_s(vb));
    acc = i32x4.add(acc, i32x4.add(lo, hi));
  }
  return i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
}

/**
 * A lower bound of dist(q, x) from the screening blocks of q and x (see quantize). The bound includes a
 * relative slack of 1e-4 for the float32 rounding of the exact kernels, so whenever it exceeds a threshold
 * the float32 distance does too.
 */
export function screenLowerBound(metric: u32, qb: usize, xb: usize, dim: i32): f32 {
  const sq = load<f32>(qb);
  const sx = load<f32>(xb);
  const dotHat = sq * sx * <f32>dotI8(qb + 16, xb + 16, dim);
  const err = <f32>0.5 * (load<f32>(qb, 8) * sx + sq * load<f32>(xb, 12));
  const dotMax = dotHat + err;
  let d: f32;
  if (metric == kMetricL2) d = load<f32>(qb, 4) + load<f32>(xb, 4) - <f32>2 * dotMax;
  else d = <f32>1 - dotMax;
  return d - <f32>1e-4 * (Mathf.abs(d) + <f32>1);
}

export function distance(metric: u32, a: usize, b: usize, dim: i32): f32 {
  return dist(metric, a, b, dim);
}

/** Distances from `q` to `n` contiguous vectors starting at `base` (row stride `dim`) into `out`. */
export function distanceMany(metric: u32, q: usize, base: usize, n: i32, dim: i32, out: usize): void {
  const rowBytes = <usize>dim << 2;
  for (let i = 0; i < n; i++) {
    store<f32>(out + (<usize>i << 2), dist(metric, q, base + <usize>i * rowBytes, dim));
  }
}

// ---- int8 storage ----------------------------------------------------------------------------------
// With int8 storage a node keeps only the quantised block (per-vector scale, see quantize): ~dim + 16 bytes
// instead of 4 * dim. Queries stay float32 and are compared against the dequantised codes, so the only
// error is the vector's own rounding (at most scale / 2 per dimension).

/** dist() between a float32 vector `q` and an int8 block `x`. */
export function distQ(metric: u32, q: usize, x: usize, dim: i32): f32 {
  const scale = load<f32>(x);
  const c = x + 16;
  if (metric == kMetricIp) return <f32>1 - scale * dotQ(q, c, dim);
  const d = l2Q(q, c, scale, dim);
  return metric == kMetricCosine ? d * <f32>0.5 : d;
}

@inline function codesToF32(v: v128, part: i32): v128 {
  const half = part < 2 ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_high_i8x16_s(v);
  return f32x4.convert_i32x4_s((part & 1) == 0 ? i32x4.extend_low_i16x8_s(half) : i32x4.extend_high_i16x8_s(half));
}

/** Σ q_i * c_i over float32 q and int8 c. */
function dotQ(q: usize, c: usize, dim: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  let i = 0;
  const n16 = dim & ~15;
  for (; i < n16; i += 16) {
    const v = v128.load(c + <usize>i);
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(q + o), codesToF32(v, 0)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(q + o, 16), codesToF32(v, 1)));
    acc2 = f32x4.add(acc2, f32x4.mul(v128.load(q + o, 32), codesToF32(v, 2)));
    acc3 = f32x4.add(acc3, f32x4.mul(v128.load(q + o, 48), codesToF32(v, 3)));
  }
  const acc = f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < dim; i++) s += load<f32>(q + (<usize>i << 2)) * <f32>load<i8>(c + <usize>i);
  return s;
}

/** Σ (q_i - scale * c_i)^2 over float32 q and int8 c. */
function l2Q(q: usize, c: usize, scale: f32, dim: i32): f32 {
  const sv = f32x4.splat(scale);
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let acc2 = f32x4.splat(0);
  let acc3 = f32x4.splat(0);
  let i = 0;
  const n16 = dim & ~15;
  for (; i < n16; i += 16) {
    const v = v128.load(c + <usize>i);
    const o = <usize>i << 2;
    const d0 = f32x4.sub(v128.load(q + o), f32x4.mul(codesToF32(v, 0), sv));
    const d1 = f32x4.sub(v128.load(q + o, 16), f32x4.mul(codesToF32(v, 1), sv));
    const d2 = f32x4.sub(v128.load(q + o, 32), f32x4.mul(codesToF32(v, 2), sv));
    const d3 = f32x4.sub(v128.load(q + o, 48), f32x4.mul(codesToF32(v, 3), sv));
    acc0 = f32x4.add(acc0, f32x4.mul(d0, d0));
    acc1 = f32x4.add(acc1, f32x4.mul(d1, d1));
    acc2 = f32x4.add(acc2, f32x4.mul(d2, d2));
    acc3 = f32x4.add(acc3, f32x4.mul(d3, d3));
  }
  const acc = f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < dim; i++) {
    const d = load<f32>(q + (<usize>i << 2)) - scale * <f32>load<i8>(c + <usize>i);
    s += d * d;
  }
  return s;
}

/** Dequantises the int8 block `x` into `dim` floats at `out`. */
export function dequantize(x: usize, dim: i32, out: usize): void {
  const scale = load<f32>(x);
  for (let i = 0; i < dim; i++) store<f32>(out + (<usize>i << 2), scale * <f32>load<i8>(x + 16 + <usize>i));
}

/** The metric code the distance helpers take for index `h` (kMetricQuantised added for int8 storage). */
@inline function metricOf(h: u32): u32 {
  return load<u32>(h, kHMetric) + ((load<u32>(h, kHFlags) & kFlagInt8) != 0 ? kMetricQuantised : 0);
}

/**
 * For node-node distances: the first operand must be float32. With int8 storage, dequantises `vec` into
 * the scratch decode buffer and returns that; otherwise returns `vec`.
 */
@inline function asQuery(h: u32, s: u32, vec: u32): u32 {
  if ((load<u32>(h, kHFlags) & kFlagInt8) == 0) return vec;
  const buf = load<u32>(s, kSDecode);
  dequantize(vec, <i32>load<u32>(h, kHDim), buf);
  return buf;
}

/**
 * Writes a float32 vector (in storage order, at `src`, modified in place) into node `id` of an int8-storage
 * index: normalised first under cosine, then quantised. Float32 indexes take the vector as written and
 * normalise in insert().
 */
export function encodeVector(h: u32, id: u32, src: usize): void {
  const dim = <i32>load<u32>(h, kHDim);
  if (load<u32>(h, kHMetric) == kMetricCosine) normalize(src, dim);
  quantize(src, dim, nodeAddr(h, id) + load<u32>(h, kHVecOff));
}

// ---- index -----------------------------------------------------------------------------------------

/**
 * Creates an empty index in the arena; returns its address, or a negative error.
 * `chunkShift`: nodes per chunk = 1 << chunkShift; `chunkCap`: chunk-table entries (capacity =
 * chunkCap << chunkShift nodes). Chunks are allocated on demand and never move, so a reader holding a node
 * address keeps reading valid memory while the index grows.
 */
export function indexCreate(dim: i32, metric: u32, m: i32, efConstruction: i32, chunkShift: i32, chunkCap: i32, flags: u32): i32 {
  const h = alloc(kIndexHeaderBytes);
  if (h == 0) return kErrOutOfMemory;
  const table = alloc(<u32>chunkCap << 2);
  if (table == 0) return kErrOutOfMemory;
  const m0 = m * 2;
  const vecOff = align(kNLinks0 + (<u32>m0 << 2), 16);
  const screening = (flags & kFlagScreening) != 0 && (flags & kFlagInt8) == 0;
  const vecBytes: u32 = (flags & kFlagInt8) != 0 ? 16 + align(<u32>dim, 16) : <u32>dim << 2;
  const codeOff: u32 = screening ? align(vecOff + vecBytes, 16) : 0;
  const stride = screening ? codeOff + 16 + align(<u32>dim, 16) : align(vecOff + vecBytes, 16);
  store<u32>(h, <u32>dim, kHDim);
  store<u32>(h, metric, kHMetric);
  store<u32>(h, <u32>m, kHM);
  store<u32>(h, <u32>m0, kHM0);
  store<u32>(h, <u32>efConstruction, kHEfConstruction);
  store<u32>(h, stride, kHStride);
  store<u32>(h, vecOff, kHVecOff);
  store<u32>(h, <u32>chunkShift, kHChunkShift);
  store<u32>(h, table, kHChunkTable);
  store<u32>(h, <u32>chunkCap, kHChunkCap);
  store<u32>(h, 0, kHReserved);
  store<u32>(h, 0, kHPublished);
  store<i32>(h, -1, kHEntry);
  store<i32>(h, -1, kHMaxLevel);
  store<u32>(h, 0, kHDeleted);
  store<u32>(h, flags, kHFlags);
  store<u32>(h, codeOff, kHCodeOff);
  store<i32>(h, -1, kHPubEntry);
  store<i32>(h, -1, kHPubMaxLevel);
  // Magic last: a reader that sees the magic sees a complete header.
  atomic.store<u32>(h, kIndexMagic);
  return <i32>h;
}

@inline function nodeAddr(h: u32, id: u32): u32 {
  const shift = load<u32>(h, kHChunkShift);
  const chunk = load<u32>(load<u32>(h, kHChunkTable) + ((id >> shift) << 2));
  return chunk + (id & ((1 << shift) - 1)) * load<u32>(h, kHStride);
}

export function nodeAddress(h: u32, id: u32): u32 {
  return nodeAddr(h, id);
}

export function vectorAddress(h: u32, id: u32): u32 {
  return nodeAddr(h, id) + load<u32>(h, kHVecOff);
}

/**
 * Reserves the next node id (allocating its chunk and upper-link block) with the given level; the caller
 * then writes the vector at vectorAddress() and calls insert(). Returns the id or a negative error.
 */
export function reserve(h: u32, level: i32, row: u32, ns: u32, entity: u32): i32 {
  const id = load<u32>(h, kHReserved);
  const shift = load<u32>(h, kHChunkShift);
  const c = id >> shift;
  if (c >= load<u32>(h, kHChunkCap)) return kErrChunkTableFull;
  const slot = load<u32>(h, kHChunkTable) + (c << 2);
  if (load<u32>(slot) == 0) {
    const chunk = alloc(load<u32>(h, kHStride) << shift);
    if (chunk == 0) return kErrOutOfMemory;
    // Atomic store: a reader resolving a node of this chunk must see the chunk's address once the node is
    // published (the publish store is atomic and later in program order).
    atomic.store<u32>(slot, chunk);
  }
  const node = nodeAddr(h, id);
  let upper: u32 = 0;
  if (level > 0) {
    upper = alloc(<u32>level * ((1 + load<u32>(h, kHM)) << 2));
    if (upper == 0) return kErrOutOfMemory;
  }
  store<u32>(node, 0, kNLock);
  store<u32>(node, <u32>level & 0xff, kNLevelFlags);
  store<u32>(node, upper, kNUpper);
  store<u32>(node, row, kNRow);
  store<u32>(node, ns, kNNamespace);
  store<u32>(node, entity, kNEntity);
  store<u32>(node, 0, kNCount0);
  // Atomic store after the node fields: an inserter that loads the reserved count sees initialised blocks.
  atomic.store<u32>(h + kHReserved, id + 1);
  return <i32>id;
}

/**
 * Reserves ids [reserved, count) without initialising their blocks: the loader then copies whole node blocks
 * from a file into the chunks. Returns 0 or a negative error.
 */
export function reserveBulk(h: u32, count: u32): i32 {
  const shift = load<u32>(h, kHChunkShift);
  const chunks = (count + (1 << shift) - 1) >> shift;
  if (chunks > load<u32>(h, kHChunkCap)) return kErrChunkTableFull;
  for (let c: u32 = 0; c < chunks; c++) {
    const slot = load<u32>(h, kHChunkTable) + (c << 2);
    if (load<u32>(slot) != 0) continue;
    const chunk = alloc(load<u32>(h, kHStride) << shift);
    if (chunk == 0) return kErrOutOfMemory;
    atomic.store<u32>(slot, chunk);
  }
  atomic.store<u32>(h + kHReserved, count);
  return 0;
}

// ---- restore: validation of node blocks copied from a file ---------------------------------------------

let restoreReason: i32 = 0;
let restoreDeleted: u32 = 0;
let restoreUpperBytes: u32 = 0;

/** Why the last restore check failed: 1 flags or level, 2 tags, 3 links, 4 upper blocks short, 6 row map. */
export function lastRestoreReason(): i32 {
  return restoreReason;
}

/** Tombstones among the nodes of the last restoreNodes range. */
export function lastRestoreDeleted(): u32 {
  return restoreDeleted;
}

/** Bytes of upper blocks the levels of the last restoreNodes range need. */
export function lastRestoreUpper(): u32 {
  return restoreUpperBytes;
}

@inline function linksValid(at: u32, cap: u32, n: u32, id: u32): bool {
  const count = load<u32>(at);
  if (count > cap) return false;
  for (let j: u32 = 1; j <= count; j++) {
    const link = load<u32>(at + (j << 2));
    if (link >= n || link == id) return false;
  }
  return true;
}

/**
 * Phase one of a restore: checks node blocks [first, end) of n copied verbatim from a file (flags, level, tags
 * below the record limits, every level-0 link in range and not a self loop) and clears their seqlocks; counts
 * their tombstones (lastRestoreDeleted) and the upper-block bytes their levels need (lastRestoreUpper).
 * Ranges are independent, so threads check different ranges at once, each right after copying it (while it
 * is in cache). Returns -1 when valid, else the first bad node; the reason is lastRestoreReason().
 */
export function restoreNodes(h: u32, first: u32, end: u32, n: u32, maxLevel: u32, rows: u32, namespaces: u32, entities: u32): i32 {
  const m0 = load<u32>(h, kHM0);
  const block = (1 + load<u32>(h, kHM)) << 2;
  const known = 0xff | kFlagDeleted | kFlagComplete | kFlagNormalized;
  let deleted: u32 = 0;
  let upper: u64 = 0;
  for (let id = first; id < end; id++) {
    const node = nodeAddr(h, id);
    const flags = load<u32>(node, kNLevelFlags);
    const level = flags & 0xff;
    restoreReason = 1;
    if ((flags & ~known) != 0 || (flags & kFlagComplete) == 0 || level > maxLevel) return <i32>id;
    if ((flags & kFlagDeleted) != 0) deleted++;
    restoreReason = 2;
    if (load<u32>(node, kNRow) >= rows || load<u32>(node, kNNamespace) >= namespaces || load<u32>(node, kNEntity) > entities) return <i32>id;
    restoreReason = 3;
    if (!linksValid(node + kNCount0, m0, n, id)) return <i32>id;
    store<u32>(node, 0, kNLock);
    store<u32>(node, 0, kNUpper);
    upper += <u64>(level * block);
  }
  restoreReason = 4;
  if (upper > 0xffff_ffff) return <i32>first;
  restoreDeleted = deleted;
  restoreUpperBytes = <u32>upper;
  restoreReason = 0;
  return -1;
}

/**
 * Phase two of a restore, once every range passed phase one: points each node of [first, end) with upper
 * levels at its slice of the upper blocks copied to `upper` (`upperBytes` long, in node order), starting
 * `at` bytes in, and checks those links. Returns -1 when valid, else the first bad node (reason as above).
 */
export function restoreUpper(h: u32, first: u32, end: u32, n: u32, upper: u32, at: u32, upperBytes: u32): i32 {
  const m = load<u32>(h, kHM);
  const block = (1 + m) << 2;
  for (let id = first; id < end; id++) {
    const node = nodeAddr(h, id);
    const level = load<u32>(node, kNLevelFlags) & 0xff;
    if (level == 0) continue;
    restoreReason = 4;
    if (<u64>at + <u64>(level * block) > <u64>upperBytes) return <i32>id;
    store<u32>(node, upper + at, kNUpper);
    restoreReason = 3;
    for (let l: u32 = 0; l < level; l++) if (!linksValid(upper + at + l * block, m, n, id)) return <i32>id;
    at += level * block;
  }
  restoreReason = 0;
  return -1;
}

/**
 * Checks rows [first, end) of a row map loaded from a file: u32 slots of node + 1 (0 = none) in chunks of
 * 2^shift slots whose addresses are in `table`. Every mapped node must be below n, untombstoned and tagged
 * with its row. Returns how many of those rows map to a node, or -(row + 1) for the first bad row.
 */
export function checkRowMap(h: u32, table: u32, shift: u32, first: u32, end: u32, n: u32): i32 {
  let mapped: i32 = 0;
  restoreReason = 6;
  for (let row = first; row < end; row++) {
    const v = load<u32>(load<u32>(table + ((row >> shift) << 2)) + ((row & ((1 << shift) - 1)) << 2));
    if (v == 0) continue;
    const id = v - 1;
    if (id >= n) return -(<i32>row) - 1;
    const node = nodeAddr(h, id);
    if (load<u32>(node, kNRow) != row || (load<u32>(node, kNLevelFlags) & kFlagDeleted) != 0) return -(<i32>row) - 1;
    mapped++;
  }
  restoreReason = 0;
  return mapped;
}

/** Re-tags node `id` after its record moved namespace or entity. */
export function setTags(h: u32, id: u32, ns: u32, entity: u32): void {
  const node = nodeAddr(h, id);
  // Atomic stores: a concurrent filtered search sees the old or the new tag of each field, never a torn one.
  atomic.store<u32>(node + kNNamespace, ns);
  atomic.store<u32>(node + kNEntity, entity);
}

export function nodeRow(h: u32, id: u32): u32 {
  return load<u32>(nodeAddr(h, id), kNRow);
}

@inline function linksAddr(h: u32, node: u32, level: i32): u32 {
  if (level == 0) return node + kNCount0;
  return load<u32>(node, kNUpper) + <u32>(level - 1) * ((1 + load<u32>(h, kHM)) << 2);
}

@inline function nodeLevel(node: u32): i32 {
  return <i32>(load<u32>(node, kNLevelFlags) & 0xff);
}

@inline function isDeleted(node: u32): bool {
  return (load<u32>(node, kNLevelFlags) & kFlagDeleted) != 0;
}

// ---- heaps: max-heaps of (f32 key, u32 id) pairs; the candidate heap stores -distance ---------------

@inline function hKey(heap: u32, i: u32): f32 {
  return load<f32>(heap + (i << 3));
}

@inline function hId(heap: u32, i: u32): u32 {
  return load<u32>(heap + (i << 3), 4);
}

function heapPush(heap: u32, size: u32, key: f32, id: u32): void {
  let i = size;
  while (i > 0) {
    const p = (i - 1) >> 1;
    const pk = hKey(heap, p);
    if (pk >= key) break;
    store<u64>(heap + (i << 3), load<u64>(heap + (p << 3)));
    i = p;
  }
  store<f32>(heap + (i << 3), key);
  store<u32>(heap + (i << 3), id, 4);
}

/** Removes the top of a heap of `size` entries (size >= 1). */
function heapPop(heap: u32, size: u32): void {
  const n = size - 1;
  if (n == 0) return;
  const lastKey = hKey(heap, n);
  const last = load<u64>(heap + (n << 3));
  let i: u32 = 0;
  while (true) {
    let c: u32 = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && hKey(heap, c + 1) > hKey(heap, c)) c++;
    if (hKey(heap, c) <= lastKey) break;
    store<u64>(heap + (i << 3), load<u64>(heap + (c << 3)));
    i = c;
  }
  store<u64>(heap + (i << 3), last);
}

// ---- scratch -----------------------------------------------------------------------------------------

/** Allocates a per-thread scratch area; returns its address or 0. */
export function scratchCreate(visitedCap: u32, heapCap: u32, dim: u32): u32 {
  const visitedBytes = align(visitedCap << 1, 64);
  const heapBytes = align(heapCap << 3, 64);
  const queryBytes = align(dim << 2, 64);
  const codeBytes = align(16 + align(dim, 16), 64);
  const candBytes = heapBytes * 4;
  const linkBytes = align(heapCap << 2, 64);
  const total = kScratchHeaderBytes + visitedBytes + candBytes + heapBytes * 3 + queryBytes * 2 + codeBytes + linkBytes;
  const s = alloc(total);
  if (s == 0) return 0;
  let p = s + kScratchHeaderBytes;
  store<u32>(s, visitedCap, kSVisitedCap);
  store<u32>(s, 0, kSEpoch);
  store<u32>(s, heapCap, kSHeapCap);
  store<u32>(s, p, kSVisited); p += visitedBytes;
  store<u32>(s, heapCap * 4, kSCandCap);
  store<u32>(s, p, kSCand); p += candBytes;
  store<u32>(s, p, kSRes); p += heapBytes;
  store<u32>(s, p, kSSel); p += heapBytes;
  store<u32>(s, p, kSOut); p += heapBytes;
  store<u32>(s, p, kSQuery); p += queryBytes;
  store<u32>(s, p, kSQueryCodes); p += codeBytes;
  store<u32>(s, p, kSLinkBuf); p += linkBytes;
  store<u32>(s, p, kSDecode);
  store<u32>(s, kAny, kSFilterNs);
  store<u32>(s, kAny, kSFilterEntity);
  return s;
}

/**
 * Sets the filter the next searches of this scratch apply to results (not to traversal): namespace and
 * entity tags (0xffffffff = any) and an optional row bitmap (address 0 = none).
 */
export function setFilter(s: u32, ns: u32, entity: u32, bitmap: u32, bits: u32): void {
  store<u32>(s, ns, kSFilterNs);
  store<u32>(s, entity, kSFilterEntity);
  store<u32>(s, bitmap, kSFilterBitmap);
  store<u32>(s, bits, kSFilterBits);
}

@inline function hasFilter(s: u32): bool {
  return load<u32>(s, kSFilterNs) != kAny || load<u32>(s, kSFilterEntity) != kAny || load<u32>(s, kSFilterBitmap) != 0;
}

/** True when `node` passes the scratch filter. Tags are read atomically: the writer may re-tag concurrently. */
function passes(s: u32, node: u32): bool {
  const ns = load<u32>(s, kSFilterNs);
  if (ns != kAny && atomic.load<u32>(node + kNNamespace) != ns) return false;
  const entity = load<u32>(s, kSFilterEntity);
  if (entity != kAny && atomic.load<u32>(node + kNEntity) != entity) return false;
  const bitmap = load<u32>(s, kSFilterBitmap);
  if (bitmap != 0) {
    const row = load<u32>(node, kNRow);
    if (row >= load<u32>(s, kSFilterBits)) return false;
    if ((load<u8>(bitmap + (row >> 3)) & (<u8>1 << <u8>(row & 7))) == 0) return false;
  }
  return true;
}

/** Starts a new visited generation; u16 tags are cleared only when the epoch wraps. */
function nextEpoch(s: u32): u32 {
  let e = load<u32>(s, kSEpoch) + 1;
  if (e > 0xffff) {
    memory.fill(load<u32>(s, kSVisited), 0, load<u32>(s, kSVisitedCap) << 1);
    e = 1;
  }
  store<u32>(s, e, kSEpoch);
  return e;
}

// ---- search --------------------------------------------------------------------------------------

// ---- locks -----------------------------------------------------------------------------------------

/** Takes node's seqlock for writing; returns the even version it held. */
function lockNode(node: u32): u32 {
  while (true) {
    // Atomic load + compare-exchange: only one writer moves the version from even to odd.
    const v = atomic.load<u32>(node + kNLock);
    if ((v & 1) == 0 && atomic.cmpxchg<u32>(node + kNLock, v, v + 1) == v) return v;
  }
}

/** Releases node's seqlock: odd -> next even, telling readers that copied during the write to retry. */
@inline function unlockNode(node: u32, v: u32): void {
  // Atomic store after the list writes: a reader that sees the new even version sees the whole list.
  atomic.store<u32>(node + kNLock, v + 2);
}

function lockWord(addr: u32): void {
  // Compare-exchange 0 -> 1: a plain spinlock (held briefly, and only by worker threads).
  while (atomic.cmpxchg<u32>(addr, 0, 1) != 0) {}
}

@inline function unlockWord(addr: u32): void {
  atomic.store<u32>(addr, 0);
}

/**
 * Copies node's link list at `level` into `dst` as a consistent snapshot (seqlock read) and returns its
 * length. Retries while a writer holds the lock or changed the list during the copy.
 */
function readLinks(h: u32, node: u32, level: i32, dst: u32): u32 {
  const links = linksAddr(h, node, level);
  while (true) {
    // Atomic loads of the version around the copy: equal and even means no write overlapped it.
    const v1 = atomic.load<u32>(node + kNLock);
    if ((v1 & 1) != 0) continue;
    let n = atomic.load<u32>(links);
    const cap = level == 0 ? load<u32>(h, kHM0) : load<u32>(h, kHM);
    if (n > cap) n = cap;
    memory.copy(dst, links + 4, n << 2);
    if (atomic.load<u32>(node + kNLock) == v1) return n;
  }
}

/** Visible to a traversal: inside the limit, and complete when other inserters may still be linking. */
@inline function visible(nbNode: u32, nb: u32, limit: u32, needComplete: bool): bool {
  if (nb >= limit) return false;
  return !needComplete || (atomic.load<u32>(nbNode + kNLevelFlags) & kFlagComplete) != 0;
}

/**
 * Best-first search of one layer from `ep`, keeping up to `ef` results in the scratch result heap
 * (max-heap by distance). Tombstoned nodes are traversed but never enter the results when
 * `skipDeleted`. Nodes at or beyond `published` are invisible. Returns the result count.
 */
function searchLayer(h: u32, s: u32, q: usize, qCodes: usize, ep: u32, level: i32, ef: u32, published: u32, skipDeleted: bool, needComplete: bool, resultLimit: u32, filtered: bool): u32 {
  const metric = metricOf(h);
  const dim = <i32>load<u32>(h, kHDim);
  const vecOff = load<u32>(h, kHVecOff);
  const shift = load<u32>(h, kHChunkShift);
  const table = load<u32>(h, kHChunkTable);
  const stride = load<u32>(h, kHStride);
  const mask: u32 = (1 << shift) - 1;
  const visited = load<u32>(s, kSVisited);
  const cand = load<u32>(s, kSCand);
  const res = load<u32>(s, kSRes);
  const candCap = load<u32>(s, kSCandCap);
  const batch = load<u32>(s, kSOut);
  // Touch from the block start (the link list, needed if this neighbour is expanded later) through the
  // first 512 bytes of the vector: the early exit usually decides within them, and the hardware streamer
  // follows on for vectors that run to the end. Measured on GloVe-100 (100k): ~5-10% over vector-only.
  const touchBytes = vecOff + min(<u32>dim << 2, 512);
  const codeOff = load<u32>(h, kHCodeOff);
  const codeEnd = codeOff + 16 + align(<u32>dim, 16);
  let screened = load<u32>(s, kSScreened);
  const epoch = <u16>nextEpoch(s);
  let dcount = load<u32>(s, kSDistCount);

  let nCand: u32 = 0;
  let nRes: u32 = 0;
  let epNode = load<u32>(table + ((ep >> shift) << 2)) + (ep & mask) * stride;
  const epDist = dist(metric, q, epNode + vecOff, dim);
  dcount++;
  store<u16>(visited + (ep << 1), epoch);
  let lowerBound: f32 = Infinity;
  if ((!skipDeleted || !isDeleted(epNode)) && ep < resultLimit && (!filtered || passes(s, epNode))) {
    heapPush(res, nRes++, epDist, ep);
    lowerBound = epDist;
  }
  heapPush(cand, nCand++, -epDist, ep);

  while (nCand > 0) {
    const cd = -hKey(cand, 0);
    if (cd > lowerBound && nRes >= ef) break;
    const c = hId(cand, 0);
    heapPop(cand, nCand--);
    const cNode = load<u32>(table + ((c >> shift) << 2)) + (c & mask) * stride;
    const links = load<u32>(s, kSLinkBuf);
    const n = readLinks(h, cNode, level, links);
    // Pass 1: collect the unvisited neighbours and touch the cache lines of their blocks. The touches
    // are independent loads, so their cache misses overlap (wasm has no prefetch instruction; this is
    // how we get hnswlib's _mm_prefetch effect). Pass 2 then computes distances on warm lines.
    let m: u32 = 0;
    let sink: u32 = 0;
    for (let j: u32 = 0; j < n; j++) {
      const nb = load<u32>(links + (j << 2));
      if (nb >= published) continue;
      const vp = visited + (nb << 1);
      if (load<u16>(vp) == epoch) continue;
      const nbNode = load<u32>(table + ((nb >> shift) << 2)) + (nb & mask) * stride;
      if (needComplete && !visible(nbNode, nb, published, true)) continue;
      store<u16>(vp, epoch);
      store<u32>(batch + (m << 3), nb);
      store<u32>(batch + (m << 3), nbNode, 4);
      m++;
      if (qCodes != 0) {
        for (let line = codeOff; line < codeEnd; line += 64) sink += load<u8>(nbNode + line);
      } else {
        for (let line: u32 = 0; line < touchBytes; line += 64) sink += load<u8>(nbNode + line);
      }
    }
    if (qCodes != 0) {
      // Screening pass: drop the neighbours the int8 codes prove are worse than the bound, and touch the
      // float32 lines of the rest only.
      let kept: u32 = 0;
      for (let j: u32 = 0; j < m; j++) {
        const nbNode = load<u32>(batch + (j << 3), 4);
        if (nRes >= ef && screenLowerBound(metric, qCodes, nbNode + codeOff, dim) > lowerBound) {
          screened++;
          continue;
        }
        store<u64>(batch + (kept << 3), load<u64>(batch + (j << 3)));
        kept++;
        for (let line: u32 = 0; line < touchBytes; line += 64) sink += load<u8>(nbNode + line);
      }
      m = kept;
    }
    for (let j: u32 = 0; j < m; j++) {
      const nb = load<u32>(batch + (j << 3));
      const nbNode = load<u32>(batch + (j << 3), 4);
      const d = nRes < ef ? dist(metric, q, nbNode + vecOff, dim) : distBounded(metric, q, nbNode + vecOff, dim, lowerBound);
      dcount++;
      if (nRes < ef || d < lowerBound) {
        if (nCand == candCap) nCand = compactCandidates(cand, nCand, lowerBound);
        if (nCand < candCap) heapPush(cand, nCand++, -d, nb);
        if ((!skipDeleted || !isDeleted(nbNode)) && nb < resultLimit && (!filtered || passes(s, nbNode))) {
          heapPush(res, nRes++, d, nb);
          if (nRes > ef) heapPop(res, nRes--);
          lowerBound = hKey(res, 0);
        }
      }
    }
    // Keep the touches observable so the optimiser cannot drop them.
    store<u32>(s, sink, kSSink);
  }
  store<u32>(s, dcount, kSDistCount);
  store<u32>(s, screened, kSScreened);
  return nRes;
}

/**
 * Drops candidates that can never be expanded (distance >= the current result bound) and re-heapifies.
 * Called only when the candidate heap is full, which takes many tombstones or a tiny heap.
 */
function compactCandidates(cand: u32, n: u32, lowerBound: f32): u32 {
  let w: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (-hKey(cand, i) < lowerBound) {
      store<u64>(cand + (w << 3), load<u64>(cand + (i << 3)));
      w++;
    }
  }
  let size: u32 = 0;
  for (let i: u32 = 0; i < w; i++) heapPush(cand, size++, hKey(cand, i), hId(cand, i));
  return size;
}

/** Greedy descent from the entry point through levels > `toLevel`; returns the closest node found. */
function greedy(h: u32, q: usize, ep: u32, fromLevel: i32, toLevel: i32, published: u32, s: u32, needComplete: bool): u32 {
  const metric = metricOf(h);
  const dim = <i32>load<u32>(h, kHDim);
  const vecOff = load<u32>(h, kHVecOff);
  let cur = ep;
  let curDist = dist(metric, q, nodeAddr(h, cur) + vecOff, dim);
  let dcount = load<u32>(s, kSDistCount) + 1;
  for (let level = fromLevel; level > toLevel; level--) {
    let changed = true;
    while (changed) {
      changed = false;
      const links = load<u32>(s, kSLinkBuf);
      const n = readLinks(h, nodeAddr(h, cur), level, links);
      for (let j: u32 = 0; j < n; j++) {
        const nb = load<u32>(links + (j << 2));
        const nbNode = nodeAddr(h, nb);
        if (!visible(nbNode, nb, published, needComplete)) continue;
        const d = dist(metric, q, nbNode + vecOff, dim);
        dcount++;
        if (d < curDist) {
          curDist = d;
          cur = nb;
          changed = true;
        }
      }
    }
  }
  store<u32>(s, dcount, kSDistCount);
  return cur;
}

/** Pops the result heap into `out` as (u32 id, f32 distance) pairs in ascending distance order. */
function drainSorted(res: u32, nRes: u32, out: u32, k: u32): u32 {
  let n = nRes;
  while (n > k) heapPop(res, n--);
  const count = n;
  while (n > 0) {
    const i = n - 1;
    store<u32>(out + (i << 3), hId(res, 0));
    store<f32>(out + (i << 3), hKey(res, 0), 4);
    heapPop(res, n--);
  }
  return count;
}

/**
 * k-NN search over the published prefix. The query must be in the scratch query buffer (normalised for
 * cosine by the caller via prepareQuery). Writes up to k (id, distance) pairs to the scratch output buffer,
 * ascending. Returns the count or a negative error.
 */
export function search(h: u32, s: u32, k: u32, ef: u32): i32 {
  store<u32>(s, 0, kSDistCount);
  store<u32>(s, 0, kSScreened);
  // Atomic loads, readers' entry before published: the publisher sets the readers' entry to a node only
  // after that node is complete and before storing a `published` that covers it, so the entry seen here
  // is always inside the published prefix seen next.
  const entry = atomic.load<i32>(h + kHPubEntry);
  const maxLevel = atomic.load<i32>(h + kHPubMaxLevel);
  const published = atomic.load<u32>(h + kHPublished);
  if (entry < 0 || published == 0) return 0;
  const limit = atomic.load<u32>(h + kHReserved);
  if (limit > load<u32>(s, kSVisitedCap)) return kErrScratchTooSmall;
  if (ef < k) ef = k;
  if (ef + 1 > load<u32>(s, kSHeapCap)) return kErrScratchTooSmall;
  const q = load<u32>(s, kSQuery);
  const ep = <u32>entry;
  // The entry's own level bounds the descent: maxLevel may already describe a newer entry.
  const top = min(maxLevel, nodeLevel(nodeAddr(h, ep)));
  const start = greedy(h, q, ep, top, 0, limit, s, true);
  const qCodes: usize = (load<u32>(h, kHFlags) & kFlagScreening) != 0 ? load<u32>(s, kSQueryCodes) : 0;
  // Traverse every complete node (a parallel build completes nodes out of order, and old nodes' lists may
  // already point mostly at newer ones), but return only published ones.
  const nRes = searchLayer(h, s, q, qCodes, start, 0, ef, limit, true, true, published, hasFilter(s));
  return <i32>drainSorted(load<u32>(s, kSRes), nRes, load<u32>(s, kSOut), k);
}

/** Normalises the scratch query when the index metric is cosine. */
export function prepareQuery(h: u32, s: u32): void {
  const dim = <i32>load<u32>(h, kHDim);
  if (load<u32>(h, kHMetric) == kMetricCosine) normalize(load<u32>(s, kSQuery), dim);
  if ((load<u32>(h, kHFlags) & kFlagScreening) != 0) quantize(load<u32>(s, kSQuery), dim, load<u32>(s, kSQueryCodes));
}

/** Exact k-NN over the published prefix (skipping tombstones): the oracle and the small-set path. */
export function flatSearch(h: u32, s: u32, k: u32): i32 {
  return scan(h, s, k, 0, atomic.load<u32>(h + kHPublished));
}

/**
 * Exact k-NN over an explicit list of `n` node ids at `list` (the planner's path for small filtered sets):
 * unpublished, tombstoned and filtered-out nodes are skipped. Output as for search().
 */
export function scanNodes(h: u32, s: u32, k: u32, list: u32, n: u32): i32 {
  return scan(h, s, k, list, n);
}

/** Scores nodes 0..n-1 (list == 0) or the `n` ids at `list`, keeping the k best in the result heap. */
function scan(h: u32, s: u32, k: u32, list: u32, n: u32): i32 {
  const published = atomic.load<u32>(h + kHPublished);
  if (k > load<u32>(s, kSHeapCap)) return kErrScratchTooSmall;
  const metric = metricOf(h);
  const dim = <i32>load<u32>(h, kHDim);
  const vecOff = load<u32>(h, kHVecOff);
  const q = load<u32>(s, kSQuery);
  const res = load<u32>(s, kSRes);
  const filtered = hasFilter(s);
  let count: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const id = list == 0 ? i : load<u32>(list + (i << 2));
    if (id >= published) continue;
    const node = nodeAddr(h, id);
    if (isDeleted(node) || (filtered && !passes(s, node))) continue;
    const d = dist(metric, q, node + vecOff, dim);
    if (count < k) {
      heapPush(res, count++, d, id);
    } else if (d < hKey(res, 0)) {
      heapPop(res, count--);
      heapPush(res, count++, d, id);
    }
  }
  store<u32>(s, n, kSDistCount);
  return <i32>drainSorted(res, count, load<u32>(s, kSOut), k);
}

// ---- insert ----------------------------------------------------------------------------------------

/**
 * hnswlib's getNeighborsByHeuristic2: from `n` candidates in `sel` sorted ascending by distance to the
 * base, keep a candidate only if it is closer to the base than to every candidate already kept. Returns
 * the kept count (<= maxKeep), compacted to the front of `sel`.
 */
function selectHeuristic(h: u32, s: u32, sel: u32, n: u32, maxKeep: u32): u32 {
  if (n <= maxKeep) return n;
  const metric = metricOf(h);
  const dim = <i32>load<u32>(h, kHDim);
  const vecOff = load<u32>(h, kHVecOff);
  let kept: u32 = 0;
  for (let i: u32 = 0; i < n && kept < maxKeep; i++) {
    const ci = hId(sel, i);
    const cd = hKey(sel, i);
    const cv = asQuery(h, s, nodeAddr(h, ci) + vecOff);
    let good = true;
    for (let j: u32 = 0; j < kept; j++) {
      if (dist(metric, cv, nodeAddr(h, hId(sel, j)) + vecOff, dim) < cd) {
        good = false;
        break;
      }
    }
    if (good) {
      store<u64>(sel + (kept << 3), load<u64>(sel + (i << 3)));
      kept++;
    }
  }
  return kept;
}

/** Sorts `n` (key, id) pairs ascending by key (insertion sort: n <= M0 + 1 or ef, called on small sets). */
function sortPairs(p: u32, n: u32): void {
  for (let i: u32 = 1; i < n; i++) {
    const v = load<u64>(p + (i << 3));
    const key = load<f32>(p + (i << 3));
    let j = i;
    while (j > 0 && load<f32>(p + ((j - 1) << 3)) > key) {
      store<u64>(p + (j << 3), load<u64>(p + ((j - 1) << 3)));
      j--;
    }
    store<u64>(p + (j << 3), v);
  }
}

/** Adds `id` to `nb`'s link list at `level`, shrinking with the heuristic when full. */
function connectBack(h: u32, s: u32, nb: u32, id: u32, level: i32): void {
  const maxLinks = level == 0 ? load<u32>(h, kHM0) : load<u32>(h, kHM);
  const nbNode = nodeAddr(h, nb);
  const links = linksAddr(h, nbNode, level);
  const version = lockNode(nbNode);
  const n = load<u32>(links);
  for (let j: u32 = 0; j < n; j++) {
    if (load<u32>(links + 4 + (j << 2)) == id) {
      unlockNode(nbNode, version);
      return;
    }
  }
  if (n < maxLinks) {
    store<u32>(links + 4 + (n << 2), id);
    atomic.store<u32>(links, n + 1);
    unlockNode(nbNode, version);
    return;
  }
  const metric = metricOf(h);
  const dim = <i32>load<u32>(h, kHDim);
  const vecOff = load<u32>(h, kHVecOff);
  const nbVec = asQuery(h, s, nbNode + vecOff);
  const sel = load<u32>(s, kSSel);
  for (let j: u32 = 0; j < n; j++) {
    const x = load<u32>(links + 4 + (j << 2));
    store<f32>(sel + (j << 3), dist(metric, nbVec, nodeAddr(h, x) + vecOff, dim));
    store<u32>(sel + (j << 3), x, 4);
  }
  store<f32>(sel + (n << 3), dist(metric, nbVec, nodeAddr(h, id) + vecOff, dim));
  store<u32>(sel + (n << 3), id, 4);
  sortPairs(sel, n + 1);
  const kept = selectHeuristic(h, s, sel, n + 1, maxLinks);
  for (let j: u32 = 0; j < kept; j++) store<u32>(links + 4 + (j << 2), hId(sel, j));
  atomic.store<u32>(links, kept);
  unlockNode(nbNode, version);
}

/**
 * Links node `id` (reserved, vector written; normalised here for cosine) into the graph, marks it complete
 * and advances `published` over every complete node at its front. Safe to call from several threads at
 * once for different reserved ids (hnswlib's scheme: per-node locks, plus a global lock only for inserts
 * that raise the max level). Returns 0 or a negative error.
 */
export function insert(h: u32, s: u32, id: u32): i32 {
  const metric = metricOf(h);
  const dim = <i32>load<u32>(h, kHDim);
  const node = nodeAddr(h, id);
  const int8 = (load<u32>(h, kHFlags) & kFlagInt8) != 0;
  // With int8 storage the node holds codes only: link with the dequantised vector as the query.
  let vec = node + load<u32>(h, kHVecOff);
  // Atomic load: ids below it are reserved, their blocks allocated (reserve runs before any insert task).
  const limit = atomic.load<u32>(h + kHReserved);
  if (limit > load<u32>(s, kSVisitedCap)) return kErrScratchTooSmall;
  const efc = load<u32>(h, kHEfConstruction);
  if (efc + 1 > load<u32>(s, kSHeapCap) || load<u32>(h, kHM0) + 1 > load<u32>(s, kSHeapCap)) return kErrScratchTooSmall;
  if (int8) {
    dequantize(vec, dim, load<u32>(s, kSQuery));
    vec = load<u32>(s, kSQuery);
  } else if (metric == kMetricCosine && (load<u32>(node, kNLevelFlags) & kFlagNormalized) == 0) {
    // Normalising a unit vector again would change its last bits: raw loads are flagged and skipped.
    normalize(vec, dim);
  }
  const codeOff = load<u32>(h, kHCodeOff);
  if (codeOff != 0) quantize(vec, dim, node + codeOff);
  const level = nodeLevel(node);
  store<u32>(s, 0, kSDistCount);
  store<u32>(s, 0, kSScreened);
  let holdsGlobal = false;
  if (level > atomic.load<i32>(h + kHMaxLevel)) {
    lockWord(h + kHGlobalLock);
    holdsGlobal = true;
  }
  // Atomic loads, max level before entry: the entry is stored before the max level that goes with it.
  const maxLevel = atomic.load<i32>(h + kHMaxLevel);
  const entry = atomic.load<i32>(h + kHEntry);
  if (holdsGlobal && level <= maxLevel) {
    unlockWord(h + kHGlobalLock);
    holdsGlobal = false;
  }
  if (entry >= 0) linkNode(h, s, id, node, vec, codeOff, level, <u32>entry, maxLevel, limit);
  if (level > maxLevel) {
    // Still under the global lock: entry first, then the level (see the loads above).
    atomic.store<i32>(h + kHEntry, <i32>id);
    atomic.store<i32>(h + kHMaxLevel, level);
  }
  // Atomic or: other inserters may traverse this node from now on.
  atomic.or<u32>(node + kNLevelFlags, kFlagComplete);
  if (holdsGlobal) unlockWord(h + kHGlobalLock);
  advancePublished(h);
  return 0;
}

function linkNode(h: u32, s: u32, id: u32, node: u32, vec: u32, codeOff: u32, level: i32, entry: u32, maxLevel: i32, limit: u32): void {
  const efc = load<u32>(h, kHEfConstruction);
  const m = load<u32>(h, kHM);
  let cur = entry;
  if (level < maxLevel) cur = greedy(h, vec, cur, maxLevel, level, limit, s, true);
  const res = load<u32>(s, kSRes);
  const sel = load<u32>(s, kSSel);
  for (let l = min(level, maxLevel); l >= 0; l--) {
    const nRes = searchLayer(h, s, vec, codeOff != 0 ? node + codeOff : 0, cur, l, efc, limit, false, true, limit, false);
    // Heap order -> ascending pairs in sel.
    let n = nRes;
    while (n > 0) {
      const i = n - 1;
      store<f32>(sel + (i << 3), hKey(res, 0));
      store<u32>(sel + (i << 3), hId(res, 0), 4);
      heapPop(res, n--);
    }
    // The node itself can surface when re-linking; drop it.
    let count: u32 = 0;
    for (let i: u32 = 0; i < nRes; i++) {
      if (hId(sel, i) != id) {
        store<u64>(sel + (count << 3), load<u64>(sel + (i << 3)));
        count++;
      }
    }
    const kept = selectHeuristic(h, s, sel, count, m);
    const links = linksAddr(h, node, l);
    const version = lockNode(node);
    for (let j: u32 = 0; j < kept; j++) store<u32>(links + 4 + (j << 2), hId(sel, j));
    atomic.store<u32>(links, kept);
    unlockNode(node, version);
    if (kept > 0) cur = hId(sel, 0);
    // connectBack reuses sel: copy the kept ids out first (into the candidate heap area, unused now).
    const tmp = load<u32>(s, kSCand);
    for (let j: u32 = 0; j < kept; j++) store<u32>(tmp + (j << 2), hId(sel, j));
    for (let j: u32 = 0; j < kept; j++) connectBack(h, s, load<u32>(tmp + (j << 2)), id, l);
  }
}

/**
 * Advances `published` over the complete nodes at its front, keeping the readers' entry point (the
 * highest-level published node) in step. Under the publish lock, so the entry and `published` move together.
 */
function advancePublished(h: u32): void {
  lockWord(h + kHPublishLock);
  let p = atomic.load<u32>(h + kHPublished);
  const reserved = atomic.load<u32>(h + kHReserved);
  let pubMax = atomic.load<i32>(h + kHPubMaxLevel);
  while (p < reserved) {
    const flags = atomic.load<u32>(nodeAddr(h, p) + kNLevelFlags);
    if ((flags & kFlagComplete) == 0) break;
    const lvl = <i32>(flags & 0xff);
    if (lvl > pubMax) {
      // Entry before max level before published: see the loads in search().
      atomic.store<i32>(h + kHPubEntry, <i32>p);
      atomic.store<i32>(h + kHPubMaxLevel, lvl);
      pubMax = lvl;
    }
    p++;
    atomic.store<u32>(h + kHPublished, p);
  }
  unlockWord(h + kHPublishLock);
  // Wake every waiter on `published` (the facade awaits it with Atomics.waitAsync, never blocking).
  atomic.notify(h + kHPublished, i32.MAX_VALUE);
}

/** Tombstones node `id`: it stays in the graph for traversal but is never returned. */
export function markDeleted(h: u32, id: u32): i32 {
  const node = nodeAddr(h, id);
  // Atomic or: concurrent readers see the old or the new flag word, and a concurrent complete-flag update
  // is not lost.
  const v = atomic.or<u32>(node + kNLevelFlags, kFlagDeleted);
  if ((v & kFlagDeleted) != 0) return 0;
  atomic.add<u32>(h + kHDeleted, 1);
  return 1;
}

export function lastScreenedCount(s: u32): u32 {
  return load<u32>(s, kSScreened);
}

export function lastDistanceCount(s: u32): u32 {
  return load<u32>(s, kSDistCount);
}

// ---- block hash: the checksum of format-3 bulk sections (docs/format.md, "Block hashes") -------------------
//
// 16 u32 lanes, one per 4-byte word of each 64-byte stripe: lane = rotl(lane + word·P2, 13)·P1 (xxHash32's
// round); a last partial stripe is zero-padded; the lanes are folded in order with the length and mixed. The
// lanes live in four v128 globals (per thread: each thread has its own instance), so a block spread over
// several arena spans hashes in pieces: hashBegin, hashStripes for each span but the last (whole stripes),
// hashEnd with the last. Every step is a bijection of the lane given the word, so a change confined to one
// word always changes the hash.

const kP1: u32 = 0x9e3779b1;
const kP2: u32 = 0x85ebca77;
const kP3: u32 = 0xc2b2ae3d;
let hashA: v128 = i32x4.splat(0);
let hashB: v128 = i32x4.splat(0);
let hashC: v128 = i32x4.splat(0);
let hashD: v128 = i32x4.splat(0);

@inline function hashRound(lane: v128, words: v128): v128 {
  const x = i32x4.add(lane, i32x4.mul(words, i32x4.splat(kP2)));
  return i32x4.mul(v128.or(i32x4.shl(x, 13), i32x4.shr_u(x, 19)), i32x4.splat(kP1));
}

/** Starts a block hash: lane j = P1 + j. */
export function hashBegin(): void {
  hashA = i32x4(kP1, kP1 + 1, kP1 + 2, kP1 + 3);
  hashB = i32x4(kP1 + 4, kP1 + 5, kP1 + 6, kP1 + 7);
  hashC = i32x4(kP1 + 8, kP1 + 9, kP1 + 10, kP1 + 11);
  hashD = i32x4(kP1 + 12, kP1 + 13, kP1 + 14, kP1 + 15);
}

/** Hashes the whole stripes of [p, p + len) (len a multiple of 64 when more follows). */
export function hashStripes(p: u32, len: u32): void {
  let a = hashA;
  let b = hashB;
  let c = hashC;
  let d = hashD;
  const end = p + (len & ~63);
  for (; p < end; p += 64) {
    a = hashRound(a, v128.load(p));
    b = hashRound(b, v128.load(p, 16));
    c = hashRound(c, v128.load(p, 32));
    d = hashRound(d, v128.load(p, 48));
  }
  hashA = a;
  hashB = b;
  hashC = c;
  hashD = d;
}

/** Hashes [p, p + len), the block's last bytes, and returns the hash of the whole block of `total` bytes. */
export function hashEnd(p: u32, len: u32, total: u32): u32 {
  hashStripes(p, len);
  const rest = len & 63;
  if (rest != 0) {
    // The last partial stripe, zero-padded.
    const at = p + (len & ~63);
    hashA = hashRound(hashA, tailLanes(at, rest, 0));
    hashB = hashRound(hashB, tailLanes(at, rest, 4));
    hashC = hashRound(hashC, tailLanes(at, rest, 8));
    hashD = hashRound(hashD, tailLanes(at, rest, 12));
  }
  let h = total;
  h = hashFold(h, hashA);
  h = hashFold(h, hashB);
  h = hashFold(h, hashC);
  h = hashFold(h, hashD);
  h ^= h >>> 15;
  h *= kP2;
  h ^= h >>> 13;
  h *= kP3;
  h ^= h >>> 16;
  return h;
}

/** Word k of a partial stripe of `rest` bytes at `at`, zero-padded (little-endian). */
@inline function tailWord(at: u32, rest: u32, k: u32): u32 {
  let w: u32 = 0;
  for (let i: u32 = 0; i < 4; i++) if (k * 4 + i < rest) w |= (<u32>load<u8>(at + k * 4 + i)) << (i << 3);
  return w;
}

@inline function tailLanes(at: u32, rest: u32, k: u32): v128 {
  const v = i32x4.replace_lane(i32x4.splat(tailWord(at, rest, k)), 1, tailWord(at, rest, k + 1));
  return i32x4.replace_lane(i32x4.replace_lane(v, 2, tailWord(at, rest, k + 2)), 3, tailWord(at, rest, k + 3));
}

@inline function hashFold(h: u32, lanes: v128): u32 {
  h = rotl<u32>(h ^ <u32>i32x4.extract_lane(lanes, 0), 7) * kP2;
  h = rotl<u32>(h ^ <u32>i32x4.extract_lane(lanes, 1), 7) * kP2;
  h = rotl<u32>(h ^ <u32>i32x4.extract_lane(lanes, 2), 7) * kP2;
  return rotl<u32>(h ^ <u32>i32x4.extract_lane(lanes, 3), 7) * kP2;
}
