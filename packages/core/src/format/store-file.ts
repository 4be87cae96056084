// The .feather container: a fixed header, sections, and a section index, each checksummed.
// docs/format.md has the same tables and the contents of every section type.
//
// File header (kFileHeaderBytes = 128)
//   OFFSET SIZE DESCRIPTION
//        0    8 magic "FEATHR\r\n" (46 45 41 54 48 52 0D 0A): CR LF catches text-mode transfers
//        8    2 format major (a reader refuses a newer major: FEATHER_ERR_FORMAT_VERSION)
//       10    2 format minor (newer minors only add section types, which older readers skip)
//       12    4 header size in bytes (128)
//       16    4 flags (reserved, 0)
//       20    4 dim of the 'text' modality
//       24    4 metric of the 'text' modality: 0 ip, 1 l2, 2 cosine
//       28    4 section count
//       32    8 section index offset
//       40    8 file length in bytes (a truncated or extended file fails this check)
//       48    8 commit sequence: the last WAL sequence number contained in this file
//       56   64 embedding model id, UTF-8, zero padded ('' = not recorded)
//      120    4 reserved (0)
//      124    4 CRC-32 of bytes 0..123
//
// Section index (at the index offset): `section count` entries of kIndexEntryBytes = 32, then a CRC-32 of
// the entries
//   OFFSET SIZE DESCRIPTION
//        0    4 section type (kSection*, section-types.ts)
//        4    4 tag: the modality number for per-modality sections, else 0
//        8    8 offset of the section's first byte
//       16    8 length in bytes
//       24    4 CRC-32 of the section's bytes, seeded with the CRC-32 of its type and tag (8 bytes, LE), so
//               an entry that points at another section's bytes fails even when those bytes are intact;
//               from format 3, for the bulk sections (kBulkSections): that CRC-32 over the block hashes of
//               the section (each a u32, LE, in order; see block-hash.ts and blockBytesOf)
//       28    4 reserved (0)
import { crc32 } from 'node:zlib';
import { describeValue, FeatherError } from '../errors.js';
import { BlockHashes } from './block-hash.js';
import type { FileIo } from './file-io.js';
import { kBulkSections, kSectionNodes } from './section-types.js';

const kFileMagic: Uint8Array = Uint8Array.of(0x46, 0x45, 0x41, 0x54, 0x48, 0x52, 0x0d, 0x0a);
export const kFormatMajor = 3;
/** The first format whose bulk sections are checksummed by block (block hashes, then a CRC-32 of those). */
export const kBlockHashedMajor: number = 3;
/** Minor 1 adds the WRITE_ORDER section (older readers skip it; files without it still open). */
const kFormatMinor = 1;
const kFileHeaderBytes = 128;
const kIndexEntryBytes = 32;
const kModelIdBytes = 64;

/** Header fields a writer supplies. */
export interface FileHeader {
  dim: number;
  metric: number;
  commitSeq: number;
  modelId: string;
}

export interface SectionEntry {
  type: number;
  tag: number;
  offset: number;
  length: number;
  crc: number;
}

/** A section to write: its bytes as one or more parts (written in order, never concatenated). */
export interface SectionSource {
  type: number;
  tag: number;
  parts: Uint8Array[];
  /** Bulk sections: the bytes per checksum block (blockBytesOf); the checksum is then over block hashes. */
  blockBytes?: number;
  /** Those block hashes, when the caller computed them (else they are computed from `parts`). */
  blockHashes?: Uint32Array;
}

/** Bytes per checksum block of bulk sections other than NODES. */
export const kBlockBytes: number = 1 << 20;

/**
 * Bytes per checksum block of a bulk section (format 3): whole node blocks for NODES (a multiple of 4 nodes,
 * about 1 MiB, so a block is checked node by node and its pieces stay 64-byte aligned), else kBlockBytes.
 */
export function blockBytesOf(type: number, stride = 0): number {
  if (type !== kSectionNodes) return kBlockBytes;
  return Math.max(4, 4 * Math.floor(kBlockBytes / 4 / stride)) * stride;
}

/** A block-hashed section's checksum: the seeded CRC-32 of its block hashes as little-endian u32s. */
export function blockListChecksum(type: number, tag: number, hashes: Uint32Array): number {
  return checksum(new Uint8Array(hashes.buffer, hashes.byteOffset, hashes.byteLength), sectionSeed(type, tag));
}

export function checksum(bytes: Uint8Array, previous = 0): number {
  // zlib.crc32 returns 0, not `previous`, for a view of an empty ArrayBuffer (Node 20.20).
  if (bytes.length === 0) return previous >>> 0;
  return crc32(bytes, previous) >>> 0;
}

