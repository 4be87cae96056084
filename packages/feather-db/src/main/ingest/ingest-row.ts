// One source row of an ingest, validated into what the batch needs, or a FeatherError naming the row.
import { checkVector, describeValue, FeatherError, type MemoryId, type Metric, type VectorInput } from '@feather-db/core';
import { checkFields, checkId, checkName, checkOptions, checkRecall, checkText, kBatchMetaKeys, type BatchMeta } from '../input.js';
import type { IngestRow } from './ingest-api.js';

const kRowKeys = [...kBatchMetaKeys, 'vector', 'vectors', 'id', 'links'] as const;
const kLinkKeys = ['to', 'type', 'weight'] as const;

export interface RowLink {
  to: MemoryId;
  type: string;
  weight: number;
}

/** A valid row: its id (undefined: the store assigns one), vectors by modality, metadata and links. */
export interface PreparedRow {
  /** 1-based position in the source. */
  row: number;
  id: MemoryId | undefined;
  vectors: Map<string, VectorInput>;
  /** Set when the main modality's vector must come from the embedder. */
  embedText: string | undefined;
  meta: BatchMeta;
  links: RowLink[];
}

export interface RowRules {
  spaces: Readonly<Record<string, { dim: number; metric: Metric }>>;
  /** The modality `vector` and the embedder fill. */
  modality: string;
  canEmbed: boolean;
  /** Names generated ids; undefined with autoIds. */
  sourceName: string | undefined;
  namespace: string | undefined;
}

/** Validates one row; throws a FeatherError whose message names the row. */
export function prepareRow(raw: unknown, row: number, rules: RowRules): PreparedRow {
  const path = `row ${row}`;
  if (raw instanceof Error) {
    throw raw instanceof FeatherError
      ? raw
      : new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${path}: ${raw.message}`, { row }, { cause: raw });
  }
  const o = checkOptions<IngestRow>(raw, kRowKeys, path, "{ vector: [0.1, 0.2], text: 'hello' }");
  const vectors = new Map<string, VectorInput>();
  if (o.vectors !== undefined) {
    if (typeof o.vectors !== 'object' || o.vectors === null || Array.isArray(o.vectors)) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `${path}.vectors must be an object of modality name to vector, got ${describeValue(o.vectors)}`,
        { row },
      );
    }
    for (const [name, v] of Object.entries(o.vectors)) vectors.set(name, v);
  }
  if (o.vector !== undefined) {
    if (vectors.has(rules.modality))
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `${path} gives the '${rules.modality}' vector twice (vector and vectors.${rules.modality}); keep one`,
        { row },
      );
    vectors.set(rules.modality, o.vector);
  }
  for (const [name, v] of vectors) {
    const space = rules.spaces[name];
    const at = name === rules.modality && o.vector !== undefined ? `${path}.vector` : `${path}.vectors.${name}`;
    if (space === undefined) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `${at}: the store has no modality '${name}' (it has ${Object.keys(rules.spaces).join(', ')}); declare it with open({ modalities })`,
        { row },
      );
    }
    checkVector(v, space.dim, at);
    if (space.metric === 'cosine' && isZero(v))
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${at} must not be all zeros under the cosine metric: it has no direction`, {
        row,
      });
  }
  // checkFields returns a fresh object: the recall fields join it in place (no spread per row).
  const meta: BatchMeta = checkFields(o, path);
  const recall = checkRecall(o, path);
  if (recall.recallCount !== undefined) Object.assign(meta, recall);
  if (meta.namespace === undefined && rules.namespace !== undefined) meta.namespace = rules.namespace;
  let embedText: string | undefined;
  if (!vectors.has(rules.modality)) {
    if (o.text !== undefined && rules.canEmbed) embedText = checkText(o.text, `${path}.text`);
    else if (vectors.size === 0) {
      const why = o.text === undefined ? 'give it a vector' : 'give it a vector, or pass an embedder to embed its text';
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${path} has no vector: ${why}`, { row });
    }
  }
  const id = o.id !== undefined ? checkId(o.id, `${path}.id`) : rules.sourceName === undefined ? undefined : `${rules.sourceName}:${row}`;
  return { row, id, vectors, embedText, meta, links: checkLinks(o.links, path) };
}

function checkLinks(value: unknown, path: string): RowLink[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `${path}.links must be an array like [{ to: 'm2', type: 'caused_by', weight: 0.8 }], got ${describeValue(value)}`,
    );
  return value.map((l: unknown, i) => {
    const at = `${path}.links[${i}]`;
    const o = checkOptions<{ to?: unknown; type?: unknown; weight?: unknown }>(l, kLinkKeys, at, "{ to: 'm2', type: 'caused_by' }");
    const weight = o.weight ?? 1;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${at}.weight must be a finite number >= 0, got ${describeValue(weight)}`);
    }
    return {
      to: checkId(o.to, `${at}.to`),
      type: o.type === undefined ? 'related_to' : checkName(o.type, `${at}.type`, 'edge type'),
      weight,
    };
  });
}

function isZero(v: VectorInput): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
  return true;
}

/** A key that keeps integer and string ids apart (1 and '1' are different memories). */
export function idKey(id: MemoryId): string {
  return typeof id === 'number' ? `#${id}` : `$${id}`;
}
