// addBatch input: a flat Float32Array (n × dim) or an array of vectors, copied at the call (rows, ids and
// metas), validated in slices (one per event-loop turn) and cut into upserts of at most kBatchSliceRows rows
// and kMaxWriteBytes bytes.
import {
  describeValue,
  FeatherError,
  pageArray,
  type MemoryId,
  type MemoryModel,
  type UpsertItem,
  type VectorInput,
} from '@feather-db/core';
import type { AddBatchOptions } from '../api.js';
import { checkFields, checkId, checkNamespace, checkOptions, checkRecall, kBatchMetaKeys, type BatchMeta } from './input.js';
import type { Spaces } from './spaces.js';
import { checkStoredRows } from './stored-vector.js';
import { checkSignal, kNoAbort, type AbortPoint } from './abort.js';
import { yieldToLoop } from './turns.js';
import type { Prepared } from './write-pipeline.js';
import { checkWriteSize, kMaxWriteBytes, upsertBytes } from './write-size.js';

/**
 * Rows validated per event-loop turn, and per write (one op, one message to the writer, one mirror apply, one
 * turn) in addBatch. 1,024 rows keep each main-thread step of a batch to a few ms (8,192 held the loop ~100 ms
 * per step at dim 784), and stay above the pool's linking threshold (256 nodes).
 */
export const kBatchSliceRows = 1024;

export function rowCount(vectors: Float32Array | readonly VectorInput[], dim: number): number {
  if (vectors instanceof Float32Array) {
    if (vectors.length === 0 || vectors.length % dim !== 0) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `vectors must hold a positive multiple of ${dim} floats, got ${vectors.length}`,
      );
    }
    return vectors.length / dim;
  }
  if (!Array.isArray(vectors) || vectors.length === 0) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `vectors must be a non-empty Float32Array (n × ${dim}) or array of vectors, got ${describeValue(vectors)}`,
    );
  }
  return vectors.length;
}

export function sliceRow(vectors: Float32Array | readonly VectorInput[], r: number, dim: number): unknown {
  return vectors instanceof Float32Array ? vectors.subarray(r * dim, (r + 1) * dim) : vectors[r];
}

export function copyRows(vectors: Float32Array | readonly VectorInput[], from: number, to: number, dim: number): Float32Array {
  // Page-allocated (not malloc): the writer, which these copies move to, gives their pages back once stored.
  const flat = pageArray(Float32Array, (to - from) * dim);
  if (vectors instanceof Float32Array) {
    flat.set(vectors.subarray(from * dim, to * dim));
    return flat;
  }
  for (let r = from; r < to; r++) flat.set(vectors[r]!, (r - from) * dim);
  return flat;
}

/** The rows as float32 copies of kBatchSliceRows rows each (the last one shorter), each in a buffer of its own. */
function copyChunks(vectors: Float32Array | readonly VectorInput[], rows: number, dim: number): Float32Array[] {
  const chunks: Float32Array[] = [];
  for (let from = 0; from < rows; from += kBatchSliceRows)
    chunks.push(copyRows(vectors, from, Math.min(rows, from + kBatchSliceRows), dim));
  return chunks;
}

/**
 * The rows as float32 copies, taken at the call (a caller that changes its arrays afterwards changes nothing
 * stored), a buffer per kBatchSliceRows rows: a slice that is a whole chunk moves to the writer as it is
 * (write-queue.ts), so the batch is never held twice. Checks each row's type and length here; values are
 * checked on the copy, a slice at a time (checkStoredRows in batchSlices).
 * @throws FEATHER_ERR_INVALID_ARGUMENT, FEATHER_ERR_DIMENSION_MISMATCH.
 */
function snapshotRows(vectors: Float32Array | readonly VectorInput[], rows: number, dim: number): Float32Array[] {
  if (vectors instanceof Float32Array) return copyChunks(vectors, rows, dim);
  for (let r = 0; r < rows; r++) {
    const v = sliceRow(vectors, r, dim);
    if (!(v instanceof Float32Array || v instanceof Float64Array || Array.isArray(v))) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `vectors[${r}] must be a Float32Array or an array of numbers, got ${describeValue(v)}`,
        { path: `vectors[${r}]` },
      );
    }
    if (v.length !== dim) {
      throw new FeatherError(
        'FEATHER_ERR_DIMENSION_MISMATCH',
        `vectors[${r}] must have ${dim} dimensions, got ${v.length}; embed with the same model the store was created with`,
        { path: `vectors[${r}]`, expected: dim, received: v.length },
      );
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < dim; i++) {
        const x: unknown = v[i];
        // A non-number would become NaN in the copy: name it here, where its value is known.
        if (typeof x !== 'number')
          throw new FeatherError(
            'FEATHER_ERR_INVALID_ARGUMENT',
            `vectors[${r}][${i}] must be a finite float32 number, got ${describeValue(x)}`,
            { path: `vectors[${r}]`, index: i },
          );
      }
    }
  }
  return copyChunks(vectors, rows, dim);
}

