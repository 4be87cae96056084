import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  linkSync,
  openSync,
  readFileSync,
  readlinkSync,
  readSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { FeatherError } from '@feather-db/core';
import { holderRuns, processStart } from './process-identity.js';

/** What a lock file holds: who took it, and a token no other opener can have. */
export interface LockHolder {
  pid: number;
  /** When the process started (see processStart), or absent where it is unknown. */
  start?: number;
  host?: string;
  /** The PID namespace (`readlink /proc/self/ns/pid`), where /proc has it. */
  pidns?: string;
  token?: string;
}

/** Attempts at the create / judge / take-over cycle before an open gives up and reports the race. */
const kMaxAttempts = 50;
/** A takeover marker older than this whose holder is gone is removed (a takeover takes microseconds). */
const kStaleTakeoverMs = 10_000;

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function ioError(what: string, path: string, error: unknown): FeatherError {
  return new FeatherError(
    'FEATHER_ERR_IO',
    `Could not ${what} the lock file ${path}: ${(error as Error).message}; check the directory's permissions and free space`,
    { path, errno: errno(error) },
    { cause: error },
  );
}

/** Reads a lock file through one descriptor: its inode and its content belong together. Undefined if absent. */
function readHolder(path: string): { ino: number; mtimeMs: number; holder: LockHolder | undefined } | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (errno(error) === 'ENOENT') return undefined;
    throw ioError('read', path, error);
  }
  try {
    const stat = fstatSync(fd);
    const bytes = Buffer.alloc(Math.min(stat.size, 4096));
    const n = readSync(fd, bytes, 0, bytes.length, 0);
    let holder: LockHolder | undefined;
    try {
      const parsed = JSON.parse(bytes.subarray(0, n).toString('utf8')) as Partial<LockHolder>;
      if (Number.isSafeInteger(parsed.pid)) holder = parsed as LockHolder;
    } catch {
      holder = undefined;
    }
    return { ino: stat.ino, mtimeMs: stat.mtimeMs, holder };
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether the holder is certainly gone. Only a holder on this host and in this PID namespace can be judged:
 * any other (a shared volume, another container) counts as alive, and its lock must be removed by hand.
 */
function holderGone(holder: LockHolder, me: LockHolder): boolean {
  if (holder.host !== undefined && holder.host !== me.host) return false;
  if (holder.pidns !== undefined && holder.pidns !== me.pidns) return false;
  return !holderRuns(holder.pid, Number.isSafeInteger(holder.start) ? holder.start : undefined);
}

/** Hard-links the fully written `staged` file into place: creation and content are one atomic step. */
function linkInto(staged: string, path: string): boolean {
  try {
    linkSync(staged, path);
    return true;
  } catch (error) {
    if (errno(error) === 'EEXIST') return false;
    throw ioError('create', path, error);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

type Seen = NonNullable<ReturnType<typeof readHolder>>;

/**
 * Removes `path` only while it is still the file `seen` (same inode, modification time and content: an inode
 * number alone can be reused by a lock created since).
 */
function unlinkIfSame(path: string, seen: Seen): void {
  const now = readHolder(path);
  if (
    now === undefined ||
    now.ino !== seen.ino ||
    now.mtimeMs !== seen.mtimeMs ||
    JSON.stringify(now.holder) !== JSON.stringify(seen.holder)
  )
    return;
  try {
    unlinkSync(path);
  } catch (error) {
    if (errno(error) !== 'ENOENT') throw ioError('remove', path, error);
  }
}

function lockedError(path: string, holder: LockHolder | undefined, me: LockHolder): FeatherError {
  if (holder === undefined) {
    return new FeatherError(
      'FEATHER_ERR_LOCKED',
      `${path} is being opened for writing by another process at this moment (its lock is being written); retry, or open with { readOnly: true }`,
      { path },
    );
  }
  const elsewhere = (holder.host !== undefined && holder.host !== me.host) || (holder.pidns !== undefined && holder.pidns !== me.pidns);
  const where = elsewhere
    ? ` on host ${holder.host ?? '?'} (PID namespace ${holder.pidns ?? '?'}), which this process cannot check; if that process is gone, delete ${path}.lock by hand`
    : holder.pid === process.pid
      ? ' (this process)'
      : '';
  return new FeatherError(
    'FEATHER_ERR_LOCKED',
    `${path} is open for writing in process ${holder.pid}${where}; close it there first, or open with { readOnly: true }`,
    { path, pid: holder.pid, ...(holder.host === undefined ? {} : { host: holder.host }) },
  );
}

/**
 * Takes the store's exclusive writer lock, `<path>.lock` (docs/format.md, "Lock"):
 * - creation is atomic with content: the holder record is written to a private temp file and hard-linked into
 *   place (link fails if the lock exists), so no opener ever reads a half-written lock;
 * - a stale lock (its holder, on this host and in this PID namespace, no longer runs) is removed only by the
 *   one opener holding the takeover marker `<path>.lock.takeover` (itself created by link), and only while it
 *   is still the same inode that opener judged; then every opener races on the link again, which one wins;
 * - the release function removes the lock only while it still holds this opener's token.
 * @throws FEATHER_ERR_LOCKED naming the live holder; FEATHER_ERR_IO.
 */
export function acquireLock(path: string): () => void {
  const lock = `${path}.lock`;
  const takeover = `${lock}.takeover`;
  const me: LockHolder = {
    pid: process.pid,
    start: processStart(process.pid),
    host: hostname(),
    pidns: pidNamespace(),
    token: randomBytes(12).toString('hex'),
  };
  const staged = `${lock}.${process.pid}.${me.token!}`;
  try {
    writeFileSync(staged, JSON.stringify(me), { flag: 'wx' });
  } catch (error) {
    throw ioError('create', staged, error);
  }
  try {
    let last: LockHolder | undefined;
    for (let attempt = 0; attempt < kMaxAttempts; attempt++) {
      if (linkInto(staged, lock)) return () => releaseLock(lock, me.token!);
      const seen = readHolder(lock);
      if (seen === undefined) continue;
      last = seen.holder;
      // A lock with no readable holder was written by an older version (create, then write): it may be
      // half-written; it is judged stale only once it is old.
      const gone = seen.holder === undefined ? ageOf(seen, staged) > kStaleTakeoverMs : holderGone(seen.holder, me);
      if (!gone) throw lockedError(path, seen.holder, me);
      takeOver(staged, lock, takeover, seen, me);
    }
    throw lockedError(path, last, me);
  } finally {
    unlinkQuietly(staged);
  }
}

/**
 * How old a lock file is, by the file system's clock: against the mtime of this opener's staged file, written
 * moments ago in the same folder, not against Date.now(). A shared volume's server may keep another time than
 * this host, and a process's wall clock can be moved (faketime, a VM resumed); file times compared with file
 * times stay right in both cases.
 */
function ageOf(file: Seen, staged: string): number {
  let now: number;
  try {
    now = statSync(staged).mtimeMs;
  } catch {
    now = Date.now();
  }
  return now - file.mtimeMs;
}

/**
 * Removes the stale lock `stale` under the takeover marker. Only a marker holder unlinks a lock it did not take,
 * and it checks the inode right before; the creator of a new lock cannot appear while the stale one exists.
 */
function takeOver(staged: string, lock: string, takeover: string, stale: Seen, me: LockHolder): void {
  if (!linkInto(staged, takeover)) {
    const marker = readHolder(takeover);
    // Its holder died in the middle of a takeover (microseconds): clear the marker once it is old.
    if (marker !== undefined && ageOf(marker, staged) > kStaleTakeoverMs && (marker.holder === undefined || holderGone(marker.holder, me)))
      unlinkIfSame(takeover, marker);
    return;
  }
  try {
    unlinkIfSame(lock, stale);
  } finally {
    unlinkQuietly(takeover);
  }
}

function releaseLock(lock: string, token: string): void {
  const seen = readHolder(lock);
  // Only our own lock: if another opener took it over (it judged us gone), it is theirs now.
  if (seen?.holder?.token === token) unlinkIfSame(lock, seen);
}

/** The current holder of a store's lock, or undefined when the store is not locked (for tests and tools). */
export function lockHolder(path: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(`${path}.lock`, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}
