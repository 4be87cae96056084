import { kErrScratchTooSmall, kFlagComplete, kFlagHidden, kFlagInt8, kFlagNormalized, kHCodeOff, kHDeleted, kHDim, kHEfConstruction, kHEntry, kHFlags, kHFreeNodes, kHGlobalLock, kHLostNode, kHM, kHM0, kHMaxLevel, kHPubEntry, kHPubMaxLevel, kHPublishLock, kHPublished, kHReserved, kHVecOff, kMetricCosine, kMetricIp, kNLevelFlags, kSCand, kSDistCount, kSHeapCap, kSQuery, kSRes, kSScreened, kSSel, kSVisitedCap } from './layout';
import { dequantize, quantize } from './int8';
import { dist, distBounded, normalize } from './distance';
import { asQuery, linksAddr, metricOf, nodeAddr, nodeLevel } from './graph';
import { hId, hKey, heapPop, sortPairs } from './heap';
import { lockNode, lockWord, unlockNode, unlockWord } from './locks';
import { greedy, searchLayer } from './search';

// ---- insert ----------------------------------------------------------------------------------------

/**
 * Vamana's pruning factor for lists that are chosen again after they held links (a full list taking a
 * back-link, a repaired list that lost a third or more: repair.ts): a candidate is dropped only when a kept
 * neighbour is nearer to it than the list's node by this factor. At 1 (hnswlib's heuristic) a long link, to
 * another cluster, falls whenever a kept near neighbour is even a little nearer to it, about one prune in two; a
 * store that replaces its whole contents batch after batch then lost its clusters' links to each other
 * generation by generation (128-d, 32 clusters, 10k per batch: level-0 reach from the entry 10000 -> 319 nodes,
 * recall@10 1.000 -> 0.973 after 8 batches, 0.937 after 20). DiskANN (FreshDiskANN) keeps its graph navigable
 * under deletes the same way, with 1.2. A new node's own list keeps the plain heuristic (its candidates are its
 * nearest; the factor would only make it denser).
 */
const kPruneAlpha: f32 = 1.2;

/** The pruning factor for `metric`: 1 for inner product, whose distances may be negative (scaling means nothing). */
@inline export function pruneAlpha(metric: u32): f32 {
  return (metric & 3) == kMetricIp ? <f32>1 : kPruneAlpha;
}

/**
 * hnswlib's getNeighborsByHeuristic2: from `n` candidates in `sel` sorted ascending by distance to the
 * base, keep a candidate only if it is closer to the base than to every candidate already kept (by the factor
 * `alpha`: kept when alpha times each of those distances is at least its distance to the base). Returns the
 * kept count (<= maxKeep), compacted to the front of `sel`.
 */
export function selectHeuristic(h: u32, s: u32, sel: u32, n: u32, maxKeep: u32, alpha: f32 = 1): u32 {
  if (n <= maxKeep) return n;
  const metric = metricOf(h);
  const dim = <i32>load<u32>(h, kHDim);
  const vecOff = load<u32>(h, kHVecOff);
  let kept: u32 = 0;
  for (let i: u32 = 0; i < n && kept < maxKeep; i++) {
    if (!shadowed(h, s, hId(sel, i), hKey(sel, i) / alpha, sel, kept, metric, dim, vecOff)) {
      store<u64>(sel + (kept << 3), load<u64>(sel + (i << 3)));
      kept++;
    }
  }
  return kept;
}

/**
 * The heuristic's test: whether candidate `c` is nearer than `cd` to one of the first `kept` pairs of `sel` (a
 * kept neighbour already covers its direction). `cd` is its distance to the list's node, divided by the pruning
 * factor where there is one.
 */
@inline export function shadowed(h: u32, s: u32, c: u32, cd: f32, sel: u32, kept: u32, metric: u32, dim: i32, vecOff: u32): bool {
  const cv = asQuery(h, s, nodeAddr(h, c) + vecOff);
  // Bounded: only whether a distance is below `cd` matters, and most are not (the same answers as dist()).
  for (let j: u32 = 0; j < kept; j++) if (distBounded(metric, cv, nodeAddr(h, hId(sel, j)) + vecOff, dim, cd) < cd) return true;
  return false;
}

