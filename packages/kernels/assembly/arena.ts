import { kAEpoch, kAFreeBytes, kAFreeHead, kAFreeLock, kAHigh, kAMagic, kAPinned, kATop, kArenaCtlBytes, kArenaMagic, kNoPin } from './layout';

// ---- arena ---------------------------------------------------------------------------------------
//
// A bump allocator with a free list in front of it. Memory is handed out in 64-byte multiples. `free` puts a
// block on an address-ordered list (merged with its neighbours; a block that ends at the top lowers the top
// instead), and `alloc` takes the first block that fits before bumping. Only retired memory is freed
// (docs/adr/0008-slot-reuse-and-epoch-reclamation.md): the writer frees a region once no reader can hold it.
//
// The list is guarded by a spinlock that nobody ever waits on for long: `alloc` tries it a bounded number of
// times and bumps when it is busy, and `free` gives up the same way (the block is then simply not reused).
// So a thread that died holding it costs memory, never a hang.

/** Spins before `alloc` gives up on the free list and bumps. */
const kAllocSpins: i32 = 1 << 12;
/** Spins before `free` gives up and leaves the block unused. */
const kFreeSpins: i32 = 1 << 20;

@inline export function align(x: u32, a: u32): u32 {
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
  atomic.store<u32>(base + kAFreeHead, 0);
  atomic.store<u32>(base + kAFreeBytes, 0);
  atomic.store<u32>(base + kAFreeLock, 0);
  if (atomic.load<u32>(base + kAEpoch) == 0) atomic.store<u32>(base + kAEpoch, 1);
  atomic.store<u32>(base + kAPinned, kNoPin);
  return base;
}

export function ensureMemory(end: u32): bool {
  // memory.grow is relative; concurrent growers may over-grow a little, never under-grow.
  while (<u64>memory.size() << 16 < <u64>end) {
    const need = <i32>((<u64>end - (<u64>memory.size() << 16) + 0xffff) >> 16);
    if (memory.grow(need) < 0) return false;
  }
  return true;
}

function tryLock(word: u32, spins: i32): bool {
  for (let i = 0; i < spins; i++) {
    // Compare-exchange 0 -> 1: one thread at a time walks or changes the free list.
    if (atomic.cmpxchg<u32>(word, 0, 1) == 0) return true;
  }
  return false;
}

@inline function unlock(word: u32): void {
  // Atomic store after the list writes: the next holder sees them.
  atomic.store<u32>(word, 0);
}

/**
 * Zeroed memory of `bytes` (rounded up to 64) from the shared arena: the first free block that fits, else
 * fresh memory past the top. 0 when the memory is exhausted.
 */
export function alloc(bytes: u32): u32 {
  const ctl = arenaBase();
  const size = align(bytes, 64);
  // Atomic load: an empty list (the common case) costs no lock.
  if (atomic.load<u32>(ctl + kAFreeHead) != 0 && tryLock(ctl + kAFreeLock, kAllocSpins)) {
    const taken = takeFree(ctl, size);
    unlock(ctl + kAFreeLock);
    if (taken != 0) {
      memory.fill(taken, 0, size);
      return taken;
    }
  }
  // Atomic add: allocators in several threads must never hand out overlapping ranges.
  const start = atomic.add<u32>(ctl + kATop, size);
  const end = <u64>start + <u64>size;
  if (end > 0xffff0000) return 0;
  if (!ensureMemory(<u32>end)) return 0;
  // Zero only what was handed out before (after a reset or a lowered top): grown memory is zero already, and
  // writing it here would fault every page of a large load in twice.
  let high = atomic.load<u32>(ctl + kAHigh);
  if (start < high) memory.fill(start, 0, min(<u32>end, high) - start);
  while (<u64>high < end) {
    const seen = atomic.cmpxchg<u32>(ctl + kAHigh, high, <u32>end);
    if (seen == high) break;
    high = seen;
  }
  return start;
}

