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

export function encodeWrite(write: LoggedWrite): Uint8Array {
  const vectors: Record<string, Uint8Array> = {};
  for (const [name, v] of Object.entries(write.vectors)) vectors[name] = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  // maxAbs may be Infinity, which msgpack keeps as a float64.
  return encode({ op: write.op, vectors });
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
