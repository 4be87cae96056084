// CRC-32 of a concatenation from the CRCs of its parts (zlib's crc32_combine): an open checksums a section
// in slices read by different threads and combines them, in format-2 files whose bulk sections are one CRC.

/** x·M over GF(2): the rows of M selected by the bits of x. */
function gf2Times(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0, v = vector >>> 0; v !== 0; i++, v >>>= 1) if ((v & 1) !== 0) sum ^= matrix[i];
  return sum >>> 0;
}

function gf2Square(square: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(matrix, matrix[n]);
}

/** Operators "append n zero bytes" by n: an open combines hundreds of slices of a handful of lengths. */
const kShiftCache = new Map<number, Uint32Array>();

/** The 32×32 GF(2) matrix that appends `len` zero bytes to a CRC-32 register (zlib's crc32_combine operator). */
function zerosOperator(len: number): Uint32Array {
  let cached: Uint32Array | undefined = kShiftCache.get(len);
  if (cached !== undefined) return cached;
  let power: Uint32Array = new Uint32Array(32); // the operator for one zero bit, squared up to one zero byte below
  power[0] = 0xedb8_8320; // the CRC-32 polynomial
  for (let n = 1, row = 1; n < 32; n++, row *= 2) power[n] = row;
  for (let i = 0; i < 3; i++) power = squared(power);
  // The product of the powers 2^k (in bytes) for the bits k of len; each starts as the identity.
  let result: Uint32Array | undefined;
  for (let left = len; left > 0; left = Math.floor(left / 2)) {
    if (left % 2 === 1) result = result === undefined ? power.slice() : times(power, result);
    if (left > 1) power = squared(power);
  }
  cached = result ?? Uint32Array.from({ length: 32 }, (_, n) => 2 ** n);
  if (kShiftCache.size >= 64) kShiftCache.clear();
  kShiftCache.set(len, cached);
  return cached;
}

/** A·B (apply B, then A). */
function times(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(32);
  for (let n = 0; n < 32; n++) out[n] = gf2Times(a, b[n]);
  return out;
}

function squared(matrix: Uint32Array): Uint32Array {
  const out = new Uint32Array(32);
  gf2Square(out, matrix);
  return out;
}

/**
 * The CRC-32 of A followed by B, from crc(A), crc(B) and B's length (zlib's crc32_combine: apply the operator
 * "append len2 zero bytes" to crc1, then xor crc2). With crc1 = a section's seed, this is the section's
 * checksum of B.
 */
export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  if (len2 <= 0) return crc1 >>> 0;
  return (gf2Times(zerosOperator(len2), crc1) ^ crc2) >>> 0;
}
