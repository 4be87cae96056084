// An open's bulk reading shared between threads: crc32Combine against zlib over the concatenation, the block
// hash (JavaScript and kernels alike), and a SharedLoad whose tasks two runners claim, copying into the arena
// and catching a flipped byte in any task, with either checksum.
import { crc32 } from 'node:zlib';
import { KernelArena } from '../src/arena.js';
import { memoryFileIo } from '../src/format/file-io.js';
import { arenaBlockHashes } from '../src/format/arena-hashes.js';
import { blockHash, BlockHasher, BlockHashes } from '../src/format/block-hash.js';
import { crc32Combine } from '../src/format/crc32-combine.js';
import { checksum, type SectionEntry } from '../src/format/store-file.js';
import { cutTasks } from '../src/open/load-tasks.js';
import { SharedLoad } from '../src/open/shared-load.js';
import { seededRandom } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';

const bytes = (n: number, rand: () => number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));

describe('crc32Combine', () => {
  it('equals the CRC-32 of the concatenation, from any starting CRC', () => {
    const rand = seededRandom(7);
    for (const [a, b] of [
      [0, 1],
      [1, 0],
      [5, 3],
      [1000, 1],
      [4096, 70_000],
      [3, 1 << 20],
      [7, 1000],
      [9, 1000],
      [1, (1 << 20) + 13],
    ] as const) {
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

describe('block hash', () => {
  const arena = KernelArena.create();
  const size = (1 << 20) + 300;
  const at = arena.alloc(size);
  const data = bytes(size, seededRandom(3));
  new Uint8Array(arena.u32.buffer, at, size).set(data);

  it('is the same in JavaScript (any pieces, any alignment) and in the kernels (stripe-aligned spans)', () => {
    const wasm = arena.wasm;
    for (const n of [0, 1, 3, 4, 15, 16, 17, 63, 64, 65, 127, 128, 1000, 4096, size]) {
      const whole = blockHash(data.subarray(0, n));
      const hasher = new BlockHasher();
      for (let i = 0; i < n; i += 37) hasher.update(data.subarray(i, Math.min(n, i + 37)));
      expect(hasher.digest()).toBe(whole);
      expect(blockHash(data.slice(1, n + 1).subarray(0, n))).toBe(blockHash(data.slice(1, n + 1)));
      wasm.hashBegin();
      const split = 64 * Math.floor(n / 128);
      if (split > 0) wasm.hashStripes(at, split);
      expect(wasm.hashEnd(at + split, n - split, n) >>> 0).toBe(whole);
    }
    // Unaligned views hash like aligned copies.
    expect(blockHash(data.subarray(1, 1001))).toBe(blockHash(data.slice(1, 1001)));
  });

  it('changes with any single changed word, and with the length', () => {
    const block = data.slice(0, 4096);
    const base = blockHash(block);
    for (let word = 0; word < 1024; word++) {
      const changed = block.slice();
      changed[word * 4 + (word % 4)] ^= 1 << (word % 8);
      expect(blockHash(changed)).not.toBe(base);
    }
    expect(blockHash(new Uint8Array(64))).not.toBe(blockHash(new Uint8Array(65)));
  });

  it('is the same hashed by the kernels over arena regions as in JavaScript over the bytes', () => {
    // Three regions of whole stripes but the last, blocks straddling them.
    const sizes = [64 * 50, 64 * 3, 1000];
    const regions = sizes.map((bytes) => ({ at: arena.alloc(bytes), bytes }));
    const joined = data.slice(
      0,
      sizes.reduce((a, b) => a + b, 0),
    );
    let offset = 0;
    for (const r of regions) {
      new Uint8Array(arena.u32.buffer, r.at, r.bytes).set(joined.subarray(offset, offset + r.bytes));
      offset += r.bytes;
    }
    for (const blockBytes of [64 * 10, 64 * 52, 1 << 20]) {
      const js = new BlockHashes(blockBytes);
      js.update(joined);
      expect(Array.from(arenaBlockHashes(arena, regions, blockBytes))).toEqual(Array.from(js.finish()));
    }
  });

  it('cuts a stream of parts into blocks', () => {
    const blocks = new BlockHashes(1000);
    for (let i = 0; i < 4500; i += 333) blocks.update(data.subarray(i, Math.min(4500, i + 333)));
    expect(Array.from(blocks.finish())).toEqual(
      [0, 1000, 2000, 3000, 4000].map((o) => blockHash(data.subarray(o, Math.min(4500, o + 1000)))),
    );
  });
});

describe('SharedLoad', () => {
  for (const blocks of [false, true]) {
    it(`copies and verifies sections whose tasks two runners claimed, and names a damaged one (${blocks ? 'block hashes' : 'CRC-32'})`, () => {
      const rand = seededRandom(11);
      const file = bytes(3 << 20, rand);
      const seedOf = (type: number, tag: number): number => crc32(Uint8Array.from([type, 0, 0, 0, tag, 0, 0, 0]));
      // Sections as saved: one copied into two arena regions (a task spanning both), one only checksummed, one empty.
      const sum = (type: number, offset: number, length: number): number => {
        if (!blocks) return crc32(file.subarray(offset, offset + length), seedOf(type, 0));
        const hashes = new BlockHashes(1 << 20);
        hashes.update(file.subarray(offset, offset + length));
        return checksum(new Uint8Array(hashes.finish().buffer), seedOf(type, 0));
      };
      const entry = (type: number, offset: number, length: number): SectionEntry => ({
        type,
        tag: 0,
        offset,
        length,
        crc: sum(type, offset, length),
      });
      const entries = [entry(18, 100, (2 << 20) + 5), entry(19, (2 << 20) + 200, 1000), entry(20, 3 << 20, 0)];
      const arena = KernelArena.create();
      const regions = [{ at: arena.alloc((1 << 20) + 64 * 100), bytes: (1 << 20) + 64 * 100 }];
      regions.push({ at: arena.alloc(entries[0].length - regions[0].bytes), bytes: entries[0].length - regions[0].bytes });
      const tasks = [
        ...cutTasks(0, entries[0].length, 1 << 20, regions),
        ...cutTasks(1, 1000, 1 << 20, []),
        ...cutTasks(2, 0, 1 << 20, []),
      ];
      expect(tasks.map((t) => t.spans.length / 2)).toEqual([1, 2, 1, 0]);
      const limits = { rows: 0, namespaces: 0, entities: 0 };
      const run = (data: Uint8Array): void => {
        const io = memoryFileIo(new Map([['/f', data]]));
        const fd = io.openRead('/f');
        const plan = { entries, tasks, graphs: [], modalities: [], blocks, state: arena.alloc(SharedLoad.stateBytes(tasks.length)) };
        const a = new SharedLoad(plan, arena);
        const b = new SharedLoad(plan, arena);
        expect(a.work(io, fd, '/f', limits, 1)).toBe(1);
        expect(b.work(io, fd, '/f', limits) + a.work(io, fd, '/f', limits)).toBe(2 * tasks.length - 1);
        const copied = Buffer.concat(regions.map((r) => new Uint8Array(arena.u32.buffer, r.at, r.bytes)));
        expect(Buffer.compare(copied, data.subarray(100, 100 + entries[0].length))).toBe(0);
        a.verify('/f');
      };
      run(file);
      for (const at of [150, (1 << 20) + 103, (1 << 20) + 64 * 100 + 110, (2 << 20) + 50, (2 << 20) + 900]) {
        const damaged = file.slice();
        damaged[at] ^= 4;
        expect(() => run(damaged)).toThrowError(/checksum mismatch/);
      }
    });
  }

  it('stops every runner once one abandons', () => {
    const arena = KernelArena.create();
    const entries: SectionEntry[] = [{ type: 20, tag: 0, offset: 0, length: 4096, crc: 0 }];
    const tasks = cutTasks(0, 4096, 1024, []);
    const plan = { entries, tasks, graphs: [], modalities: [], blocks: true, state: arena.alloc(SharedLoad.stateBytes(tasks.length)) };
    const io = memoryFileIo(new Map([['/f', new Uint8Array(4096)]]));
    const load = new SharedLoad(plan, arena);
    expect(load.work(io, io.openRead('/f'), '/f', { rows: 0, namespaces: 0, entities: 0 }, 1)).toBe(1);
    new SharedLoad(plan, arena).abandon();
    expect(load.work(io, io.openRead('/f'), '/f', { rows: 0, namespaces: 0, entities: 0 })).toBe(0);
  });
});
