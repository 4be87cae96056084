// ---- block hash: the checksum of format-3 bulk sections (docs/format.md, "Block hashes") -------------------
//
// 16 u32 lanes, one per 4-byte word of each 64-byte stripe: lane = rotl(lane + word·P2, 13)·P1 (xxHash32's
// round); a last partial stripe is zero-padded; the lanes are folded in order with the length and mixed. The
// lanes live in four v128 globals (per thread: each thread has its own instance), so a block spread over
// several arena spans hashes in pieces: hashBegin, hashStripes for each span but the last (whole stripes),
// hashEnd with the last. Every step is a bijection of the lane given the word, so a change confined to one
// word always changes the hash.

export const kP1: u32 = 0x9e3779b1;
export const kP2: u32 = 0x85ebca77;
export const kP3: u32 = 0xc2b2ae3d;
export let hashA: v128 = i32x4.splat(0);
export let hashB: v128 = i32x4.splat(0);
export let hashC: v128 = i32x4.splat(0);
export let hashD: v128 = i32x4.splat(0);

@inline export function hashRound(lane: v128, words: v128): v128 {
  const x = i32x4.add(lane, i32x4.mul(words, i32x4.splat(kP2)));
  return i32x4.mul(v128.or(i32x4.shl(x, 13), i32x4.shr_u(x, 19)), i32x4.splat(kP1));
}

/** Starts a block hash: lane j = P1 + j. */
export function hashBegin(): void {
  hashA = i32x4(kP1, kP1 + 1, kP1 + 2, kP1 + 3);
  hashB = i32x4(kP1 + 4, kP1 + 5, kP1 + 6, kP1 + 7);
  hashC = i32x4(kP1 + 8, kP1 + 9, kP1 + 10, kP1 + 11);
  hashD = i32x4(kP1 + 12, kP1 + 13, kP1 + 14, kP1 + 15);
}

/** Hashes the whole stripes of [p, p + len) (len a multiple of 64 when more follows). */
export function hashStripes(p: u32, len: u32): void {
  let a = hashA;
  let b = hashB;
  let c = hashC;
  let d = hashD;
  const end = p + (len & ~63);
  for (; p < end; p += 64) {
    a = hashRound(a, v128.load(p));
    b = hashRound(b, v128.load(p, 16));
    c = hashRound(c, v128.load(p, 32));
    d = hashRound(d, v128.load(p, 48));
  }
  hashA = a;
  hashB = b;
  hashC = c;
  hashD = d;
}

/** Hashes [p, p + len), the block's last bytes, and returns the hash of the whole block of `total` bytes. */
export function hashEnd(p: u32, len: u32, total: u32): u32 {
  hashStripes(p, len);
  const rest = len & 63;
  if (rest != 0) {
    // The last partial stripe, zero-padded.
    const at = p + (len & ~63);
    hashA = hashRound(hashA, tailLanes(at, rest, 0));
    hashB = hashRound(hashB, tailLanes(at, rest, 4));
    hashC = hashRound(hashC, tailLanes(at, rest, 8));
    hashD = hashRound(hashD, tailLanes(at, rest, 12));
  }
  let h = total;
  h = hashFold(h, hashA);
  h = hashFold(h, hashB);
  h = hashFold(h, hashC);
  h = hashFold(h, hashD);
  h ^= h >>> 15;
  h *= kP2;
  h ^= h >>> 13;
  h *= kP3;
  h ^= h >>> 16;
  return h;
}

/** Word k of a partial stripe of `rest` bytes at `at`, zero-padded (little-endian). */
@inline export function tailWord(at: u32, rest: u32, k: u32): u32 {
  let w: u32 = 0;
  for (let i: u32 = 0; i < 4; i++) if (k * 4 + i < rest) w |= (<u32>load<u8>(at + k * 4 + i)) << (i << 3);
  return w;
}

@inline export function tailLanes(at: u32, rest: u32, k: u32): v128 {
  const v = i32x4.replace_lane(i32x4.splat(tailWord(at, rest, k)), 1, tailWord(at, rest, k + 1));
  return i32x4.replace_lane(i32x4.replace_lane(v, 2, tailWord(at, rest, k + 2)), 3, tailWord(at, rest, k + 3));
}

@inline export function hashFold(h: u32, lanes: v128): u32 {
  h = rotl<u32>(h ^ <u32>i32x4.extract_lane(lanes, 0), 7) * kP2;
  h = rotl<u32>(h ^ <u32>i32x4.extract_lane(lanes, 1), 7) * kP2;
  h = rotl<u32>(h ^ <u32>i32x4.extract_lane(lanes, 2), 7) * kP2;
  return rotl<u32>(h ^ <u32>i32x4.extract_lane(lanes, 3), 7) * kP2;
}
