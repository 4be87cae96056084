// The write-ahead log, `<path>.wal`: every write acknowledged since the last save, replayed on open.
// docs/format.md has the same tables.
//
// WAL header (kWalHeaderBytes = 32)
//   OFFSET SIZE DESCRIPTION
//        0    8 magic "FEATHWAL"
//        8    2 version (1)
//       10    2 reserved (0)
//       12    4 header size (32)
//       16    8 base sequence: the commit sequence of the .feather file this log continues
//       24    4 reserved (0)
//       28    4 CRC-32 of bytes 0..27
//
// Record (kRecordHeaderBytes = 28, then the payload)
//   OFFSET SIZE DESCRIPTION
//        0    4 magic 0x524c4157 ('WALR' little-endian)
//        4    4 payload length
//        8    8 sequence number (base + 1, base + 2, ... with no gaps)
//       16    8 group start: the sequence number of the first record of this record's group commit
//       24    4 CRC-32 of bytes 4..23 and the payload
//       28    n payload (msgpack)
//
// Records are written in groups (one write, then one fdatasync under 'fsync'); a group is written only after
// the previous one is durable, so a crash can damage only the last group, anywhere inside it (the OS may
// persist its pages in any order). Reading stops at the first damaged record: if a valid record of a *later*
// group follows, the damage is not a tear and the open fails (FEATHER_ERR_CORRUPT) rather than silently drop
// acknowledged writes; otherwise the rest of the last group is the torn tail of a crash and is cut.
import { FeatherError } from '../errors.js';
import type { FileIo } from '../format/file-io.js';
import { releaseScratch, scratchArray } from '../growable.js';
import { checksum } from '../format/store-file.js';

const kWalMagic: Uint8Array = new TextEncoder().encode('FEATHWAL');
const kWalVersion = 1;
const kWalHeaderBytes = 32;
const kRecordHeaderBytes = 28;
const kRecordMagic = 0x524c4157;

interface WalRecord {
  seq: number;
  payload: Uint8Array;
}

interface RecordHead {
  seq: number;
  groupStart: number;
  length: number;
}

function corruptWal(path: string, offset: number, what: string): FeatherError {
  return new FeatherError(
    'FEATHER_ERR_CORRUPT',
    `Corrupt ${path} at offset ${offset}: ${what}; move the WAL aside to open the last saved state (losing the writes logged since)`,
    { path, offset, part: 'wal' },
  );
}

function encodeWalHeader(baseSeq: number): Uint8Array {
  const bytes = new Uint8Array(kWalHeaderBytes);
  const v = new DataView(bytes.buffer);
  bytes.set(kWalMagic, 0);
  v.setUint16(8, kWalVersion, true);
  v.setUint32(12, kWalHeaderBytes, true);
  v.setBigUint64(16, BigInt(baseSeq), true);
  v.setUint32(28, checksum(bytes.subarray(0, 28)), true);
  return bytes;
}

/** A record to append: its payload whole, or in parts (written one after another, never joined first). */
export interface WalAppend {
  seq: number;
  payload: Uint8Array | readonly Uint8Array[];
}

/** One group: every record carries the group's first sequence number. */
function encodeRecords(records: readonly WalAppend[]): Uint8Array {
  const groupStart = records[0]?.seq ?? 0;
  let total = 0;
  for (const r of records) total += kRecordHeaderBytes + payloadLength(r.payload);
  // Scratch (growable.ts): a group can be tens of MiB (a large addBatch under 'fsync'), given back once written.
  const out = scratchArray(Uint8Array, total);
  const v = new DataView(out.buffer, 0, total);
  let at = 0;
  for (const r of records) {
    let end = at + kRecordHeaderBytes;
    for (const part of r.payload instanceof Uint8Array ? [r.payload] : r.payload) {
      out.set(part, end);
      end += part.length;
    }
    const payload = out.subarray(at + kRecordHeaderBytes, end);
    v.setUint32(at, kRecordMagic, true);
    v.setUint32(at + 4, payload.length, true);
    v.setBigUint64(at + 8, BigInt(r.seq), true);
    v.setBigUint64(at + 16, BigInt(groupStart), true);
    v.setUint32(at + 24, checksum(payload, checksum(out.subarray(at + 4, at + 24))), true);
    at = end;
  }
  return out;
}

