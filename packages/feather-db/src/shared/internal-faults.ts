// INTERNAL, TESTS ONLY: fault injection into the store's threads (docs/threading.md, "Fault injection").
// Not part of the API; nothing here runs unless the environment variable FEATHER_INTERNAL_FAULTS holds a
// plan when Feather.open is called. The facade reads it once per open and hands it to its threads in
// workerData, with a shared counter so that "the n-th task" means the n-th of the whole pool.
import { abandonLocksForTests, FeatherError, type FileFault, type KernelArena } from '@feather-db/core';

/** How a thread dies: process.exit, an exception nobody catches, or a wasm trap nobody catches. */
export type DeathKind = 'exit' | 'throw' | 'trap';

/** Where the writer dies: at boot, or on its n-th call of a method. */
export type WriterFaultPoint = 'boot' | 'prepare' | 'open' | 'writeMany' | 'save' | 'close' | 'beginRepair' | 'commitRepair';
/** Where a pool thread dies: at boot, or on the pool's n-th task of a type. */
export type PoolFaultPoint = 'boot' | 'search' | 'insert' | 'repair';

interface ThreadFault<P extends string> {
  at: P;
  /** 1-based: the call (writer) or the pool-wide task (pool) that dies. Default 1. */
  nth?: number;
  how: DeathKind;
  /** Before dying, take the seqlock of node 0 and the global spinlock of the index being written. */
  holdLock?: boolean;
}

interface FaultPlan {
  writer?: ThreadFault<WriterFaultPoint>;
  pool?: ThreadFault<PoolFaultPoint>;
  /** A slow thread instead of a dead one: the pool's n-th task of a type blocks its thread `ms` first, then runs. */
  stall?: { at: PoolFaultPoint; nth?: number; ms: number };
  /** Fails the writer's n-th file operation of a kind (core's faultyFileIo). */
  io?: FileFault;
}

/** A plan and its shared counters ([0]: pool tasks of the faulted type so far; [1]: deaths fired; [2]: tasks of the stalled type). */
export interface Faults {
  plan: FaultPlan;
  counters: Int32Array;
}

const kFaultsEnv = 'FEATHER_INTERNAL_FAULTS';

/** The plan in the environment, if any (read by the facade at each open). */
export function faultsFromEnv(): Faults | undefined {
  const raw = process.env[kFaultsEnv];
  if (raw === undefined || raw === '') return undefined;
  let plan: FaultPlan;
  try {
    plan = JSON.parse(raw) as FaultPlan;
  } catch (error) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `${kFaultsEnv} (internal, for Feather's own tests) must be a JSON fault plan, got ${JSON.stringify(raw.slice(0, 40))}; unset it`,
      { env: kFaultsEnv },
      { cause: error },
    );
  }
  return { plan, counters: new Int32Array(new SharedArrayBuffer(12)) };
}

/** Ends the calling thread the way `how` says, never returning normally. */
export function die(how: DeathKind, arena: KernelArena | undefined, where: string): Promise<never> {
  const fire = (): void => {
    switch (how) {
      case 'exit':
        process.exit(70);
        break;
      case 'throw':
        throw new Error(`injected fault: uncaught exception at ${where}`);
      case 'trap':
        // An address far past the memory's end: the kernel traps with "memory access out of bounds".
        arena?.wasm.dot(0xffff_ff00, 0, 64);
        throw new Error(`injected fault: no trap at ${where}`);
    }
  };
  // Outside the caller's try/catch and comlink's: the exception reaches the thread's top level and kills it.
  queueMicrotask(fire);
  return new Promise<never>(() => undefined);
}

/** Takes node 0's seqlock and the global spinlock of the index at `address` and never gives them back. */
export function holdLocks(arena: KernelArena, address: number): void {
  abandonLocksForTests(arena, address);
}

/** True when this is the pool-wide n-th task at `at` (counted across threads through the shared counter). */
export function poolTaskDies(faults: Faults | undefined, at: PoolFaultPoint): boolean {
  const f = faults?.plan.pool;
  if (f === undefined || f.at !== at) return false;
  // Atomic add: each task of the type counts once, whichever thread runs it.
  const n = Atomics.add(faults!.counters, 0, 1) + 1;
  return n === (f.nth ?? 1);
}

/** Blocks the calling pool thread when this is the pool-wide n-th task at the plan's stall point. */
export function stallPoolTask(faults: Faults | undefined, at: PoolFaultPoint): void {
  const f = faults?.plan.stall;
  if (f === undefined || f.at !== at) return;
  // Atomic add: counted across the pool's threads, as poolTaskDies counts.
  if (Atomics.add(faults!.counters, 2, 1) + 1 !== (f.nth ?? 1)) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, f.ms);
}
