// The single-record writes: arguments checked at call time, the op built in the write's turn (it reads the
// mirror, e.g. the next auto id).
import type { MemoryId, MemoryModel, ModelOp, UpsertItem } from '@feather-db/core';
import type { AddOptions } from '../api.js';
import { checkFields, checkId, checkLinkOptions, checkName, checkOptions, checkPatch, kFieldKeys } from './input.js';
import type { Spaces } from './spaces.js';
import type { Prepared } from './write-pipeline.js';
import { checkWriteSize, upsertBytes } from './write-size.js';

/**
 * add(): the vector (copied now: the caller may reuse its buffer) and its memory, as one upsert.
 * @throws FEATHER_ERR_DIMENSION_MISMATCH, FEATHER_ERR_INVALID_ARGUMENT.
 */
export function prepareAdd(
  spaces: Spaces,
  model: MemoryModel,
  vector: unknown,
  options: AddOptions | undefined,
): () => Prepared<MemoryId[]> {
  const o = checkOptions<AddOptions>(options, [...kFieldKeys, 'id', 'modality'], 'options', "{ text: 'hello', namespace: 'user-1' }");
  const modality = spaces.check(o.modality, 'options.modality');
  // Validated as stored: float32, and under cosine a direction the kernels can normalise.
  const copy = spaces.checkStored(vector, modality, 'vector');
  const id = o.id === undefined ? undefined : checkId(o.id, 'options.id');
  const fields = checkFields(o, 'options');
  checkWriteSize(upsertBytes(fields, copy.length), 'the memory');
  return () => {
    const item: UpsertItem = { ...fields, id: id ?? model.peekAutoId(), modality };
    return { op: { type: 'upsert', items: [item], now: Date.now() }, vectors: { [modality]: copy }, value: [item.id] };
  };
}

/** update(): @throws FEATHER_ERR_INVALID_ARGUMENT. */
export function updateOp(id: unknown, patch: unknown): Extract<ModelOp, { type: 'update' }> {
  return { type: 'update', id: checkId(id, 'id'), patch: checkPatch(patch) };
}

/** link(): @throws FEATHER_ERR_INVALID_ARGUMENT. */
export function linkOp(from: unknown, to: unknown, options: unknown): Extract<ModelOp, { type: 'link' }> {
  const a = checkId(from, 'from');
  const b = checkId(to, 'to');
  return { type: 'link', from: a, to: b, ...checkLinkOptions(options) };
}

/** unlink(): @throws FEATHER_ERR_INVALID_ARGUMENT. */
export function unlinkOp(from: unknown, to: unknown, options: unknown): Extract<ModelOp, { type: 'unlink' }> {
  const a = checkId(from, 'from');
  const b = checkId(to, 'to');
  const o = checkOptions<{ type?: string }>(options, ['type'], 'options', "{ type: 'caused_by' }");
  return { type: 'unlink', from: a, to: b, edgeType: o.type === undefined ? null : checkName(o.type, 'options.type', 'edge type') };
}

/** Edges from `a` to `b` (of one type, or all) in the mirror; 0 when `a` is unknown (the op then fails NOT_FOUND). */
export function countEdges(model: MemoryModel, op: Extract<ModelOp, { type: 'unlink' }>): number {
  const row = model.rowOf(op.from);
  if (row === undefined) return 0;
  return model.edgesOf(row).outgoing.filter((e) => e.to === op.to && (op.edgeType === null || e.type === op.edgeType)).length;
}