/** The starting CRC of a section: binds its checksum to its type and tag. */
export function sectionSeed(type: number, tag: number): number {
  const key = new Uint8Array(8);
  const v = new DataView(key.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, tag, true);
  return checksum(key);
}

export function corruptFile(path: string, offset: number, what: string, details: Record<string, unknown> = {}): FeatherError {
  return new FeatherError(
    'FEATHER_ERR_CORRUPT',
    `Corrupt ${path} at offset ${offset}: ${what}; restore it from a backup or a copy taken between saves`,
    { path, offset, ...details },
  );
}

/**
 * Writes a complete file atomically: everything goes to `<path>.tmp`, which is synced, renamed over `path`,
 * and the directory synced, so a reader (or a `cp`) sees the old file or the new one, never a mix.
 */
export function writeStoreFile(io: FileIo, path: string, header: FileHeader, sections: readonly SectionSource[]): { bytes: number } {
  const tmp = `${path}.tmp`;
  const fd = io.openWrite(tmp);
  let at = kFileHeaderBytes;
  let length = 0;
  const entries: SectionEntry[] = [];
  try {
    for (const s of sections) {
      let crc = sectionSeed(s.type, s.tag);
      const blocks = s.blockBytes === undefined || s.blockHashes !== undefined ? undefined : new BlockHashes(s.blockBytes);
      let length = 0;
      for (const part of s.parts) {
        io.write(fd, part, at + length);
        if (blocks !== undefined) blocks.update(part);
        else if (s.blockBytes === undefined) crc = checksum(part, crc);
        length += part.length;
      }
      if (s.blockBytes !== undefined) crc = blockListChecksum(s.type, s.tag, s.blockHashes ?? blocks!.finish());
      entries.push({ type: s.type, tag: s.tag, offset: at, length, crc });
      at += length;
    }
    const index = new Uint8Array(entries.length * kIndexEntryBytes + 4);
    const iv = new DataView(index.buffer);
    entries.forEach((e, i) => {
      const o = i * kIndexEntryBytes;
      iv.setUint32(o, e.type, true);
      iv.setUint32(o + 4, e.tag, true);
      iv.setBigUint64(o + 8, BigInt(e.offset), true);
      iv.setBigUint64(o + 16, BigInt(e.length), true);
      iv.setUint32(o + 24, e.crc, true);
    });
    iv.setUint32(entries.length * kIndexEntryBytes, checksum(index.subarray(0, entries.length * kIndexEntryBytes)), true);
    io.write(fd, index, at);
    length = at + index.length;
    io.write(fd, encodeHeader(header, entries.length, at, length), 0);
    io.sync(fd);
  } catch (error) {
    closeAndRemove(io, fd, tmp);
    throw error;
  }
  // Closed exactly once: a close that fails is an error of the save, and the temp file goes with it.
  try {
    io.close(fd);
  } catch (error) {
    closeAndRemove(io, undefined, tmp);
    throw error;
  }
  try {
    io.rename(tmp, path);
  } catch (error) {
    closeAndRemove(io, undefined, tmp);
    throw error;
  }
  // After the rename the new file is in place, maybe not durably: the caller learns it from `renamed`.
  try {
    io.syncDirectory(path);
  } catch (error) {
    if (error instanceof FeatherError)
      throw new FeatherError(error.code, error.message, { ...error.details, renamed: true }, { cause: error });
    throw error;
  }
  return { bytes: length };
}

/** Cleanup after a failed save: the original error matters more than one from here. */
function closeAndRemove(io: FileIo, fd: number | undefined, tmp: string): void {
  try {
    if (fd !== undefined) io.close(fd);
  } catch {
    // reported by the caller's error
  }
  try {
    io.unlink(tmp);
  } catch {
    // reported by the caller's error
  }
}

function encodeHeader(h: FileHeader, sectionCount: number, indexOffset: number, length: number): Uint8Array {
  const bytes = new Uint8Array(kFileHeaderBytes);
  const v = new DataView(bytes.buffer);
  bytes.set(kFileMagic, 0);
  v.setUint16(8, kFormatMajor, true);
  v.setUint16(10, kFormatMinor, true);
  v.setUint32(12, kFileHeaderBytes, true);
  v.setUint32(16, 0, true);
  v.setUint32(20, h.dim, true);
  v.setUint32(24, h.metric, true);
  v.setUint32(28, sectionCount, true);
  v.setBigUint64(32, BigInt(indexOffset), true);
  v.setBigUint64(40, BigInt(length), true);
  v.setBigUint64(48, BigInt(h.commitSeq), true);
  const id = new TextEncoder().encode(h.modelId);
  if (id.length > kModelIdBytes)
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `the embedding model id must be at most ${kModelIdBytes} UTF-8 bytes, got ${id.length}`,
    );
  bytes.set(id, 56);
  v.setUint32(124, checksum(bytes.subarray(0, 124)), true);
  return bytes;
}

