import { kFlagComplete, kFlagDeleted, kSCand, kSCandCap, kFlagHidden, kHDim, kHEntry, kHGlobalLock, kHM, kHM0, kHMaxLevel, kHPubEntry, kHPubMaxLevel, kHPublished, kHPublishLock, kHVecOff, kNLevelFlags, kNLock, kSHeapCap, kSLinkBuf, kSOut, kSRes, kSSel, kSVisited, kSVisitedCap } from './layout';
import { dist } from './distance';
import { asQuery, linksAddr, metricOf, nodeAddr, nodeLevel } from './graph';
import { hId, hKey, heapPop, heapPush, heapReplaceTop } from './heap';
import { lockWord, unlockWord } from './locks';
import { nextEpoch } from './scratch';
import { pruneAlpha, selectHeuristic, shadowed } from './insert';

// ---- repair: unlinking a set of tombstones from the graph ---------------------------------------------
//
// FreshDiskANN's delete consolidation on an HNSW graph (docs/adr/0008-slot-reuse-and-epoch-reclamation.md):
// every node outside the retiring set R whose list at some level points into R gets a new list, chosen with
// the insert heuristic among its other neighbours and the neighbours of its R-neighbours. Once every node has
// been through repairNode, no list points into R, nor does any insert started after R was fixed (inserts never
// pick deleted neighbours), so a search that starts afterwards cannot reach R. R is a bitmap over node ids.

/** Retiring lists a repaired list may read, per entry of its capacity (1: about the retiring neighbours' own). */
const kMaxExpandPerLink: u32 = 1;
/**
 * Retiring lists a repaired list may read, per retiring neighbour of its own, while it keeps two thirds of its
 * links: each one's list, then as many lists of retiring nodes found in them. Reading the whole
 * kMaxExpandPerLink budget for every list cost 3.7x the repair time for the same recall (GloVe-100, 20k live, a
 * tenth forgotten per repair: 558 -> 150 us per forgotten node on one thread, recall@10 0.953 vs 0.951 fresh).
 */
const kExpandPerRetiring: u32 = 2;
/**
 * A list that loses fewer than 1/kPatchBelow of its links to the set is patched (patchList), not chosen again.
 * Two cheaper patches were measured and dropped (tenth session): patching losses up to a third cost recall@10
 * through the public API (clustered 128-d, stepped churn: 1.000 -> 0.995 at the default ef by round 10), and
 * offering a patch only the first eight links of each retiring neighbour (its nearest) cut the repair in core by
 * 27% on GloVe-100 but, over 250 steps of clustered churn, left recall@10 at 0.993 from ef 64 up (1.000 with
 * every link offered): lists that lose a long link get a near one back, and the clusters' links to each other
 * thin out.
 */
const kPatchBelow: u32 = 4;
/** An id no node has (marks a candidate already taken). */
const kNoNode: u32 = 0xffffffff;

@inline function inSet(set: u32, bits: u32, id: u32): bool {
  return id < bits && (load<u8>(set + (id >> 3)) & (<u8>1 << <u8>(id & 7))) != 0;
}

/**
 * Re-links node `id` around the nodes of the retiring set (`set`, `bits` bits). Nodes in the set and nodes
 * not yet complete (their insert started after the set was fixed, so they never link into it) are left as
 * they are. Safe beside searches, inserts and other repairs: each list is rewritten under its seqlock, and
 * only if nobody changed it since it was read (else it is read again). Returns how many lists changed.
 */
export function repairNode(h: u32, s: u32, id: u32, set: u32, bits: u32): i32 {
  if (inSet(set, bits, id)) return 0;
  const node = nodeAddr(h, id);
  // Atomic load: the complete flag is set (atomic or) after the node's own lists were written.
  const flags = atomic.load<u32>(node + kNLevelFlags);
  if ((flags & kFlagComplete) == 0) return 0;
  const level = <i32>(flags & 0xff);
  // What disqualifies a candidate read from a retiring node's list (a list's own links outside the set all stay:
  // repairList). A live node's lists take only live nodes from there. A node tombstoned since the set was fixed
  // (a forget while the pass runs) keeps its links to other tombstones: its lists route searches until the next
  // repair, which reads them to re-link the nodes around it. Chosen among live nodes only, they lost their long
  // links (every far candidate was forgotten too), and a store whose whole batch was forgotten during each repair
  // lost its clusters' links to each other (recall@10 0.92 after 8 batches of 10k).
  const gone: u32 = (flags & kFlagDeleted) != 0 ? 0 : kFlagDeleted;
  let changed: i32 = 0;
  for (let l: i32 = 0; l <= level; l++) {
    while (true) {
      const done = repairList(h, s, id, node, l, set, bits, gone);
      if (done >= 0) {
        changed += done;
        break;
      }
    }
  }
  return changed;
}

