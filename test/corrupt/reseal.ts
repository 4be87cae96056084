// Re-sealing a mutated .feather file or WAL: every checksum recomputed, so the mutation gets past the
// checksums and reaches the structural validators behind them (ranges, links, tags, row maps, records).
import {
  BlockHashes,
  blockBytesOf,
  blockListChecksum,
  checksum,
  decode,
  kBulkSections,
  kSectionGraphHeader,
  kSectionNodes,
  sectionSeed,
} from '@feather-db/core';

const kEntryBytes = 32;

export interface SectionSpan {
  type: number;
  tag: number;
  offset: number;
  length: number;
}

/** The sections of a well-formed file (read from its index, which a reseal mutation leaves alone). */
export function sectionsOf(file: Uint8Array): SectionSpan[] {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const count = v.getUint32(28, true);
  const index = Number(v.getBigUint64(32, true));
  return Array.from({ length: count }, (_, i) => {
    const o = index + i * kEntryBytes;
    return {
      type: v.getUint32(o, true),
      tag: v.getUint32(o + 4, true),
      offset: Number(v.getBigUint64(o + 8, true)),
      length: Number(v.getBigUint64(o + 16, true)),
    };
  });
}

/** Per modality tag, the node stride its GRAPH_HEADER records (read from an unmutated file). */
function stridesOf(file: Uint8Array): Map<number, number> {
  const strides = new Map<number, number>();
  for (const h of sectionsOf(file)) {
    if (h.type === kSectionGraphHeader)
      strides.set(h.tag, (decode(file.slice(h.offset, h.offset + h.length), 'reseal', 'graph header') as { stride: number }).stride);
  }
  return strides;
}

/**
 * Recomputes every section checksum (format 3: bulk sections by block, NODES with the strides of the file
 * before its mutation), the index's and the header's.
 */
export function resealFile(file: Uint8Array, strides: Map<number, number> = stridesOf(file)): void {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const count = v.getUint32(28, true);
  const index = Number(v.getBigUint64(32, true));
  const sections = sectionsOf(file);
  sections.forEach((s, i) => {
    const bytes = file.subarray(s.offset, s.offset + s.length);
    let crc: number;
    if (kBulkSections.includes(s.type)) {
      const hashes = new BlockHashes(blockBytesOf(s.type, s.type === kSectionNodes ? strides.get(s.tag)! : 0));
      hashes.update(bytes);
      crc = blockListChecksum(s.type, s.tag, hashes.finish());
    } else {
      crc = checksum(bytes, sectionSeed(s.type, s.tag));
    }
    v.setUint32(index + i * kEntryBytes + 24, crc, true);
  });
  v.setUint32(index + count * kEntryBytes, checksum(file.subarray(index, index + count * kEntryBytes)), true);
  v.setUint32(124, checksum(file.subarray(0, 124)), true);
}

/** Recomputes the checksum of every record of a WAL whose framing is intact. */
function resealWal(wal: Uint8Array): void {
  const v = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
  for (let at = 32; at + 28 <= wal.length;) {
    const length = v.getUint32(at + 4, true);
    if (at + 28 + length > wal.length) break;
    v.setUint32(at + 24, checksum(wal.subarray(at + 28, at + 28 + length), checksum(wal.subarray(at + 4, at + 24))), true);
    at += 28 + length;
  }
}

/** Flips 1-3 bits inside one section's bytes (`sections`: which are eligible), then reseals. */
export function resealedFileMutation(
  file: Uint8Array,
  rand: () => number,
  eligible: (s: SectionSpan) => boolean = () => true,
): { bytes: Uint8Array; section: SectionSpan; at: number } {
  const bytes = Uint8Array.from(file);
  const strides = stridesOf(file);
  const candidates = sectionsOf(file).filter((s) => s.length > 0 && eligible(s));
  const section = candidates[Math.floor(rand() * candidates.length)];
  const at = section.offset + Math.floor(rand() * section.length);
  const flips = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < flips; i++) bytes[Math.min(section.offset + section.length - 1, at + i * 5)] ^= 1 << Math.floor(rand() * 8);
  resealFile(bytes, strides);
  return { bytes, section, at };
}

/** Flips 1-3 bits inside one record's payload, then reseals every record. */
export function resealedWalMutation(wal: Uint8Array, rand: () => number): { bytes: Uint8Array; at: number } {
  const bytes = Uint8Array.from(wal);
  const v = new DataView(bytes.buffer);
  const payloads: [number, number][] = [];
  for (let at = 32; at + 28 <= bytes.length;) {
    const length = v.getUint32(at + 4, true);
    payloads.push([at + 28, length]);
    at += 28 + length;
  }
  const [start, length] = payloads[Math.floor(rand() * payloads.length)];
  const at = start + Math.floor(rand() * Math.max(1, length));
  for (let i = 0; i < 1 + Math.floor(rand() * 3); i++) bytes[Math.min(start + length - 1, at + i * 3)] ^= 1 << Math.floor(rand() * 8);
  resealWal(bytes);
  return { bytes, at };
}
