// Checksums of a file's bulk sections (graph and vectors), checked by two threads together during an open.
import { checksum, corruptFile, sectionSeed, type SectionEntry } from './store-file.js';
import type { FileIo } from './file-io.js';

/** Bytes per slice: small enough that the threads sharing a check finish within a few ms of each other. */
const kSliceBytes = 4 << 20;

/** x·M over GF(2): the rows of M selected by the bits of x. */
function gf2Times(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0, v = vector >>> 0; v !== 0; i++, v >>>= 1) if ((v & 1) !== 0) sum ^= matrix[i];
  return sum >>> 0;
}

function gf2Square(square: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(matrix, matrix[n]);
}

/**
 * The CRC-32 of A followed by B, from crc(A), crc(B) and B's length (zlib's crc32_combine: apply the operator
 * "append len2 zero bytes" to crc1, built by repeated squaring, then xor crc2). With crc1 = a section's seed,
 * this is the section's checksum of B.
 */
export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  if (len2 <= 0) return crc1 >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = 0xedb8_8320; // the CRC-32 polynomial: the operator for one zero bit
  for (let n = 1, row = 1; n < 32; n++, row *= 2) odd[n] = row;
  gf2Square(even, odd); // two zero bits
  gf2Square(odd, even); // four zero bits
  let crc = crc1 >>> 0;
  for (let len = len2; len > 0; ) {
    gf2Square(even, odd); // one zero byte, then 4, 16, ... (squared at each step)
    if (len % 2 === 1) crc = gf2Times(even, crc);
    len = Math.floor(len / 2);
    if (len === 0) break;
    gf2Square(odd, even);
    if (len % 2 === 1) crc = gf2Times(odd, crc);
    len = Math.floor(len / 2);
  }
  return (crc ^ crc2) >>> 0;
}

interface Slice {
  entry: number;
  offset: number;
  length: number;
}

/**
 * The checksums of some sections, checked by any number of threads together: the sections are cut into
 * 4 MiB slices; a thread claims the next unclaimed slice with an atomic add on a counter in shared memory,
 * reads it through the descriptor the threads share and stores its CRC-32 next to the counter. Once every
 * thread is done, one of them combines the slice CRCs of each section (crc32Combine) and compares them with
 * the section index. During an open, the writer checks slices from the moment its model is built and the
 * main thread joins once its graphs are loaded, so neither waits long for the other.
 *
 * State: `1 + slices` int32 words at `at` in `memory` (word 0 the claim counter, then one CRC per slice).
 */
export class SharedChecksum {
  readonly #entries: readonly SectionEntry[];
  readonly #slices: Slice[] = [];
  readonly #memory: Int32Array;
  readonly #at: number;

  constructor(entries: readonly SectionEntry[], memory: Int32Array, at: number) {
    this.#entries = entries;
    entries.forEach((e, entry) => {
      for (let offset = 0; offset < e.length; offset += kSliceBytes) this.#slices.push({ entry, offset, length: Math.min(kSliceBytes, e.length - offset) });
    });
    this.#memory = memory;
    this.#at = at;
  }

  /** Int32 words of shared state a check of these sections needs. */
  static words(entries: readonly SectionEntry[]): number {
    return 1 + entries.reduce((n, e) => n + Math.ceil(e.length / kSliceBytes), 0);
  }

  /** A check one thread runs alone (private state). */
  static alone(entries: readonly SectionEntry[]): SharedChecksum {
    return new SharedChecksum(entries, new Int32Array(SharedChecksum.words(entries)), 0);
  }

  /**
   * Claims and checksums slices until none is left or `limit` are done; returns how many this call did.
   * @throws FEATHER_ERR_CORRUPT when a slice cannot be read whole.
   */
  work(io: FileIo, fd: number, path: string, limit: number = Number.POSITIVE_INFINITY): number {
    const buffer = new Uint8Array(kSliceBytes);
    let done = 0;
    while (done < limit) {
      const i = Atomics.add(this.#memory, this.#at, 1);
      if (i >= this.#slices.length) break;
      const s = this.#slices[i];
      const e = this.#entries[s.entry];
      const piece = buffer.subarray(0, s.length);
      if (io.read(fd, piece, e.offset + s.offset) !== s.length) throw corruptFile(path, e.offset + s.offset, `section type ${e.type} is cut short`, { part: 'section', type: e.type });
      // Atomic store: the thread that verifies reads it after this one is done (its reply happens after).
      Atomics.store(this.#memory, this.#at + 1 + i, checksum(piece) | 0);
      done++;
    }
    return done;
  }

  /**
   * Compares each section's combined slice CRCs with its index entry. Call once every thread's work() has
   * returned (all slices are then claimed and stored).
   * @throws FEATHER_ERR_CORRUPT naming the first section whose bytes do not match.
   */
  verify(path: string): void {
    const crcs = this.#entries.map((e) => sectionSeed(e.type, e.tag));
    this.#slices.forEach((s, i) => {
      crcs[s.entry] = crc32Combine(crcs[s.entry], Atomics.load(this.#memory, this.#at + 1 + i) >>> 0, s.length);
    });
    this.#entries.forEach((e, i) => {
      if (crcs[i] !== e.crc) throw corruptFile(path, e.offset, `section type ${e.type} (tag ${e.tag}) checksum mismatch`, { part: 'section', type: e.type, tag: e.tag });
    });
  }
}