/** One list of one node: 0 untouched, 1 rewritten, -1 changed under us (read it again). */
function repairList(h: u32, s: u32, id: u32, node: u32, level: i32, set: u32, bits: u32, gone: u32): i32 {
  const links = linksAddr(h, node, level);
  const own = load<u32>(s, kSLinkBuf);
  const cap = level == 0 ? load<u32>(h, kHM0) : load<u32>(h, kHM);
  // Seqlock read of the list, keeping the version: the rewrite below happens only from that version.
  const v = atomic.load<u32>(node + kNLock);
  if ((v & 1) != 0) return -1;
  let n = atomic.load<u32>(links);
  if (n > cap) n = cap;
  memory.copy(own, links + 4, n << 2);
  if (atomic.load<u32>(node + kNLock) != v) return -1;
  let retiring: u32 = 0;
  for (let j: u32 = 0; j < n; j++) if (inSet(set, bits, load<u32>(own + (j << 2)))) retiring++;
  if (retiring == 0) return 0;
  // Only links into the set count as lost. A link to a tombstone newer than the set (a forget while a background
  // pass lags behind the writes) stays: the next pass, whose set holds it, re-links around it. Dropping those
  // links too (until the sixteenth session) made most lists under a lagging pass lose a third or more, chosen
  // again in full instead of patched, for no recall: the background policy's stepped churn added 6.1k memories
  // a second that way against 10.9k keeping them, and in core (compare/repair-ab.ts --lag) a forgotten node
  // cost 117 against 64 µs on clustered 128-d and 87 against 76 µs on GloVe-100, recall@10 within 0.005 at
  // every ef.

  const metric = metricOf(h);
  const dim = <i32>load<u32>(h, kHDim);
  const vecOff = load<u32>(h, kHVecOff);
  const base = asQuery(h, s, node + vecOff);
  const visited = load<u32>(s, kSVisited);
  const seen = load<u32>(s, kSVisitedCap);
  const epoch = <u16>nextEpoch(s);
  store<u16>(visited + (id << 1), epoch);
  if (retiring * kPatchBelow < n) return patchList(h, s, node, links, level, cap, own, n, v, set, bits, gone, metric, dim, vecOff, base, visited, seen, epoch);
  const res = load<u32>(s, kSRes);
  const hop = load<u32>(s, kSOut);
  // Keep as many candidates as the heap holds, far ones included: a retiring node's long links (to other
  // clusters) are what the heuristic keeps for diversity. Keeping only the 2·cap nearest cut clustered data
  // into one component per cluster (128-d, 32 clusters: recall@10 1.00 -> 0.91 after one repair).
  const keep = load<u32>(s, kSHeapCap) - 1;
  let size: u32 = 0;
  // Retiring neighbours are expanded breadth-first through the set: their neighbours first, then those of
  // retiring nodes among them while the budget lasts (when much of the graph retires at once, a retiring node's
  // neighbours are mostly retiring too, and a clustered graph keeps its long links only through them). The
  // budget grows with the retiring neighbours, kExpandPerRetiring lists each, up to kMaxExpandPerLink·cap: the
  // whole of that once a third of the list is lost (retiring, or tombstoned since the set was fixed, as under a
  // background repair that lags). Clustered 128-d at 40% tombstones kept recall@10 1.000 only with the whole.
  const queue = load<u32>(s, kSCand);
  const queueCap = load<u32>(s, kSCandCap) << 1;
  let tail: u32 = 0;
  for (let j: u32 = 0; j < n; j++) {
    const x = load<u32>(own + (j << 2));
    if (!inSet(set, bits, x)) {
      size = offer(h, s, res, size, keep, x, true, base, metric, dim, vecOff, visited, seen, epoch, set, bits, gone);
    } else if (load<u16>(visited + (x << 1)) != epoch && tail < queueCap) {
      store<u16>(visited + (x << 1), epoch);
      store<u32>(queue + (tail++ << 2), x);
    }
  }
  // A heavy loss (a third or more of the list) reads the whole expansion budget and prunes with the factor.
  const heavy = (n - size) * 3 >= n;
  const maxExpand = heavy ? kMaxExpandPerLink * cap : min(kMaxExpandPerLink * cap, kExpandPerRetiring * tail);
  size = expand(h, s, res, size, keep, level, tail, maxExpand, base, metric, dim, vecOff, visited, seen, epoch, set, bits, gone);
  // Heap order -> ascending pairs in sel, then the insert heuristic.
  const sel = load<u32>(s, kSSel);
  const count = drainAscending(res, size, sel);
  // The heuristic keeps a diverse few; the list is then filled up to its capacity with the nearest of the
  // candidates it dropped. A node whose in-links all came through retiring nodes may be reachable only that
  // way once they are gone (hnswlib's "keep pruned connections").
  memory.copy(hop, sel, count << 3);
  // The pruning factor only for a list that lost a third or more (the churn that thins clusters' links out:
  // whole batches forgotten). With it, a candidate that passes is compared with more kept links, and every
  // rebuilt list paying that doubled the repair's time under stepped churn (core, 128-d, 20k live, steps of 2k:
  // 5.9 -> 11.4 s over 29 repairs; 6.5 s this way), for no recall there (1.000 either way).
  let kept = selectHeuristic(h, s, sel, count, cap, heavy ? pruneAlpha(metric) : <f32>1);
  if (kept < cap && kept < count) {
    const mark = <u16>nextEpoch(s);
    const chosen = kept;
    for (let j: u32 = 0; j < chosen; j++) {
      const x = hId(sel, j);
      if (x < seen) store<u16>(visited + (x << 1), mark);
    }
    for (let i: u32 = 0; i < count && kept < cap; i++) {
      const x = hId(hop, i);
      if (x < seen) {
        if (load<u16>(visited + (x << 1)) == mark) continue;
      } else if (chosenHas(sel, chosen, x)) continue;
      store<u64>(sel + (kept << 3), load<u64>(hop + (i << 3)));
      kept++;
    }
  }
  return writeList(node, links, v, sel, kept);
}

