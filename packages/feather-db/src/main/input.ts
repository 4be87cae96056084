// Validation of every public argument, once, at the facade: messages name the option path, what was
// expected and what came. Nothing here reads store state (that happens in write order, see write-pipeline.ts).
import {
  checkInt,
  checkKnownKeys,
  describeValue,
  FeatherError,
  kMaxEf,
  type AttributeValue,
  type Attributes,
  type MemoryId,
  type RecordPatch,
} from '@feather-db/core';

/** Longest `text` accepted, in UTF-16 code units (~100 KB of prose: a long document chunk). */
export const kMaxTextLength = 100_000;
/** Longest namespace, entity, attribute key, edge type or string id. */
const kMaxNameLength = 256;
/** Longest string attribute value. */
const kMaxAttributeValueLength = 4096;
/** Most attributes per memory. */
const kMaxAttributes = 64;
/** Namespace wildcard of purge; not a valid namespace name. */
export const kAllNamespaces = '*';

function invalid(message: string, path: string): FeatherError {
  return new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', message, { path });
}

/** `options` must be undefined or a plain object with only `known` keys. */
export function checkOptions<T extends object>(options: unknown, known: readonly string[], path: string, example: string): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(`${path} must be an object like ${example}, got ${describeValue(options)}`, path);
  }
  checkKnownKeys(options, known, path);
  return options as T;
}

export function checkId(value: unknown, path: string): MemoryId {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    if (value.length > 0 && value.length <= 512) return value;
  }
  throw invalid(
    `${path} must be a non-empty string (up to 512 characters) or a non-negative safe integer, got ${describeValue(value)}`,
    path,
  );
}

export function checkIds(value: unknown, path: string): MemoryId[] {
  if (!Array.isArray(value)) return [checkId(value, path)];
  return value.map((v, i) => checkId(v, `${path}[${i}]`));
}

export function checkName(value: unknown, path: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > kMaxNameLength) {
    throw invalid(`${path} must be a non-empty ${what} name of at most ${kMaxNameLength} characters, got ${describeValue(value)}`, path);
  }
  return value;
}

export function checkNamespace(value: unknown, path: string): string {
  const name = checkName(value, path, 'namespace');
  if (name === kAllNamespaces) throw invalid(`${path} must not be '*': it means "every namespace" in purge; choose another name`, path);
  return name;
}

export function checkEntity(value: unknown, path: string): string | null {
  return value === null ? null : checkName(value, path, 'entity');
}

export function checkText(value: unknown, path: string): string {
  if (typeof value !== 'string') throw invalid(`${path} must be a string, got ${describeValue(value)}`, path);
  if (value.length > kMaxTextLength) {
    throw invalid(
      `${path} must be at most ${kMaxTextLength} characters, got ${value.length}; store a summary or split the document into chunks`,
      path,
    );
  }
  return value;
}

function checkImportance(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(`${path} must be a finite number >= 0 (1 is neutral), got ${describeValue(value)}`, path);
  }
  return value;
}

/** A time as ms since the epoch: a finite number or a valid Date. */
export function checkTime(value: unknown, path: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw invalid(`${path} must be ms since the epoch (a finite number) or a valid Date, got ${describeValue(value)}`, path);
  }
  return ms;
}

export function checkAttributes(value: unknown, path: string): Attributes {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw invalid(`${path} must be an object of string keys to string, number or boolean values, got ${describeValue(value)}`, path);
  }
  const keys = Object.keys(value);
  if (keys.length > kMaxAttributes) throw invalid(`${path} must have at most ${kMaxAttributes} keys, got ${keys.length}`, path);
  const out: Record<string, AttributeValue> = {};
  for (const key of keys) {
    checkName(key, `${path} key`, 'attribute');
    const v: unknown = (value as Record<string, unknown>)[key];
    const ok =
      typeof v === 'boolean' ||
      (typeof v === 'number' && Number.isFinite(v)) ||
      (typeof v === 'string' && v.length <= kMaxAttributeValueLength);
    if (!ok) {
      throw invalid(
        `${path}.${key} must be a string (up to ${kMaxAttributeValueLength} characters), a finite number or a boolean, got ${describeValue(v)}`,
        `${path}.${key}`,
      );
    }
    out[key] = v;
  }
  return out;
}

export function checkPositiveNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw invalid(`${path} must be a finite number > 0, got ${describeValue(value)}`, path);
  return value;
}

export function checkFraction(value: unknown, path: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1))
    throw invalid(`${path} must be a number in [0, 1], got ${describeValue(value)}`, path);
  return value;
}

export function checkBoolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw invalid(`${path} must be true or false, got ${describeValue(value)}`, path);
  return value;
}

