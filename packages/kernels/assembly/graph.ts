import { kErrChunkTableFull, kErrOutOfMemory, kFlagDeleted, kFlagHidden, kFlagInt8, kFlagScreening, kHChunkCap, kHChunkShift, kHChunkTable, kHCodeOff, kHDeleted, kHDim, kHEfConstruction, kHEntry, kHFlags, kHLostNode, kHM, kHM0, kHMaxLevel, kHMetric, kHPubEntry, kHPubMaxLevel, kHPublished, kHReserved, kHStride, kHVecOff, kIndexHeaderBytes, kIndexMagic, kMetricCosine, kMetricQuantised, kNCount0, kNEntity, kNLevelFlags, kNLinks0, kNLock, kNNamespace, kNRow, kNUpper, kSDecode } from './layout';
import { align, alloc } from './arena';
import { dequantize, quantize } from './int8';
import { normalize } from './distance';

@inline export function metricOf(h: u32): u32 {
  return load<u32>(h, kHMetric) + ((load<u32>(h, kHFlags) & kFlagInt8) != 0 ? kMetricQuantised : 0);
}

/**
 * For node-node distances: the first operand must be float32. With int8 storage, dequantises `vec` into
 * the scratch decode buffer and returns that; otherwise returns `vec`.
 */
@inline export function asQuery(h: u32, s: u32, vec: u32): u32 {
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
/** Bytes of a node's stored vector at vecOff: float32, or with int8 storage a 16-byte header and the codes. */
@inline export function storedVectorBytes(flags: u32, dim: i32): u32 {
  return (flags & kFlagInt8) != 0 ? 16 + align(<u32>dim, 16) : <u32>dim << 2;
}

export function indexCreate(dim: i32, metric: u32, m: i32, efConstruction: i32, chunkShift: i32, chunkCap: i32, flags: u32): i32 {
  const h = alloc(kIndexHeaderBytes);
  if (h == 0) return kErrOutOfMemory;
  const table = alloc(<u32>chunkCap << 2);
  if (table == 0) return kErrOutOfMemory;
  const m0 = m * 2;
  const vecOff = align(kNLinks0 + (<u32>m0 << 2), 16);
  const screening = (flags & kFlagScreening) != 0 && (flags & kFlagInt8) == 0;
  const vecBytes = storedVectorBytes(flags, dim);
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
  store<u32>(h, 0, kHLostNode);
  store<u32>(h, flags, kHFlags);
  store<u32>(h, codeOff, kHCodeOff);
  store<i32>(h, -1, kHPubEntry);
  store<i32>(h, -1, kHPubMaxLevel);
  // Magic last: a reader that sees the magic sees a complete header.
  atomic.store<u32>(h, kIndexMagic);
  return <i32>h;
}

@inline export function nodeAddr(h: u32, id: u32): u32 {
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

/**
 * Reserves retired node `id` again for a new vector (docs/adr/0008): the slot keeps its level and upper-link
 * block (as hnswlib's replace_deleted keeps the element's level), its links are emptied and it is hidden until
 * insert() has linked it. The caller guarantees that no reader can still reach the slot (it was unlinked, then
 * every reader pinned before that finished), then writes the vector at vectorAddress() and calls insert().
 * Returns the id, or -4 when `id` was never reserved.
 */
export function reserveAt(h: u32, id: u32, row: u32, ns: u32, entity: u32): i32 {
  if (id >= atomic.load<u32>(h + kHReserved)) return -4;
  const node = nodeAddr(h, id);
  const flags = load<u32>(node, kNLevelFlags);
  const level = flags & 0xff;
  const upper = load<u32>(node, kNUpper);
  if (upper != 0) memory.fill(upper, 0, level * ((1 + load<u32>(h, kHM)) << 2));
  store<u32>(node, row, kNRow);
  store<u32>(node, ns, kNNamespace);
  store<u32>(node, entity, kNEntity);
  store<u32>(node, 0, kNCount0);
  // Atomic store: deleted, complete and normalised go, hidden comes, in one step.
  atomic.store<u32>(node + kNLevelFlags, level | kFlagHidden);
  // Atomic sub: the tombstone count follows the deleted flags (stats and the save's tombstone ratio read it).
  if ((flags & kFlagDeleted) != 0) atomic.sub<u32>(h + kHDeleted, 1);
  return <i32>id;
}

export function setTags(h: u32, id: u32, ns: u32, entity: u32): void {
  const node = nodeAddr(h, id);
  // Atomic stores: a concurrent filtered search sees the old or the new tag of each field, never a torn one.
  atomic.store<u32>(node + kNNamespace, ns);
  atomic.store<u32>(node + kNEntity, entity);
}

export function nodeRow(h: u32, id: u32): u32 {
  return load<u32>(nodeAddr(h, id), kNRow);
}

@inline export function linksAddr(h: u32, node: u32, level: i32): u32 {
  if (level == 0) return node + kNCount0;
  return load<u32>(node, kNUpper) + <u32>(level - 1) * ((1 + load<u32>(h, kHM)) << 2);
}

@inline export function nodeLevel(node: u32): i32 {
  return <i32>(load<u32>(node, kNLevelFlags) & 0xff);
}

/** Never a result: tombstoned, or a reused slot still being linked (hidden). */
@inline export function isDeleted(node: u32): bool {
  return (load<u32>(node, kNLevelFlags) & (kFlagDeleted | kFlagHidden)) != 0;
}

/** Tombstones node `id`: it stays in the graph for traversal but is never returned. */
export function markDeleted(h: u32, id: u32): i32 {
  const node = nodeAddr(h, id);
  // Atomic or: concurrent readers see the old or the new flag word, and a concurrent complete-flag update
  // is not lost.
  const v = atomic.or<u32>(node + kNLevelFlags, kFlagDeleted);
  if ((v & kFlagDeleted) != 0) return 0;
  atomic.add<u32>(h + kHDeleted, 1);
  // Atomic store: read by inserters on other threads (insert.ts, backLinkAlpha).
  atomic.store<u32>(h + kHLostNode, 1);
  return 1;
}
