import { kFlagComplete, kHM, kHM0, kNLevelFlags, kNLock } from './layout';
import { linksAddr } from './graph';

// ---- locks -----------------------------------------------------------------------------------------

/** Takes node's seqlock for writing; returns the even version it held. */
export function lockNode(node: u32): u32 {
  while (true) {
    // Atomic load + compare-exchange: only one writer moves the version from even to odd.
    const v = atomic.load<u32>(node + kNLock);
    if ((v & 1) == 0 && atomic.cmpxchg<u32>(node + kNLock, v, v + 1) == v) return v;
  }
}

/** Releases node's seqlock: odd -> next even, telling readers that copied during the write to retry. */
@inline export function unlockNode(node: u32, v: u32): void {
  // Atomic store after the list writes: a reader that sees the new even version sees the whole list.
  atomic.store<u32>(node + kNLock, v + 2);
}

export function lockWord(addr: u32): void {
  // Compare-exchange 0 -> 1: a plain spinlock (held briefly, and only by worker threads).
  while (atomic.cmpxchg<u32>(addr, 0, 1) != 0) {}
}

@inline export function unlockWord(addr: u32): void {
  atomic.store<u32>(addr, 0);
}

/**
 * Copies node's link list at `level` into `dst` as a consistent snapshot (seqlock read) and returns its
 * length. Retries while a writer holds the lock or changed the list during the copy.
 */
export function readLinks(h: u32, node: u32, level: i32, dst: u32): u32 {
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
@inline export function visible(nbNode: u32, nb: u32, limit: u32, needComplete: bool): bool {
  if (nb >= limit) return false;
  return !needComplete || (atomic.load<u32>(nbNode + kNLevelFlags) & kFlagComplete) != 0;
}