/**
 * A list that loses fewer than 1/kPatchBelow of its links to the retiring set keeps the others where they are
 * and gets its lost slots back from its retiring neighbours' own lists (one each): the nearest candidates that
 * pass the heuristic, with the pruning factor, against the links it keeps, then the nearest of the rest.
 * Choosing the whole list again costs a distance from every candidate to every link kept; a patch costs the
 * candidates' distances to the node and a few checks each.
 */
function patchList(h: u32, s: u32, node: u32, links: u32, level: i32, cap: u32, own: u32, n: u32, v: u32, set: u32, bits: u32, gone: u32, metric: u32, dim: i32, vecOff: u32, base: u32, visited: u32, seen: u32, epoch: u16): i32 {
  const res = load<u32>(s, kSRes);
  const sel = load<u32>(s, kSSel);
  const queue = load<u32>(s, kSCand);
  // The links that stay, in their order (sel: pairs, only the id is used); the retiring ones queued.
  let kept: u32 = 0;
  let tail: u32 = 0;
  for (let j: u32 = 0; j < n; j++) {
    const x = load<u32>(own + (j << 2));
    if (inSet(set, bits, x)) {
      store<u16>(visited + (x << 1), epoch);
      store<u32>(queue + (tail++ << 2), x);
    } else {
      if (x < seen) store<u16>(visited + (x << 1), epoch);
      store<u32>(sel + (kept++ << 3), x, 4);
    }
  }
  const size = expand(h, s, res, 0, load<u32>(s, kSHeapCap) - 1, level, tail, tail, base, metric, dim, vecOff, visited, seen, epoch, set, bits, gone);
  // `base` may be the decode buffer, which the checks below reuse: from here on only precomputed distances.
  const cand = load<u32>(s, kSOut);
  const count = drainAscending(res, size, cand);
  const want = min(n, cap);
  // With the pruning factor, as a list chosen again: a lost link to another cluster is mostly replaced by one to
  // that cluster (every kept link is about as far from it as the list's node, so without the factor one of them
  // is nearer to it by chance). Plain heuristic patches under the background repair (its lists run denser, 19-20
  // links against 15, and its sets are half the size, so most lists are patched; the loss needed its passes to
  // overlap inserts) thinned the clusters' links to each other out: 128-d, 32 clusters, steps of 2k, level-0
  // links between clusters 26k -> 2.5k by round 20, a cluster with one in-link left, whole queries missing their
  // 10 at every ef (recall@10 0.98-0.99); 20k kept and recall 1.000 with the factor. In core, one thread:
  // 117-125 against 121-157 us per forgotten node over 100 lagged steps (a noisy host), recall@10 at ef 16
  // 0.9875 -> 0.9910.
  const alpha = pruneAlpha(metric);
  for (let i: u32 = 0; i < count && kept < want; i++) {
    if (!shadowed(h, s, hId(cand, i), hKey(cand, i) / alpha, sel, kept, metric, dim, vecOff)) {
      store<u64>(sel + (kept++ << 3), load<u64>(cand + (i << 3)));
      store<u32>(cand + (i << 3), kNoNode, 4);
    }
  }
  // Too few passed: the nearest of the others, as the full repair fills up.
  for (let i: u32 = 0; i < count && kept < want; i++) {
    if (hId(cand, i) != kNoNode) store<u64>(sel + (kept++ << 3), load<u64>(cand + (i << 3)));
  }
  return writeList(node, links, v, sel, kept);
}

