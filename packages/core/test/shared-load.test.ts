// An open's bulk reading shared between threads: crc32Combine against zlib over the concatenation, and a
// SharedLoad whose tasks two runners claim, copying into the arena and catching a flipped byte in any task.
import { crc32 } from 'node:zlib';
import { crc32Combine, KernelArena, memoryFileIo, SharedLoad, type LoadTask, type SectionEntry } from '@feather-db/core';
import { seededRandom } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';

const bytes = (n: number, rand: () => number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));

describe('crc32Combine', () => {
  it('equals the CRC-32 of the concatenation, from any starting CRC', () => {
    const rand = seededRandom(7);
    for (const [a, b] of [[0, 1], [1, 0], [5, 3], [1000, 1], [4096, 70_000], [3, 1 << 20], [7, 1000], [9, 1000], [1, (1 << 20) + 13]] as const) {
      const x = bytes(a, rand);
      const y = bytes(b, rand);
      const both = new Uint8Array(a + b);
      both.set(x);
      both.set(y, a);
      expect(crc32Combine(crc32(x), crc32(y), b)).toBe(crc32(both));
      const seed = Math.floor(rand() * 2 ** 32);
      expect(crc32Combine(seed, crc32(y), b)).toBe(crc32(y, seed));
    }
  });
});

describe('SharedLoad', () => {
  it('copies and verifies sections whose tasks two runners claimed, and names a damaged one', () => {
    const rand = seededRandom(11);
    const file = bytes(3 << 20, rand);
    const seedOf = (type: number, tag: number): number => crc32(Uint8Array.from([type, 0, 0, 0, tag, 0, 0, 0]));
    // Sections of the real layout's seeding (CRC of type and tag, little-endian u32s): one copied into the arena
    // in three tasks of uneven length, one only checksummed, one empty.
    const entry = (type: number, offset: number, length: number): SectionEntry => ({ type, tag: 0, offset, length, crc: crc32(file.subarray(offset, offset + length), seedOf(type, 0)) });
    const entries = [entry(18, 100, (2 << 20) + 5), entry(19, (2 << 20) + 200, 1000), entry(20, 3 << 20, 0)];
    const arena = KernelArena.create();
    const dest = arena.alloc(entries[0].length);
    const cuts = [0, 1 << 20, (1 << 20) + 7, entries[0].length];
    const tasks: LoadTask[] = cuts.slice(1).map((end, i) => ({ entry: 0, offset: cuts[i], length: end - cuts[i], dest: dest + cuts[i], graph: -1, first: 0, end: 0 }));
    tasks.push({ entry: 1, offset: 0, length: 1000, dest: 0, graph: -1, first: 0, end: 0 });
    const limits = { rows: 0, namespaces: 0, entities: 0 };
    const run = (data: Uint8Array): void => {
      const io = memoryFileIo(new Map([['/f', data]]));
      const fd = io.openRead('/f');
      const plan = { entries, tasks, graphs: [], state: arena.alloc(SharedLoad.stateBytes(tasks.length)) };
      const a = new SharedLoad(plan, arena);
      const b = new SharedLoad(plan, arena);
      expect(a.work(io, fd, '/f', limits, 1)).toBe(1);
      expect(b.work(io, fd, '/f', limits) + a.work(io, fd, '/f', limits)).toBe(tasks.length - 1);
      expect(Buffer.compare(new Uint8Array(arena.u32.buffer, dest, entries[0].length), data.subarray(100, 100 + entries[0].length))).toBe(0);
      a.verify('/f');
    };
    run(file);
    for (const at of [150, (1 << 20) + 103, (1 << 20) + 110, (2 << 20) + 50, (2 << 20) + 900]) {
      const damaged = file.slice();
      damaged[at] ^= 4;
      expect(() => run(damaged)).toThrowError(/checksum mismatch/);
    }
  });

  it('stops every runner once one abandons', () => {
    const arena = KernelArena.create();
    const entries: SectionEntry[] = [{ type: 20, tag: 0, offset: 0, length: 4096, crc: 0 }];
    const tasks: LoadTask[] = Array.from({ length: 4 }, (_, i) => ({ entry: 0, offset: i * 1024, length: 1024, dest: 0, graph: -1, first: 0, end: 0 }));
    const plan = { entries, tasks, graphs: [], state: arena.alloc(SharedLoad.stateBytes(tasks.length)) };
    const io = memoryFileIo(new Map([['/f', new Uint8Array(4096)]]));
    const load = new SharedLoad(plan, arena);
    expect(load.work(io, io.openRead('/f'), '/f', { rows: 0, namespaces: 0, entities: 0 }, 1)).toBe(1);
    new SharedLoad(plan, arena).abandon();
    expect(load.work(io, io.openRead('/f'), '/f', { rows: 0, namespaces: 0, entities: 0 })).toBe(0);
  });
});
