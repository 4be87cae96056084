import { kErrScratchTooSmall, kFlagScreening, kHChunkShift, kHChunkTable, kHCodeOff, kHDim, kHFlags, kHM0, kHMetric, kHPubEntry, kHPubMaxLevel, kHPublished, kHReserved, kHStride, kHVecOff, kMetricCosine, kNLinks0, kSCand, kSCandCap, kSDistCount, kSHeapCap, kSLinkBuf, kSOut, kSQuery, kSQueryCodes, kSRes, kSScreened, kSSink, kSVisited, kSVisitedCap } from './layout';
import { align } from './arena';
import { quantize, screenLowerBound } from './int8';
import { dist, distBounded, normalize } from './distance';
import { isDeleted, metricOf, nodeAddr, nodeLevel, storedVectorBytes } from './graph';
import { compactCandidates, drainSorted, hId, hKey, heapPop, heapPush, heapReplaceTop } from './heap';
import { hasFilter, nextEpoch, passes } from './scratch';
import { readLinks, visible } from './locks';

/**
 * Loads one byte of every cache line of [addr, addr + bytes): independent loads whose misses overlap (wasm has
 * no prefetch instruction). Returns their sum, for the caller to keep observable.
 */
@inline function touchLines(addr: u32, bytes: u32): u32 {
  let sum: u32 = 0;
  for (let line = addr & ~63; line < addr + bytes; line += 64) sum += load<u8>(line);
  return sum;
}

/**
 * Best-first search of one layer from `ep`, keeping up to `ef` results in the scratch result heap (max-heap by
 * distance). Tombstoned nodes are traversed but never enter the results when `skipDeleted`; nor do nodes at or
 * beyond `resultLimit` or, when `filtered`, nodes the scratch filter rejects. Nodes at or beyond `published`
 * are invisible. Returns the result count.
 */
export function searchLayer(h: u32, s: u32, q: usize, qCodes: usize, ep: u32, level: i32, ef: u32, published: u32, skipDeleted: bool, needComplete: bool, resultLimit: u32, filtered: bool): u32 {
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
  // Touch the cache lines of the first 512 bytes of each neighbour's stored vector (float32, or the int8
  // block), from the line its first byte is in: the early exit usually decides within them, and the hardware
  // streamer follows on for vectors that run longer. The link list is left to the expansion (most neighbours
  // are never expanded); the flags word the visibility test reads is in the block's first line. Measured on
  // GloVe-100 (100k, one thread, the same graph searched by both kernels in one process): ~10-15% more QPS at
  // ef 128 than touching the block from its start, and ~6% off a 30k build; MNIST-784 unchanged.
  const touchBytes = min(storedVectorBytes(load<u32>(h, kHFlags), dim), 512);
  const codeOff = load<u32>(h, kHCodeOff);
  const codeBytes = 16 + align(<u32>dim, 16);
  let screened = load<u32>(s, kSScreened);
  // Nodes below `published` as it stands now need no complete-flag read (a cache line the traversal would not
  // otherwise touch: the flags share the block's first line with the lock, the vector starts further on). They
  // were complete when it passed them, and a flag cleared since is a reused slot being linked again: hidden, so
  // never a result (every caller passes skipDeleted), nor a next level's start, and reachable at this level only
  // through an in-link its own insert added after writing its list at this level, its vector already whole
  // (docs/threading.md).
  const whole = needComplete ? atomic.load<u32>(h + kHPublished) : published;
  const epoch = <u16>nextEpoch(s);
  let dcount = load<u32>(s, kSDistCount);

  let nCand: u32 = 0;
  let nRes: u32 = 0;
  let sink: u32 = 0;
  const listBytes: u32 = kNLinks0 + (load<u32>(h, kHM0) << 2);
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
    // Touch the lines of the next candidate's list (its lock word and, at level 0, the list itself): unless a
    // neighbour scored below turns out nearer, it is the next one expanded, and its misses then overlap this
    // expansion's work instead of stalling the next one's start. Measured on GloVe-100 (kernel-ab, one thread,
    // the same graph): builds of 50k and 150k rows 1.5-3% faster, search QPS at ef 128 unchanged to +1%.
    if (nCand > 0) {
      const t = hId(cand, 0);
      const tNode = load<u32>(table + ((t >> shift) << 2)) + (t & mask) * stride;
      sink += level == 0 ? touchLines(tNode, listBytes) : load<u8>(tNode);
    }
    // Pass 1: collect the unvisited neighbours and touch the cache lines of their blocks. The touches
    // are independent loads, so their cache misses overlap (wasm has no prefetch instruction; this is
    // how we get hnswlib's _mm_prefetch effect). Pass 2 then computes distances on warm lines.
    let m: u32 = 0;
    for (let j: u32 = 0; j < n; j++) {
      const nb = load<u32>(links + (j << 2));
      if (nb >= published) continue;
      const vp = visited + (nb << 1);
      if (load<u16>(vp) == epoch) continue;
      const nbNode = load<u32>(table + ((nb >> shift) << 2)) + (nb & mask) * stride;
      if (needComplete && nb >= whole && !visible(nbNode, nb, published, true)) continue;
      store<u16>(vp, epoch);
      store<u32>(batch + (m << 3), nb);
      store<u32>(batch + (m << 3), nbNode, 4);
      m++;
      if (qCodes != 0) {
        sink += touchLines(nbNode + codeOff, codeBytes);
      } else {
        sink += touchLines(nbNode + vecOff, touchBytes);
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
        sink += touchLines(nbNode + vecOff, touchBytes);
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
          if (nRes < ef) heapPush(res, nRes++, d, nb);
          else heapReplaceTop(res, nRes, d, nb);
          lowerBound = hKey(res, 0);
        }
      }
    }
  }
  store<u32>(s, dcount, kSDistCount);
  store<u32>(s, screened, kSScreened);
  // Keep the touches observable so the optimiser cannot drop them.
  store<u32>(s, sink, kSSink);
  return nRes;
}

/** Greedy descent from the entry point through levels > `toLevel`; returns the closest node found. */
export function greedy(h: u32, q: usize, ep: u32, fromLevel: i32, toLevel: i32, published: u32, s: u32, needComplete: bool): u32 {
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
export function scan(h: u32, s: u32, k: u32, list: u32, n: u32): i32 {
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
      heapReplaceTop(res, count, d, id);
    }
  }
  store<u32>(s, n, kSDistCount);
  return <i32>drainSorted(res, count, load<u32>(s, kSOut), k);
}

export function lastScreenedCount(s: u32): u32 {
  return load<u32>(s, kSScreened);
}

export function lastDistanceCount(s: u32): u32 {
  return load<u32>(s, kSDistCount);
}
