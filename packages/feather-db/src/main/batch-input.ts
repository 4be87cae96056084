// addBatch input: a flat Float32Array (n × dim) or an array of vectors, with ids and metas. Its shape is checked
// at the call; its rows, ids and metas are copied and validated a slice per event-loop turn (the caller keeps
// them unchanged until the call settles, as with fs.write), then cut into upserts of at most kBatchSliceRows
// rows and kMaxWriteBytes bytes.
import {
  describeValue,
  FeatherError,
  isVectorInput,
  pageArray,
  type MemoryId,
  type MemoryModel,
  type UpsertItem,
  type UpsertItems,
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
  copyRowsInto(flat, vectors, from, to, dim);
  return flat;
}

/** Rows [from, to) of `vectors` written as float32 into `target` (exactly their length). */
function copyRowsInto(target: Float32Array, vectors: Float32Array | readonly VectorInput[], from: number, to: number, dim: number): void {
  if (vectors instanceof Float32Array) {
    target.set(vectors.subarray(from * dim, to * dim));
    return;
  }
  for (let r = from; r < to; r++) target.set(vectors[r]!, (r - from) * dim);
}

/**
 * Bytes of rows batchSlices copies and checks per event-loop turn, at most (but one row). On the AMD EPYC host,
 * passes over 188 MB in 1 MiB parts had turns of 3-12 ms and outliers of 17-32 ms; in 256 KiB parts, 2-10 ms.
 */
const kTurnBytes = 2 ** 18;

/** Rows per turn of batchSlices' pass at `dim`: kBatchSliceRows halved until they fit kTurnBytes (64 at 784-d). */
function rowsPerTurn(dim: number): number {
  let rows = kBatchSliceRows;
  while (rows > 1 && rows * dim * 4 > kTurnBytes) rows >>= 1;
  return rows;
}

/** Rows sampled at the call, at most: enough to notice a batch refilled before it was read, O(1) at any size. */
const kSampleRows = 4096;

/**
 * A few of the caller's values, taken at the call (row `rows[j]`, component `at[j]`, as float32 `values[j]`),
 * rows ascending: when batchSlices copies a chunk, a sampled value that differs means the caller changed the
 * batch before it was read, and the batch is refused rather than stored half old, half new.
 */
interface BatchSample {
  rows: Int32Array;
  at: Int32Array;
  values: Float32Array;
}

/** Component `e` of row `r` as given, or undefined where the row is not a vector of numbers (checked later). */
function valueAt(vectors: Float32Array | readonly VectorInput[], r: number, e: number, dim: number): number | undefined {
  if (vectors instanceof Float32Array) return vectors[r * dim + e];
  const v: unknown = vectors[r];
  if (!isVectorInput(v)) return undefined;
  const x: unknown = v[e];
  return typeof x === 'number' ? x : undefined;
}

/** Up to kSampleRows rows spread over the batch, one component each, spread over the dimensions. */
function sampleBatch(vectors: Float32Array | readonly VectorInput[], rows: number, dim: number): BatchSample {
  const n = Math.min(rows, kSampleRows);
  const sampled = new Int32Array(n);
  const at = new Int32Array(n);
  const values = new Float32Array(n);
  let k = 0;
  for (let j = 0; j < n; j++) {
    const r = Math.floor((j * rows) / n);
    const e = (j * 7919) % dim;
    const x = valueAt(vectors, r, e, dim);
    if (x === undefined) continue;
    sampled[k] = r;
    at[k] = e;
    values[k++] = x;
  }
  return { rows: sampled.subarray(0, k), at: at.subarray(0, k), values: values.subarray(0, k) };
}

/**
 * Checks the samples of rows [from, to) against `chunk`, their fresh copy (before any rescaling), starting at
 * sample `next`; returns the first sample past `to`.
 * @throws FEATHER_ERR_INVALID_ARGUMENT naming the row that changed since the call.
 */
