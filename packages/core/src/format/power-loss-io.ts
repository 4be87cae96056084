// An in-memory FileIo that models what survives a power loss: a file's bytes as of its last sync, under the
// names the directory had at its last directory sync. Everything else (unsynced writes, renames, creates) is
// lost. The fault sweeps use it (test/crash/io-faults.test.ts) to show what each durability keeps.
import { FeatherError } from '../errors.js';
import type { FileIo } from './file-io.js';

interface Inode {
  data: Uint8Array;
  /** The bytes as of the last sync of this file. */
  durable: Uint8Array;
}

/** A FileIo whose unsynced state can be lost. */
export interface PowerLossIo extends FileIo {
  /** The files as the process sees them now (what a process crash leaves: the OS keeps every write). */
  current(): Map<string, Uint8Array>;
  /** The files a power loss leaves: each name the directory durably had, with that file's synced bytes. */
  afterPowerLoss(): Map<string, Uint8Array>;
}

/** One directory of files that can lose its unsynced state (see PowerLossIo). */
export function powerLossIo(): PowerLossIo {
  let dir = new Map<string, Inode>();
  let durableDir = new Map<string, Inode>();
  const handles = new Map<number, Inode>();
  let next = 1;
  const inode = (fd: number): Inode => {
    const i = handles.get(fd);
    if (i === undefined) throw new FeatherError('FEATHER_ERR_IO', `bad handle ${fd}`);
    return i;
  };
  const missing = (path: string): FeatherError =>
    new FeatherError('FEATHER_ERR_IO', `Could not open ${path}: no such file`, { path, errno: 'ENOENT' });
  return {
    exists: (path) => dir.has(path),
    openRead: (path) => {
      const i = dir.get(path);
      if (i === undefined) throw missing(path);
      handles.set(next, i);
      return next++;
    },
    openWrite: (path, append = false) => {
      let i = dir.get(path);
      if (i === undefined) {
        i = { data: new Uint8Array(0), durable: new Uint8Array(0) };
        dir.set(path, i);
      } else if (!append) {
        i.data = new Uint8Array(0);
      }
      handles.set(next, i);
      return next++;
    },
    size: (fd) => inode(fd).data.length,
    read: (fd, target, position) => {
      const data = inode(fd).data;
      const n = Math.max(0, Math.min(target.length, data.length - position));
      target.set(data.subarray(position, position + n));
      return n;
    },
    write: (fd, bytes, position) => {
      const i = inode(fd);
      const at = position ?? i.data.length;
      const grown = new Uint8Array(Math.max(i.data.length, at + bytes.length));
      grown.set(i.data);
      grown.set(bytes, at);
      i.data = grown;
    },
    truncate: (fd, length) => {
      const i = inode(fd);
      i.data = i.data.slice(0, length);
    },
    sync: (fd) => {
      const i = inode(fd);
      i.durable = i.data.slice();
    },
    close: (fd) => void handles.delete(fd),
    rename: (from, to) => {
      const i = dir.get(from);
      if (i === undefined) throw missing(from);
      dir.set(to, i);
      dir.delete(from);
    },
    unlink: (path) => void dir.delete(path),
    syncDirectory: () => {
      durableDir = new Map(dir);
    },
    current: () => new Map([...dir].map(([name, i]) => [name, i.data.slice()])),
    afterPowerLoss: () => {
      const files = new Map([...durableDir].map(([name, i]) => [name, i.durable.slice()]));
      dir = new Map();
      durableDir = new Map();
      return files;
    },
  };
}
