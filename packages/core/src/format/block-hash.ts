// The block hash of format-3 bulk sections (docs/format.md, "Block hashes"), in JavaScript: for bytes outside
// the shared memory (a save's parts, a load task's scratch buffer). The kernels compute the same hash over
// arena bytes with SIMD (hashBegin / hashStripes / hashEnd), about five times faster than zlib's CRC-32.

const kP1 = 0x9e37_79b1 | 0;
const kP2 = 0x85eb_ca77 | 0;
const kP3 = 0xc2b2_ae3d | 0;

/**
 * One block's hash, fed in pieces of any length: 16 u32 lanes, lane j starting at P1 + j, each 64-byte stripe
 * updating lane j with its j-th little-endian word w as rotl(lane + w·P2, 13)·P1; a last partial stripe
 * zero-padded; the lanes folded in order into the length (h = rotl(h ^ lane, 7)·P2), then mixed.
 */
export class BlockHasher {
  readonly #lanes = new Int32Array(16);
  /** Bytes of a stripe not yet complete (pieces need not be stripe-aligned). */
  readonly #carry = new Uint8Array(64);
  readonly #carryWords = new Int32Array(this.#carry.buffer);
  #carried = 0;
  #total = 0;

  constructor() {
    this.reset();
  }

  reset(): void {
    for (let j = 0; j < 16; j++) this.#lanes[j] = (kP1 + j) | 0;
    this.#carried = 0;
    this.#total = 0;
  }

  update(bytes: Uint8Array): void {
    this.#total += bytes.length;
    let at = 0;
    if (this.#carried > 0) {
      const take = Math.min(64 - this.#carried, bytes.length);
      this.#carry.set(bytes.subarray(0, take), this.#carried);
      this.#carried += take;
      at = take;
      if (this.#carried < 64) return;
      stripes(this.#lanes, this.#carryWords, 0, 16);
      this.#carried = 0;
    }
    const whole = (bytes.length - at) & ~63;
    if (whole > 0) {
      const start = bytes.byteOffset + at;
      if (start % 4 === 0) {
        stripes(this.#lanes, new Int32Array(bytes.buffer, start, whole / 4), 0, whole / 4);
      } else {
        // Unaligned: through an aligned copy, a stripe-multiple at a time.
        const buffer = new Int32Array(Math.min(whole, 1 << 16) / 4);
        const view = new Uint8Array(buffer.buffer);
        for (let done = 0; done < whole; done += view.length) {
          const n = Math.min(view.length, whole - done);
          view.set(bytes.subarray(at + done, at + done + n));
          stripes(this.#lanes, buffer, 0, n / 4);
        }
      }
      at += whole;
    }
    if (at < bytes.length) {
      this.#carry.set(bytes.subarray(at));
      this.#carried = bytes.length - at;
    }
  }

  /** The hash of everything fed since the last reset (then resets). */
  digest(): number {
    const lanes = this.#lanes;
    if (this.#carried > 0) {
      this.#carry.fill(0, this.#carried);
      stripes(lanes, this.#carryWords, 0, 16);
    }
    let h = this.#total | 0;
    for (let j = 0; j < 16; j++) {
      const x = h ^ lanes[j];
      h = Math.imul((x << 7) | (x >>> 25), kP2);
    }
    h ^= h >>> 15;
    h = Math.imul(h, kP2);
    h ^= h >>> 13;
    h = Math.imul(h, kP3);
    h ^= h >>> 16;
    this.reset();
    return h >>> 0;
  }
}

/** The hash of one block. */
export function blockHash(bytes: Uint8Array): number {
  const hasher = new BlockHasher();
  hasher.update(bytes);
  return hasher.digest();
}

/**
 * The hashes of consecutive blocks of `blockBytes` (the last one shorter) over bytes fed in pieces of any
 * length (a section written part by part).
 */
export class BlockHashes {
  readonly #blockBytes: number;
  readonly #hasher = new BlockHasher();
  readonly #hashes: number[] = [];
  #inBlock = 0;

  constructor(blockBytes: number) {
    this.#blockBytes = blockBytes;
  }

  update(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length;) {
      const take = Math.min(this.#blockBytes - this.#inBlock, bytes.length - at);
      this.#hasher.update(bytes.subarray(at, at + take));
      this.#inBlock += take;
      at += take;
      if (this.#inBlock === this.#blockBytes) {
        this.#hashes.push(this.#hasher.digest());
        this.#inBlock = 0;
      }
    }
  }

  /** Every block's hash, in order (a trailing partial block included). */
  finish(): Uint32Array {
    if (this.#inBlock > 0) this.#hashes.push(this.#hasher.digest());
    this.#inBlock = 0;
    return Uint32Array.from(this.#hashes);
  }
}

/** Words [from, from + count) of `w` as whole stripes (count a multiple of 16). */
function stripes(lanes: Int32Array, w: Int32Array, from: number, count: number): void {
  let l0 = lanes[0],
    l1 = lanes[1],
    l2 = lanes[2],
    l3 = lanes[3],
    l4 = lanes[4],
    l5 = lanes[5],
    l6 = lanes[6],
    l7 = lanes[7];
  let l8 = lanes[8],
    l9 = lanes[9],
    l10 = lanes[10],
    l11 = lanes[11],
    l12 = lanes[12],
    l13 = lanes[13],
    l14 = lanes[14],
    l15 = lanes[15];
  let x = 0;
  for (let i = from, end = from + count; i < end; i += 16) {
    x = (l0 + Math.imul(w[i], kP2)) | 0;
    l0 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l1 + Math.imul(w[i + 1], kP2)) | 0;
    l1 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l2 + Math.imul(w[i + 2], kP2)) | 0;
    l2 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l3 + Math.imul(w[i + 3], kP2)) | 0;
    l3 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l4 + Math.imul(w[i + 4], kP2)) | 0;
    l4 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l5 + Math.imul(w[i + 5], kP2)) | 0;
    l5 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l6 + Math.imul(w[i + 6], kP2)) | 0;
    l6 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l7 + Math.imul(w[i + 7], kP2)) | 0;
    l7 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l8 + Math.imul(w[i + 8], kP2)) | 0;
    l8 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l9 + Math.imul(w[i + 9], kP2)) | 0;
    l9 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l10 + Math.imul(w[i + 10], kP2)) | 0;
    l10 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l11 + Math.imul(w[i + 11], kP2)) | 0;
    l11 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l12 + Math.imul(w[i + 12], kP2)) | 0;
    l12 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l13 + Math.imul(w[i + 13], kP2)) | 0;
    l13 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l14 + Math.imul(w[i + 14], kP2)) | 0;
    l14 = Math.imul((x << 13) | (x >>> 19), kP1);
    x = (l15 + Math.imul(w[i + 15], kP2)) | 0;
    l15 = Math.imul((x << 13) | (x >>> 19), kP1);
  }
  lanes[0] = l0;
  lanes[1] = l1;
  lanes[2] = l2;
  lanes[3] = l3;
  lanes[4] = l4;
  lanes[5] = l5;
  lanes[6] = l6;
  lanes[7] = l7;
  lanes[8] = l8;
  lanes[9] = l9;
  lanes[10] = l10;
  lanes[11] = l11;
  lanes[12] = l12;
  lanes[13] = l13;
  lanes[14] = l14;
  lanes[15] = l15;
}