/**
 * Offers the lists of queued retiring nodes (queue[0, tail)) as candidates, breadth-first through the set, up to
 * `maxExpand` lists; returns the heap's new size.
 */
function expand(h: u32, s: u32, res: u32, size: u32, keep: u32, level: i32, tail: u32, maxExpand: u32, base: u32, metric: u32, dim: i32, vecOff: u32, visited: u32, seen: u32, epoch: u16, set: u32, bits: u32, gone: u32): u32 {
  const queue = load<u32>(s, kSCand);
  const queueCap = load<u32>(s, kSCandCap) << 1;
  // The output buffer holds one list at a time here; its pairs are written only after the expansion.
  const hop = load<u32>(s, kSOut);
  let head: u32 = 0;
  while (head < tail && head < maxExpand) {
    const x = load<u32>(queue + (head++ << 2));
    // Nobody writes a retiring node's lists any more (it is deleted, so no insert picks it), but read them as
    // a snapshot all the same.
    const m = readList(h, nodeAddr(h, x), level, hop);
    for (let i: u32 = 0; i < m; i++) {
      const c = load<u32>(hop + (i << 2));
      if (!inSet(set, bits, c)) {
        size = offer(h, s, res, size, keep, c, false, base, metric, dim, vecOff, visited, seen, epoch, set, bits, gone);
      } else if (load<u16>(visited + (c << 1)) != epoch && tail < queueCap) {
        store<u16>(visited + (c << 1), epoch);
        store<u32>(queue + (tail++ << 2), c);
      }
    }
  }
  return size;
}

/** Empties the max-heap `res` of `size` pairs into `dst` in ascending order; returns how many. */
function drainAscending(res: u32, size: u32, dst: u32): u32 {
  const count = size;
  while (size > 0) {
    const i = size - 1;
    store<f32>(dst + (i << 3), hKey(res, 0));
    store<u32>(dst + (i << 3), hId(res, 0), 4);
    heapPop(res, size--);
  }
  return count;
}

/** Writes `kept` ids of `sel` as the list, from seqlock version `v`: 1, or -1 when the list changed since. */
function writeList(node: u32, links: u32, v: u32, sel: u32, kept: u32): i32 {
  // Compare-exchange from the version read: a list another thread changed since is read again.
  if (atomic.cmpxchg<u32>(node + kNLock, v, v + 1) != v) return -1;
  for (let j: u32 = 0; j < kept; j++) store<u32>(links + 4 + (j << 2), hId(sel, j));
  atomic.store<u32>(links, kept);
  // Atomic store of the next even version after the list: readers that copied meanwhile retry.
  atomic.store<u32>(node + kNLock, v + 2);
  return 1;
}

/**
 * Considers `c` as a new neighbour: not retiring, not seen yet and, read from a retiring list, complete, not
 * hidden and not deleted unless the list's node is (`gone` holds the flags that disqualify: kFlagDeleted, or none
 * for a tombstoned node); a link of the list itself (`own`) stays a candidate whatever its flags. Nodes at or past
 * `seen` (the visited tags' capacity) have no tag: a background repair runs beside inserts that reserve nodes
 * after the pass sized its scratch, and their back-links may be in the lists it reads. Such a node stays a
 * candidate of the list that links it (`own`: it occurs there once) and is passed over in retiring lists.
 */
