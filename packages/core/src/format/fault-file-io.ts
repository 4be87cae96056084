// A FileIo that fails on purpose: the fault sweeps (test/crash, packages/core/test) run every write path of
// the engine with its n-th file operation of a kind failing, and end-to-end tests hand the same plan to the
// writer worker (feather-db's internal fault hook). Not used by the store otherwise.
import { FeatherError } from '../errors.js';
import type { FileIo } from './file-io.js';

/** The kinds of file operation a fault can hit ('open' counts both opens, 'sync' both syncs). */
export type FileOpKind = 'open' | 'write' | 'sync' | 'rename';

export interface FileFault {
  op: FileOpKind;
  /** 1-based: the n-th operation of that kind fails (the count starts when the FileIo is made). */
  nth: number;
  /** A failing write first writes the first half of its bytes, as a disk that fills up mid-write does. */
  short?: boolean;
  /**
   * Instead of failing, the process dies there (the crash suite's named points): `onCrash` runs just before
   * the operation ('before') or just after it completed ('after').
   */
  crash?: 'before' | 'after';
}

/** A FileIo that counts its operations by kind and fails the one `fault` names. */
export interface FaultyFileIo extends FileIo {
  /** Operations of each kind so far (a run with no fault tells a sweep how many points there are). */
  readonly counts: Record<FileOpKind, number>;
  /** Whether the fault has fired. */
  readonly fired: boolean;
}

export function faultyFileIo(inner: FileIo, fault?: FileFault, onCrash?: () => void): FaultyFileIo {
  const counts: Record<FileOpKind, number> = { open: 0, write: 0, sync: 0, rename: 0 };
  let fired = false;
  let crashAfter = false;
  const hit = (op: FileOpKind): boolean => {
    counts[op]++;
    if (fault === undefined || fault.op !== op || counts[op] !== fault.nth) return false;
    fired = true;
    if (fault.crash === undefined || onCrash === undefined) return true;
    if (fault.crash === 'before') onCrash();
    // 'after': the operation runs, then the process dies (see done()).
    crashAfter = true;
    return false;
  };
  const done = <T>(result: T): T => {
    if (crashAfter) onCrash!();
    return result;
  };
  const fail = (op: FileOpKind, path: string): FeatherError =>
    new FeatherError(
      'FEATHER_ERR_IO',
      `Could not ${op} ${path}: injected fault (${op} #${counts[op]}); check the path, permissions and free space`,
      { path, errno: 'EIO', injected: true },
    );
  const paths = new Map<number, string>();
  return {
    get counts() {
      return counts;
    },
    get fired() {
      return fired;
    },
    exists: (path) => inner.exists(path),
    openRead: (path) => {
      if (hit('open')) throw fail('open', path);
      const fd = inner.openRead(path);
      paths.set(fd, path);
      return done(fd);
    },
    openWrite: (path, append) => {
      if (hit('open')) throw fail('open', path);
      const fd = inner.openWrite(path, append);
      paths.set(fd, path);
      return done(fd);
    },
    size: (fd) => inner.size(fd),
    read: (fd, target, position) => inner.read(fd, target, position),
    write: (fd, bytes, position) => {
      const path = paths.get(fd) ?? '?';
      if (hit('write')) {
        if (fault?.short === true && bytes.length > 1) inner.write(fd, bytes.subarray(0, bytes.length >>> 1), position);
        throw fail('write', path);
      }
      done(inner.write(fd, bytes, position));
    },
    truncate: (fd, length) => inner.truncate(fd, length),
    sync: (fd) => {
      if (hit('sync')) throw fail('sync', paths.get(fd) ?? '?');
      done(inner.sync(fd));
    },
    close: (fd) => {
      paths.delete(fd);
      inner.close(fd);
    },
    rename: (from, to) => {
      if (hit('rename')) throw fail('rename', from);
      done(inner.rename(from, to));
    },
    unlink: (path) => inner.unlink(path),
    syncDirectory: (path) => {
      if (hit('sync')) throw fail('sync', path);
      done(inner.syncDirectory(path));
    },
  };
}