function checkSampled(sample: BatchSample, next: number, chunk: Float32Array, from: number, to: number, dim: number): number {
  let j = next;
  for (; j < sample.rows.length && sample.rows[j]! < to; j++) {
    const r = sample.rows[j]!;
    const e = sample.at[j]!;
    const was = sample.values[j]!;
    const now = chunk[(r - from) * dim + e]!;
    if (now === was || (Number.isNaN(now) && Number.isNaN(was))) continue;
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `vectors[${r}] changed while addBatch was reading it ([${e}] was ${was} at the call, ${now} when read): addBatch reads its rows until it settles; await it before changing or reusing them, or pass a copy. Nothing of the batch was stored`,
      { path: `vectors[${r}]`, index: e },
    );
  }
  return j;
}

/**
 * Rows [from, to) copied as float32 into `target`, read from the caller's arrays now (in batchSlices' turn for
 * them). Checks each row's type and length first; values are checked on the copy.
 * @throws FEATHER_ERR_INVALID_ARGUMENT, FEATHER_ERR_DIMENSION_MISMATCH.
 */
function copyPart(
  target: Float32Array,
  vectors: Float32Array | readonly VectorInput[],
  rows: number,
  from: number,
  to: number,
  dim: number,
): void {
  if (vectors instanceof Float32Array) {
    if (vectors.length !== rows * dim) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `vectors held ${rows * dim} floats at the call and ${vectors.length} when read: its buffer was resized or detached before addBatch settled; keep it until then, or pass a copy. Nothing of the batch was stored`,
      );
    }
    copyRowsInto(target, vectors, from, to, dim);
    return;
  }
  for (let r = from; r < to; r++) {
    const v = sliceRow(vectors, r, dim);
    if (!isVectorInput(v)) {
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
  copyRowsInto(target, vectors, from, to, dim);
}

/** Rows [from, to) of the snapshot, which lie in one chunk: the chunk itself when they are all of it. */
function rowsOf(chunks: readonly Float32Array[], from: number, to: number, dim: number): Float32Array {
  const c = Math.floor(from / kBatchSliceRows);
  const chunk = chunks[c]!;
  const start = from - c * kBatchSliceRows;
  return start === 0 && (to - from) * dim === chunk.length ? chunk : chunk.slice(start * dim, (to - c * kBatchSliceRows) * dim);
}

/**
 * A deep copy of addBatch's metas [from, to), taken in batchSlices' turn for them. Metas that cannot be copied
 * (functions, symbols) are rejected here, with the first offending one named.
 * @throws FEATHER_ERR_INVALID_ARGUMENT.
 */
function copyMetas(all: readonly unknown[], from: number, to: number): unknown[] {
  const metas = all.slice(from, to);
  try {
    return structuredClone(metas);
  } catch (error) {
    const at =
      from +
      metas.findIndex((m) => {
        try {
          structuredClone(m);
          return false;
        } catch {
          return true;
        }
      });
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `options.metas[${at}] must hold only strings, numbers, booleans, null, Dates and plain objects of them, got ${describeValue(all[at])} that cannot be copied: ${(error as Error).message}`,
      { path: `options.metas[${at}]` },
      { cause: error },
    );
  }
}