function offer(h: u32, s: u32, res: u32, size: u32, keep: u32, c: u32, own: bool, base: u32, metric: u32, dim: i32, vecOff: u32, visited: u32, seen: u32, epoch: u16, set: u32, bits: u32, gone: u32): u32 {
  if (c >= seen) {
    if (!own) return size;
  } else {
    if (load<u16>(visited + (c << 1)) == epoch) return size;
    store<u16>(visited + (c << 1), epoch);
  }
  if (inSet(set, bits, c)) return size;
  const cNode = nodeAddr(h, c);
  // Atomic load of the flags. A candidate from a retiring list must be complete (whole lists and vector) and
  // neither deleted nor being reused. A link of the list itself to a node not complete yet (or a reused slot
  // still hidden) is that node's insert linking back, on another thread, with its vector written: dropping it
  // would cost the new node that in-link for good (whole batches added beside a repair of half the graph kept
  // recall@10 at 0.95-0.98 after the repair), so it stays a candidate; so does a link to a node deleted since the
  // set was fixed, which the pass whose set holds it re-links around (repairList).
  const flags = atomic.load<u32>(cNode + kNLevelFlags);
  if (!own && ((flags & kFlagComplete) == 0 || (flags & (gone | kFlagHidden)) != 0)) return size;
  const d = dist(metric, base, cNode + vecOff, dim);
  if (size < keep) {
    heapPush(res, size, d, c);
    return size + 1;
  }
  if (d < hKey(res, 0)) heapReplaceTop(res, size, d, c);
  return size;
}

/** Whether one of the first `n` pairs of `sel` is node `x` (for nodes without a visited tag). */
function chosenHas(sel: u32, n: u32, x: u32): bool {
  for (let j: u32 = 0; j < n; j++) if (hId(sel, j) == x) return true;
  return false;
}

/** Copies a list as a consistent snapshot (seqlock read); returns its length. */
function readList(h: u32, node: u32, level: i32, dst: u32): u32 {
  const links = linksAddr(h, node, level);
  const cap = level == 0 ? load<u32>(h, kHM0) : load<u32>(h, kHM);
  while (true) {
    // Atomic loads of the version around the copy: equal and even means no write overlapped it.
    const v = atomic.load<u32>(node + kNLock);
    if ((v & 1) != 0) continue;
    let n = atomic.load<u32>(links);
    if (n > cap) n = cap;
    memory.copy(dst, links + 4, n << 2);
    if (atomic.load<u32>(node + kNLock) == v) return n;
  }
}

/**
 * After a repair pass: when the inserters' or the readers' entry point is in the retiring set, moves it to the
 * highest-level published node that is complete and neither deleted nor retiring (or -1 when none is left).
 * Run by the writer, with the pass finished. Returns the new readers' entry.
 */
export function repairEntry(h: u32, set: u32, bits: u32): i32 {
  // Atomic loads: inserts move the entry under the global lock; publication moves the readers' entry.
  const entry = atomic.load<i32>(h + kHEntry);
  const pubEntry = atomic.load<i32>(h + kHPubEntry);
  const entryGone = entry >= 0 && inSet(set, bits, <u32>entry);
  const pubGone = pubEntry >= 0 && inSet(set, bits, <u32>pubEntry);
  if (!entryGone && !pubGone) return pubEntry;
  const published = atomic.load<u32>(h + kHPublished);
  let best: i32 = -1;
  let bestLevel: i32 = -1;
  for (let id: u32 = 0; id < published; id++) {
    if (inSet(set, bits, id)) continue;
    const node = nodeAddr(h, id);
    const flags = atomic.load<u32>(node + kNLevelFlags);
    if ((flags & kFlagComplete) == 0 || (flags & (kFlagDeleted | kFlagHidden)) != 0) continue;
    const lvl = nodeLevel(node);
    if (lvl > bestLevel) {
      best = <i32>id;
      bestLevel = lvl;
    }
  }
  if (entryGone) {
    lockWord(h + kHGlobalLock);
    // Entry first, then the max level: inserts load the level first and bound their descent by the entry's
    // own level, so a lower entry with the old level is safe.
    atomic.store<i32>(h + kHEntry, best);
    atomic.store<i32>(h + kHMaxLevel, bestLevel);
    unlockWord(h + kHGlobalLock);
  }
  if (pubGone) {
    lockWord(h + kHPublishLock);
    // Entry before max level, as advancePublished stores them; searches bound their descent the same way.
    atomic.store<i32>(h + kHPubEntry, best);
    atomic.store<i32>(h + kHPubMaxLevel, bestLevel);
    unlockWord(h + kHPublishLock);
  }
  return best;
}
