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

export { layoutProbe } from './layout';
export { arenaBase, arenaInit, alloc, arenaTop } from './arena';
export { quantize, dotI8, screenLowerBound, distQ, dequantize } from './int8';
export { dot, l2sq, normalize, l2sqBounded, distance, distanceMany } from './distance';
export { encodeVector, indexCreate, nodeAddress, vectorAddress, reserve, reserveBulk, setTags, nodeRow, markDeleted } from './graph';
export { lastRestoreReason, lastRestoreDeleted, lastRestoreUpper, restoreNodes, restoreUpper, checkRowMap } from './restore';
export { scratchCreate, setFilter } from './scratch';
export { search, prepareQuery, flatSearch, scanNodes, lastScreenedCount, lastDistanceCount } from './search';
export { insert } from './insert';
export { hashBegin, hashStripes, hashEnd } from './hash';