/** A batch whose shape (rows, ids and metas per row, modality) is checked and copied; its rows' values are not checked yet. */
export interface BatchInput {
  /** The caller's rows, read by batchSlices a chunk per turn (copyChunk); not copied at the call. */
  vectors: Float32Array | readonly VectorInput[];
  /** The caller's values sampled at the call (sampleBatch). */
  sample: BatchSample;
  /** The rows as batchSlices copied them: float32, kBatchSliceRows rows per chunk, each in a buffer of its own. */
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
 * Checks addBatch's arguments' shape (the row count, and ids and metas one per row), in time independent of the
 * batch's size: its rows, ids and metas are read, copied and checked by batchSlices, a slice per event-loop turn
 * (a 188 MB batch copied at the call held the loop ~100-200 ms, most of it the page faults of the fresh copy).
 * The caller keeps them unchanged until the call settles; a sample of the rows taken here makes a batch changed
 * before it was read fail rather than store what the caller did not mean.
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
  const signal = checkSignal(o.signal, 'options.signal');
  return {
    vectors,
    sample: sampleBatch(vectors, rows, dim),
    chunks: [],
    rows,
    modality,
    namespace,
    ids: o.ids as readonly unknown[] | undefined,
    metas: o.metas as readonly unknown[] | undefined,
    signal,
  };
}

/**
 * Copies and validates every row before any is stored, a slice per event-loop turn (a 300k-row batch must not
 * hold the main thread for the ~100 ms a single pass would take, nor a 188 MB one for its copy; in a slice,
 * the vectors are copied, compared with the call's sample and checked, then each row's id and meta is copied
 * and checked: the first error found is thrown), and returns one upsert per slice:
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
  chunks.length = 0;
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
  let sampled = 0;
  const perTurn = rowsPerTurn(dim);
  for (let from = 0; from < rows; from += kBatchSliceRows) {
    // Chunk from / kBatchSliceRows: these rows in a buffer of their own (it moves to the writer as a slice's
    // vectors), filled a part per turn: copied, compared with the sample, then checked and rescaled in place.
    const end = Math.min(rows, from + kBatchSliceRows);
    const chunk = pageArray(Float32Array, (end - from) * dim);
    for (let at = from; at < end; at += perTurn) {
      const to = Math.min(end, at + perTurn);
      const part = chunk.subarray((at - from) * dim, (to - from) * dim);
      copyPart(part, batch.vectors, rows, at, to, dim);
      sampled = checkSampled(batch.sample, sampled, part, at, to, dim);
      checkStoredRows(part, dim, metric, 'vectors', at);
      const metas = batch.metas === undefined ? undefined : copyMetas(batch.metas, at, to);
      for (let r = at; r < to; r++) {
        ids[r] = batch.ids === undefined ? undefined : checkId(batch.ids[r], `options.ids[${r}]`);
        if (shared === undefined) {
          const meta = checkOptions<BatchMeta>(metas![r - at], kBatchMetaKeys, `options.metas[${r}]`, "{ text: 'a' }");
          fields[r] = { namespace, ...checkFields(meta, `options.metas[${r}]`), ...checkRecall(meta, `options.metas[${r}]`) };
          if (fields[r]!.namespace === undefined) delete fields[r]!.namespace;
        }
        const bytes = shared === undefined ? upsertBytes(fields[r]!, dim) : sharedBytes;
        if (bytes > kMaxWriteBytes) checkWriteSize(bytes, `vectors[${r}] with options.metas[${r}]`);
        // A slice never crosses a chunk (rowsOf), so a new chunk starts a new slice.
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
    chunks.push(chunk);
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
      const resolved = new Array<MemoryId>(to - from);
      for (let r = from; r < to; r++) resolved[r - from] = ids[r] ?? next++;
      // Rows without metas go as one UpsertRows (their ids, the shared modality and namespace), not an item each.
      let items: UpsertItems;
      if (shared === undefined) {
        items = new Array<UpsertItem>(to - from);
        for (let r = from; r < to; r++) items[r - from] = { ...fields[r]!, id: resolved[r - from]!, modality };
      } else {
        items = shared.namespace === undefined ? { ids: resolved, modality } : { ids: resolved, modality, namespace: shared.namespace };
      }
      return {
        op: { type: 'upsert', items, now: Date.now() },
        vectors: { [modality]: rowsOf(chunks, from, to, dim) },
        // The op's own array: the mirror and the writer only read it (a copy would be one more array a slice).
        value: resolved,
      };
    });
  }
  return slices;
}
