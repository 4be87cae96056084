import { kAny, kNEntity, kNNamespace, kNRow, kSCand, kSCandCap, kSDecode, kSEpoch, kSFilterBitmap, kSFilterBits, kSFilterEntity, kSFilterNs, kSHeapCap, kSLinkBuf, kSOut, kSQuery, kSQueryCodes, kSRes, kSSel, kSVisited, kSVisitedCap, kScratchHeaderBytes } from './layout';
import { align, alloc } from './arena';

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

@inline export function hasFilter(s: u32): bool {
  return load<u32>(s, kSFilterNs) != kAny || load<u32>(s, kSFilterEntity) != kAny || load<u32>(s, kSFilterBitmap) != 0;
}

/** True when `node` passes the scratch filter. Tags are read atomically: the writer may re-tag concurrently. */
export function passes(s: u32, node: u32): bool {
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
export function nextEpoch(s: u32): u32 {
  let e = load<u32>(s, kSEpoch) + 1;
  if (e > 0xffff) {
    memory.fill(load<u32>(s, kSVisited), 0, load<u32>(s, kSVisitedCap) << 1);
    e = 1;
  }
  store<u32>(s, e, kSEpoch);
  return e;
}