/** A verified file header and section index; sections are read (and verified) on demand. */
export class StoreFileReader {
  readonly path: string;
  readonly header: FileHeader & { major: number; minor: number; length: number };
  readonly sections: readonly SectionEntry[];
  readonly #io: FileIo;
  readonly #fd: number;
  readonly #owned: boolean;
  /** Section types whose checksums are checked elsewhere (SharedLoad, another thread): read without checking. */
  #deferred: ReadonlySet<number> = new Set();

  private constructor(io: FileIo, fd: number, owned: boolean, path: string, header: StoreFileReader['header'], sections: SectionEntry[]) {
    this.#io = io;
    this.#fd = fd;
    this.#owned = owned;
    this.path = path;
    this.header = header;
    this.sections = sections;
  }

  /**
   * Opens and verifies the header and index (magic, version, lengths, checksums, section bounds). With `fd`,
   * reads through that descriptor (another thread's: the same file even if it was replaced since) and leaves
   * it open on close.
   * @throws FEATHER_ERR_CORRUPT, FEATHER_ERR_FORMAT_VERSION, FEATHER_ERR_IO.
   */
  static open(io: FileIo, path: string, shared?: number): StoreFileReader {
    const fd = shared ?? io.openRead(path);
    try {
      const size = io.size(fd);
      const head = new Uint8Array(kFileHeaderBytes);
      const got = io.read(fd, head, 0);
      if (got < kFileMagic.length || !kFileMagic.every((b, i) => head[i] === b)) {
        throw corruptFile(path, 0, `not a .feather file (bad magic, got ${describeValue(Array.from(head.subarray(0, 8)))})`, {
          part: 'header',
        });
      }
      if (got < kFileHeaderBytes)
        throw corruptFile(path, got, `truncated inside the header (${got} of ${kFileHeaderBytes} bytes)`, { part: 'header' });
      const v = new DataView(head.buffer);
      const major = v.getUint16(8, true);
      if (major > kFormatMajor) {
        throw new FeatherError(
          'FEATHER_ERR_FORMAT_VERSION',
          `File format ${major}.${v.getUint16(10, true)} of ${path} is newer than supported ${kFormatMajor}.${kFormatMinor}; upgrade feather-db to open it`,
          { path, major },
        );
      }
      if (v.getUint32(124, true) !== checksum(head.subarray(0, 124)))
        throw corruptFile(path, 124, 'header checksum mismatch', { part: 'header' });
      if (major < 1 || v.getUint32(12, true) !== kFileHeaderBytes)
        throw corruptFile(path, 8, `unknown format ${major} or header size ${v.getUint32(12, true)}`, { part: 'header' });
      const length = Number(v.getBigUint64(40, true));
      if (length !== size)
        throw corruptFile(
          path,
          Math.min(length, size),
          `the header says ${length} bytes, the file has ${size} (${size < length ? 'truncated' : 'extended'})`,
          { part: 'header' },
        );
      const count = v.getUint32(28, true);
      const indexOffset = Number(v.getBigUint64(32, true));
      const indexBytes = count * kIndexEntryBytes + 4;
      if (indexOffset < kFileHeaderBytes || indexOffset + indexBytes !== size)
        throw corruptFile(path, 32, 'section index out of bounds', { part: 'index' });
      const index = new Uint8Array(indexBytes);
      io.read(fd, index, indexOffset);
      const iv = new DataView(index.buffer);
      if (iv.getUint32(count * kIndexEntryBytes, true) !== checksum(index.subarray(0, count * kIndexEntryBytes)))
        throw corruptFile(path, indexOffset, 'section index checksum mismatch', { part: 'index' });
      const sections: SectionEntry[] = [];
      for (let i = 0; i < count; i++) {
        const o = i * kIndexEntryBytes;
        const e = {
          type: iv.getUint32(o, true),
          tag: iv.getUint32(o + 4, true),
          offset: Number(iv.getBigUint64(o + 8, true)),
          length: Number(iv.getBigUint64(o + 16, true)),
          crc: iv.getUint32(o + 24, true),
        };
        if (e.offset < kFileHeaderBytes || e.offset + e.length > indexOffset)
          throw corruptFile(path, indexOffset + o, `section ${i} (type ${e.type}) out of bounds`, { part: 'index' });
        if (sections.some((s) => s.type === e.type && s.tag === e.tag))
          throw corruptFile(path, indexOffset + o, `section type ${e.type} tag ${e.tag} appears twice`, { part: 'index' });
        sections.push(e);
      }
      const modelId = new TextDecoder().decode(head.subarray(56, 56 + kModelIdBytes)).replace(/\0+$/, '');
      const header = {
        major,
        minor: v.getUint16(10, true),
        length,
        dim: v.getUint32(20, true),
        metric: v.getUint32(24, true),
        commitSeq: Number(v.getBigUint64(48, true)),
        modelId,
      };
      return new StoreFileReader(io, fd, shared === undefined, path, header, sections);
    } catch (error) {
      if (shared === undefined) io.close(fd);
      throw error;
    }
  }

