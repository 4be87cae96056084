import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { FeatherError } from '../errors.js';

/**
 * The file operations the format and the WAL need, so the same code runs against real files (the writer
 * worker) and in-memory files (tests, the corruption fuzzer). Positions are byte offsets; every method throws
 * FEATHER_ERR_IO (with the system error as `cause`) when the operating system refuses.
 */
export interface FileIo {
  exists(path: string): boolean;
  /** Opens for reading; returns a handle. */
  openRead(path: string): number;
  /** Creates or truncates for writing (`append`: keep contents, write at the end). */
  openWrite(path: string, append?: boolean): number;
  size(fd: number): number;
  /** Reads up to target.length bytes at `position`; returns the count read. */
  read(fd: number, target: Uint8Array, position: number): number;
  /** Writes all of `bytes` at `position` (null: the current end for append handles). */
  write(fd: number, bytes: Uint8Array, position: number | null): void;
  /** Cuts the file to `length` bytes. */
  truncate(fd: number, length: number): void;
  /** Data (and the size) durable on disk. */
  sync(fd: number): void;
  close(fd: number): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Makes a rename or create in `path`'s directory durable. */
  syncDirectory(path: string): void;
}

function io<T>(action: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof FeatherError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    throw new FeatherError(
      'FEATHER_ERR_IO',
      `Could not ${action} ${path}: ${(error as Error).message}; check the path, permissions and free space`,
      { path, errno: code },
      { cause: error },
    );
  }
}

/** FileIo over node:fs (synchronous: the writer worker is the only caller, off the main thread). */
export function nodeFileIo(): FileIo {
  const paths = new Map<number, string>();
  return {
    exists: (path) => existsSync(path),
    openRead: (path) =>
      io('open', path, () => {
        const fd = openSync(path, 'r');
        paths.set(fd, path);
        return fd;
      }),
    openWrite: (path, append = false) =>
      io('create', path, () => {
        const fd = openSync(path, append ? 'a' : 'w');
        paths.set(fd, path);
        return fd;
      }),
    size: (fd) => io('stat', paths.get(fd) ?? '?', () => fstatSync(fd).size),
    read: (fd, target, position) =>
      io('read', paths.get(fd) ?? '?', () => {
        let done = 0;
        while (done < target.length) {
          const n = readSync(fd, target, done, target.length - done, position + done);
          if (n === 0) break;
          done += n;
        }
        return done;
      }),
    write: (fd, bytes, position) =>
      io('write', paths.get(fd) ?? '?', () => {
        let done = 0;
        while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position === null ? null : position + done);
      }),
    truncate: (fd, length) => io('truncate', paths.get(fd) ?? '?', () => ftruncateSync(fd, length)),
    sync: (fd) => io('sync', paths.get(fd) ?? '?', () => fdatasyncSync(fd)),
    close: (fd) =>
      io('close', paths.get(fd) ?? '?', () => {
        paths.delete(fd);
        closeSync(fd);
      }),
    rename: (from, to) => io('rename', from, () => renameSync(from, to)),
    unlink: (path) => io('remove', path, () => unlinkSync(path)),
    syncDirectory: (path) =>
      io('sync the directory of', path, () => {
        const fd = openSync(dirname(path), 'r');
        try {
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }),
  };
}

/** FileIo over in-memory buffers: tests and the corruption fuzzer run the real loader against it. */
export function memoryFileIo(files: Map<string, Uint8Array> = new Map()): FileIo & { files: Map<string, Uint8Array> } {
  const handles = new Map<number, { path: string; append: boolean }>();
  let next = 1;
  const file = (fd: number): { path: string; append: boolean } => {
    const h = handles.get(fd);
    if (h === undefined) throw new FeatherError('FEATHER_ERR_IO', `bad handle ${fd}`);
    return h;
  };
  const missing = (path: string): FeatherError =>
    new FeatherError('FEATHER_ERR_IO', `Could not open ${path}: no such file`, { path, errno: 'ENOENT' });
  return {
    files,
    exists: (path) => files.has(path),
    openRead: (path) => {
      if (!files.has(path)) throw missing(path);
      handles.set(next, { path, append: false });
      return next++;
    },
    openWrite: (path, append = false) => {
      if (!append || !files.has(path)) files.set(path, new Uint8Array(0));
      handles.set(next, { path, append });
      return next++;
    },
    size: (fd) => files.get(file(fd).path)!.length,
    read: (fd, target, position) => {
      const data = files.get(file(fd).path)!;
      const n = Math.max(0, Math.min(target.length, data.length - position));
      target.set(data.subarray(position, position + n));
      return n;
    },
    write: (fd, bytes, position) => {
      const h = file(fd);
      const data = files.get(h.path)!;
      const at = position ?? data.length;
      const grown = new Uint8Array(Math.max(data.length, at + bytes.length));
      grown.set(data);
      grown.set(bytes, at);
      files.set(h.path, grown);
    },
    truncate: (fd, length) => {
      const h = file(fd);
      files.set(h.path, files.get(h.path)!.slice(0, length));
    },
    sync: () => undefined,
    close: (fd) => void handles.delete(fd),
    rename: (from, to) => {
      const data = files.get(from);
      if (data === undefined) throw missing(from);
      files.set(to, data);
      files.delete(from);
    },
    unlink: (path) => void files.delete(path),
    syncDirectory: () => undefined,
  };
}
