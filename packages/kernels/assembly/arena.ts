import { kAHigh, kAMagic, kATop, kArenaCtlBytes, kArenaMagic } from './layout';

// ---- arena ---------------------------------------------------------------------------------------

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