  /** The descriptor this reader reads through. */
  get fd(): number {
    return this.#fd;
  }

  /** Reads sections of these types without checking their checksums from now on: the caller checks them. */
  deferChecksums(types: readonly number[]): void {
    this.#deferred = new Set([...this.#deferred, ...types]);
  }

  find(type: number, tag = 0): SectionEntry | undefined {
    return this.sections.find((s) => s.type === type && s.tag === tag);
  }

  /**
   * A section's bytes, checksum verified (bulk sections of format 3 only with their checksums deferred: their
   * blocks are verified by the load tasks, see SharedLoad).
   * With `shared`, the bytes go to a new SharedArrayBuffer (which other threads can read without a copy).
   * @throws FEATHER_ERR_CORRUPT when absent (`required`) or damaged.
   */
  read(type: number, tag = 0, shared = false): Uint8Array {
    const e = this.#require(type, tag);
    if (this.header.major >= kBlockHashedMajor && kBulkSections.includes(type) && !this.#deferred.has(type)) {
      throw new FeatherError(
        'FEATHER_ERR_INTERNAL',
        `section type ${type} is checksummed by block: read it through a load plan (GraphLoad)`,
      );
    }
    const bytes = shared ? new Uint8Array(new SharedArrayBuffer(e.length)) : new Uint8Array(e.length);
    if (this.#io.read(this.#fd, bytes, e.offset) !== e.length)
      throw corruptFile(this.path, e.offset, `section type ${type} is cut short`, { part: 'section', type });
    if (!this.#deferred.has(type) && checksum(bytes, sectionSeed(type, tag)) !== e.crc)
      throw corruptFile(this.path, e.offset, `section type ${type} (tag ${tag}) checksum mismatch`, { part: 'section', type, tag });
    return bytes;
  }

  /** A section's first `length` bytes (fewer if it is shorter), unchecked: what a caller plans a read by. */
  peek(type: number, tag: number, length: number): Uint8Array {
    const e = this.#require(type, tag);
    const bytes = new Uint8Array(Math.min(length, e.length));
    if (this.#io.read(this.#fd, bytes, e.offset) !== bytes.length)
      throw corruptFile(this.path, e.offset, `section type ${type} is cut short`, { part: 'section', type });
    return bytes;
  }

  /**
   * A section's bytes [0, cut) and [cut, end) in two new SharedArrayBuffers, the checksum verified over both:
   * what one part's readers drop is freed while the other part lives on (COLUMNS: readModelSections).
   * @throws FEATHER_ERR_CORRUPT when absent or damaged.
   */
  readSplit(type: number, tag: number, cut: number): [Uint8Array, Uint8Array] {
    const e = this.#require(type, tag);
    const parts: [Uint8Array, Uint8Array] = [
      new Uint8Array(new SharedArrayBuffer(cut)),
      new Uint8Array(new SharedArrayBuffer(e.length - cut)),
    ];
    if (this.#io.read(this.#fd, parts[0], e.offset) !== cut || this.#io.read(this.#fd, parts[1], e.offset + cut) !== e.length - cut)
      throw corruptFile(this.path, e.offset, `section type ${type} is cut short`, { part: 'section', type });
    if (checksum(parts[1], checksum(parts[0], sectionSeed(type, tag))) !== e.crc)
      throw corruptFile(this.path, e.offset, `section type ${type} (tag ${tag}) checksum mismatch`, { part: 'section', type, tag });
    return parts;
  }

  close(): void {
    if (this.#owned) this.#io.close(this.#fd);
  }

  #require(type: number, tag: number): SectionEntry {
    const e = this.find(type, tag);
    if (e === undefined)
      throw corruptFile(this.path, 0, `required section type ${type} (tag ${tag}) is missing`, { part: 'index', type, tag });
    return e;
  }
}