/** Rows [from, to) of the snapshot, which lie in one chunk: the chunk itself when they are all of it. */
function rowsOf(chunks: readonly Float32Array[], from: number, to: number, dim: number): Float32Array {
  const c = Math.floor(from / kBatchSliceRows);
  const chunk = chunks[c]!;
  const start = from - c * kBatchSliceRows;
  return start === 0 && (to - from) * dim === chunk.length ? chunk : chunk.slice(start * dim, (to - c * kBatchSliceRows) * dim);
}

/**
 * A deep copy of addBatch's metas, taken at the call. Metas that cannot be copied (functions, symbols) are
 * rejected here, with the first offending one named.
 * @throws FEATHER_ERR_INVALID_ARGUMENT.
 */
function snapshotMetas(metas: readonly unknown[]): unknown[] {
  try {
    return structuredClone([...metas]);
  } catch (error) {
    const at = metas.findIndex((m) => {
      try {
        structuredClone(m);
        return false;
      } catch {
        return true;
      }
    });
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `options.metas[${at}] must hold only strings, numbers, booleans, null, Dates and plain objects of them, got ${describeValue(metas[at])} that cannot be copied: ${(error as Error).message}`,
      { path: `options.metas[${at}]` },
      { cause: error },
    );
  }
}

/** A batch whose shape (rows, ids and metas per row, modality) is checked and copied; its rows' values are not checked yet. */
export interface BatchInput {
  /** The rows, copied at the call: float32, kBatchSliceRows rows per chunk (see snapshotRows). */
  chunks: Float32Array[];
  rows: number;
  modality: string;
  namespace: string | undefined;
  ids: readonly unknown[] | undefined;
  metas: readonly unknown[] | undefined;
  /** `options.signal`: an abort before the batch is applied rejects it, changing nothing (see batchSlices). */
  signal: AbortSignal | undefined;
}

/**
 * Checks addBatch's arguments, but not its rows' values (see batchSlices), and takes a snapshot of rows, ids
 * and metas: a caller that reuses its buffers while the batch waits for its turn changes nothing that is
 * validated or stored.
 * @throws FEATHER_ERR_INVALID_ARGUMENT, FEATHER_ERR_DIMENSION_MISMATCH.
 */
export function checkBatch(
  spaces: Spaces,
  vectors: Float32Array | readonly VectorInput[],
  options: AddBatchOptions | undefined,
): BatchInput {
  const o = checkOptions<AddBatchOptions>(
    options,
    ['ids', 'metas', 'namespace', 'modality', 'signal'],
    'options',
    "{ metas: [{ text: 'a' }], namespace: 'user-1' }",
  );
  const modality = spaces.check(o.modality, 'options.modality');
  const dim = spaces.of(modality).dim;
  const rows = rowCount(vectors, dim);
  const namespace = o.namespace === undefined ? undefined : checkNamespace(o.namespace, 'options.namespace');
  if (o.ids !== undefined && (!Array.isArray(o.ids) || o.ids.length !== rows)) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `options.ids must be an array of ${rows} ids (one per row), got ${describeValue(o.ids)}`,
    );
  }
  if (o.metas !== undefined && (!Array.isArray(o.metas) || o.metas.length !== rows)) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `options.metas must be an array of ${rows} objects (one per row), got ${describeValue(o.metas)}`,
    );
  }
  const ids = o.ids === undefined ? undefined : [...(o.ids as readonly unknown[])];
  const metas = o.metas === undefined ? undefined : snapshotMetas(o.metas as readonly unknown[]);
  const signal = checkSignal(o.signal, 'options.signal');
  return { chunks: snapshotRows(vectors, rows, dim), rows, modality, namespace, ids, metas, signal };
}

