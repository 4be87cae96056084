import { FeatherError } from '../errors.js';
import { decode, encode } from '../format/msgpack.js';
import type { ModelOp } from '../records/types.js';

/** A storage change logged by setInt8Ram (replayed by rebuilding that modality). */
interface StorageOp {
  type: 'storage';
  modality: string;
  storage: 'float32' | 'int8';
  maxAbs: number;
}

/** What one WAL record holds: an op and, for upserts, the vectors per modality (row-major float32). */
export interface LoggedWrite {
  op: ModelOp | StorageOp;
  vectors: Record<string, Float32Array>;
}

const kOpTypes = new Set(['upsert', 'update', 'forget', 'link', 'unlink', 'touch', 'recall', 'storage']);

/**
 * A write's WAL payload, msgpack `{ op, vectors: { <modality>: bin } }`, in parts: the op packed, the framing
 * bytes, and views of the vectors as they are, which the WAL copies once into its record. (Packing the
 * vectors too copied a large batch's floats into msgpack's buffers first, and those stayed in the writer's
 * malloc heap.) Any msgpack reader decodes it; decodeWrite does.
 */
export function encodeWrite(write: LoggedWrite): Uint8Array[] {
  const names = Object.keys(write.vectors);
  // maxAbs may be Infinity, which msgpack keeps as a float64.
  const parts: Uint8Array[] = [kOpKey, encode(write.op), kVectorsKey, mapHeader(names.length)];
  for (const name of names) {
    const v = write.vectors[name];
    const key = kUtf8.encode(name);
    parts.push(strHeader(key.length), key, binHeader(v.byteLength), new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  return parts;
}

const kUtf8 = new TextEncoder();
/** A map of two entries, then the key "op". */
const kOpKey = Uint8Array.of(0x82, 0xa2, 0x6f, 0x70);
/** The key "vectors". */
const kVectorsKey = Uint8Array.of(0xa7, ...kUtf8.encode('vectors'));

function mapHeader(entries: number): Uint8Array {
  return entries < 16 ? Uint8Array.of(0x80 | entries) : Uint8Array.of(0xde, entries >>> 8, entries & 0xff);
}

/** The header of a msgpack string of `n` UTF-8 bytes. */
function strHeader(n: number): Uint8Array {
  if (n < 32) return Uint8Array.of(0xa0 | n);
  if (n < 256) return Uint8Array.of(0xd9, n);
  return Uint8Array.of(0xda, n >>> 8, n & 0xff);
}

/** The header of msgpack binary data of `n` bytes (bin 32: any length a record can hold). */
function binHeader(n: number): Uint8Array {
  const h = new Uint8Array(5);
  h[0] = 0xc6;
  new DataView(h.buffer).setUint32(1, n);
  return h;
}

/** Decodes a WAL payload, checking its shape (the model re-checks every field when it applies the op). */
export function decodeWrite(bytes: Uint8Array, path: string, seq: number): LoggedWrite {
  const value = decode(bytes, path, `wal record ${seq}`);
  const bad = (): FeatherError =>
    new FeatherError(
      'FEATHER_ERR_CORRUPT',
      `Corrupt ${path}: WAL record ${seq} is not a valid write; move the WAL aside to open the last saved state`,
      { path, part: 'wal', seq },
    );
  if (typeof value !== 'object' || value === null) throw bad();
  const { op, vectors } = value as { op?: unknown; vectors?: unknown };
  if (
    typeof op !== 'object' ||
    op === null ||
    !kOpTypes.has((op as { type?: string }).type ?? '') ||
    typeof vectors !== 'object' ||
    vectors === null
  )
    throw bad();
  const out: Record<string, Float32Array> = {};
  for (const [name, raw] of Object.entries(vectors)) {
    if (!(raw instanceof Uint8Array) || raw.length % 4 !== 0) throw bad();
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    out[name] = new Float32Array(copy.buffer);
  }
  return { op: op as LoggedWrite['op'], vectors: out };
}
