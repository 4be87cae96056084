import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { FeatherError } from '@feather-db/core';

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the store's exclusive writer lock: `<path>.lock`, created with O_EXCL and holding the owner's pid.
 * A lock whose owner is gone (a crashed process) is taken over. Returns the release function.
 * @throws FEATHER_ERR_LOCKED naming the live holder's pid; FEATHER_ERR_IO.
 */
export function acquireLock(path: string): () => void {
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid }));
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
        throw new FeatherError('FEATHER_ERR_IO', `Could not create the lock file ${lock}: ${(error as Error).message}`, { path: lock }, { cause: error });
      }
      let pid = Number.NaN;
      try {
        pid = (JSON.parse(readFileSync(lock, 'utf8')) as { pid?: number }).pid ?? Number.NaN;
      } catch {
        // unreadable or half-written lock: treat as stale
      }
      if (Number.isInteger(pid) && alive(pid)) {
        throw new FeatherError('FEATHER_ERR_LOCKED', `${path} is open for writing in process ${pid}${pid === process.pid ? ' (this process)' : ''}; close it there first, or open with { readOnly: true }`, { path, pid });
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
