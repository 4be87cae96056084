// The memory model's writes, applied to its parts: the same ops in the same order give the same rows and
// dictionary ids in every copy (the facade's mirror and the writer's model).
import { FeatherError } from '../errors.js';
import { kNoAttributes } from './attribute-store.js';
import { kLive, kStringId } from './columns-codec.js';
import { idHash } from './id-index.js';
import { findRow, type ForgetEffect, type ModelParts, type UpsertEffect } from './model-parts.js';
import type { Attributes, MemoryId, RecordPatch, UpsertItem, UpsertItems } from './types.js';

/** Defaults of a new memory's fields. */
const kDefaultNamespace = 'default';
const kDefaultImportance = 1;

/**
 * Inserts or updates records. Items must be validated; later items win over earlier ones with the same id.
 * Pushes what each did to `effects` when given (the writer's index work; the facade's mirror needs none).
 */
export function upsertRecords(p: ModelParts, items: UpsertItems, now: number, effects: UpsertEffect[] | undefined): void {
  p.version++;
  if (Array.isArray(items)) {
    for (const item of items) upsertRecord(p, item, now, effects);
    return;
  }
  // One item, rewritten per row (createRecord reads its fields and keeps nothing of it).
  const item: UpsertItem = { id: 0, row: undefined, modality: items.modality };
  if (items.namespace !== undefined) item.namespace = items.namespace;
  const { ids, rows } = items;
  for (let i = 0; i < ids.length; i++) {
    item.id = ids[i]!;
    const row = rows?.[i] ?? -1;
    item.row = row < 0 ? undefined : row;
    upsertRecord(p, item, now, effects);
  }
}

/** How many memories an upsert names. */
export function upsertCount(items: UpsertItems): number {
  return Array.isArray(items) ? items.length : items.ids.length;
}

function upsertRecord(p: ModelParts, item: UpsertItem, now: number, effects: UpsertEffect[] | undefined): void {
  const c = p.cols;
  const existing = findRow(p, item.id);
  const created = existing < 0;
  const row = created ? createRecord(p, item, now) : existing;
  const oldNamespace = c.namespace[row];
  const oldEntity = c.entity[row];
  if (!created) {
    if (item.text !== undefined) p.strings.setText(row, item.text);
    if (item.importance !== undefined) c.importance[row] = item.importance;
    if (item.timestamp !== undefined) c.timestamp[row] = item.timestamp;
    if (item.attributes !== undefined) p.attributes.set(row, item.attributes);
    if (item.namespace !== undefined || item.entity !== undefined) {
      p.scopes.delete(row);
      if (item.namespace !== undefined) c.namespace[row] = p.namespaces.intern(item.namespace);
      if (item.entity !== undefined) c.entity[row] = internEntity(p, item.entity);
      p.scopes.add(row);
    }
  }
  if (item.recallCount !== undefined) c.recall.set(row, item.recallCount, item.lastRecalled ?? Number.NaN);
  if (item.modality !== undefined) addModality(p, row, item.modality);
  p.writeOrder.stamp(row);
  if (effects === undefined) return;
  const namespace = c.namespace[row];
  const entity = c.entity[row];
  effects.push({
    row,
    created,
    namespace,
    entity,
    retagged: !created && (namespace !== oldNamespace || entity !== oldEntity),
    modality: item.modality,
  });
}

/** Changes fields of one record; returns whether its namespace/entity tags changed. */
export function updateRecord(
  p: ModelParts,
  id: MemoryId,
  patch: RecordPatch,
): { row: number; retagged: boolean; namespace: number; entity: number } {
  const c = p.cols;
  const row = requireRow(p, id);
  p.version++;
  if (patch.text !== undefined) p.strings.setText(row, patch.text);
  if (patch.importance !== undefined) c.importance[row] = patch.importance;
  if (patch.attributes !== undefined) p.attributes.set(row, patch.attributes);
  let retagged = false;
  if (patch.entity !== undefined) {
    const entity = internEntity(p, patch.entity);
    if (entity !== c.entity[row]) {
      p.scopes.delete(row);
      c.entity[row] = entity;
      p.scopes.add(row);
      retagged = true;
    }
  }
  return { row, retagged, namespace: c.namespace[row], entity: c.entity[row] };
}

/** Removes records and every edge touching them. All ids must exist (checked before anything changes). */
export function forgetRecords(p: ModelParts, ids: readonly MemoryId[]): ForgetEffect[] {
  const c = p.cols;
  const rows = ids.map((id) => requireRow(p, id));
  p.version++;
  const effects: ForgetEffect[] = [];
  for (const row of new Set(rows)) {
    const modalities = p.modalities.sets[c.modalitySet[row]];
    p.scopes.delete(row);
    p.attributes.set(row, {});
    for (const m of modalities) p.modalities.adjust(m, -1);
    p.edges.drop(row);
    p.ids.delete(row, c.idHash[row]);
    p.strings.drop(row);
    c.flags[row] = 0;
    c.modalitySet[row] = 0;
    p.live--;
    effects.push({ row, modalities });
  }
  return effects;
}

/** Adds an edge, or re-weights the existing edge of the same type between the same two memories. */
export function linkRecords(p: ModelParts, from: MemoryId, to: MemoryId, type: string, weight: number): void {
  p.edges.link(requireRow(p, from), requireRow(p, to), type, weight);
}

/** Removes the edges from one memory to another of `type` (every type when null); returns how many. Both ids must exist. */
export function unlinkRecords(p: ModelParts, from: MemoryId, to: MemoryId, type: string | null): number {
  return p.edges.unlink(requireRow(p, from), requireRow(p, to), type);
}

