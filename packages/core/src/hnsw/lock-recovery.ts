// Recovery of the shared-memory locks of an index whose writing thread died (docs/threading.md, "When a
// thread dies"). The kernels' locks (a seqlock per node, the global and publish spinlocks) are released by
// the thread that took them; a thread that dies or traps between taking and releasing one leaves it held,
// and every inserter and search that reaches it would spin forever. The facade calls this once the store has
// failed closed (no new insert can start) and the insert tasks still running have settled or had their grace.
import type { KernelArena } from '../arena.js';
import { kHGlobalLock, kHPublished, kHPublishLock, kHReserved, kNLock } from '../layout.js';

/**
 * Releases every lock left held in the index at `address`: an odd node lock word becomes the next even
 * version (readers that copied meanwhile retry, as after any write), the global and publish spinlocks become
 * free, and every waiter on `published` is woken. Returns how many locks it released.
 * A torn link list it exposes holds only node ids below the reserved count (entries are written before the
 * count, both within the node's block), so traversals stay in bounds; the store is reopened before it writes again.
 */
export function releaseAbandonedLocks(arena: KernelArena, address: number): number {
  const u32 = arena.u32;
  let released = 0;
  // Atomic load: every id below it has an allocated node block.
  const reserved = Atomics.load(u32, (address + kHReserved) >>> 2);
  for (let id = 0; id < reserved; id++) {
    const word = ((arena.wasm.nodeAddress(address, id) >>> 0) + kNLock) >>> 2;
    const v = Atomics.load(u32, word);
    // Compare-exchange odd -> next even: a lock released meanwhile by a live thread is left alone.
    if ((v & 1) !== 0 && Atomics.compareExchange(u32, word, v, v + 1) === v) released++;
  }
  for (const at of [kHGlobalLock, kHPublishLock]) {
    // Atomic exchange to free: the spinlocks' holders are gone (no insert runs on a failed store).
    if (Atomics.exchange(u32, (address + at) >>> 2, 0) !== 0) released++;
  }
  // Wake waiters on `published` (Atomics.waitAsync in whenVisible) so they re-check, and see the store failed.
  Atomics.notify(new Int32Array(u32.buffer), (address + kHPublished) >>> 2);
  return released;
}

/**
 * INTERNAL, fault injection only: takes node 0's seqlock and the global spinlock of the index at `address`
 * and never releases them, as a thread that died inside an insert would leave them.
 */
export function abandonLocksForTests(arena: KernelArena, address: number): void {
  const u32 = arena.u32;
  const word = ((arena.wasm.nodeAddress(address, 0) >>> 0) + kNLock) >>> 2;
  // Atomic add: even -> odd, held (no thread ever releases it).
  if (Atomics.load(u32, (address + kHReserved) >>> 2) > 0 && (Atomics.load(u32, word) & 1) === 0) Atomics.add(u32, word, 1);
  // Atomic store: the global spinlock held.
  Atomics.store(u32, (address + kHGlobalLock) >>> 2, 1);
}
