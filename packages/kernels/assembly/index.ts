// Feather kernels: SIMD distance functions and the whole HNSW insert/search loop, over one shared
// WebAssembly.Memory that every thread instantiates this module against.
//
// Why the whole loop lives here: a JS-driven traversal pays a JS->wasm hop per distance (~100 flops at
// dim 100), plus JS heaps and visited sets; keeping traversal, heaps and kernels in one wasm function
// makes a search a single call.
//
// Nothing here uses the AssemblyScript runtime or static data: every byte of state is addressed
// explicitly, so N instances in N threads agree on everything by construction. The byte layouts are in
// layout.ts, mirrored in packages/core/src/layout.ts, which checks every constant against `layoutProbe`
// whenever a thread binds to a memory (KernelArena.create and attach).
//
// One concept per file: layout, arena (bump allocator with a free list), distance (float32 SIMD kernels), int8 (screening
// codes and int8 storage), graph (index header and node blocks), heap, scratch (per-thread search state and
// filter), locks (seqlocks and spinlocks), search, insert, repair (unlinking retired tombstones), restore (checks of blocks loaded from a file) and
// hash (block hash). This file only lists the module's exports.

export { layoutProbe } from './layout';
export { arenaBase, arenaInit, alloc, free, arenaTop, arenaFreeBytes } from './arena';
export { quantize, dotI8, screenLowerBound, distQ, dequantize } from './int8';
export { dot, l2sq, normalize, l2sqBounded, distance, distanceMany } from './distance';
export { encodeVector, indexCreate, nodeAddress, vectorAddress, reserve, reserveAt, reserveBulk, setTags, nodeRow, markDeleted } from './graph';
export { lastRestoreReason, lastRestoreDeleted, lastRestoreUpper, restoreNodes, restoreUpper, checkRowMap } from './restore';
export { scratchCreate, setFilter } from './scratch';
export { search, prepareQuery, flatSearch, scanNodes, lastScreenedCount, lastDistanceCount } from './search';
export { insert } from './insert';
export { repairNode, repairEntry } from './repair';
export { hashBegin, hashStripes, hashEnd } from './hash';