/** Records that searches returned these rows at `at` (rows forgotten meanwhile are skipped). */
export function touchRows(p: ModelParts, rows: readonly number[], at: number): void {
  const c = p.cols;
  if (!c.recall.owner) return;
  for (const row of rows) if (c.isLive(row)) c.recall.bump(row, at);
}

/**
 * Sets the recall state of rows (a `recall` op: the values a flush logged; rows forgotten since are skipped).
 * @throws FEATHER_ERR_CORRUPT when the op is not one a flush writes (a damaged WAL record).
 */
export function setRecall(p: ModelParts, rows: readonly number[], counts: readonly number[], lasts: readonly (number | null)[]): void {
  const c = p.cols;
  // A WAL record's fields are whatever msgpack decoded: a non-array fails here or in the loop (replay reports it as corrupt).
  if (counts.length !== rows.length || lasts.length !== rows.length) {
    throw new FeatherError('FEATHER_ERR_CORRUPT', 'a recall record must hold one count and one time per row');
  }
  rows.forEach((row, i) => {
    const count = counts[i];
    const last = lasts[i];
    if (!Number.isSafeInteger(row) || row < 0 || !Number.isSafeInteger(count) || count < 0 || (last !== null && !Number.isFinite(last))) {
      throw new FeatherError('FEATHER_ERR_CORRUPT', `a recall record holds an invalid entry at ${i}`);
    }
  });
  if (!c.recall.owner) return;
  rows.forEach((row, i) => {
    if (c.isLive(row)) c.recall.set(row, counts[i], lasts[i] ?? Number.NaN);
  });
}

function createRecord(p: ModelParts, item: UpsertItem, now: number): number {
  const row = item.row === undefined ? newRow(p) : requireHole(p, item.row);
  // Field by field, no RowValues object: this runs for every row of a bulk upsert, in both models.
  placeRow(
    p,
    row,
    item.id,
    item.text ?? '',
    p.namespaces.intern(item.namespace ?? kDefaultNamespace),
    internEntity(p, item.entity ?? null),
    item.importance ?? kDefaultImportance,
    item.timestamp ?? now,
    item.attributes ?? kNoAttributes,
  );
  if (typeof item.id === 'number' && item.id >= p.nextAuto) p.nextAuto = item.id + 1;
  return row;
}

/** What a new live row holds (dictionary ids already interned). */
export interface RowValues {
  id: MemoryId;
  text: string;
  namespace: number;
  entity: number;
  importance: number;
  timestamp: number;
  attributes: Attributes;
}

/** A new live row at the end. */
export function appendRow(p: ModelParts, values: RowValues): number {
  const row = newRow(p);
  const { id, text, namespace, entity, importance, timestamp, attributes } = values;
  placeRow(p, row, id, text, namespace, entity, importance, timestamp, attributes);
  return row;
}

/** The next row at the end, made room for (not yet live). */
function newRow(p: ModelParts): number {
  const c = p.cols;
  c.grow(1);
  return c.n++;
}

/** A forgotten row an op names for reuse. @throws FEATHER_ERR_CORRUPT when it is live or past the end. */
function requireHole(p: ModelParts, row: number): number {
  const c = p.cols;
  if (!Number.isInteger(row) || row < 0 || row >= c.n || c.isLive(row)) {
    throw new FeatherError(
      'FEATHER_ERR_CORRUPT',
      `Corrupt write: it reuses row ${row}, which is ${row >= 0 && row < c.n ? 'live' : `not below the ${c.n} rows`}; a write may only reuse a forgotten row, so the WAL or file is damaged (restore a backup)`,
      { row },
    );
  }
  return row;
}

/** Fills row `row` (the next one at the end, or a forgotten one) with a new live record. */
function placeRow(
  p: ModelParts,
  row: number,
  id: MemoryId,
  text: string,
  namespace: number,
  entity: number,
  importance: number,
  timestamp: number,
  attributes: Attributes,
): void {
  const c = p.cols;
  const hash = idHash(id);
  if (typeof id === 'number') {
    c.flags[row] = kLive;
    c.idNum[row] = id;
  } else {
    c.flags[row] = kLive | kStringId;
    c.idNum[row] = 0;
    p.strings.setId(row, id);
  }
  c.idHash[row] = hash;
  p.ids.insert(row, hash);
  p.strings.place(row, text);
  c.namespace[row] = namespace;
  c.entity[row] = entity;
  c.importance[row] = importance;
  c.timestamp[row] = timestamp;
  c.recall.set(row, 0, Number.NaN);
  c.modalitySet[row] = 0;
  c.attrCount[row] = 0;
  p.live++;
  p.scopes.add(row);
  p.attributes.set(row, attributes);
}

/** Marks `row` as holding a vector of `modality`. */
export function addModality(p: ModelParts, row: number, modality: string): void {
  const c = p.cols;
  const set = p.modalities.with(c.modalitySet[row], modality);
  if (set === c.modalitySet[row]) return;
  c.modalitySet[row] = set;
  p.modalities.adjust(modality, 1);
}

function internEntity(p: ModelParts, name: string | null): number {
  return name === null ? 0 : p.entities.intern(name);
}

/** The row of `id`. @throws FEATHER_ERR_NOT_FOUND when no memory has it. */
export function requireRow(p: ModelParts, id: MemoryId): number {
  const row = findRow(p, id);
  if (row < 0) {
    throw new FeatherError(
      'FEATHER_ERR_NOT_FOUND',
      `memory ${JSON.stringify(id)} does not exist (never added, or forgotten); check the id and its type (1 and '1' differ)`,
      { id },
    );
  }
  return row;
}