/** First fit, under the lock: unlinks (or splits) a block of at least `size` bytes; 0 when none fits. */
function takeFree(ctl: u32, size: u32): u32 {
  let prev: u32 = 0;
  let cur = load<u32>(ctl + kAFreeHead);
  while (cur != 0) {
    const next = load<u32>(cur);
    const bytes = load<u32>(cur, 4);
    if (bytes >= size) {
      let after = next;
      if (bytes > size) {
        // Split: the tail stays on the list in the block's place.
        after = cur + size;
        store<u32>(after, next);
        store<u32>(after, bytes - size, 4);
      }
      if (prev == 0) store<u32>(ctl + kAFreeHead, after);
      else store<u32>(prev, after);
      store<u32>(ctl + kAFreeBytes, load<u32>(ctl + kAFreeBytes) - size);
      return cur;
    }
    prev = cur;
    cur = next;
  }
  return 0;
}

/**
 * Returns `bytes` (as allocated) at `at` to the arena. The caller guarantees no thread can still read it.
 * Returns 1, or 0 when the free list stayed busy (the block is then left unused, which is safe).
 */
export function free(at: u32, bytes: u32): i32 {
  const ctl = arenaBase();
  let size = align(bytes, 64);
  if (at == 0 || size == 0) return 1;
  if (!tryLock(ctl + kAFreeLock, kFreeSpins)) return 0;
  let prev: u32 = 0;
  let cur = load<u32>(ctl + kAFreeHead);
  while (cur != 0 && cur < at) {
    prev = cur;
    cur = load<u32>(cur);
  }
  let start = at;
  let next = cur;
  // Merge with the following block, then the preceding one.
  if (next != 0 && start + size == next) {
    size += load<u32>(next, 4);
    store<u32>(ctl + kAFreeBytes, load<u32>(ctl + kAFreeBytes) - load<u32>(next, 4));
    next = load<u32>(next);
  }
  if (prev != 0 && prev + load<u32>(prev, 4) == start) {
    start = prev;
    size += load<u32>(prev, 4);
    store<u32>(ctl + kAFreeBytes, load<u32>(ctl + kAFreeBytes) - load<u32>(prev, 4));
  }
  // A block that ends at the top gives its memory back to the bump pointer, unless another thread bumped
  // meanwhile (compare-exchange: the top moves down only from exactly this value).
  if (start + size == atomic.load<u32>(ctl + kATop) && atomic.cmpxchg<u32>(ctl + kATop, start + size, start) == start + size) {
    if (start == prev) unlinkAfter(ctl, start, next);
    else if (prev == 0) store<u32>(ctl + kAFreeHead, next);
    else store<u32>(prev, next);
    unlock(ctl + kAFreeLock);
    return 1;
  }
  store<u32>(start, next);
  store<u32>(start, size, 4);
  if (start != prev) {
    if (prev == 0) store<u32>(ctl + kAFreeHead, start);
    else store<u32>(prev, start);
  }
  store<u32>(ctl + kAFreeBytes, load<u32>(ctl + kAFreeBytes) + size);
  unlock(ctl + kAFreeLock);
  return 1;
}

/** Unlinks block `b` (merged into a block that is now given back to the top) from the list. */
function unlinkAfter(ctl: u32, b: u32, next: u32): void {
  let prev: u32 = 0;
  let cur = load<u32>(ctl + kAFreeHead);
  while (cur != 0 && cur != b) {
    prev = cur;
    cur = load<u32>(cur);
  }
  if (prev == 0) store<u32>(ctl + kAFreeHead, next);
  else store<u32>(prev, next);
}

export function arenaTop(): u32 {
  // Atomic load: pairs with the atomic add in alloc.
  return atomic.load<u32>(arenaBase() + kATop);
}

/** Bytes waiting on the free list. */
export function arenaFreeBytes(): u32 {
  return atomic.load<u32>(arenaBase() + kAFreeBytes);
}