export function checkK(value: unknown, path: string): number {
  checkInt(value, path, 1, kMaxEf);
  return value;
}

/** Metadata of one memory, as add() and addBatch metas take it. */
export interface MemoryFields {
  text?: string;
  namespace?: string;
  entity?: string | null;
  importance?: number;
  attributes?: Attributes;
  timestamp?: number | Date;
}

export const kFieldKeys = ['text', 'namespace', 'entity', 'importance', 'attributes', 'timestamp'] as const;

/** Validated fields, with Date timestamps turned to ms. */
export function checkFields(o: MemoryFields, path: string): Omit<MemoryFields, 'timestamp'> & { timestamp?: number } {
  const out: Omit<MemoryFields, 'timestamp'> & { timestamp?: number } = {};
  if (o.text !== undefined) out.text = checkText(o.text, `${path}.text`);
  if (o.namespace !== undefined) out.namespace = checkNamespace(o.namespace, `${path}.namespace`);
  if (o.entity !== undefined) out.entity = checkEntity(o.entity, `${path}.entity`);
  if (o.importance !== undefined) out.importance = checkImportance(o.importance, `${path}.importance`);
  if (o.attributes !== undefined) out.attributes = checkAttributes(o.attributes, `${path}.attributes`);
  if (o.timestamp !== undefined) out.timestamp = checkTime(o.timestamp, `${path}.timestamp`);
  return out;
}

export function checkPatch(patch: unknown): RecordPatch {
  const o = checkOptions<RecordPatch>(patch, ['text', 'entity', 'importance', 'attributes'], 'patch', '{ importance: 2 }');
  const out: RecordPatch = {};
  if (o.text !== undefined) out.text = checkText(o.text, 'patch.text');
  if (o.entity !== undefined) out.entity = checkEntity(o.entity, 'patch.entity');
  if (o.importance !== undefined) out.importance = checkImportance(o.importance, 'patch.importance');
  if (o.attributes !== undefined) out.attributes = checkAttributes(o.attributes, 'patch.attributes');
  if (Object.keys(out).length === 0) throw invalid('patch must change at least one of text, entity, importance, attributes', 'patch');
  return out;
}

/** link()'s options: the edge type (default 'related_to') and weight (default 1). */
export function checkLinkOptions(options: unknown): { edgeType: string; weight: number } {
  const o = checkOptions<{ type?: string; weight?: number }>(options, ['type', 'weight'], 'options', "{ type: 'caused_by', weight: 0.8 }");
  const edgeType = o.type === undefined ? 'related_to' : checkName(o.type, 'options.type', 'edge type');
  const weight = o.weight ?? 1;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
    throw invalid(`options.weight must be a finite number >= 0, got ${describeValue(weight)}`, 'options.weight');
  }
  return { edgeType, weight };
}

/** save()'s `graph` option (default 'auto'). */
export function checkSaveGraph(options: unknown): 'auto' | 'always' | 'never' {
  const graph = checkOptions<{ graph?: unknown }>(options, ['graph'], 'options', "{ graph: 'auto' }").graph ?? 'auto';
  if (graph !== 'auto' && graph !== 'always' && graph !== 'never')
    throw invalid(`options.graph must be 'auto', 'always' or 'never', got ${describeValue(graph)}`, 'options.graph');
  return graph;
}

/** One row's metadata in addBatch: the memory's fields, plus recall state carried over from another store. */
export interface BatchMeta extends MemoryFields {
  /** How often searches returned it (a non-negative integer). Default 0. Restores an exported memory. */
  recallCount?: number;
  /** When a search last returned it (ms or Date), or null. Only with recallCount. */
  lastRecalled?: number | Date | null;
}

export const kBatchMetaKeys: readonly string[] = [...kFieldKeys, 'recallCount', 'lastRecalled'];

/** Validated recall state of a BatchMeta (empty when it has none). */
export function checkRecall(o: BatchMeta, path: string): { recallCount?: number; lastRecalled?: number | null } {
  if (o.recallCount === undefined) {
    if (o.lastRecalled !== undefined && o.lastRecalled !== null)
      throw invalid(`${path}.lastRecalled needs ${path}.recallCount (how often it was recalled)`, `${path}.lastRecalled`);
    return {};
  }
  const count = o.recallCount;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0)
    throw invalid(`${path}.recallCount must be a non-negative integer, got ${describeValue(count)}`, `${path}.recallCount`);
  const last = o.lastRecalled === undefined || o.lastRecalled === null ? null : checkTime(o.lastRecalled, `${path}.lastRecalled`);
  return { recallCount: count, lastRecalled: last };
}
