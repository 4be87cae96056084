// Checksums shared between threads: crc32Combine against zlib over the concatenation, and a SharedChecksum
// whose slices are claimed by two checkers catching a flipped byte in any slice.
import { crc32 } from 'node:zlib';
import { crc32Combine, memoryFileIo, SharedChecksum, type SectionEntry } from '@feather-db/core';
import { seededRandom } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';

const bytes = (n: number, rand: () => number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));

describe('crc32Combine', () => {
  it('equals the CRC-32 of the concatenation, from any starting CRC', () => {
    const rand = seededRandom(7);
    for (const [a, b] of [[0, 1], [1, 0], [5, 3], [1000, 1], [4096, 70_000], [3, 1 << 20]] as const) {
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

describe('SharedChecksum', () => {
  it('verifies sections whose slices two checkers claimed, and names a damaged one', () => {
    const rand = seededRandom(11);
    const file = bytes(9 << 20, rand);
    const seedOf = (type: number, tag: number): number => crc32(Uint8Array.from([type, 0, 0, 0, tag, 0, 0, 0]));
    // Sections of the real layout's seeding (CRC of type and tag, little-endian u32s), one spanning three slices.
    const entry = (type: number, offset: number, length: number): SectionEntry => ({ type, tag: 0, offset, length, crc: crc32(file.subarray(offset, offset + length), seedOf(type, 0)) });
    const entries = [entry(17, 100, (8 << 20) + 5), entry(18, (8 << 20) + 200, 1000)];
    const run = (data: Uint8Array): void => {
      const io = memoryFileIo(new Map([['/f', data]]));
      const fd = io.openRead('/f');
      const shared = new Int32Array(new SharedArrayBuffer(SharedChecksum.words(entries) * 4));
      const a = new SharedChecksum(entries, shared, 0);
      const b = new SharedChecksum(entries, shared, 0);
      expect(a.work(io, fd, '/f', 1)).toBe(1);
      expect(b.work(io, fd, '/f') + a.work(io, fd, '/f')).toBe(SharedChecksum.words(entries) - 2);
      a.verify('/f');
    };
    run(file);
    for (const at of [150, (4 << 20) + 150, (8 << 20) + 50, (8 << 20) + 900]) {
      const damaged = file.slice();
      damaged[at] ^= 4;
      expect(() => run(damaged)).toThrowError(/checksum mismatch/);
    }
  });
});