/**
 * Validates every row of the snapshot before any is stored, a slice per event-loop turn (a 300k-row batch
 * must not hold the main thread for the ~100 ms a single pass would take; in a slice, the vectors first, then
 * each row's id and meta: the first error found is thrown), and returns one upsert per slice:
 * at most kBatchSliceRows rows and kMaxWriteBytes bytes each (one WAL record). Runs in write order, so the
 * batch keeps its place among writes called before and after it; each prepare reads the mirror's next auto
 * id in its own turn.
 */
export async function batchSlices(
  model: MemoryModel,
  spaces: Spaces,
  batch: BatchInput,
  abort: AbortPoint = kNoAbort,
): Promise<(() => Prepared<MemoryId[]>)[]> {
  abort.check();
  const { chunks, rows, modality, namespace } = batch;
  const { dim, metric } = spaces.of(modality);
  const ids: (MemoryId | undefined)[] = new Array<MemoryId | undefined>(rows);
  type Fields = ReturnType<typeof checkFields> & ReturnType<typeof checkRecall>;
  // Without metas every row has the same fields: one object, not one per row (a 331k-row batch's would stay
  // garbage in the old generation for the whole build).
  const shared: Fields | undefined = batch.metas === undefined ? (namespace === undefined ? {} : { namespace }) : undefined;
  const fields: Fields[] = shared === undefined ? new Array<Fields>(rows) : [];
  const sharedBytes = shared === undefined ? 0 : upsertBytes(shared, dim);
  const cuts: number[] = [0];
  let sliceBytes = 0;
  for (let from = 0; from < rows; from += kBatchSliceRows) {
    // Chunk from / kBatchSliceRows holds exactly these rows (copyChunks): checked, and rescaled, in place.
    checkStoredRows(chunks[from / kBatchSliceRows]!, dim, metric, 'vectors', from);
    for (let r = from; r < Math.min(rows, from + kBatchSliceRows); r++) {
      ids[r] = batch.ids === undefined ? undefined : checkId(batch.ids[r], `options.ids[${r}]`);
      if (shared === undefined) {
        const meta = checkOptions<BatchMeta>(batch.metas![r], kBatchMetaKeys, `options.metas[${r}]`, "{ text: 'a' }");
        fields[r] = { namespace, ...checkFields(meta, `options.metas[${r}]`), ...checkRecall(meta, `options.metas[${r}]`) };
        if (fields[r]!.namespace === undefined) delete fields[r]!.namespace;
      }
      const bytes = shared === undefined ? upsertBytes(fields[r]!, dim) : sharedBytes;
      if (bytes > kMaxWriteBytes) checkWriteSize(bytes, `vectors[${r}] with options.metas[${r}]`);
      // A slice never crosses a chunk of the snapshot (rowsOf), so a new chunk starts a new slice.
      const last = cuts[cuts.length - 1]!;
      if (r - last >= kBatchSliceRows || sliceBytes + bytes > kMaxWriteBytes || (r === from && r > last)) {
        cuts.push(r);
        sliceBytes = 0;
      }
      sliceBytes += bytes;
    }
    await yieldToLoop();
    abort.check();
  }
  cuts.push(rows);
  const slices: (() => Prepared<MemoryId[]>)[] = [];
  for (let c = 0; c + 1 < cuts.length; c++) {
    const from = cuts[c]!;
    const to = cuts[c + 1]!;
    slices.push(() => {
      // The first slice applies first: the last point where an abort leaves the store as it was.
      if (c === 0) abort.commit();
      // Auto ids continue after every integer id in use, including this slice's explicit ones.
      let next = model.peekAutoId();
      for (let r = from; r < to; r++) if (typeof ids[r] === 'number') next = Math.max(next, (ids[r] as number) + 1);
      const items = new Array<UpsertItem>(to - from);
      // Rows without metas share their fields: written as a literal, not spread (a third of the garbage).
      const namespaceOnly = shared?.namespace;
      for (let r = from; r < to; r++) {
        const id = ids[r] ?? next++;
        items[r - from] =
          shared === undefined
            ? { ...fields[r]!, id, modality }
            : namespaceOnly === undefined
              ? { id, modality }
              : { namespace: namespaceOnly, id, modality };
      }
      return {
        op: { type: 'upsert', items, now: Date.now() },
        vectors: { [modality]: rowsOf(chunks, from, to, dim) },
        value: items.map((i) => i.id),
      };
    });
  }
  return slices;
}