function payloadLength(payload: Uint8Array | readonly Uint8Array[]): number {
  if (payload instanceof Uint8Array) return payload.length;
  let length = 0;
  for (const part of payload) length += part.length;
  return length;
}

/** The valid record starting at `at`, or null. */
function recordAt(bytes: Uint8Array, v: DataView, at: number): RecordHead | null {
  if (at + kRecordHeaderBytes > bytes.length || v.getUint32(at, true) !== kRecordMagic) return null;
  const length = v.getUint32(at + 4, true);
  if (at + kRecordHeaderBytes + length > bytes.length) return null;
  const crc = checksum(
    bytes.subarray(at + kRecordHeaderBytes, at + kRecordHeaderBytes + length),
    checksum(bytes.subarray(at + 4, at + 24)),
  );
  if (crc !== v.getUint32(at + 24, true)) return null;
  return { seq: Number(v.getBigUint64(at + 8, true)), groupStart: Number(v.getBigUint64(at + 16, true)), length };
}

/**
 * Decides whether an invalid record at `at` is the torn tail of a crash (returns) or damage (throws). A tear
 * stays inside the last group. So: a record whose header is intact but whose checksum fails must reach the
 * end of the file, or be followed only by valid records of its own group; and no valid record of a later
 * group may appear anywhere after it. When that cannot be shown, the open fails loudly rather than drop
 * acknowledged writes silently.
 */
function checkTear(bytes: Uint8Array, v: DataView, at: number, expected: number, path: string): void {
  for (let probe = at + 1; probe + kRecordHeaderBytes <= bytes.length; probe++) {
    const later = recordAt(bytes, v, probe);
    if (later !== null && later.groupStart > expected)
      throw corruptWal(path, at, `record ${expected} is damaged and a later group (from ${later.groupStart}) follows it`);
  }
  if (at + kRecordHeaderBytes > bytes.length || v.getUint32(at, true) !== kRecordMagic) return;
  const end = at + kRecordHeaderBytes + v.getUint32(at + 4, true);
  if (end >= bytes.length) return;
  for (let next = end; next < bytes.length;) {
    const r = recordAt(bytes, v, next);
    if (r === null || r.groupStart > expected)
      throw corruptWal(path, at, `record ${expected} fails its checksum but is followed by more log`);
    next += kRecordHeaderBytes + r.length;
  }
}

export interface WalContents {
  baseSeq: number;
  records: WalRecord[];
  /** Bytes up to the end of the last valid record; anything after is a torn tail to cut. */
  validBytes: number;
  tornBytes: number;
}

/**
 * Reads and verifies a WAL: the header, then records up to the first invalid one. An invalid record with
 * a valid record anywhere after it is corruption; without one it is the torn tail of a crash.
 * @throws FEATHER_ERR_CORRUPT, FEATHER_ERR_IO.
 */
export function readWal(io: FileIo, path: string): WalContents {
  const fd = io.openRead(path);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(io.size(fd));
    io.read(fd, bytes, 0);
  } finally {
    io.close(fd);
  }
  const v = new DataView(bytes.buffer);
  if (bytes.length < kWalHeaderBytes || !kWalMagic.every((b, i) => bytes[i] === b))
    throw corruptWal(path, 0, 'not a Feather WAL (bad magic or shorter than its header)');
  if (v.getUint32(28, true) !== checksum(bytes.subarray(0, 28))) throw corruptWal(path, 28, 'header checksum mismatch');
  if (v.getUint16(8, true) !== kWalVersion || v.getUint32(12, true) !== kWalHeaderBytes)
    throw corruptWal(path, 8, `unknown WAL version ${v.getUint16(8, true)}`);
  const baseSeq = Number(v.getBigUint64(16, true));
  const records: WalRecord[] = [];
  let at = kWalHeaderBytes;
  let expected = baseSeq + 1;
  while (at < bytes.length) {
    const r = recordAt(bytes, v, at);
    if (r === null) {
      checkTear(bytes, v, at, expected, path);
      break;
    }
    if (r.seq !== expected) throw corruptWal(path, at, `record sequence ${r.seq}, expected ${expected}`);
    records.push({ seq: r.seq, payload: bytes.slice(at + kRecordHeaderBytes, at + kRecordHeaderBytes + r.length) });
    at += kRecordHeaderBytes + r.length;
    expected++;
  }
  return { baseSeq, records, validBytes: at, tornBytes: bytes.length - at };
}

