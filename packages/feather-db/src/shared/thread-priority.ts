// A thread lowering its own scheduling priority (Linux: a nice value per thread). Node's os.setPriority
// takes a pid, and Linux applies a thread id given there to that thread alone; /proc/thread-self names the
// calling thread's id. Piscina's own `niceIncrement` needs a native module (@napi-rs/nice); this needs none.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The highest (least favoured) nice value. */
const kLowestPriority = 19;

/**
 * Raises the calling thread's nice value by `increment` (capped at 19), so that other threads of the process
 * (the event loop) win a contended core. Best effort: on platforms without per-thread priorities (not Linux),
 * or where it is refused, the thread keeps the process's priority. Returns the nice value set, or undefined.
 */
export function lowerThisThreadPriority(increment: number): number | undefined {
  if (increment <= 0 || process.platform !== 'linux') return undefined;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    const nice = Math.min(kLowestPriority, getPriority(tid) + increment);
    setPriority(tid, nice);
    return nice;
  } catch {
    return undefined;
  }
}
