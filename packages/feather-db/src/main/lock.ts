import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { FeatherError } from '@feather-db/core';

/**
 * When process `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined where
 * there is no /proc (then a lock names its holder by pid alone).
 */
export function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command) may hold spaces and parentheses: count from the last ')'.
    const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isSafeInteger(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when the lock's holder still runs: a process with this pid exists (EPERM: it exists but belongs to
 * someone else) and, where the start time is known on both sides, it is the same process, not a later one
 * that was given the crashed holder's pid.
 */
function holderRuns(pid: number, start: number | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = start === undefined ? undefined : processStart(pid);
  return now === undefined || now === start;
}

/**
 * Takes the store's exclusive writer lock: `<path>.lock`, created with O_EXCL and holding the owner's pid and
 * start time. A lock whose owner is gone (a crashed process, or its pid now another process's) is taken over.
 * Returns the release function.
 * @throws FEATHER_ERR_LOCKED naming the live holder's pid; FEATHER_ERR_IO.
 */
export function acquireLock(path: string): () => void {
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, start: processStart(process.pid) }));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(lock);
        } catch {
          // already gone: nothing to release
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new FeatherError(
          'FEATHER_ERR_IO',
          `Could not create the lock file ${lock}: ${(error as Error).message}`,
          { path: lock },
          { cause: error },
        );
      }
      let pid = Number.NaN;
      let start: number | undefined;
      try {
        const holder = JSON.parse(readFileSync(lock, 'utf8')) as { pid?: number; start?: number };
        pid = holder.pid ?? Number.NaN;
        start = Number.isSafeInteger(holder.start) ? holder.start : undefined;
      } catch {
        // unreadable or half-written lock: treat as stale
      }
      if (Number.isInteger(pid) && holderRuns(pid, start)) {
        throw new FeatherError(
          'FEATHER_ERR_LOCKED',
          `${path} is open for writing in process ${pid}${pid === process.pid ? ' (this process)' : ''}; close it there first, or open with { readOnly: true }`,
          { path, pid },
        );
      }
      try {
        unlinkSync(lock);
      } catch {
        // another opener removed it first; retry the exclusive create
      }
    }
  }
  throw new FeatherError('FEATHER_ERR_LOCKED', `${path} is being opened by another process at the same moment; retry`, { path });
}