/** Durability of an acknowledged write: fsync'd, handed to the OS, or only in memory until save/close. */
export type Durability = 'fsync' | 'os' | 'none';

/** Bytes of buffered records after which durability 'none' writes them out anyway. */
const kNoneFlushBytes = 1 << 20;

/**
 * Appends record groups. One `append` call = one write (and, under 'fsync', one fdatasync): the writer
 * passes every op of a facade batch at once, which is the group commit.
 */
export class WalWriter {
  readonly path: string;
  readonly #io: FileIo;
  readonly #durability: Durability;
  #fd: number;
  #buffered: Uint8Array[] = [];
  #bufferedBytes = 0;
  #bytes: number;

  private constructor(io: FileIo, path: string, fd: number, durability: Durability, bytes: number) {
    this.#io = io;
    this.path = path;
    this.#fd = fd;
    this.#durability = durability;
    this.#bytes = bytes;
  }

  /**
   * Starts a new, empty log continuing file commit `baseSeq`, replacing any old one atomically (header
   * written to `<path>.tmp`, synced, renamed): a crash leaves the old log or the new one, never a torn header.
   */
  static create(io: FileIo, path: string, baseSeq: number, durability: Durability): WalWriter {
    const tmp = `${path}.tmp`;
    const staged = io.openWrite(tmp);
    try {
      io.write(staged, encodeWalHeader(baseSeq), 0);
      io.sync(staged);
    } finally {
      io.close(staged);
    }
    io.rename(tmp, path);
    io.syncDirectory(path);
    const fd = io.openWrite(path, true);
    return new WalWriter(io, path, fd, durability, kWalHeaderBytes);
  }

  /** Continues an existing log whose valid part ends at `validBytes` (a torn tail is cut first). */
  static resume(io: FileIo, path: string, validBytes: number, durability: Durability): WalWriter {
    const fd = io.openWrite(path, true);
    try {
      // Only a cut torn tail changes the file (and must be durable before anything is appended after it).
      if (io.size(fd) !== validBytes) {
        io.truncate(fd, validBytes);
        io.sync(fd);
      }
    } catch (error) {
      io.close(fd);
      throw error;
    }
    return new WalWriter(io, path, fd, durability, validBytes);
  }

  /** Bytes in the log (header included), buffered records included. */
  get bytes(): number {
    return this.#bytes + this.#bufferedBytes;
  }

  append(records: readonly WalAppend[]): void {
    if (records.length === 0) return;
    const bytes = encodeRecords(records);
    if (this.#durability === 'none') {
      this.#buffered.push(bytes);
      this.#bufferedBytes += bytes.length;
      if (this.#bufferedBytes >= kNoneFlushBytes) this.flush(false);
      return;
    }
    const length = bytes.length;
    try {
      this.#io.write(this.#fd, bytes, this.#bytes);
    } finally {
      // Released, `bytes` reads as empty: its length was taken above.
      releaseScratch([bytes]);
    }
    this.#bytes += length;
    if (this.#durability === 'fsync') this.#io.sync(this.#fd);
  }

  /**
   * Writes buffered records (durability 'none') and optionally syncs. A chunk leaves the buffer only once it
   * is written: after a failed write the rest stays buffered, and the next flush writes the failed chunk again
   * at the same offset (over any part of it that reached the file), never a written chunk twice.
   */
  flush(sync: boolean): void {
    while (this.#buffered.length > 0) {
      const chunk = this.#buffered[0];
      this.#io.write(this.#fd, chunk, this.#bytes);
      this.#bytes += chunk.length;
      this.#buffered.shift();
      this.#bufferedBytes -= chunk.length;
      releaseScratch([chunk]);
    }
    if (sync) this.#io.sync(this.#fd);
  }

  /** Closes without writing what is buffered: after a save, whose file holds every record of this log. */
  abandon(): void {
    releaseScratch(this.#buffered);
    this.#buffered = [];
    this.#bufferedBytes = 0;
    this.#io.close(this.#fd);
  }

  /** Flushes, syncs and closes; the descriptor is closed even when the flush fails (the error is thrown). */
  close(): void {
    try {
      this.flush(true);
    } finally {
      this.#io.close(this.#fd);
    }
  }
}
