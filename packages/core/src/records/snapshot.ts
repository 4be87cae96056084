// The memory model as plain data: the format-1 RECORDS section (still read) and what integrity checks compare.
import { FeatherError } from '../errors.js';
import type { Attributes, MemoryId } from './types.js';

/** [id, text, namespace id, entity id, importance, attributes, timestamp, recallCount, lastRecalled, modalities] */
export type SnapshotRow = [MemoryId, string, number, number, number, Attributes, number, number, number | null, string[]];
/** [from row, to row, type, weight] */
export type SnapshotEdge = [number, number, string, number];

/** The model as plain data (see docs/format.md, RECORDS section). */
export interface ModelSnapshot {
  rows: (SnapshotRow | null)[];
  namespaces: string[];
  /** Entity names by id, starting at id 1 (0 = no entity). */
  entities: string[];
  nextAuto: number;
  edges: SnapshotEdge[];
}

export function corrupt(where: string, what: string): FeatherError {
  return new FeatherError('FEATHER_ERR_CORRUPT', `Corrupt records section at ${where}: ${what}; restore the file from a backup`, {
    part: 'records',
    where,
  });
}

export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Structural check of a decoded snapshot: every type and range a model relies on. */
export function checkSnapshot(value: unknown): ModelSnapshot {
  if (typeof value !== 'object' || value === null) throw corrupt('root', 'not an object');
  const s = value as Record<string, unknown>;
  if (!Array.isArray(s['rows']) || !isStringArray(s['namespaces']) || !isStringArray(s['entities']) || !Array.isArray(s['edges']))
    throw corrupt('root', 'missing rows, namespaces, entities or edges');
  if (!isFiniteNumber(s['nextAuto']) || !Number.isSafeInteger(s['nextAuto']) || s['nextAuto'] < 0)
    throw corrupt('nextAuto', 'not a non-negative integer');
  const namespaces = s['namespaces'].length;
  const entities = s['entities'].length;
  (s['rows'] as unknown[]).forEach((row, i) => {
    if (row === null) return;
    const ok =
      Array.isArray(row) &&
      row.length === 10 &&
      ((typeof row[0] === 'string' && row[0].length > 0) || (Number.isSafeInteger(row[0]) && (row[0] as number) >= 0)) &&
      typeof row[1] === 'string' &&
      Number.isInteger(row[2]) &&
      (row[2] as number) >= 0 &&
      (row[2] as number) < namespaces &&
      Number.isInteger(row[3]) &&
      (row[3] as number) >= 0 &&
      (row[3] as number) <= entities &&
      isFiniteNumber(row[4]) &&
      row[4] >= 0 &&
      typeof row[5] === 'object' &&
      row[5] !== null &&
      !Array.isArray(row[5]) &&
      Object.values(row[5] as object).every((v) => typeof v === 'string' || typeof v === 'boolean' || isFiniteNumber(v)) &&
      isFiniteNumber(row[6]) &&
      Number.isSafeInteger(row[7]) &&
      (row[7] as number) >= 0 &&
      (row[8] === null || isFiniteNumber(row[8])) &&
      isStringArray(row[9]);
    if (!ok) throw corrupt(`rows[${i}]`, 'not a valid record');
  });
  return s as unknown as ModelSnapshot;
}
