// addBatch input: a flat Float32Array (n × dim) or an array of vectors, validated in slices (one per
// event-loop turn) and cut into one upsert per slice.
import { describeValue, FeatherError, type MemoryId, type MemoryModel, type UpsertItem, type VectorInput } from '@feather-db/core';
import type { AddBatchOptions } from '../api.js';
import { checkFields, checkId, checkNamespace, checkOptions, checkRecall, kBatchMetaKeys, type BatchMeta } from './input.js';
import type { Spaces } from './spaces.js';
import { yieldToLoop } from './turns.js';
import type { Prepared } from './write-pipeline.js';

/** Rows validated per event-loop turn and sent to the writer per message in addBatch. */
export const kBatchSliceRows = 8192;

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
  if (vectors instanceof Float32Array) return vectors.slice(from * dim, to * dim);
  const flat = new Float32Array((to - from) * dim);
  for (let r = from; r < to; r++) flat.set(vectors[r]!, (r - from) * dim);
  return flat;
}

/** A batch whose shape (rows, ids and metas per row, modality) is checked; its rows are not yet. */
export interface BatchInput {
  vectors: Float32Array | readonly VectorInput[];
  rows: number;
  modality: string;
  namespace: string | undefined;
  ids: readonly unknown[] | undefined;
  metas: readonly unknown[] | undefined;
}

/**
 * Checks addBatch's arguments, but not its rows (see batchSlices).
 * @throws FEATHER_ERR_INVALID_ARGUMENT, FEATHER_ERR_DIMENSION_MISMATCH.
 */
export function checkBatch(
  spaces: Spaces,
  vectors: Float32Array | readonly VectorInput[],
  options: AddBatchOptions | undefined,
): BatchInput {
  const o = checkOptions<AddBatchOptions>(
    options,
    ['ids', 'metas', 'namespace', 'modality'],
    'options',
    "{ metas: [{ text: 'a' }], namespace: 'user-1' }",
  );
  const modality = spaces.check(o.modality, 'options.modality');
  const rows = rowCount(vectors, spaces.of(modality).dim);
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
  return { vectors, rows, modality, namespace, ids: o.ids, metas: o.metas };
}

/**
 * Validates every row before any is stored, a slice per event-loop turn (a 300k-row batch must not hold
 * the main thread for the ~100 ms a single pass would take), and returns one upsert per slice. Runs in
 * write order, so the batch keeps its place among writes called before and after it; each prepare reads the
 * mirror's next auto id in its own turn.
 */
export async function batchSlices(model: MemoryModel, spaces: Spaces, batch: BatchInput): Promise<(() => Prepared<MemoryId[]>)[]> {
  const { vectors, rows, modality, namespace } = batch;
  const dim = spaces.of(modality).dim;
  const ids: (MemoryId | undefined)[] = new Array<MemoryId | undefined>(rows);
  const fields: (ReturnType<typeof checkFields> & ReturnType<typeof checkRecall>)[] = new Array<ReturnType<typeof checkFields>>(rows);
  for (let from = 0; from < rows; from += kBatchSliceRows) {
    for (let r = from; r < Math.min(rows, from + kBatchSliceRows); r++) {
      spaces.checkStored(sliceRow(vectors, r, dim), modality, `vectors[${r}]`);
      ids[r] = batch.ids === undefined ? undefined : checkId(batch.ids[r], `options.ids[${r}]`);
      const meta =
        batch.metas === undefined ? {} : checkOptions<BatchMeta>(batch.metas[r], kBatchMetaKeys, `options.metas[${r}]`, "{ text: 'a' }");
      fields[r] = { namespace, ...checkFields(meta, `options.metas[${r}]`), ...checkRecall(meta, `options.metas[${r}]`) };
      if (fields[r]!.namespace === undefined) delete fields[r]!.namespace;
    }
    await yieldToLoop();
  }
  const slices: (() => Prepared<MemoryId[]>)[] = [];
  for (let from = 0; from < rows; from += kBatchSliceRows) {
    const to = Math.min(rows, from + kBatchSliceRows);
    slices.push(() => {
      // Auto ids continue after every integer id in use, including this slice's explicit ones.
      let next = model.peekAutoId();
      for (let r = from; r < to; r++) if (typeof ids[r] === 'number') next = Math.max(next, (ids[r] as number) + 1);
      const items: UpsertItem[] = [];
      for (let r = from; r < to; r++) items.push({ ...fields[r], id: ids[r] ?? next++, modality });
      return {
        op: { type: 'upsert', items, now: Date.now() },
        vectors: { [modality]: copyRows(vectors, from, to, dim) },
        value: items.map((i) => i.id),
      };
    });
  }
  return slices;
}