/**
 * The factor a full list taking a back-link prunes with: pruneAlpha once this index has lost a node (tombstoned
 * since it was created), or while it holds tombstones or retired slots (a restored index: the lost-a-node word is
 * not saved), 1 (hnswlib's heuristic) otherwise. The factor
 * keeps clusters' links to each other through churn, where the nodes that held them are replaced; a graph that
 * never lost a node has no such loss to make up for, and its denser lists cost the build time without buying
 * recall (GloVe-100, serial, each kernel on its own graph: all 331,479 rows 105.3 s against 96.8 s, recall@10 at
 * ef 128 0.9303 against 0.9309; 100k 25.1 against 22.0 s; MNIST-784 60k 33.3 against 31.0 s).
 */
@inline function backLinkAlpha(h: u32, metric: u32): f32 {
  const lost = atomic.load<u32>(h + kHLostNode) != 0 || atomic.load<u32>(h + kHDeleted) != 0 || atomic.load<u32>(h + kHFreeNodes) != 0;
  return lost ? pruneAlpha(metric) : <f32>1;
}

/** Adds `id` to `nb`'s link list at `level`, shrinking with the heuristic when full. */
export function connectBack(h: u32, s: u32, nb: u32, id: u32, level: i32): void {
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
  const kept = selectHeuristic(h, s, sel, n + 1, maxLinks, backLinkAlpha(h, metric));
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
  // The entry's own level bounds the descent: a repair may have moved the entry to a lower node before
  // lowering the max level (docs/adr/0008).
  if (entry >= 0) linkNode(h, s, id, node, vec, codeOff, level, <u32>entry, min(maxLevel, nodeLevel(nodeAddr(h, <u32>entry))), limit);
  if (level > maxLevel) {
    // Still under the global lock: entry first, then the level (see the loads above).
    atomic.store<i32>(h + kHEntry, <i32>id);
    atomic.store<i32>(h + kHMaxLevel, level);
  }
  // Atomic or: other inserters may traverse this node from now on. Then (atomic and) a reused slot stops
  // hiding: its vector and links are whole, so a search may return it.
  atomic.or<u32>(node + kNLevelFlags, kFlagComplete);
  atomic.and<u32>(node + kNLevelFlags, ~kFlagHidden);
  if (holdsGlobal) unlockWord(h + kHGlobalLock);
  advancePublished(h, id);
  return 0;
}

export function linkNode(h: u32, s: u32, id: u32, node: u32, vec: u32, codeOff: u32, level: i32, entry: u32, maxLevel: i32, limit: u32): void {
  const efc = load<u32>(h, kHEfConstruction);
  const m = load<u32>(h, kHM);
  let cur = entry;
  if (level < maxLevel) cur = greedy(h, vec, cur, maxLevel, level, limit, s, true);
  const res = load<u32>(s, kSRes);
  const sel = load<u32>(s, kSSel);
  for (let l = min(level, maxLevel); l >= 0; l--) {
    // Deleted nodes route the search but are never chosen as neighbours: a slot being retired must gain no
    // new in-links (docs/adr/0008).
    const nRes = searchLayer(h, s, vec, codeOff != 0 ? node + codeOff : 0, cur, l, efc, limit, true, true, limit, false);
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
 * `id` is the node just completed: a reused slot is below `published` already, and becomes the readers' entry
 * here when it is the highest.
 */
export function advancePublished(h: u32, id: u32): void {
  lockWord(h + kHPublishLock);
  let p = atomic.load<u32>(h + kHPublished);
  const reserved = atomic.load<u32>(h + kHReserved);
  let pubMax = atomic.load<i32>(h + kHPubMaxLevel);
  if (id < p) {
    const lvl = nodeLevel(nodeAddr(h, id));
    if (lvl > pubMax) {
      // Entry before max level: see the loads in search().
      atomic.store<i32>(h + kHPubEntry, <i32>id);
      atomic.store<i32>(h + kHPubMaxLevel, lvl);
      pubMax = lvl;
    }
  }
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
